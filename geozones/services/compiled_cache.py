"""Compiled rules kept on disk, so a batch starts in a fraction of the time it takes to build them.

:func:`geozones.engine.compile.prepare` projects every restricted feature, cuts roads into
pieces, builds the nearest-feature quadtree and the site grid: about a second or two for
Jakarta Pusat, paid by every ``geozones check`` and every worker process. Here the built
:class:`~geozones.engine.compile.PreparedRules` is written once to
``$GEOZONES_HOME/cache/compiled`` (default: the platformdirs user cache directory) and read
back by later runs.

Trust: a cache file is only ever read when

* its name is the **key** of what it was built from: the rule set's id, version and content
  digest, the area, the ``sha256`` content digest of every present layer, the nearest-search
  bound and a digest of the engine code that builds it. Change a layer file, the rule set or the
  engine and the key changes, so a stale file is never looked at (it is rebuilt);
* its body carries an HMAC-SHA256 made with a per-user secret (``cache.key``, mode 0600, in the
  same directory) over the key and the pickled bytes. A file written by anyone else, truncated or
  altered fails the check and is ignored, rebuilt and overwritten; it is never unpickled.

Files are written atomically (temporary file, then ``os.replace``), so a reader never sees half
of one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import pickle
import secrets
import stat
from pathlib import Path

import platformdirs
import shapely

from geozones.areas.layers import LayerSet
from geozones.engine import PreparedRules, prepare
from geozones.rules.model import RuleSet

__all__ = ["CACHE_ENV", "cache_dir", "cache_key", "load_or_prepare"]

#: ``$GEOZONES_HOME`` (shared with the sealing key); the cache lives in its ``cache/compiled``.
CACHE_ENV = "GEOZONES_HOME"
_MAGIC = b"GZPR1\n"
_KEY_FILE = "cache.key"
_ENGINE_FILES = ("compile.py", "nearest.py", "sitegrid.py", "judge.py")


def cache_dir() -> Path:
    """``$GEOZONES_HOME/cache/compiled``, else the platformdirs user cache directory's ``compiled``."""
    home = os.environ.get(CACHE_ENV)
    base = Path(home) / "cache" if home else Path(platformdirs.user_cache_dir("geozones", appauthor=False))
    return base / "compiled"


def _engine_digest() -> str:
    import geozones.engine as engine

    h = hashlib.sha256()
    root = Path(engine.__file__).parent
    for name in _ENGINE_FILES:
        h.update((root / name).read_bytes())
    return h.hexdigest()


def cache_key(layers: LayerSet, ruleset: RuleSet, nearest_bound_m: float = 1000.0) -> str:
    """The name of the cache entry for these rules and layers (hex sha256).

    Parameters
    ----------
    layers : LayerSet
        Loaded layers; each present layer's ``digest`` is the sha256 of its file content.
    ruleset : RuleSet
        The rule set; its whole content is digested, not only its version.
    nearest_bound_m : float
        Bound of the nearest-feature search (metres).

    Returns
    -------
    str
        64 hex digits.
    """
    what = {
        "ruleset_id": ruleset.id, "ruleset_version": ruleset.version,
        "ruleset_digest": hashlib.sha256(ruleset.model_dump_json().encode("utf-8")).hexdigest(),
        "area": layers.manifest.id,
        "manifest": hashlib.sha256(layers.manifest.model_dump_json().encode("utf-8")).hexdigest()
        if hasattr(layers.manifest, "model_dump_json") else repr(layers.manifest),
        "layers": {name: (lyr.digest, lyr.present) for name, lyr in sorted(layers.layers.items())},
        "metric_crs": str(layers.metric_crs),
        "nearest_bound_m": float(nearest_bound_m),
        "engine": _engine_digest(),
    }
    return hashlib.sha256(json.dumps(what, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def _secret(folder: Path) -> bytes:
    """The per-user signing secret (created with mode 0600 on first use)."""
    path = folder / _KEY_FILE
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = folder / f".{_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_bytes(32))
        try:
            os.link(tmp, path)  # never overwrites: the first process's secret wins
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    if os.name == "posix" and stat.S_IMODE(path.stat().st_mode) & 0o077:
        raise PermissionError(f"{path} may be read by others; the compiled-rules cache is not used")
    data = path.read_bytes()
    if len(data) != 32:
        raise PermissionError(f"{path} is not a 32-byte secret; the compiled-rules cache is not used")
    return data


def _sign(secret: bytes, key: str, body: bytes) -> bytes:
    return hmac.new(secret, key.encode("ascii") + b"\0" + body, hashlib.sha256).digest()


def _detach(prep: PreparedRules) -> PreparedRules:
    """A shallow copy without the rule set and layers (the caller has both; layers are large)."""
    prep.site_grid()
    prep.nearest_index.build()
    clone = PreparedRules.__new__(PreparedRules)
    clone.__dict__.update(prep.__dict__)
    clone.ruleset = None  # type: ignore[assignment]
    clone.layers = None  # type: ignore[assignment]
    return clone


def _attach(prep: PreparedRules, layers: LayerSet, ruleset: RuleSet) -> PreparedRules:
    prep.ruleset = ruleset
    prep.layers = layers
    for c in prep.rules:  # the compiled rules refer to the rule set's own Rule objects
        c.rule = ruleset.rules[c.index]
    # Prepared GEOS geometries do not survive pickling; prepare them as prepare() does.
    shapely.prepare(prep.admin_geoms)
    if len(prep.poly_idx):
        shapely.prepare(prep.geoms[prep.poly_idx])
    return prep


def _read(path: Path, key: str, secret: bytes) -> PreparedRules | None:
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    head = len(_MAGIC) + 32
    if len(raw) < head or not raw.startswith(_MAGIC):
        return None
    mac, body = raw[len(_MAGIC):head], raw[head:]
    if not hmac.compare_digest(mac, _sign(secret, key, body)):
        return None  # foreign, truncated or altered: never unpickled
    try:
        obj = pickle.loads(body)
    except Exception:  # noqa: BLE001 - an unreadable file is rebuilt, whatever the reason
        return None
    return obj if isinstance(obj, PreparedRules) else None


def _write(path: Path, key: str, secret: bytes, prep: PreparedRules) -> None:
    body = pickle.dumps(_detach(prep), protocol=pickle.HIGHEST_PROTOCOL)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(_MAGIC + _sign(secret, key, body) + body)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def load_or_prepare(layers: LayerSet, ruleset: RuleSet, *, folder: Path | None = None,
                    nearest_bound_m: float = 1000.0) -> tuple[PreparedRules, str]:
    """The compiled rules from the cache when a trusted, current entry exists; else built and stored.

    Parameters
    ----------
    layers : LayerSet
        The rule set's area's layers (EPSG:4326).
    ruleset : RuleSet
        A validated rule set for the same area.
    folder : Path, optional
        Cache directory (default :func:`cache_dir`).
    nearest_bound_m : float
        Bound of the nearest-feature search (metres), as for :func:`geozones.engine.compile.prepare`.

    Returns
    -------
    prepared : PreparedRules
        Attached to ``layers`` and ``ruleset`` (the same objects passed in), site grid and
        nearest index built.
    status : str
        ``"hit"`` (loaded), ``"built"`` (built and stored) or ``"built, not stored: <why>"``.

    Raises
    ------
    InputError, ValueError
        As :func:`geozones.engine.compile.prepare`.
    """
    folder = folder or cache_dir()
    key = cache_key(layers, ruleset, nearest_bound_m)
    path = folder / f"{key}.prepared"
    try:
        secret = _secret(folder)
    except OSError as exc:
        return _built(layers, ruleset, nearest_bound_m), f"built, not stored: {exc}"
    cached = _read(path, key, secret) if path.exists() else None
    if cached is not None:
        return _attach(cached, layers, ruleset), "hit"
    prep = _built(layers, ruleset, nearest_bound_m)
    try:
        _write(path, key, secret, prep)
    except OSError as exc:
        return prep, f"built, not stored: {exc}"
    return prep, "built"


def _built(layers: LayerSet, ruleset: RuleSet, nearest_bound_m: float) -> PreparedRules:
    prep = prepare(layers, ruleset, nearest_bound_m=nearest_bound_m)
    prep.site_grid()
    prep.nearest_index.build()
    return prep
