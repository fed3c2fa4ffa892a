"""Download pinned upstream files: timeouts, retries with backoff, checksums, atomic writes.

A file is written to a temporary sibling while its SHA-256 is computed and only
renamed into place when the hash matches the pinned one; a mismatch leaves
nothing behind. When upstream cannot be reached the error says how to carry on
offline: copy the files into a folder and use ``--mirror``, or import the
official files the office already has with ``geozones data import``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests

from geozones.core.errors import InputError
from geozones.io.files import sha256_file
from geozones.sources.upstream import UpstreamFile

CACHE_ENV = "GEOZONES_CACHE_DIR"
#: Refuse responses larger than this (the biggest province file is a few hundred MiB).
MAX_DOWNLOAD_BYTES = 2 * 1024**3
_CHUNK = 1 << 20
_RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}

OFFLINE_HINT = (
    "If this machine is offline, either copy the upstream files ({names}) into a folder and run "
    "again with --mirror FOLDER, or load the boundary files your office already has with "
    "'geozones data import FILE --layer kelurahan' (see shapefiles/README.md).")


@dataclass(frozen=True)
class Fetched:
    """A file obtained from upstream or a mirror, with what provenance needs."""

    source: UpstreamFile
    path: Path
    url: str
    sha256: str
    fetched_at: str
    from_cache: bool = False

    def record(self) -> dict:
        """Provenance entry of this file."""
        return {"key": self.source.key, "url": self.url, "upstream_url": self.source.url,
                "sha256": self.sha256, "pinned_sha256": self.source.sha256,
                "licence": self.source.licence, "attribution": self.source.attribution,
                "fetched_at": self.fetched_at, "from_cache": self.from_cache}


def default_cache_dir() -> Path:
    """``$GEOZONES_CACHE_DIR``, else ``$XDG_CACHE_HOME/geozones``, else ``~/.cache/geozones``."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "geozones"


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def _is_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def fetch(source: UpstreamFile, *, cache_dir: Path | None = None, mirror: str | os.PathLike | None = None,
          timeout: tuple[float, float] = (10.0, 120.0), retries: int = 3, backoff: float = 1.0,
          allow_unpinned: bool = False, session: requests.Session | None = None,
          sleep: Callable[[float], None] = time.sleep) -> Fetched:
    """Get one upstream file into the cache, verified against its pinned SHA-256.

    Parameters
    ----------
    source : UpstreamFile
        What to fetch.
    cache_dir : pathlib.Path, optional
        Where verified files are kept (default: :func:`default_cache_dir`). A cached
        file whose hash still matches is reused without network access.
    mirror : str or path-like, optional
        A folder or a base URL holding the upstream files under their own names
        (``wilayah.sql``, ``id31_dki_jakarta_district.geojson``), used instead of
        the real URL.
    timeout : (float, float)
        Connect and read timeouts in seconds, per attempt.
    retries : int
        Extra attempts after a connection error, timeout or 5xx/429 reply.
    backoff : float
        Seconds before the first retry; doubled for each further one.
    allow_unpinned : bool
        Accept a file that has no pinned hash (its observed hash is recorded).
    session : requests.Session, optional
        Session to use (tests, connection reuse).
    sleep : callable
        Used between retries (tests pass a no-op).

    Returns
    -------
    Fetched
        The verified file and its provenance.

    Raises
    ------
    InputError
        On a checksum mismatch, a missing file, an unpinned file without
        ``allow_unpinned``, or when upstream cannot be reached (with the offline hint).
    """
    if source.sha256 is None and not allow_unpinned:
        raise InputError(f"{source.url} has no pinned SHA-256 in geozones/data/sources.py, so its "
                         "content cannot be verified; pass --allow-unpinned to accept it and record "
                         "the hash it has today", source=source.filename)
    cache = Path(cache_dir) if cache_dir else default_cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    dest = cache / source.filename
    if dest.exists() and source.sha256 and sha256_file(dest) == source.sha256:
        return Fetched(source, dest, str(dest), source.sha256,
                       dt.datetime.fromtimestamp(dest.stat().st_mtime, dt.UTC).replace(microsecond=0)
                       .isoformat(), from_cache=True)

    if mirror is not None and not _is_url(str(mirror)):
        local = Path(mirror) / source.filename
        if not local.is_file():
            raise InputError(f"the mirror folder has no '{source.filename}'; it should hold the "
                             f"upstream file of {source.url}", source=str(mirror))
        url = str(local)
        tmp = _tmp_in(cache, source)
        try:
            shutil.copyfile(local, tmp)
            digest = sha256_file(tmp)
            _verify(source, digest, url, tmp)
            os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)
        return Fetched(source, dest, url, digest, _now())

    url = source.url if mirror is None else str(mirror).rstrip("/") + "/" + source.filename
    http = session or requests.Session()
    last_error = "no attempt made"
    for attempt in range(retries + 1):
        if attempt:
            sleep(backoff * 2 ** (attempt - 1))
        try:
            digest, tmp = _download(http, url, cache, source, timeout)
        except _Retryable as exc:
            last_error = str(exc)
            continue
        try:
            _verify(source, digest, url, tmp)
            os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)
        return Fetched(source, dest, url, digest, _now())
    names = source.filename
    raise InputError(f"could not download {url} after {retries + 1} attempt(s): {last_error}. "
                     + OFFLINE_HINT.format(names=names), source=source.filename)


class _Retryable(Exception):
    pass


def _tmp_in(cache: Path, source: UpstreamFile) -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{source.filename}.", suffix=".part", dir=cache)
    os.close(fd)
    return Path(name)


def _download(http: requests.Session, url: str, cache: Path, source: UpstreamFile,
              timeout: tuple[float, float]) -> tuple[str, Path]:
    try:
        resp = http.get(url, stream=True, timeout=timeout)
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise _Retryable(f"{type(exc).__name__}: {_first_line(exc)}") from None
    with resp:
        if resp.status_code in _RETRY_STATUS:
            raise _Retryable(f"HTTP {resp.status_code}")
        if resp.status_code != 200:
            raise InputError(f"{url} answered HTTP {resp.status_code}; the pinned file is not there "
                             "(check --mirror, or the URL in geozones/data/sources.py)",
                             source=source.filename)
        tmp = _tmp_in(cache, source)
        h = hashlib.sha256()
        size = 0
        try:
            with open(tmp, "wb") as fh:
                for block in resp.iter_content(_CHUNK):
                    size += len(block)
                    if size > MAX_DOWNLOAD_BYTES:
                        raise InputError(f"{url} sent more than {MAX_DOWNLOAD_BYTES // 2**20} MiB; refused",
                                         source=source.filename)
                    h.update(block)
                    fh.write(block)
        except (requests.ConnectionError, requests.Timeout) as exc:
            tmp.unlink(missing_ok=True)
            raise _Retryable(f"transfer broke off: {_first_line(exc)}") from None
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    return h.hexdigest(), tmp


def _verify(source: UpstreamFile, digest: str, url: str, tmp: Path) -> None:
    if source.sha256 and digest != source.sha256:
        tmp.unlink(missing_ok=True)
        raise InputError(
            f"checksum mismatch for {url}: expected sha256 {source.sha256}, got {digest}. The file was "
            "refused and nothing was written: the upstream or mirror copy is not the pinned version "
            "(changed, truncated or tampered with).", source=source.filename)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:200]
