"""Read CSV and Excel tables of positions, with checks that name row and field.

CSV files come from phones, Excel and field teams: UTF-8 with or without BOM,
Windows-1252, comma or semicolon separated. Coordinates are checked one by one:
non-numeric, missing, out of range and swapped lon/lat each get their own message.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geozones.core.columns import LAT_NAMES, LON_NAMES, find_column
from geozones.core.crs import INDONESIA_LAT, INDONESIA_LON, STORAGE_CRS
from geozones.core.errors import InputError, Problem
from geozones.io.files import check_zip


def _decode(raw: bytes) -> tuple[str, str]:
    for enc in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(enc), enc
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1"), "latin-1"


def strip_preamble(text: str) -> str:
    """Drop the ``# `` provenance lines geozones' own CSV exports start with."""
    lines = text.splitlines(keepends=True)
    skip = 0
    while skip < len(lines) and lines[skip].startswith("# "):
        skip += 1
    return "".join(lines[skip:])


def read_table(path: str | os.PathLike, *, source_name: str | None = None) -> pd.DataFrame:
    """Read a CSV (any common encoding and delimiter) or XLSX file as strings.

    Parameters
    ----------
    path : path-like
        ``.csv``, ``.txt`` or ``.xlsx``.
    source_name : str, optional
        Name used in messages.

    Returns
    -------
    pandas.DataFrame
        All cells as strings (empty cells as ``""``), columns stripped. The
        attribute ``df.attrs["encoding"]`` records the encoding used.
    """
    path = Path(path)
    name = source_name or str(path)
    if not path.exists():
        raise InputError("file not found", source=name)
    raw = path.read_bytes()
    if not raw.strip():
        raise InputError("file is empty", source=name)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        if not raw.startswith(b"PK"):
            raise InputError("the extension says Excel (.xlsx), but the content is not an Excel workbook",
                             source=name)

        check_zip(path)  # an .xlsx is a zip: refuse one that unpacks to an absurd size
        try:
            df = pd.read_excel(io.BytesIO(raw), dtype=str, keep_default_na=False)
        except Exception as exc:  # noqa: BLE001 - openpyxl raises many types
            raise InputError(f"cannot be read as Excel: {exc}", source=name) from None
        df.attrs["encoding"] = "xlsx"
    else:
        if raw[:4] in (b"PK\x03\x04", b"SQLi") or b"\x00" in raw[:1024]:
            raise InputError("the content is binary, not a CSV text file", source=name)
        text, enc = _decode(raw)
        text = strip_preamble(text)
        if not text.strip():
            raise InputError("file has no data, only comment lines", source=name)
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
            sep = dialect.delimiter
        except csv.Error:
            sep = ","
        try:
            df = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                             skipinitialspace=True)
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise InputError(f"cannot be read as CSV: {str(exc).strip()}", source=name) from None
        df.attrs["encoding"] = enc
    df.columns = [str(c).strip() for c in df.columns]
    if len(df) == 0:
        raise InputError("has a header but no data rows", source=name)
    return df


def coordinates(df: pd.DataFrame, *, source: str, lon_col: str | None = None,
                lat_col: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Parse and check the lon/lat columns of a table.

    Rows are numbered from 1, the first data row after the header.

    Raises
    ------
    InputError
        Listing every bad row with its field: missing columns, non-numeric or
        empty values, values out of range, and lon/lat that look swapped.
    """
    lon, lat, problems = coordinate_problems(df, source=source, lon_col=lon_col, lat_col=lat_col)
    if problems:
        raise InputError(problems)
    return lon, lat


def coordinate_problems(df: pd.DataFrame, *, source: str, lon_col: str | None = None,
                        lat_col: str | None = None) -> tuple[np.ndarray, np.ndarray, list[Problem]]:
    """Like :func:`coordinates`, but return the problems (one per bad row) instead of raising.

    Missing coordinate columns still raise :class:`InputError`.
    """
    lon_col = lon_col or find_column(df.columns, LON_NAMES)
    lat_col = lat_col or find_column(df.columns, LAT_NAMES)
    if lon_col is None or lat_col is None:
        missing = [w for w, c in (("longitude (lon/longitude/lng/x)", lon_col),
                                  ("latitude (lat/latitude/y)", lat_col)) if c is None]
        raise InputError(
            f"no {' and no '.join(missing)} column; the columns are: {', '.join(map(str, df.columns))}",
            source=source)
    problems: list[Problem] = []
    values = {}
    for col in (lon_col, lat_col):
        text = df[col].astype(str).str.strip().str.replace(",", ".", regex=False)
        num = pd.to_numeric(text, errors="coerce")
        for i in np.flatnonzero(num.isna().to_numpy()):
            cell = df[col].iloc[i]
            what = "is empty" if str(cell).strip() in ("", "nan", "NaN", "None") else f"'{cell}' is not a number"
            problems.append(Problem(what, source, int(i) + 1, col))
        values[col] = num.to_numpy(dtype=float)
    lon, lat = values[lon_col], values[lat_col]
    for col, arr in ((lon_col, lon), (lat_col, lat)):
        for i in np.flatnonzero(np.isinf(arr)):
            problems.append(Problem(f"{df[col].iloc[i]!r} is not a finite number", source, int(i) + 1, col))
    ok = np.isfinite(lon) & np.isfinite(lat)
    swapped = ok & (np.abs(lat) > 90) & (np.abs(lon) <= 90)
    indo_swapped = ok & (lat >= INDONESIA_LON[0]) & (lat <= INDONESIA_LON[1]) & \
        (lon >= INDONESIA_LAT[0]) & (lon <= INDONESIA_LAT[1])
    for i in np.flatnonzero(swapped | indo_swapped):
        problems.append(Problem(
            f"lon={lon[i]:g}, lat={lat[i]:g} look swapped (a latitude cannot be {lat[i]:g}"
            + ("" if abs(lat[i]) > 90 else " in Indonesia") + "); exchange the two columns",
            source, int(i) + 1, f"{lon_col}/{lat_col}"))
    bad_lon = ok & ~(swapped | indo_swapped) & ((lon < -180) | (lon > 180))
    bad_lat = ok & ~(swapped | indo_swapped) & ((lat < -90) | (lat > 90))
    for i in np.flatnonzero(bad_lon):
        problems.append(Problem(f"{lon[i]:g} is out of range (-180..180)", source, int(i) + 1, lon_col))
    for i in np.flatnonzero(bad_lat):
        problems.append(Problem(f"{lat[i]:g} is out of range (-90..90)", source, int(i) + 1, lat_col))
    problems.sort(key=lambda p: (p.row if isinstance(p.row, int) else 0))
    return lon, lat, problems


def table_to_points(df: pd.DataFrame, *, source: str, lon_col: str | None = None,
                    lat_col: str | None = None) -> gpd.GeoDataFrame:
    """Turn a table with lon/lat columns into a point GeoDataFrame (EPSG:4326)."""
    lon, lat = coordinates(df, source=source, lon_col=lon_col, lat_col=lat_col)
    return gpd.GeoDataFrame(df.reset_index(drop=True), geometry=shapely.points(lon, lat), crs=STORAGE_CRS)
