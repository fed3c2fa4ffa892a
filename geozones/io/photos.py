"""Photos of APK as evidence: read, hash, and offer their EXIF place and time.

A photo is read with Pillow (JPEG, PNG; HEIC/HEIF too when ``pillow-heif`` is
installed). Its EXIF GPS position and capture time are *offered* as the report's
place and time; doubtful values are reported and left unset, never guessed:

* a position at 0,0 (a phone without a fix) or outside Indonesia's extent is
  dropped with a note; the photo is kept;
* a capture time without an offset (``OffsetTimeOriginal``) is read as WIB, and
  the note says so; a capture time in the future is dropped with a note;
* a photo without EXIF (WhatsApp strips it unless sent as a document) is fine:
  the place is then set by hand.

Files that are not images, truncated JPEGs and images too large to be photos are
refused with an :class:`~geozones.core.errors.InputError` in Bahasa Indonesia and
English, naming the file. :func:`read_photo_zip` reads a ZIP of photos, refusing
members whose path escapes the folder and bounding sizes; it is all or nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from zoneinfo import ZoneInfo

from PIL import ExifTags, Image, ImageFile, ImageOps, UnidentifiedImageError

from geozones.core.errors import InputError, Problem
from geozones.core.time import TIMEZONE

try:  # HEIC from iPhones; optional
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIC = True
except ImportError:  # pragma: no cover - depends on the installation
    HEIC = False

WIB = ZoneInfo(TIMEZONE)
#: Indonesia's extent (lon_min, lat_min, lon_max, lat_max): Pulau Rondo 6.08 N, Pulau Ndana 11.0 S, Sabang
#: 95.0 E, the PNG border 141.0 E. A box, so it catches swapped signs and other continents; whether a point
#: lies in a rule set's area is the engine's question (verdict OUTSIDE_AREA).
INDONESIA_BOUNDS = (94.7, -11.2, 141.1, 6.1)
#: Largest photo accepted, in bytes (a 48 MP phone JPEG is about 15 MB).
MAX_PHOTO_BYTES = 40 * 2**20
#: Largest number of pixels (Pillow's own bomb limit is about 179 MP).
MAX_PIXELS = 120_000_000
#: ZIP of photos: most members and the most unpacked bytes.
MAX_ZIP_MEMBERS = 1000
MAX_ZIP_BYTES = 1024 * 2**20
#: A capture time this far past "now" is a wrong camera clock, not a time zone slip.
FUTURE_TOLERANCE = dt.timedelta(minutes=10)

_FORMATS = {"JPEG": "image/jpeg", "MPO": "image/jpeg", "PNG": "image/png", "HEIF": "image/heic"}
_EXTENSIONS = {".jpg", ".jpeg", ".png", ".heic", ".heif"}


@dataclass(frozen=True)
class Photo:
    """A photo read from bytes, with what its EXIF offers.

    Attributes
    ----------
    name : str
        File name (or ZIP member path) for messages.
    sha256 : str
        Hex digest of the bytes, as stored (media are stored once by sha256).
    media_type : str
        ``image/jpeg``, ``image/png`` or ``image/heic``.
    width, height : int
        Pixels.
    lon, lat : float or None
        EXIF GPS position in EPSG:4326 degrees, when present and plausible.
    accuracy_m : float or None
        EXIF ``GPSHPositioningError`` in metres, when given.
    taken_at : datetime or None
        EXIF capture time in WIB, when present and not in the future.
    time_offset_assumed : bool
        True when the EXIF time had no offset and was read as WIB.
    notes : list of str
        What was doubtful and dropped, bilingual (Bahasa Indonesia / English).
    has_exif : bool
        False for a photo without EXIF (e.g. sent through WhatsApp).
    data : bytes
        The original bytes (not shown in ``repr``).
    """

    name: str
    sha256: str
    media_type: str
    width: int
    height: int
    lon: float | None = None
    lat: float | None = None
    accuracy_m: float | None = None
    taken_at: dt.datetime | None = None
    time_offset_assumed: bool = False
    notes: tuple[str, ...] = ()
    has_exif: bool = False
    data: bytes = field(default=b"", repr=False)

    @property
    def size(self) -> int:
        """Bytes."""
        return len(self.data)

    @property
    def extension(self) -> str:
        """The extension the photo is stored under (``.jpg``, ``.png``, ``.heic``)."""
        return {"image/jpeg": ".jpg", "image/png": ".png", "image/heic": ".heic"}[self.media_type]

    @property
    def has_position(self) -> bool:
        """True when EXIF offers a usable position."""
        return self.lon is not None and self.lat is not None


def _describe(head: bytes) -> str:
    if head.startswith(b"%PDF"):
        return "dokumen PDF / a PDF document"
    if head.startswith(b"PK\x03\x04"):
        return "arsip ZIP atau dokumen Office / a ZIP archive or Office document"
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftyphevc") and not HEIC:
        return "HEIC, tetapi pillow-heif tidak terpasang / HEIC, but pillow-heif is not installed"
    try:
        head.decode("utf-8")
        return "teks / text"
    except UnicodeDecodeError:
        return "data biner yang tidak dikenal / unrecognised binary data"


def _rational(value: Any) -> float:
    if isinstance(value, tuple) and len(value) == 2:
        return float(value[0]) / float(value[1])
    return float(value)


def _degrees(dms: Any, ref: Any, negative: str) -> float:
    parts = [_rational(v) for v in (dms if isinstance(dms, tuple | list) else (dms,))]
    parts += [0.0] * (3 - len(parts))
    value = parts[0] + parts[1] / 60.0 + parts[2] / 3600.0
    ref = ref.decode("ascii", "ignore") if isinstance(ref, bytes) else str(ref or "")
    return -value if ref.strip().upper().startswith(negative) else value


def _gps(gps: dict[int, Any], notes: list[str]) -> tuple[float | None, float | None, float | None]:
    tags = ExifTags.GPS
    if tags.GPSLatitude not in gps or tags.GPSLongitude not in gps:
        return None, None, None
    try:
        lat = _degrees(gps[tags.GPSLatitude], gps.get(tags.GPSLatitudeRef), "S")
        lon = _degrees(gps[tags.GPSLongitude], gps.get(tags.GPSLongitudeRef), "W")
    except (TypeError, ValueError, ZeroDivisionError):
        notes.append("posisi GPS di EXIF tidak terbaca; posisi diisi manual / the EXIF GPS position is unreadable; "
                     "set the place by hand")
        return None, None, None
    accuracy = None
    if tags.GPSHPositioningError in gps:
        try:
            accuracy = _rational(gps[tags.GPSHPositioningError])
        except (TypeError, ValueError, ZeroDivisionError):
            accuracy = None
    if abs(lon) < 1e-6 and abs(lat) < 1e-6:
        notes.append("posisi EXIF 0,0 (ponsel belum mendapat sinyal GPS); foto disimpan, posisi diisi manual / "
                     "EXIF position is 0,0 (the phone had no GPS fix); photo kept, set the place by hand")
        return None, None, None
    x0, y0, x1, y1 = INDONESIA_BOUNDS
    if not (x0 <= lon <= x1 and y0 <= lat <= y1):
        notes.append(f"posisi EXIF ({lon:.5f}, {lat:.5f}) di luar Indonesia; foto disimpan, posisi diisi manual / "
                     f"EXIF position ({lon:.5f}, {lat:.5f}) lies outside Indonesia; photo kept, set the place by hand")
        return None, None, None
    return lon, lat, accuracy


def _exif_time(exif_ifd: dict[int, Any], ifd0: dict[int, Any], now: dt.datetime | None,
               notes: list[str]) -> tuple[dt.datetime | None, bool]:
    tags = ExifTags.Base
    raw = exif_ifd.get(tags.DateTimeOriginal) or exif_ifd.get(tags.DateTimeDigitized) or ifd0.get(tags.DateTime)
    offset = exif_ifd.get(tags.OffsetTimeOriginal) or exif_ifd.get(tags.OffsetTime)
    if not raw:
        return None, False
    text = raw.decode("ascii", "ignore") if isinstance(raw, bytes) else str(raw)
    text = text.strip().rstrip("\x00")
    try:
        naive = dt.datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        notes.append(f"waktu EXIF '{text}' tidak terbaca; waktu diisi manual / EXIF time '{text}' is unreadable; "
                     "set the time by hand")
        return None, False
    assumed = False
    tz: dt.tzinfo = WIB
    if offset:
        off = (offset.decode("ascii", "ignore") if isinstance(offset, bytes) else str(offset)).strip()
        try:
            tz = dt.datetime.strptime(off, "%z").tzinfo or WIB
        except ValueError:
            assumed = True
    else:
        assumed = True
    taken = naive.replace(tzinfo=tz).astimezone(WIB)
    if assumed:
        notes.append("waktu EXIF tanpa zona waktu, dibaca sebagai WIB / EXIF time has no time-zone offset; "
                     "read as WIB")
    if now is not None and taken > now + FUTURE_TOLERANCE:
        notes.append(f"waktu EXIF {taken:%Y-%m-%d %H:%M} WIB ada di masa depan (jam kamera salah); waktu diisi "
                     f"manual / EXIF time {taken:%Y-%m-%d %H:%M} WIB is in the future (wrong camera clock); set the "
                     "time by hand")
        return None, assumed
    return taken, assumed


def read_photo(data: bytes, name: str, *, now: dt.datetime | None = None) -> Photo:
    """Read a photo from its bytes.

    Parameters
    ----------
    data : bytes
        The file's content.
    name : str
        Its name, for messages.
    now : datetime, optional
        The current time (tz-aware); EXIF times after it are dropped with a note.

    Returns
    -------
    Photo
        With sha256, size in pixels, and the EXIF place and time when usable.

    Raises
    ------
    InputError
        For an empty or oversized file, a file that is not a JPEG/PNG/HEIC image,
        or a truncated or corrupt image; the message names the file.
    """
    if not data:
        raise InputError("berkas kosong / the file is empty", source=name)
    if len(data) > MAX_PHOTO_BYTES:
        raise InputError(f"berkas lebih besar dari {MAX_PHOTO_BYTES // 2**20} MB / the file is larger than "
                         f"{MAX_PHOTO_BYTES // 2**20} MB", source=name)
    kinds = "JPEG, PNG, HEIC" if HEIC else "JPEG, PNG"
    try:
        with Image.open(io.BytesIO(data)) as img:
            fmt = img.format or ""
            if fmt not in _FORMATS:
                raise InputError(f"gambar {fmt} tidak diterima; kirim {kinds} / {fmt} images are not accepted; "
                                 f"send {kinds}", source=name)
            if img.width * img.height > MAX_PIXELS:
                raise InputError(f"gambar {img.width}×{img.height} piksel terlalu besar / the image is too large "
                                 f"({img.width}×{img.height} pixels)", source=name)
            exif = img.getexif()
            # WeasyPrint sets Pillow's global LOAD_TRUNCATED_IMAGES on import; evidence must not be padded out
            strict, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
            try:
                img.load()  # decodes every byte: a truncated image fails here
            finally:
                ImageFile.LOAD_TRUNCATED_IMAGES = strict
            if fmt in ("JPEG", "MPO") and b"\xff\xd9" not in data[-64:]:
                raise OSError("image file is truncated (no end-of-image marker)")
            width, height = img.size
    except UnidentifiedImageError:
        raise InputError(f"berkas bukan gambar {kinds} (isinya {_describe(data[:16])}) / the file is not a "
                         f"{kinds} image", source=name) from None
    except Image.DecompressionBombError:
        raise InputError("gambar terlalu besar (kemungkinan bom dekompresi) / the image is too large "
                         "(possibly a decompression bomb)", source=name) from None
    except (OSError, SyntaxError, ValueError) as exc:
        what = "terpotong / truncated" if "truncated" in str(exc).lower() else f"rusak / corrupt ({exc})"
        raise InputError(f"gambar {what.split(' / ')[0]}; kirim ulang berkas aslinya / the image is "
                         f"{what.split(' / ')[1]}; send the original file again", source=name) from None
    notes: list[str] = []
    lon = lat = accuracy = None
    taken, assumed = None, False
    has_exif = bool(exif)
    gps_notes: list[str] = []
    if has_exif:
        lon, lat, accuracy = _gps(exif.get_ifd(ExifTags.IFD.GPSInfo), gps_notes)
        taken, assumed = _exif_time(exif.get_ifd(ExifTags.IFD.Exif), dict(exif), now, notes)
    notes[:0] = gps_notes
    if lon is None and not gps_notes:
        notes.append("foto tanpa posisi GPS di EXIF (mis. dikirim lewat WhatsApp); posisi diisi manual / the photo "
                     "carries no EXIF GPS position (e.g. sent through WhatsApp); set the place by hand")
    return Photo(name=name, sha256=hashlib.sha256(data).hexdigest(), media_type=_FORMATS[fmt], width=width,
                 height=height, lon=lon, lat=lat, accuracy_m=accuracy, taken_at=taken, time_offset_assumed=assumed,
                 notes=tuple(notes), has_exif=has_exif, data=data)


def without_exif(photo: Photo, *, max_side: int | None = None) -> bytes:
    """A JPEG copy without EXIF (no GPS, no camera), for public and paslon views; the original stays as is.

    ``max_side`` shrinks the copy so its longer side is at most that many pixels.
    """
    with Image.open(io.BytesIO(photo.data)) as img:
        img = ImageOps.exif_transpose(img).convert("RGB")  # keep what the camera meant by "up"
        if max_side:
            img.thumbnail((max_side, max_side))
        out = io.BytesIO()
        img.save(out, "JPEG", quality=88)  # no exif=: Pillow writes none
    return out.getvalue()


def read_photo_file(path: str | os.PathLike, *, now: dt.datetime | None = None) -> Photo:
    """Read a photo file (see :func:`read_photo`)."""
    path = Path(path)
    if not path.is_file():
        raise InputError("berkas tidak ditemukan / file not found", source=str(path))
    if path.stat().st_size > MAX_PHOTO_BYTES:
        raise InputError(f"berkas lebih besar dari {MAX_PHOTO_BYTES // 2**20} MB / the file is larger than "
                         f"{MAX_PHOTO_BYTES // 2**20} MB", source=str(path))
    return read_photo(path.read_bytes(), path.name, now=now)


def _member_problem(info: zipfile.ZipInfo) -> str | None:
    name = info.filename.replace("\\", "/")
    parts = PurePosixPath(name).parts
    if name.startswith("/") or ".." in parts or (parts and ":" in parts[0]):
        return (f"'{info.filename}' menunjuk ke luar folder arsip; ditolak / '{info.filename}' points outside the "
                "archive's folder; refused")
    if info.external_attr >> 16 & 0o170000 == 0o120000:
        return f"'{info.filename}' adalah symlink; ditolak / '{info.filename}' is a symlink; refused"
    return None


def read_photo_zip(path: str | os.PathLike, *, now: dt.datetime | None = None,
                   max_members: int = MAX_ZIP_MEMBERS, max_bytes: int = MAX_ZIP_BYTES) -> list[Photo]:
    """Read every photo in a ZIP (one report per photo), all or nothing.

    Folders, ``__MACOSX/`` and hidden files (``.DS_Store``) are skipped; any other
    member must be a photo. Every problem is collected, so one message lists all
    bad members.

    Parameters
    ----------
    path : path-like
        The ZIP file.
    now : datetime, optional
        Passed to :func:`read_photo`.
    max_members, max_bytes : int
        Most photos and most unpacked bytes accepted (a zip bomb is refused
        before anything is unpacked).

    Returns
    -------
    list of Photo
        In archive order; ``name`` is the member path.

    Raises
    ------
    InputError
        Naming the ZIP and each bad member: paths escaping the folder, symlinks,
        sizes past the bounds, non-images, truncated images, or no photo at all.
    """
    path = Path(path)
    source = str(path)
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"bukan arsip ZIP yang terbaca / not a readable ZIP archive ({exc})", source=source) from None
    with zf:
        infos = zf.infolist()
        problems = [Problem(msg, source) for msg in map(_member_problem, infos) if msg]
        if problems:
            raise InputError(problems)
        members = [i for i in infos if not i.is_dir() and not any(
            p.startswith(".") or p == "__MACOSX" for p in PurePosixPath(i.filename.replace("\\", "/")).parts)]
        if len(members) > max_members:
            raise InputError(f"arsip berisi {len(members)} berkas, batasnya {max_members} / the archive holds "
                             f"{len(members)} files; the limit is {max_members}", source=source)
        total = sum(i.file_size for i in members)
        if total > max_bytes:
            raise InputError(f"isi arsip lebih dari {max_bytes // 2**20} MB / the archive unpacks to more than "
                             f"{max_bytes // 2**20} MB", source=source)
        photos: list[Photo] = []
        for info in members:
            if info.file_size > MAX_PHOTO_BYTES:
                problems.append(Problem(f"lebih besar dari {MAX_PHOTO_BYTES // 2**20} MB / larger than "
                                        f"{MAX_PHOTO_BYTES // 2**20} MB", source, info.filename))
                continue
            try:
                with zf.open(info) as fh:
                    data = fh.read(MAX_PHOTO_BYTES + 1)  # the header's size may lie
                photos.append(read_photo(data, info.filename, now=now))
            except InputError as exc:
                problems.extend(Problem(p.message, source, info.filename) for p in exc.problems)
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                problems.append(Problem(f"tidak terbaca / unreadable ({exc})", source, info.filename))
        if problems:
            raise InputError(problems)
    if not photos:
        raise InputError("arsip tidak berisi foto / the archive holds no photo", source=source)
    return photos
