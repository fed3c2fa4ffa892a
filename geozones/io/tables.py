"""Read CSV and Excel tables of positions, with checks that name row and field.

CSV files come from phones, Excel and field teams: UTF-8 with or without BOM,
Windows-1252, Excel's "Unicode Text" (UTF-16, tab separated), comma or
semicolon separated. Workbooks are read sheet by sheet. Every reader checks the
limits of :mod:`geozones.io.limits` before it parses (size, lines, line length,
columns) and while it reads (rows, cells). Coordinates are checked one by one:
non-numeric, missing, out of range and swapped lon/lat each get their own message.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import re
import warnings
from collections import defaultdict
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geozones.core.columns import coordinate_columns, reference_column
from geozones.core.crs import INDONESIA_LAT, INDONESIA_LON, STORAGE_CRS
from geozones.core.errors import DataWarning, InputError, Problem
from geozones.io.files import check_zip
from geozones.io.limits import Limits, current_limits, limit_error
from geozones.io.limits import check as check_limit

#: Minus signs people paste from word processors and web pages (U+2212, dashes) instead of '-'.
_MINUS = re.compile("^[\u2212\u2012\u2013\u2014\ufe63\uff0d-]\\s*")


def _decode(raw: bytes, source: str) -> tuple[str, str]:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise InputError.bi("berkas mengaku UTF-16 (tanda BOM) tetapi tidak dapat didekode",
                                "the file claims UTF-16 (byte-order mark) but does not decode", source=source) from None
    head = raw[:4096]
    if b"\x00" in head:
        # Excel's "Unicode Text" without a BOM: every other byte of ASCII text is zero.
        odd, even = head[1::2].count(0), head[0::2].count(0)
        enc = "utf-16-le" if odd > len(head) // 4 else "utf-16-be" if even > len(head) // 4 else None
        if enc:
            try:
                return raw.decode(enc), enc
            except UnicodeDecodeError:
                pass
        raise InputError.bi("isinya biner, bukan berkas teks CSV", "the content is binary, not a CSV text file",
                            source=source)
    for enc in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(enc), enc
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1"), "latin-1"


def strip_preamble(text: str) -> str:
    """Drop the ``# `` provenance lines geozones' own CSV exports start with."""
    if not text.startswith("# "):
        return text  # nothing to drop: no copy of a large file
    lines = text.splitlines(keepends=True)
    skip = 0
    while skip < len(lines) and lines[skip].startswith("# "):
        skip += 1
    return "".join(lines[skip:])


def _scan_lines(data: bytes, limits: Limits, source: str) -> int:
    """Count lines and check the longest one before anything parses the text; return the line count."""
    arr = np.frombuffer(data, dtype=np.uint8)
    block = 64 * 1024 * 1024
    lines, last = 0, -1
    for start in range(0, len(arr), block):
        nl = np.flatnonzero(arr[start:start + block] == 10) + start
        if len(nl):
            gaps = np.diff(np.concatenate(([last], nl))) - 1
            worst = int(gaps.argmax())
            if gaps[worst] > limits.max_line_bytes:
                raise limit_error("max_line_bytes", int(gaps[worst]), limits.max_line_bytes, source=source,
                                  row=f"line {lines + worst + 1}")
            lines += len(nl)
            last = int(nl[-1])
        if lines > limits.max_rows + 1:
            raise limit_error("max_rows", lines - 1, limits.max_rows, source=source, at_least=True)
    tail = len(arr) - last - 1
    if tail > limits.max_line_bytes:
        raise limit_error("max_line_bytes", tail, limits.max_line_bytes, source=source, row=f"line {lines + 1}")
    return lines + (1 if tail > 0 else 0)


def read_table(path: str | os.PathLike, *, source_name: str | None = None, sheet: str | None = None,
               lon_col: str | None = None, lat_col: str | None = None,
               limits: Limits | None = None, numeric_coordinates: bool = False) -> pd.DataFrame:
    """Read a CSV (any common encoding and delimiter) or XLSX file as strings.

    Parameters
    ----------
    path : path-like
        ``.csv``, ``.txt`` or ``.xlsx``.
    source_name : str, optional
        Name used in messages.
    sheet : str, optional
        The one sheet of a workbook to read (the CLI's ``--layer``). By default
        every sheet that has coordinate columns is read, with a ``sheet`` column,
        and each sheet left out is named in a :class:`DataWarning` with the reason.
    lon_col, lat_col : str, optional
        Coordinate columns the user named (decide which sheets qualify).
    limits : Limits, optional
        Default :func:`~geozones.io.limits.current_limits`.
    numeric_coordinates : bool
        Parse a CSV's longitude and latitude columns straight to float64 when every
        cell of both is a finite plain number (pandas' C parser: the fast path of a
        large clean file); otherwise, or for a workbook, they stay text like every
        other cell, for :func:`coordinates` to diagnose row by row. Which happened
        is in ``df.attrs["numeric_coordinates"]`` (the two column names, or absent).

    Returns
    -------
    pandas.DataFrame
        All cells as strings (empty cells as ``""``; the coordinate columns float64 when
        ``numeric_coordinates`` succeeded), columns stripped. The
        attribute ``df.attrs["encoding"]`` records the encoding used; for a
        workbook ``df.attrs["row_labels"]`` names each row (sheet and row) and
        ``df.attrs["skipped_sheets"]`` lists ``(sheet, reason)``.

    Raises
    ------
    InputError
        For a missing, empty, binary or unparsable file, a limit passed (naming
        it and the value found), or a workbook with no usable sheet.
    """
    path = Path(path)
    name = source_name or str(path)
    limits = limits or current_limits()
    if not path.exists():
        raise InputError.bi("berkas tidak ditemukan", "file not found", source=name)
    check_limit("max_bytes", path.stat().st_size, limits, source=name)
    raw = path.read_bytes()
    if not raw.strip():
        raise InputError.bi("berkas kosong", "file is empty", source=name)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        if not raw.startswith(b"PK"):
            raise InputError.bi("ekstensinya menyebut Excel (.xlsx), tetapi isinya bukan buku kerja Excel",
                                "the extension says Excel (.xlsx), but the content is not an Excel workbook",
                                source=name)
        # An .xlsx is a zip: count what it really inflates to, and the longest text between tags (one cell).
        check_zip(path, source=name, limits=limits, max_text_run=limits.max_cell_bytes)
        return _read_workbook(raw, name, sheet, lon_col, lat_col, limits)
    if raw[:4] in (b"PK\x03\x04", b"SQLi"):
        raise InputError.bi("isinya biner, bukan berkas teks CSV", "the content is binary, not a CSV text file",
                            source=name)
    text, enc = _decode(raw, name)
    del raw
    text = strip_preamble(text).lstrip("\ufeff")
    if not text.strip():
        raise InputError.bi("berkas tidak berisi data, hanya baris komentar", "file has no data, only comment lines",
                            source=name)
    # UTF-8 bytes for the parser: io.StringIO would hold the text at four bytes a character
    data = text.encode("utf-8")
    _scan_lines(data, limits, name)
    try:
        sep = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|").delimiter
    except csv.Error:
        sep = "\t" if "\t" in text[:4096].splitlines()[0] else ","
    head = list(itertools.islice(csv.reader(io.StringIO(text[: limits.max_line_bytes * 4]), delimiter=sep), 101))
    header = head[0] if head else []
    check_limit("max_columns", len(header), limits, source=name, row="header")
    for i, row in enumerate(head[1:], start=1):
        if len(row) > len(header):
            raise _extra_fields(name, sep, header, row, i)
    del text
    df = _read_numeric(data, sep, header, lon_col, lat_col, name) if numeric_coordinates else None
    try:
        if df is None:
            df = pd.read_csv(io.BytesIO(data), sep=sep, dtype=str, keep_default_na=False,
                             skipinitialspace=True, index_col=False, encoding="utf-8")
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        detail = str(exc).strip()
        if "out of memory" in detail:
            raise MemoryError(detail) from None  # the parser's allocation failed: not a fault of the file
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", detail)
        if m:
            raise InputError.bi(f"baris {int(m.group(2)) - 1} berisi {m.group(3)} kolom, kepala tabel "
                                f"{m.group(1)}; periksa pemisah kolom atau tanda kutip",
                                f"data row {int(m.group(2)) - 1} has {m.group(3)} fields, the header "
                                f"{m.group(1)}; check the separator or quotes", source=name) from None
        raise InputError.bi(f"tidak dapat dibaca sebagai CSV: {detail}", f"cannot be read as CSV: {detail}",
                            source=name) from None
    del data
    _check_cells(df, limits, name)
    df.attrs["encoding"] = enc
    df.columns = [str(c).strip() for c in df.columns]
    if len(df) == 0:
        raise InputError.bi("ada kepala tabel tetapi tidak ada baris data", "has a header but no data rows",
                            source=name)
    return df


def _read_numeric(data: bytes, sep: str, header: list[str], lon_col: str | None, lat_col: str | None,
                  name: str) -> pd.DataFrame | None:
    """The table with its two coordinate columns parsed as float64, or None where that is not clean.

    None (the caller parses every cell as text and diagnoses row by row) when the
    coordinate columns cannot be told from the header, a header cell is not
    as pandas names it, a coordinate cell is not a plain number, or a value is
    missing or not finite: the per-row messages then say which row and why.
    """
    if len(set(header)) != len(header) or any(h != h.strip() for h in header):
        return None
    try:
        cols = coordinate_columns(header, lon=lon_col, lat=lat_col, source=name)
    except InputError:
        return None
    if reference_column(header, cols[0]) is not None or reference_column(header, cols[1]) is not None:
        return None  # EXIF hemisphere columns: the text path applies the sign
    dtype = defaultdict(lambda: str, {c: np.float64 for c in cols})
    try:
        df = pd.read_csv(io.BytesIO(data), sep=sep, dtype=dtype, keep_default_na=False,
                         skipinitialspace=True, index_col=False, encoding="utf-8")
    except (ValueError, TypeError, pd.errors.ParserError, pd.errors.EmptyDataError):
        return None
    if list(df.columns) != header or len(df) == 0:
        return None
    for c in cols:
        if df[c].dtype != np.float64 or not np.isfinite(df[c].to_numpy()).all():
            return None
    df.attrs["numeric_coordinates"] = cols
    return df


def _extra_fields(name: str, sep: str, header: list[str], row: list[str], i: int) -> InputError:
    line = sep.join(row)
    if sep == "," and re.search(r"\d,\d", line):
        return InputError.bi(
            f"baris {i} berisi {len(row)} kolom, kepala tabel {len(header)}: angka memakai koma desimal "
            f"('{line[:60]}') dalam berkas yang dipisah koma; simpan dengan pemisah titik koma (;), beri tanda "
            "kutip pada angka, atau pakai titik desimal (106.856)",
            f"row {i} has {len(row)} fields but the header {len(header)}: numbers use decimal commas "
            f"('{line[:60]}') in a comma-separated file; save with a semicolon (;) separator, quote the "
            "numbers, or use decimal points (106.856)", source=name)
    return InputError.bi(f"baris {i} berisi {len(row)} kolom, kepala tabel {len(header)}; periksa pemisah kolom",
                         f"row {i} has {len(row)} fields but the header {len(header)}; check the separator",
                         source=name)


def _check_cells(df: pd.DataFrame, limits: Limits, source: str) -> None:
    for c in df.columns:
        if pd.api.types.is_float_dtype(df[c].dtype):
            continue  # parsed numbers (the line-length scan bounded their text)
        lengths = df[c].str.len()
        if len(lengths) and lengths.max() > limits.max_cell_bytes:
            i = int(lengths.to_numpy().argmax())
            raise limit_error("max_cell_bytes", int(lengths.iloc[i]), limits.max_cell_bytes, source=source,
                              row=i + 1, field=str(c))


def _cell_text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if hasattr(v, "isoformat"):
        return v.isoformat(sep=" ") if hasattr(v, "hour") else v.isoformat()
    return str(v)


def _read_workbook(raw: bytes, name: str, sheet: str | None, lon_col: str | None, lat_col: str | None,
                   limits: Limits) -> pd.DataFrame:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types
        raise InputError.bi(f"tidak dapat dibaca sebagai Excel: {exc}", f"cannot be read as Excel: {exc}",
                            source=name) from None
    try:
        titles = list(wb.sheetnames)
        if sheet is not None and sheet not in titles:
            raise InputError.bi(f"tidak ada lembar '{sheet}'; lembarnya: {', '.join(titles)}",
                                f"no sheet '{sheet}'; the sheets are: {', '.join(titles)}", source=name,
                                field="--layer")
        frames, skipped, labels = [], [], []
        total = 0
        for title in titles if sheet is None else [sheet]:
            rows: list[list[str]] = []
            header: list[str] | None = None
            for values in wb[title].iter_rows(values_only=True):
                cells = [_cell_text(v) for v in values]
                while cells and cells[-1] == "":
                    cells.pop()
                if len(cells) > limits.max_columns:
                    raise limit_error("max_columns", len(cells), limits.max_columns, source=name,
                                      row=f"sheet '{title}'")
                if header is None:
                    if any(c.strip() for c in cells):
                        header = [c.strip() for c in cells]
                    continue
                if not any(c.strip() for c in cells):
                    continue
                total += 1
                if total > limits.max_rows:
                    raise limit_error("max_rows", total, limits.max_rows, source=name, at_least=True)
                rows.append(cells)
            if header is None or not rows:
                skipped.append((title, "kosong / empty" if header is None else
                                "tidak ada baris data / no data rows"))
                continue
            try:
                coordinate_columns(header, lon=lon_col, lat=lat_col, source=name)
            except InputError as err:
                if "several columns" in str(err):
                    raise
                skipped.append((title, "tidak ada kolom bujur/lintang / no longitude/latitude columns "
                                f"({', '.join(h for h in header if h)})"))
                continue
            width = max(len(header), *(len(r) for r in rows))
            cols = [h or f"column_{i + 1}" for i, h in enumerate(header + [""] * (width - len(header)))]
            frame = pd.DataFrame([r + [""] * (width - len(r)) for r in rows], columns=cols, dtype=object)
            if len(titles) > 1:
                frame.insert(0, "sheet", title)
            labels += [f"sheet '{title}', row {i + 1}" for i in range(len(frame))]
            frames.append(frame)
    finally:
        wb.close()
    if not frames:
        raise InputError([Problem.bi(f"lembar '{t}' dilewati: {why}", f"sheet '{t}' skipped: {why}", name)
                          for t, why in skipped] or
                         [Problem.bi("buku kerja tidak berisi baris data", "workbook has no data rows", name)])
    df = pd.concat(frames, ignore_index=True).fillna("") if len(frames) > 1 else frames[0]
    df.columns = [str(c).strip() for c in df.columns]
    df.attrs["encoding"] = "xlsx"
    df.attrs["skipped_sheets"] = skipped
    if len(titles) > 1:
        df.attrs["row_labels"] = labels
    for t, why in skipped:
        warnings.warn(f"{name}: lembar '{t}' dilewati / sheet '{t}' skipped: {why}", DataWarning, stacklevel=3)
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


def _numbers(series: pd.Series) -> pd.Series:
    """Numbers of a text column; decimal commas, Unicode minus signs and spaces repaired where needed."""
    num = pd.to_numeric(series, errors="coerce")
    bad = num.isna().to_numpy()
    if bad.any():  # repair only the cells that need it: a clean column of 10 million costs nothing more
        text = series[bad].astype(str).str.strip().str.replace("\u00a0", "", regex=False)
        text = text.str.replace(_MINUS, "-", regex=True).str.replace(",", ".", regex=False)
        num = num.astype(float)
        num[bad] = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
    return num


def coordinate_problems(df: pd.DataFrame, *, source: str, lon_col: str | None = None,
                        lat_col: str | None = None) -> tuple[np.ndarray, np.ndarray, list[Problem]]:
    """Like :func:`coordinates`, but return the problems (one per bad row) instead of raising.

    The columns are found by :func:`~geozones.core.columns.coordinate_columns`
    (ambiguous sets refused). Accepted besides plain decimals: a decimal comma,
    the Unicode minus ``−6.18``, and an EXIF hemisphere column (``GPSLatitudeRef``
    ``S`` makes an unsigned latitude negative). A latitude whose minus sign
    seems missing (positive where the other rows lie south of the equator at
    the same distance) gets a :class:`DataWarning` naming the row.

    Missing or ambiguous coordinate columns still raise :class:`InputError`.
    """
    lon_col, lat_col = coordinate_columns(df.columns, lon=lon_col, lat=lat_col, source=source)
    labels = df.attrs.get("row_labels")

    def where(i: int) -> int | str:
        return labels[i] if labels else int(i) + 1

    problems: list[Problem] = []
    values = {}
    for col in (lon_col, lat_col):
        num = _numbers(df[col])
        for i in np.flatnonzero(num.isna().to_numpy()):
            cell = df[col].iloc[i]
            if str(cell).strip() in ("", "nan", "NaN", "None"):
                problems.append(Problem.bi("kosong", "is empty", source, where(i), str(col)))
            else:
                problems.append(Problem.bi(f"'{cell}' bukan angka", f"'{cell}' is not a number", source,
                                           where(i), str(col)))
        arr = num.to_numpy(dtype=float)
        ref = reference_column(df.columns, col)
        if ref is not None:
            hemi = df[ref].astype(str).str.strip().str.upper().str[:1]
            neg, pos = ("S", "N") if col == lat_col else ("W", "E")
            for i in np.flatnonzero(~hemi.isin([neg, pos, ""]).to_numpy()):
                problems.append(Problem.bi(f"'{df[ref].iloc[i]}' bukan {neg}/{pos}", f"'{df[ref].iloc[i]}' is not "
                                           f"{neg}/{pos}", source, where(i), str(ref)))
            arr = np.where(hemi.to_numpy() == neg, -np.abs(arr), arr)
        values[col] = arr
    lon, lat = values[lon_col], values[lat_col]
    for col, arr in ((lon_col, lon), (lat_col, lat)):
        for i in np.flatnonzero(np.isinf(arr)):
            problems.append(Problem.bi(f"{df[col].iloc[i]!r} bukan angka terhingga",
                                       f"{df[col].iloc[i]!r} is not a finite number", source, where(i), str(col)))
    ok = np.isfinite(lon) & np.isfinite(lat)
    swapped = ok & (np.abs(lat) > 90) & (np.abs(lon) <= 90)
    indo_swapped = ok & (lat >= INDONESIA_LON[0]) & (lat <= INDONESIA_LON[1]) & \
        (lon >= INDONESIA_LAT[0]) & (lon <= INDONESIA_LAT[1])
    for i in np.flatnonzero(swapped | indo_swapped):
        where_ = "" if abs(lat[i]) > 90 else " in Indonesia"
        problems.append(Problem.bi(
            f"lon={lon[i]:g}, lat={lat[i]:g} tampak tertukar (lintang tidak mungkin {lat[i]:g}"
            + ("" if abs(lat[i]) > 90 else " di Indonesia") + "); tukar kedua kolom",
            f"lon={lon[i]:g}, lat={lat[i]:g} look swapped (a latitude cannot be {lat[i]:g}{where_}); "
            "exchange the two columns", source, where(i), f"{lon_col}/{lat_col}"))
    bad_lon = ok & ~(swapped | indo_swapped) & ((lon < -180) | (lon > 180))
    bad_lat = ok & ~(swapped | indo_swapped) & ((lat < -90) | (lat > 90))
    for i in np.flatnonzero(bad_lon):
        problems.append(Problem.bi(f"{lon[i]:g} di luar rentang (-180..180)", f"{lon[i]:g} is out of range (-180..180)",
                                   source, where(i), str(lon_col)))
    for i in np.flatnonzero(bad_lat):
        problems.append(Problem.bi(f"{lat[i]:g} di luar rentang (-90..90)", f"{lat[i]:g} is out of range (-90..90)",
                                   source, where(i), str(lat_col)))
    _warn_missing_minus(lat, ok & ~(swapped | indo_swapped | bad_lat), source, str(lat_col), where)
    problems.sort(key=lambda p: (p.row if isinstance(p.row, int) else 0))
    return lon, lat, problems


def _warn_missing_minus(lat: np.ndarray, ok: np.ndarray, source: str, col: str, where) -> None:
    """Warn about positive latitudes that mirror the southern rows of the same file (a lost minus sign)."""
    south = lat[ok & (lat < 0)]
    if len(south) == 0:
        return
    lo, hi = float(south.min()) - 0.5, float(south.max()) + 0.5
    suspects = np.flatnonzero(ok & (lat > 0) & (-lat >= lo) & (-lat <= hi))
    for i in suspects[:20]:
        warnings.warn(f"{source}, {where(int(i)) if not isinstance(where(int(i)), int) else f'row {i + 1}'}, "
                      f"field '{col}': lintang {lat[i]:g} positif sedangkan baris lain di selatan khatulistiwa; "
                      f"tanda minus hilang? tulis {-lat[i]:g} / latitude {lat[i]:g} is positive while the other "
                      f"rows lie south of the equator: a missing minus sign? write {-lat[i]:g}",
                      DataWarning, stacklevel=4)


def table_to_points(df: pd.DataFrame, *, source: str, lon_col: str | None = None,
                    lat_col: str | None = None) -> gpd.GeoDataFrame:
    """Turn a table with lon/lat columns into a point GeoDataFrame (EPSG:4326)."""
    lon, lat = coordinates(df, source=source, lon_col=lon_col, lat_col=lat_col)
    out = gpd.GeoDataFrame(df.reset_index(drop=True), geometry=shapely.points(lon, lat), crs=STORAGE_CRS)
    out.attrs.update(df.attrs)
    return out
