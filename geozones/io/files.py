"""Files in general: what a file really is (sniffing), archive checks and atomic writes.

Shared by every reader and writer of :mod:`geozones.io` and :mod:`geozones.sources`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import socket
import sys
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from geozones.core.errors import InputError
from geozones.io.limits import Limits, current_limits, limit_error
from geozones.io.limits import check as check_limit

_MAGIC = {
    ".gpkg": (b"SQLite format 3\x00",),
    ".zip": (b"PK\x03\x04", b"PK\x05\x06"),
    ".kmz": (b"PK\x03\x04",),
    ".shp": (b"\x00\x00\x27\x0a",),
    ".fgb": (b"fgb\x03",),
}
_FORMAT_NAMES = {
    ".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GeoPackage", ".zip": "zipped Shapefile",
    ".kmz": "KMZ", ".gpx": "GPX", ".shp": "Shapefile", ".fgb": "FlatGeobuf", ".kml": "KML", ".csv": "CSV",
}

#: Default largest unpacked size of an archive (see :mod:`geozones.io.limits`).
MAX_UNPACKED_BYTES = current_limits().max_unpacked_bytes


def sniff(path: Path, source: str | None = None, *, limits: Limits | None = None) -> None:
    """Check that the file exists, fits the size limit and that its bytes match its extension.

    ``source`` is the name used in messages (defaults to the path).

    Raises
    ------
    InputError
        Naming the file, what its extension claims and what it seems to hold,
        or the size limit passed.
    """
    name = source or str(path)
    ext = path.suffix.lower()
    if not path.exists():
        raise InputError.bi("berkas tidak ditemukan", "file not found", source=name)
    size = path.stat().st_size
    if size == 0:
        raise InputError.bi("berkas kosong", "file is empty", source=name)
    check_limit("max_bytes", size, limits or current_limits(), source=name)
    with open(path, "rb") as fh:
        head = fh.read(64)
    claimed = _FORMAT_NAMES.get(ext, ext)

    def mismatch() -> InputError:
        what = _describe(head)
        return InputError.bi(f"ekstensinya menyebut {claimed}, tetapi isinya {what}",
                             f"the extension says {claimed}, but the content is {what}", source=name)

    if ext in _MAGIC:
        if not head.startswith(_MAGIC[ext]):
            raise mismatch()
        return
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if ext in (".geojson", ".json") and not text.startswith(b"{"):
        raise mismatch()
    if ext in (".kml", ".gpx") and not text.startswith(b"<"):
        raise mismatch()
    if ext in (".csv", ".txt") and any(head.startswith(m) for ms in _MAGIC.values() for m in ms):
        raise mismatch()


def _describe(head: bytes) -> str:
    for ext, magics in _MAGIC.items():
        if any(head.startswith(m) for m in magics):
            return "binary " + _FORMAT_NAMES[ext].replace("zipped Shapefile", "ZIP archive")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16 text (Excel 'Unicode Text')"
    stripped = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if stripped.startswith(b"{") or stripped.startswith(b"["):
        return "JSON text"
    if stripped.startswith(b"<"):
        return "XML/HTML text"
    if stripped.startswith(b"%PDF"):
        return "a PDF document"
    try:
        head.decode("utf-8")
        return "plain text"
    except UnicodeDecodeError:
        return "unrecognised binary data"


#: Entries a macOS archiver adds beside the real files (resource forks, Finder state).
def is_macos_junk(name: str) -> bool:
    """True for ``__MACOSX/...``, AppleDouble ``._name`` and ``.DS_Store`` entries of a zip made on macOS."""
    parts = name.replace("\\", "/").split("/")
    return parts[0] == "__MACOSX" or parts[-1].startswith("._") or parts[-1] == ".DS_Store"


def check_zip(path: Path, limit: int | None = None, *, source: str | None = None,
              limits: Limits | None = None, max_text_run: int | None = None) -> list[str]:
    """Validate an archive before anything reads it; return its member names.

    Refuses members whose path escapes the archive (``../``, absolute paths) and
    archives that inflate to more than ``limit`` bytes. The size is counted while
    inflating every member, never taken from the sizes the archive declares (a
    member may declare 2 KB and inflate to 600 MB). Entries a macOS archiver adds
    (``__MACOSX/``, ``._*``, ``.DS_Store``) are left out of the names returned.

    Parameters
    ----------
    path : pathlib.Path
        The archive (zip, KMZ, XLSX).
    limit : int, optional
        Largest total inflated size in bytes (default ``limits.max_unpacked_bytes``).
    source : str, optional
        Name for messages (default the path).
    limits : Limits, optional
        Default :func:`~geozones.io.limits.current_limits`.
    max_text_run : int, optional
        For XML members (a workbook): the longest run of bytes between two tags,
        which bounds the size of one cell.

    Raises
    ------
    InputError
        Naming the archive, the member and the limit passed.
    """
    limits = limits or current_limits()
    limit = limits.max_unpacked_bytes if limit is None else limit
    name = source or str(path)
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError.bi(f"bukan arsip ZIP yang dapat dibaca ({exc})", f"not a readable ZIP archive ({exc})",
                            source=name) from None
    with zf:
        infos = zf.infolist()
        if len(infos) > 10_000:
            raise InputError.bi(f"arsip berisi {len(infos)} entri (batas 10000); ditolak",
                                f"archive holds {len(infos)} entries (limit 10000); refused", source=name)
        total = 0
        for info in infos:
            member = info.filename.replace("\\", "/")  # Windows archivers write backslashes
            if member.startswith("/") or ".." in member.split("/") or ":" in member.split("/")[0]:
                raise InputError.bi(f"entri arsip '{member}' menunjuk ke luar arsip; ditolak",
                                    f"archive entry '{member}' points outside the archive; refused", source=name)
            if info.is_dir() or is_macos_junk(member):
                continue
            scan = max_text_run is not None and member.lower().endswith(".xml")
            run = 0
            try:
                with zf.open(info) as fh:
                    while block := fh.read(1 << 20):
                        total += len(block)
                        if total > limit:
                            raise limit_error("max_unpacked_bytes", total, limit, source=name,
                                              row=f"entry '{member}'", at_least=True)
                        if scan:
                            run = _longest_text_run(block, run, max_text_run, name, member)
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
                raise InputError.bi(f"entri arsip '{member}' rusak atau tidak dapat dibaca ({exc})",
                                    f"archive entry '{member}' is corrupt or unreadable ({exc})",
                                    source=name) from None
    return [i.filename for i in infos if not i.is_dir() and not is_macos_junk(i.filename)]


def _longest_text_run(block: bytes, carry: int, limit: int, source: str, member: str) -> int:
    """Track the run of bytes without ``<`` across blocks; raise when it passes ``limit``."""
    arr = np.frombuffer(block, dtype=np.uint8)
    tags = np.flatnonzero(arr == 60)
    if len(tags) == 0:
        run = carry + len(block)
        longest = run
    else:
        gaps = np.diff(tags) - 1
        longest = max(carry + int(tags[0]), int(gaps.max()) if len(gaps) else 0)
        run = len(block) - int(tags[-1]) - 1
        longest = max(longest, run)
    if longest > limit:
        raise limit_error("max_cell_bytes", longest, limit, source=source, row=f"entry '{member}'", at_least=True)
    return run


def write_atomic(path: str | os.PathLike, writer: Callable[[Path], None]) -> Path:
    """Write a file through a temporary sibling and rename it into place.

    A reader never sees a half-written file, and an error leaves any previous
    file untouched.

    Parameters
    ----------
    path : path-like
        Final destination.
    writer : callable
        Called with the temporary path; must create the file there.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        tmp_path.unlink()  # some GDAL drivers refuse to write over an existing file
        writer(tmp_path)
        os.replace(tmp_path, path)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    return path


def sha256_file(path: str | os.PathLike) -> str:
    """SHA-256 hex digest of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def file_digest(path: str | os.PathLike) -> str:
    """Content digest of a file as carried in provenance records: ``sha256:<hex>``."""
    return f"sha256:{sha256_file(path)}"


#: Default seconds a writer waits for another writer of the same layer.
DEFAULT_LOCK_TIMEOUT = 60.0


def lock_timeout() -> float:
    """``GEOZONES_LOCK_TIMEOUT`` (seconds) or :data:`DEFAULT_LOCK_TIMEOUT`."""
    try:
        return float(os.environ.get("GEOZONES_LOCK_TIMEOUT", DEFAULT_LOCK_TIMEOUT))
    except ValueError:
        return DEFAULT_LOCK_TIMEOUT


@contextlib.contextmanager
def file_lock(lock_path: Path, *, timeout: float | None = None, what: str = "") -> Iterator[None]:
    """Hold an exclusive lock on ``lock_path``; wait at most ``timeout`` seconds.

    The holder writes who it is (pid, host, command, since) into the lock file, so
    a writer that gives up can name it.

    Raises
    ------
    InputError
        When the lock is still held after ``timeout`` seconds, naming the holder.
    """
    timeout = lock_timeout() if timeout is None else timeout
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = lock_holder(lock_path)
                    raise InputError.bi(
                        f"{what or lock_path.name} sedang ditulis oleh proses lain ({holder}); sudah menunggu "
                        f"{timeout:g} detik. Coba lagi setelah proses itu selesai (atau naikkan "
                        "GEOZONES_LOCK_TIMEOUT)",
                        f"{what or lock_path.name} is being written by another process ({holder}); waited "
                        f"{timeout:g} s. Try again when it has finished (or raise GEOZONES_LOCK_TIMEOUT)",
                        source=str(lock_path.parent.parent)) from None
                time.sleep(0.05)
        info = json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                           "command": " ".join(sys.argv)[:300],
                           "since": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()})
        os.ftruncate(fd, 0)
        os.pwrite(fd, info.encode("utf-8"), 0)
        yield
    finally:
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        os.close(fd)  # closing releases the flock


def lock_holder(lock_path: Path) -> str:
    """Who holds ``lock_path`` (pid, host, since, command), as its holder wrote it."""
    try:
        info = json.loads(lock_path.read_text(encoding="utf-8") or "{}")
    except (OSError, json.JSONDecodeError):
        return "unknown process"
    if not info:
        return "unknown process"
    return f"pid {info.get('pid')} on {info.get('host')} since {info.get('since')}: {info.get('command', '')}"
