"""Phone-like photos built in code: a JPEG with EXIF GPS and capture time, written by Pillow."""

from __future__ import annotations

import io
from fractions import Fraction

from PIL import ExifTags, Image, ImageDraw
from PIL.TiffImagePlugin import IFDRational

#: A spot on Jl. Taman Wijaya Kusuma in front of Masjid Istiqlal (Kelurahan Pasar Baru), EPSG:4326.
ISTIQLAL = (106.8311, -6.1700)


def _dms(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    value = abs(value)
    d = int(value)
    m = int((value - d) * 60)
    s = Fraction((value - d - m / 60) * 3600).limit_denominator(10000)
    return IFDRational(d, 1), IFDRational(m, 1), IFDRational(s.numerator, s.denominator)


def make_photo(lon: float | None = ISTIQLAL[0], lat: float | None = ISTIQLAL[1], *,
               taken: str | None = "2024:10:10 10:00:00", offset: str | None = "+07:00", fmt: str = "JPEG",
               size: tuple[int, int] = (320, 240), label: str = "APK", accuracy: float | None = 8.0,
               exif: bool = True) -> bytes:
    """Bytes of a small photo; EXIF GPS/time are written only for the values given."""
    img = Image.new("RGB", size, (70, 130, 180))
    draw = ImageDraw.Draw(img)
    draw.rectangle([20, 40, size[0] - 20, size[1] - 60], fill=(220, 40, 40))
    draw.text((30, 50), label, fill=(255, 255, 255))
    out = io.BytesIO()
    if not exif:
        img.save(out, fmt)
        return out.getvalue()
    ex = Image.Exif()
    ex[ExifTags.Base.Make] = "TestPhone"
    if lon is not None and lat is not None:
        gps = ex.get_ifd(ExifTags.IFD.GPSInfo)
        gps[ExifTags.GPS.GPSVersionID] = b"\x02\x03\x00\x00"
        gps[ExifTags.GPS.GPSLatitudeRef] = "S" if lat < 0 else "N"
        gps[ExifTags.GPS.GPSLatitude] = _dms(lat)
        gps[ExifTags.GPS.GPSLongitudeRef] = "W" if lon < 0 else "E"
        gps[ExifTags.GPS.GPSLongitude] = _dms(lon)
        if accuracy is not None:
            gps[ExifTags.GPS.GPSHPositioningError] = IFDRational(int(accuracy * 10), 10)
    if taken is not None:
        sub = ex.get_ifd(ExifTags.IFD.Exif)
        sub[ExifTags.Base.DateTimeOriginal] = taken
        if offset is not None:
            sub[ExifTags.Base.OffsetTimeOriginal] = offset
    img.save(out, fmt, exif=ex)
    return out.getvalue()
