"""Write layer files into a data directory without losing what was there.

Writers to one data directory are serialised and a crash at any instant leaves
either the old layer and its old provenance record, or the new layer and its new
record:

* a lock per layer file (``.locks/<file>.lock``, :func:`fcntl.flock`, released by
  the kernel when its process dies) is held for the whole import; a second
  writer waits a bounded time (``GEOZONES_LOCK_TIMEOUT`` seconds, default 60) and
  is then refused with a message naming the holder;
* candidates are written under ``.staging/<pid>-<random>/`` (unique per writer,
  on the same file system so renames are atomic); a staging folder left by a
  dead process is removed, or completed when it had committed;
* the layer and ``provenance.json`` are replaced through a commit journal: once
  the journal is written the replacement is completed by whoever comes next,
  even after a kill between the two renames.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import geopandas as gpd

from geozones.core.errors import InputError, Problem
from geozones.io.files import file_lock, sha256_file
from geozones.io.vector import write_vector
from geozones.sources.provenance import PROVENANCE_FILE, keep_previous, provenance_lock, updated_document

LOCK_DIR = ".locks"
STAGING_DIR = ".staging"
JOURNAL = "COMMIT.json"
def layer_lock(path: Path, *, timeout: float | None = None):
    """The lock of one layer file (see :func:`file_lock`)."""
    path = Path(path)
    return file_lock(path.parent / LOCK_DIR / f"{path.name}.lock", timeout=timeout, what=path.name)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover(data_dir: Path) -> list[str]:
    """Finish or remove what dead writers left in ``data_dir``; return what was done.

    A staging folder with a commit journal is completed (its remaining renames
    done); one without is removed. Old-style ``.<stem>.candidate<suffix>``
    leftovers are removed too.
    """
    data_dir = Path(data_dir)
    done: list[str] = []
    staging = data_dir / STAGING_DIR
    if staging.is_dir():
        for d in sorted(staging.iterdir()):
            try:
                pid = int(d.name.split("-", 1)[0])
            except ValueError:
                pid = -1
            fresh = time.time() - d.stat().st_mtime < 24 * 3600
            if pid > 0 and _alive(pid) and fresh:
                continue
            journal = d / JOURNAL
            if journal.exists():
                try:
                    moves = json.loads(journal.read_text(encoding="utf-8"))["moves"]
                except (OSError, json.JSONDecodeError, KeyError):
                    moves = []
                for src, dst in moves:
                    if Path(src).exists():
                        os.replace(src, dst)
                        done.append(f"completed {Path(dst).name}")
            shutil.rmtree(d, ignore_errors=True)
            done.append(f"removed {d.name}")
    for stale in data_dir.glob(".*.candidate.*"):
        stale.unlink(missing_ok=True)
        done.append(f"removed {stale.name}")
    return done


def write_layers(layers: dict[Path, gpd.GeoDataFrame], *, replace: bool,
                 provenance: dict[str, dict] | None = None,
                 lock_held: bool = False) -> dict[Path, tuple[str, Path | None]]:
    """Write several layers, all or none: conflicts are found before anything is replaced.

    Each layer is first written to a candidate file in a private staging folder.
    A destination that exists with different bytes is replaced only with
    ``replace``; the old file is then copied to ``.previous/``. With
    ``provenance`` (``{file name: record}``), ``provenance.json`` is replaced
    in the same commit as the layers.

    Parameters
    ----------
    layers : dict
        ``{destination path: GeoDataFrame}``; all in one data directory.
    replace : bool
        Replace files whose content differs.
    provenance : dict, optional
        Records to store for the files written.
    lock_held : bool
        The caller already holds the locks of these layers (:func:`layer_lock`).

    Returns
    -------
    dict
        ``{path: (status, previous)}`` with status ``"created"``, ``"replaced"``
        or ``"unchanged"`` and where a replaced file was kept.

    Raises
    ------
    InputError
        Naming every file that exists with different content, when ``replace`` is false,
        or a layer locked by another writer past the wait.
    """
    paths = [Path(p) for p in layers]
    if not paths:
        return {}
    data_dir = paths[0].parent
    with contextlib.ExitStack() as stack:
        if not lock_held:
            for p in sorted(paths):
                stack.enter_context(layer_lock(p))
        data_dir.mkdir(parents=True, exist_ok=True)
        recover(data_dir)
        (data_dir / STAGING_DIR).mkdir(exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=data_dir / STAGING_DIR))
        try:
            candidates: dict[Path, Path] = {}
            for path, gdf in layers.items():
                path = Path(path)
                tmp = stage / path.name
                # The layer name is fixed so that identical data gives identical bytes.
                write_vector(gdf, tmp, layer=path.stem)
                candidates[path] = tmp
            conflicts = [p for p, t in candidates.items() if p.exists() and sha256_file(p) != sha256_file(t)]
            if conflicts and not replace:
                raise InputError([Problem.bi("sudah ada dengan isi berbeda; beri --replace untuk menggantinya "
                                             "(berkas sekarang lalu disimpan di .previous/)",
                                             "already exists with different content; pass --replace to replace "
                                             "it (the current file is then kept in .previous/)", str(p))
                                  for p in conflicts])
            out: dict[Path, tuple[str, Path | None]] = {}
            moves: list[tuple[str, str]] = []
            for path, tmp in candidates.items():
                if not path.exists():
                    out[path] = ("created", None)
                    moves.append((str(tmp), str(path)))
                elif path in conflicts:
                    out[path] = ("replaced", keep_previous(path))
                    moves.append((str(tmp), str(path)))
                else:
                    out[path] = ("unchanged", None)
            if provenance is None:
                _commit(stage, moves)
                return out
            with provenance_lock(data_dir):
                records = {}
                for name, rec in provenance.items():
                    target = data_dir / name
                    cand = candidates.get(target)
                    src = cand if cand is not None and out[target][0] != "unchanged" else target
                    rec = dict(rec)
                    if src.exists():
                        rec["file_sha256"] = sha256_file(src)
                        rec["file_bytes"] = src.stat().st_size
                    if out.get(target, ("", None))[1] is not None:
                        rec["previous_version"] = str(out[target][1])
                    records[name] = rec
                text = json.dumps(updated_document(data_dir, records), indent=2, ensure_ascii=False, default=str)
                prov_tmp = stage / PROVENANCE_FILE
                prov_tmp.write_text(text + "\n", encoding="utf-8")
                _commit(stage, [*moves, (str(prov_tmp), str(data_dir / PROVENANCE_FILE))])
            return out
        finally:
            shutil.rmtree(stage, ignore_errors=True)


def _commit(stage: Path, moves: list[tuple[str, str]]) -> None:
    """Record the renames in a journal, then do them; :func:`recover` completes them after a crash."""
    if not moves:
        return
    journal = stage / JOURNAL
    tmp = stage / (JOURNAL + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump({"moves": moves}, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, journal)
    for src, dst in moves:
        os.replace(src, dst)
    journal.unlink(missing_ok=True)
