"""Files in general: what a file really is (sniffing), archive checks and atomic writes.

Shared by every reader and writer of :mod:`geozones.io` and :mod:`geozones.sources`.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from geozones.core.errors import InputError

_MAGIC = {
    ".gpkg": (b"SQLite format 3\x00",),
    ".zip": (b"PK\x03\x04", b"PK\x05\x06"),
    ".kmz": (b"PK\x03\x04",),
    ".shp": (b"\x00\x00\x27\x0a",),
    ".fgb": (b"fgb\x03",),
}
_FORMAT_NAMES = {
    ".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GeoPackage", ".zip": "zipped Shapefile",
    ".kmz": "KMZ", ".shp": "Shapefile", ".fgb": "FlatGeobuf", ".kml": "KML", ".csv": "CSV",
}

#: Maximum unpacked size of an archive we are willing to open.
MAX_UNPACKED_BYTES = 512 * 1024 * 1024


def sniff(path: Path, source: str | None = None) -> None:
    """Check that the file's bytes match its extension.

    ``source`` is the name used in messages (defaults to the path).

    Raises
    ------
    InputError
        Naming the file, what its extension claims and what it seems to hold.
    """
    ext = path.suffix.lower()
    if not path.exists():
        raise InputError("file not found", source=source or str(path))
    if path.stat().st_size == 0:
        raise InputError("file is empty", source=source or str(path))
    with open(path, "rb") as fh:
        head = fh.read(64)
    claimed = _FORMAT_NAMES.get(ext, ext)
    if ext in _MAGIC:
        if not head.startswith(_MAGIC[ext]):
            raise InputError(f"the extension says {claimed}, but the content is {_describe(head)}",
                             source=source or str(path))
        return
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if ext in (".geojson", ".json") and not text.startswith(b"{"):
        raise InputError(f"the extension says {claimed}, but the content is {_describe(head)}",
                         source=source or str(path))
    if ext == ".kml" and not text.startswith(b"<"):
        raise InputError(f"the extension says {claimed}, but the content is {_describe(head)}",
                         source=source or str(path))
    if ext == ".csv" and any(head.startswith(m) for ms in _MAGIC.values() for m in ms):
        raise InputError(f"the extension says CSV, but the content is {_describe(head)}",
                         source=source or str(path))


def _describe(head: bytes) -> str:
    for ext, magics in _MAGIC.items():
        if any(head.startswith(m) for m in magics):
            return "binary " + _FORMAT_NAMES[ext].replace("zipped Shapefile", "ZIP archive")
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


def check_zip(path: Path, limit: int = MAX_UNPACKED_BYTES) -> list[str]:
    """Validate an archive before anything reads it; return its member names.

    Refuses members whose path escapes the archive (``../``, absolute paths) and
    archives whose unpacked size passes ``limit`` (a zip bomb).
    """
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except zipfile.BadZipFile as exc:
        raise InputError(f"not a readable ZIP archive ({exc})", source=str(path)) from None
    total = 0
    for info in infos:
        name = info.filename.replace("\\", "/")  # Windows archivers write backslashes
        if name.startswith("/") or ".." in name.split("/") or ":" in name.split("/")[0]:
            raise InputError(f"archive entry '{name}' points outside the archive; refused",
                             source=str(path))
        total += info.file_size
        if total > limit:
            raise InputError(f"archive unpacks to more than {limit // 2**20} MiB; refused",
                             source=str(path))
    return [i.filename for i in infos]


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
