"""Column vocabulary: the spellings of site and coordinate columns that geozones recognises.

Field teams name columns in Indonesian and English, in upper and lower case; the
first matching spelling in each tuple is used.
"""

from __future__ import annotations

from collections.abc import Iterable

LON_NAMES = ("lon", "longitude", "lng", "long", "x", "bujur")
LAT_NAMES = ("lat", "latitude", "y", "lintang")
ID_NAMES = ("site_id", "id", "kode", "no", "nomor", "fid")
APK_NAMES = ("apk_type", "apk", "jenis", "jenis_apk", "type", "tipe")
PASLON_NAMES = ("paslon", "nomor_urut", "candidate", "calon")
TIME_NAMES = ("installed_at", "waktu_pasang", "tanggal_pasang", "observed_at", "waktu")


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
