"""Column vocabulary: the spellings of site and coordinate columns that geozones recognises.

Field teams name columns in Indonesian and English, in upper and lower case; the
first matching spelling in each tuple is used.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from geozones.core.errors import InputError

LON_NAMES = ("lon", "longitude", "lng", "long", "x", "bujur", "gpslongitude", "gps_longitude")
LAT_NAMES = ("lat", "latitude", "y", "lintang", "gpslatitude", "gps_latitude")
#: Names that may also be planar coordinates: used only when no other spelling is present.
_WEAK = {"x", "y"}
ID_NAMES = ("site_id", "id", "kode", "no", "nomor", "fid", "_id")
APK_NAMES = ("apk_type", "apk", "jenis", "jenis_apk", "type", "tipe")
PASLON_NAMES = ("paslon", "nomor_urut", "candidate", "calon")
TIME_NAMES = ("installed_at", "waktu_pasang", "tanggal_pasang", "observed_at", "waktu", "datetimeoriginal")


def find_column(columns: Iterable[object], names: tuple[str, ...]) -> str | None:
    """Return the first column whose stripped, lower-cased name is in ``names``.

    Parameters
    ----------
    columns : iterable
        Column labels of a table.
    names : tuple of str
        Accepted spellings, most preferred first.

    Returns
    -------
    str or None
        The column label as it stands in ``columns``, or None when none matches.
    """
    lowered = {str(c).strip().lower(): c for c in columns}
    for n in names:
        if n in lowered:
            return lowered[n]
    return None


#: Form-export names: KoBo ``_lokasi_latitude`` (or ``grup/_lokasi_latitude``), ODK Central
#: ``lokasi-Latitude``, a GPS app's ``GPS Latitude``: a question name, then the coordinate.
_FORM_LON = re.compile(r"^(?:.*[/_\-. ])?(longitude|lon|lng|bujur)$")
_FORM_LAT = re.compile(r"^(?:.*[/_\-. ])?(latitude|lat|lintang)$")


def _matches(columns: list[object], names: tuple[str, ...], form: re.Pattern) -> tuple[list, list, list]:
    strong, weak, forms = [], [], []
    for c in columns:
        key = str(c).strip().lower()
        if key in names:
            (weak if key in _WEAK else strong).append(c)
        elif form.match(key):
            forms.append(c)
    return strong, weak, forms


def coordinate_columns(columns: Iterable[object], *, lon: str | None = None, lat: str | None = None,
                       source: str | None = None) -> tuple[object, object]:
    """The longitude and latitude columns of a table, refusing ambiguous sets.

    Exact spellings (:data:`LON_NAMES`, :data:`LAT_NAMES`, any case) come first,
    then ``x``/``y``, then form-export names (KoBo ``_lokasi_longitude``, ODK
    ``lokasi-Longitude``). Two columns of the same rank (``lon`` beside ``LON``,
    two GPS questions of a form) are ambiguous: the user names one with
    ``--lon``/``--lat``.

    Parameters
    ----------
    columns : iterable
        Column labels.
    lon, lat : str, optional
        Columns named by the user; they must exist.
    source : str, optional
        File name for messages.

    Returns
    -------
    (label, label)
        The longitude and latitude columns as they stand in ``columns``.

    Raises
    ------
    InputError
        When a column is missing, a named column does not exist, or several
        columns could hold the same coordinate (naming them).
    """
    cols = list(columns)
    listed = ", ".join(map(str, cols))
    found = {}
    for what, given, names, form, opt in (("longitude", lon, LON_NAMES, _FORM_LON, "--lon"),
                                          ("latitude", lat, LAT_NAMES, _FORM_LAT, "--lat")):
        if given is not None:
            hit = [c for c in cols if str(c) == given] or [c for c in cols if str(c).strip().lower()
                                                         == given.strip().lower()]
            if len(hit) != 1:
                raise InputError.bi(f"kolom '{given}' ({opt}) tidak ada; kolomnya: {listed}",
                                    f"no column '{given}' ({opt}); the columns are: {listed}",
                                    source=source, field=opt)
            found[what] = hit[0]
            continue
        strong, weak, forms = _matches(cols, names, form)
        for group in (strong, weak, forms):
            if len(group) > 1:
                names_txt = ", ".join(f"'{c}'" for c in group)
                raise InputError.bi(
                    f"beberapa kolom dapat berisi {'bujur' if what == 'longitude' else 'lintang'} ({names_txt}); "
                    f"pilih satu dengan {opt} NAMA_KOLOM",
                    f"several columns could hold the {what} ({names_txt}); choose one with {opt} COLUMN",
                    source=source, field=opt)
            if group:
                found[what] = group[0]
                break
    missing = [w for w in ("longitude", "latitude") if w not in found]
    if missing:
        en = {"longitude": "longitude (lon/longitude/lng/x)", "latitude": "latitude (lat/latitude/y)"}
        idn = {"longitude": "bujur (lon/longitude/lng/x)", "latitude": "lintang (lat/latitude/y)"}
        raise InputError.bi(
            f"tidak ada kolom {' dan '.join(idn[m] for m in missing)}; kolomnya: {listed} "
            "(sebut kolomnya dengan --lon/--lat)",
            f"no {' and no '.join(en[m] for m in missing)} column; the columns are: {listed} "
            "(name them with --lon/--lat)", source=source)
    return found["longitude"], found["latitude"]


def reference_column(columns: Iterable[object], coord_col: object) -> object | None:
    """The hemisphere column beside an EXIF-style coordinate (``GPSLatitude`` → ``GPSLatitudeRef``)."""
    want = {f"{str(coord_col).strip().lower()}{s}" for s in ("ref", "_ref", " ref")}
    return next((c for c in columns if str(c).strip().lower() in want), None)
