r"""The text encoding of a Shapefile's attribute table (DBF).

Portal shapefiles often come without a ``.cpg``; GDAL then guesses and names
with curly quotes or accents turn to mojibake (``Al\\x92Mu\\x92minin``) in every
reason. :func:`dbf_encoding` decides as a person would: the ``.cpg`` when there
is one, else UTF-8 when the records decode strictly as UTF-8, else the DBF
language-driver byte, else Windows-1252 with a warning.
"""

from __future__ import annotations

import codecs
import zipfile
from collections.abc import Callable
from pathlib import Path

from geozones.core.errors import InputError

#: DBF language-driver ids (byte 29 of the header) and their code pages (dBASE / ESRI tables).
LANGUAGE_DRIVERS = {
    0x01: "cp437", 0x02: "cp850", 0x03: "cp1252", 0x57: "cp1252", 0x58: "cp1252", 0x59: "cp1252",
    0x64: "cp852", 0x65: "cp866", 0x66: "cp865", 0x67: "cp861", 0x6A: "cp737", 0x6B: "cp857",
    0x78: "cp950", 0x79: "cp949", 0x7A: "cp936", 0x7B: "cp932", 0x7C: "cp874", 0x7D: "cp1255",
    0x7E: "cp1256", 0xC8: "cp1250", 0xC9: "cp1251", 0xCA: "cp1254", 0xCB: "cp1253", 0xCC: "cp1257",
}


def check_encoding(name: str) -> str:
    """The Python name of an encoding the user gave (``--encoding``), or an :class:`InputError`."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise InputError.bi(f"pengodean '{name}' tidak dikenal (mis. utf-8, cp1252, latin-1)",
                            f"unknown encoding '{name}' (e.g. utf-8, cp1252, latin-1)", field="--encoding") from None


def dbf_encoding(path: Path, member: str | None = None, *, explicit: str | None = None, source: str | None = None,
                 on_warning: Callable[[str], None] | None = None) -> str | None:
    """The encoding to read a Shapefile's DBF with, or None to let GDAL follow the ``.cpg``.

    Parameters
    ----------
    path : pathlib.Path
        The ``.shp`` file, or the zip that holds it.
    member : str, optional
        The ``.shp`` inside the zip.
    explicit : str, optional
        The user's ``--encoding``; always wins.
    source : str, optional
        Name for messages.
    on_warning : callable, optional
        Told when Windows-1252 is assumed.
    """
    if explicit:
        return check_encoding(explicit)
    stem = (member or path.name)[:-4]
    data = None
    if member is not None:
        with zipfile.ZipFile(path) as zf:
            names = {n.lower(): n for n in zf.namelist()}
            if (stem + ".cpg").lower() in names:
                return None
            dbf = names.get((stem + ".dbf").lower())
            if dbf is not None:
                data = zf.read(dbf)
    else:
        if any(path.with_suffix(x).exists() for x in (".cpg", ".CPG")):
            return None
        dbf = next((path.with_suffix(x) for x in (".dbf", ".DBF") if path.with_suffix(x).exists()), None)
        if dbf is not None:
            data = dbf.read_bytes()
    if not data or len(data) < 32:
        return None
    header_len = int.from_bytes(data[8:10], "little")
    records = data[header_len:]
    try:
        records.decode("utf-8")
        return "UTF-8"
    except UnicodeDecodeError:
        pass
    ldid = data[29]
    if ldid in LANGUAGE_DRIVERS:
        return LANGUAGE_DRIVERS[ldid]
    if on_warning is not None:
        on_warning(f"{source or path.name}: berkas DBF tanpa .cpg dan tanpa kode bahasa; dibaca sebagai "
                   "Windows-1252 (beri --encoding bila salah) / DBF without .cpg or language byte; read as "
                   "Windows-1252 (pass --encoding if wrong)")
    return "cp1252"
