"""Verdict tables as CSV, GeoJSON, GeoPackage and XLSX, each carrying the data attribution.

* CSV: plain RFC 4180 (UTF-8 without BOM, CRLF, header on the first line), so
  ``pd.read_csv(path)``, Excel and LibreOffice open it with default options.
  Attribution, rule-set version, layer digests and column types travel beside
  it in a W3C CSV on the Web metadata file, ``<name>.csv-metadata.json``
  (https://www.w3.org/TR/tabular-metadata/), where code columns are declared as
  strings: read them back as text with ``pd.read_csv(path, dtype=str)``.
* GeoJSON: a FeatureCollection with a top-level ``attribution`` member.
* GeoPackage: layer ``verdicts``, attribution in the dataset metadata.
* XLSX: a ``hasil``/``results`` sheet (fitted widths, autofilter, frozen header)
  and a ``sumber``/``source`` sheet with the attribution.

Every cell *and header* of every export goes through :func:`defuse`: text a
spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab or CR first)
is prefixed with ``'``, so an uploaded site id, a street name or a column name
from a user's file never becomes a formula (OWASP "CSV injection").
"""

from __future__ import annotations

import io
import json
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

#: Columns of an exported verdict table, in order (those present are kept).
EXPORT_COLUMNS = (
    "site_id", "lon", "lat", "verdict", "verdict_by_type", "kode_kemendagri", "kode_bps", "kelurahan", "kecamatan",
    "rule_ids", "reasons", "nearest_m", "nearest_name", "nearest_layer", "advisory", "unverified", "apk_type",
    "paslon", "judged_at",
    "kode_kemendagri_kec", "kode_bps_kec", "kode_kemendagri_kota", "kode_bps_kota", "kota",
    "reasons_id", "reasons_en", "not_checked", "grant_ids",
)
#: Columns always declared as text in the CSVW metadata (codes lose leading zeros and dots as numbers).
TEXT_COLUMNS = ("site_id", "paslon", "apk_type", "rule_ids", "grant_ids", "not_checked", "feature_id")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
#: Columns a lean export leaves out of the rows (same for every site of a kelurahan, or of the batch):
#: :func:`lean_units` and the legend in the metadata carry them once.
LEAN_MOVED = ("kode_kemendagri_kec", "kode_bps_kec", "kode_kemendagri_kota", "kode_bps_kota", "kota", "not_checked")
#: RFC 4180 line ending.
CRLF = "\r\n"
METADATA_SUFFIX = "-metadata.json"


def defuse(value: object) -> object:
    """A cell or header made safe for spreadsheets.

    Control characters (illegal in XLSX, they break readers) are removed, and text
    starting with ``=``, ``+``, ``-``, ``@``, tab or CR gets a leading ``'`` so no
    spreadsheet runs it as a formula. Other values are returned unchanged.
    """
    if isinstance(value, str):
        value = _CONTROL.sub("", value)
        if value.startswith(_FORMULA_START):
            return "'" + value
    return value


def _needs(texts: np.ndarray, pattern: str) -> np.ndarray:
    """Mask of the str cells of ``texts`` (object array, None allowed) matching the regex ``pattern``.

    Run by Arrow's regex kernel in C++: a million ids cost milliseconds, where a
    per-cell Python call costs a second.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    hit = pc.match_substring_regex(pa.array(texts, type=pa.large_string(), from_pandas=True), pattern)
    return np.asarray(hit.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


#: Cells :func:`defuse` changes: a control character anywhere, or a formula start.
_DEFUSE_NEEDED = r"[\x00-\x08\x0b\x0c\x0e-\x1f]|^[=+\-@\t\r]"


def _by_distinct(texts: np.ndarray, fn, na: object = None) -> np.ndarray:
    """``fn`` (object array of str -> object array, same length) over ``texts``, once per distinct text.

    Reasons, names and codes repeat: ``fn`` runs on their distinct values; ids do not:
    it runs on every cell. Missing cells (None, NaN) become ``na``.
    """
    n = len(texts)
    if n > 2_000:
        sample = texts[:: max(1, n // 1_000)]
        if len(pd.unique(sample)) < len(sample) // 2:
            codes, uniques = pd.factorize(texts, use_na_sentinel=True)
            return np.append(fn(np.asarray(uniques, dtype=object)), na)[codes]
    miss = pd.isna(texts)
    if miss.any():
        texts = texts.copy()
        texts[miss] = None
    out = fn(texts)
    if miss.any():
        out[miss] = na
    return out


def _defuse_all(texts: np.ndarray) -> np.ndarray:
    """:func:`defuse` over an object array of str (None allowed), calling it only where a cell needs it.

    Ids (a million distinct) are rarely dangerous: a vectorised test finds the few that are.
    """
    if not len(texts):
        return texts
    need = _needs(texts, _DEFUSE_NEEDED)
    if not need.any():
        return texts
    out = texts.copy()
    out[need] = [defuse(t) for t in texts[need]]
    return out


def _defuse_headers(df: pd.DataFrame) -> pd.DataFrame:
    """Defuse the column names, keeping them distinct."""
    new, taken = [], set()
    for c in df.columns:
        name = defuse(str(c))
        while name in taken:
            name += "_"
        taken.add(name)
        new.append(name)
    df.columns = new
    return df


def lean_units(table: pd.DataFrame) -> list[dict]:
    """The kecamatan and kota of each kelurahan in ``table``, once per kelurahan code.

    A lean export (:func:`export_frame` with ``lean=True``) leaves these columns out of
    the rows and writes this lookup, keyed by ``kode_kemendagri``, into the metadata.
    """
    cols = [c for c in ("kode_kemendagri", *LEAN_MOVED) if c in table.columns and c != "not_checked"]
    if "kode_kemendagri" not in cols:
        return []
    codes, _ = pd.factorize(table["kode_kemendagri"], use_na_sentinel=True)
    _, first = np.unique(codes[codes >= 0], return_index=True)
    rows = np.flatnonzero(codes >= 0)[first]
    sub = pd.DataFrame(table.iloc[rows][cols])  # the few rows first, not a copy of whole columns
    return [{k: (None if pd.isna(v) else str(v)) for k, v in rec.items()} for rec in sub.to_dict("records")]


def export_frame(table: pd.DataFrame, columns: Sequence[str] = EXPORT_COLUMNS, *,
                 lang: str | None = None, lean: bool = False, defuse_cells: bool = True) -> pd.DataFrame:
    """The columns of ``table`` worth exporting, without geometry, every cell and header defused.

    Columns not in ``columns`` (the user's own extra columns) follow at the end.
    With ``lang`` (``"id"`` or ``"en"``) a ``reasons`` column holds the reasons in
    that language, and the other language's column (if the table has it) stays
    beside it; ``"both"`` is ``"id"`` with ``reasons_en`` beside. Time-zone
    aware times become ISO 8601 text (``2024-10-01T08:00:00+07:00``); their
    columns are listed in ``attrs["datetime_columns"]``. With ``lean``, the
    columns in :data:`LEAN_MOVED` (the same for every site of a kelurahan, or of
    the batch) are left out: :func:`lean_units` and the legend carry them once.
    ``defuse_cells=False`` leaves text cells as they are, for a writer that defuses
    them itself (:func:`_write_csv` with ``defuse_cells=True``: one pass instead of two).
    """
    geom = table.geometry.name if isinstance(table, gpd.GeoDataFrame) else None
    if lang == "both":
        lang = "id"
    if lang is not None and f"reasons_{lang}" in table.columns:
        same = f"reasons_{lang}"
        table = table.assign(reasons=table[same]).drop(columns=[same])
    if lean:
        table = table.drop(columns=[c for c in LEAN_MOVED if c in table.columns])
    first = [c for c in columns if c in table.columns]
    rest = [c for c in table.columns if c not in first and c != geom]
    if len(set(first + rest)) == len(first + rest):
        # one block per column: replacing a column then copies that column, not a 2-D block of all text
        # columns (copy on write; the table itself is never changed)
        df = pd.DataFrame({c: table[c] for c in first + rest})
    else:
        df = pd.DataFrame(table[first + rest])
    taken = {str(c).lower() for c in df.columns}
    renames = {}
    for c in df.columns:
        if str(c).lower() == "fid":  # GeoPackage reserves its feature id column, in any case
            new = f"{c}_input"
            while new.lower() in taken:
                new += "_"
            taken.add(new.lower())
            renames[c] = new
    df = df.rename(columns=renames)
    times = []
    for c in df.columns:
        if isinstance(df[c].dtype, pd.DatetimeTZDtype):
            # Most sites share one judging time: format each distinct time once.
            codes, uniques = pd.factorize(df[c], use_na_sentinel=True)
            iso = pd.Series(pd.DatetimeIndex(uniques).strftime("%Y-%m-%dT%H:%M:%S%z"), dtype=object)
            # xsd:dateTime (and CSVW) want the offset as +07:00
            iso = iso.str.replace(r"([+-]\d\d)(\d\d)$", r"\1:\2", regex=True)
            df[c] = pd.Series(np.append(iso.to_numpy(dtype=object), None)[codes], index=df.index, dtype=object)
            times.append(c)
        elif isinstance(df[c].dtype, pd.CategoricalDtype):
            if defuse_cells:  # the categories, each once; as text cells if two become one
                safe = np.array([defuse(v) for v in df[c].cat.categories], dtype=object)
                if len(pd.unique(safe)) == len(safe):
                    df[c] = df[c].cat.rename_categories(safe)
                else:
                    df[c] = pd.Series(np.append(safe, None)[np.where(df[c].cat.codes < 0, len(safe),
                                                                     df[c].cat.codes)], index=df.index, dtype=object)
        elif df[c].dtype == object or pd.api.types.is_string_dtype(df[c].dtype):
            if pd.api.types.infer_dtype(df[c], skipna=True) in ("string", "empty"):
                # A per-cell Python call cost seconds at 100,000 rows: find the cells to defuse in C++.
                if defuse_cells:
                    df[c] = pd.Series(_by_distinct(df[c].to_numpy(dtype=object), _defuse_all), index=df.index,
                                      dtype=object)
            elif defuse_cells:  # mixed cells (numbers, lists from JSON): keep each value as it is
                df[c] = df[c].map(defuse)
    positions = [list(df.columns).index(c) for c in times]
    df = _defuse_headers(df)
    df.attrs["datetime_columns"] = [df.columns[i] for i in positions]
    return df


_QUOTE = re.compile(r'[",\r\n]')
#: Rows formatted and joined per write (bounds the memory of the cell texts).
WRITE_CHUNK = 50_000


def _quote(text: str) -> str:
    """One CSV field, quoted only where RFC 4180 needs it (as ``csv.QUOTE_MINIMAL``)."""
    return '"' + text.replace('"', '""') + '"' if _QUOTE.search(text) else text


def _cells(values: pd.Series, defuse_cells: bool = False) -> np.ndarray:
    """The CSV text of every cell of one column (object array of str), as ``DataFrame.to_csv`` writes it.

    Only the texts that need quotes are found (in C++) and quoted; numbers go through
    Python's shortest round-trip repr (what ``to_csv`` writes); missing values are empty.
    """
    return np.asarray(_arrow_cells(values, defuse_cells).to_numpy(zero_copy_only=False), dtype=object)


#: Decimals of the fixed-point float path: any float with at most this many decimals that lies
#: below :data:`_FIXED_MAX` is written from integers (coordinates have 7, rounded metres 1).
_FIXED_DECIMALS = 9
#: Below 1e6 a float's spacing (ulp < 1.2e-10) is finer than 1e-9, so at most one decimal with
#: nine places rounds to it, and that decimal, trailing zeros dropped, is repr's shortest text.
_FIXED_MAX = 1e6


def _float_cells(arr: np.ndarray):
    """Arrow large_string of Python's ``repr`` of each float (NaN empty), as ``to_csv`` writes them.

    Most floats of a verdict table have few decimals (coordinates 7, distances 1): a float
    ``v`` with ``0 == v`` or ``1e-4 <= |v| < 1e6`` for which ``k = rint(v * 1e9)`` gives
    back ``k / 1e9 == v`` (exact: both are correctly rounded) is the decimal ``k / 10**9``,
    the only one of nine places that rounds to ``v`` (see :data:`_FIXED_MAX`), so repr
    writes it in fixed notation with its trailing zeros dropped. Those texts are built in
    Arrow from the integer and fraction parts, without a Python object per cell; every
    other float (more decimals, exponent notation, inf) goes through ``repr`` itself.
    (NumPy's float-to-text cast is 2x slower than repr; Arrow's writes ``37`` for ``37.0``.)
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = np.ascontiguousarray(arr, dtype=np.float64)
    n = len(arr)
    scale = 10.0 ** _FIXED_DECIMALS
    with np.errstate(invalid="ignore", over="ignore"):
        mag = np.abs(arr)
        k = np.rint(mag * scale)
        fixed = (k / scale == mag) & (mag < _FIXED_MAX) & ((mag >= 1e-4) | (mag == 0))
    k = np.where(fixed, k, 0).astype(np.int64)
    whole = pa.array(k // int(scale)).cast(pa.large_string())
    frac = pc.utf8_rtrim(pc.utf8_lpad(pa.array(k % int(scale)).cast(pa.large_string()), _FIXED_DECIMALS, "0"),
                         "0")
    frac = pc.if_else(pc.equal(frac, ""), _pa_text("0"), frac)
    neg = np.signbit(arr) & fixed
    if neg.any():  # repr keeps the sign of -0.0
        whole = pc.if_else(pa.array(neg), pc.binary_join_element_wise(_pa_text("-"), whole, _pa_text("")), whole)
    text = pc.binary_join_element_wise(whole, frac, _pa_text("."))
    nan = np.isnan(arr)
    other = ~fixed & ~nan
    if not other.any() and not nan.any():
        return text
    # the rest by repr (exact by definition), NaN empty: spread into place with one take
    rest = [repr(v) for v in arr[other].tolist()]
    cells = pa.concat_arrays([text, pa.array([*rest, ""], type=pa.large_string())])
    index = np.arange(n, dtype=np.int64)
    index[other] = n + np.arange(len(rest), dtype=np.int64)
    index[nan] = n + len(rest)
    return cells.take(pa.array(index))


def _text_cells(texts: np.ndarray, defuse_cells: bool):
    """Arrow large_string of the CSV fields of an object array of str (None allowed: empty field).

    Defusing (:func:`defuse`) and quoting (:func:`_quote`) run as Arrow kernels in C++:
    control characters removed, a formula start prefixed with ``'``, then a field with a
    quote, comma or line break quoted with its quotes doubled. (Per-cell Python calls cost
    a second for the 50,000 distinct full reasons of 500,000 sites.)
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(texts, type=pa.large_string(), from_pandas=True).fill_null("")
    if defuse_cells:
        if pc.any(pc.match_substring_regex(arr, _CONTROL.pattern)).as_py():
            arr = pc.replace_substring_regex(arr, _CONTROL.pattern, "")
        formula = pc.match_substring_regex(arr, r"^[=+\-@\t\r]")
        if pc.any(formula).as_py():
            arr = pc.if_else(formula, pc.binary_join_element_wise(_pa_text("'"), arr, _pa_text("")), arr)
    need = pc.match_substring_regex(arr, _QUOTE.pattern)
    if pc.any(need).as_py():
        quoted = pc.binary_join_element_wise(_pa_text('"'), pc.replace_substring(arr, '"', '""'), _pa_text('"'),
                                             _pa_text(""))
        arr = pc.if_else(need, quoted, arr)
    return arr


def _pa_text(text: str):
    import pyarrow as pa

    return pa.scalar(text, type=pa.large_string())


def _arrow_cells(values: pd.Series, defuse_cells: bool = False):
    """The CSV text of every cell of one column as an Arrow large_string array (no nulls).

    Same text as ``DataFrame.to_csv``: text quoted where RFC 4180 needs it, floats as
    Python's shortest round-trip repr, booleans ``True``/``False``, missing values empty.
    Repeated texts (reasons, names, codes, times) are formatted once per distinct value
    and spread with Arrow's ``take``.
    """
    import pyarrow as pa

    dtype = values.dtype
    arr = values.to_numpy()
    if pd.api.types.is_bool_dtype(dtype) and arr.dtype == bool:
        return pa.array(["False", "True"], type=pa.large_string()).take(pa.array(arr.view(np.int8)))
    if pd.api.types.is_float_dtype(dtype):
        return _float_cells(np.asarray(values.to_numpy(dtype=float, na_value=np.nan)))
    if pd.api.types.is_integer_dtype(dtype) and arr.dtype.kind in "iu":
        return pa.array(np.fromiter(map(str, arr.tolist()), dtype=object, count=len(arr)), type=pa.large_string())
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind not in ("string", "empty", "categorical"):
        # mixed cells (1 and True are equal keys to factorize): one text per cell
        na = pd.isna(values).to_numpy()
        fix = defuse if defuse_cells else (lambda v: v)
        return pa.array(["" if m else _quote(str(fix(v))) for v, m in zip(arr, na, strict=True)],
                        type=pa.large_string())
    if kind == "categorical":
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        fix = defuse if defuse_cells else (lambda v: v)
        texts = pa.array([_quote(str(fix(str(u)))) for u in uniques] + [""], type=pa.large_string())
        return texts.take(pa.array(np.where(codes < 0, len(uniques), codes)))
    texts = values.to_numpy(dtype=object)
    n = len(texts)
    if n > 2_000:
        sample = texts[:: max(1, n // 1_000)]
        if len(pd.unique(sample)) < len(sample) // 2:
            codes, uniques = pd.factorize(texts, use_na_sentinel=True)
            cells = _text_cells(np.append(np.asarray(uniques, dtype=object), None), defuse_cells)
            return cells.take(pa.array(np.where(codes < 0, len(uniques), codes)))
    return _text_cells(texts, defuse_cells)


def _category_cells(values: pd.Series, defuse_cells: bool):
    """For a Categorical column of text: the CSV fields of its categories (and ``""`` last) and each row's index.

    The categories are formatted once for the whole column (as :func:`_text_cells` formats
    the distinct values of a text column); each chunk then takes its rows' cells by code.
    None for any other column.
    """
    if not isinstance(values.dtype, pd.CategoricalDtype):
        return None
    cats = values.cat.categories
    if pd.api.types.infer_dtype(cats, skipna=False) not in ("string", "empty"):
        return None
    cells = _text_cells(np.append(np.asarray(cats, dtype=object), None), defuse_cells)
    codes = values.cat.codes.to_numpy()
    return cells, np.where(codes < 0, len(cats), codes).astype(np.int64)


def _write_csv(df: pd.DataFrame, fh, *, defuse_cells: bool = False) -> None:
    """Write ``df`` as RFC 4180 CSV (header, CRLF, UTF-8) to ``fh``, a binary or a text stream.

    Same text as ``df.to_csv(fh, index=False, lineterminator=CRLF)``, many times faster
    at a million rows: the cells of each column are built as Arrow strings (distinct
    values formatted once), and Arrow joins them into rows in C++, a chunk at a time;
    a binary stream gets the row buffer as it is. With ``defuse_cells``, text cells are
    defused (:func:`defuse`) on the way, for a frame from
    ``export_frame(..., defuse_cells=False)``.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    binary = not isinstance(fh, io.TextIOBase)

    def put(text: str) -> None:
        fh.write(text.encode("utf-8") if binary else text)

    put(",".join(_quote(str(c)) for c in df.columns) + CRLF)
    n = len(df)
    if n == 0 or len(df.columns) == 0:
        return
    eol, comma, empty = (pa.scalar(t, type=pa.large_string()) for t in (CRLF, ",", ""))
    coded = {i: _category_cells(df.iloc[:, i], defuse_cells) for i in range(len(df.columns))}
    coded = {i: c for i, c in coded.items() if c is not None}
    for start in range(0, n, WRITE_CHUNK):
        # the cells of one chunk at a time: a million rows of text cells would be gigabytes
        part = [coded[i][0].take(pa.array(coded[i][1][start:start + WRITE_CHUNK])) if i in coded
                else _arrow_cells(df.iloc[start:start + WRITE_CHUNK, i], defuse_cells) for i in range(len(df.columns))]
        if len(part) == 1:  # a lone empty field is written "" so the row is not read as a blank line
            part[0] = pc.if_else(pc.equal(part[0], ""), pa.scalar('""', type=pa.large_string()), part[0])
        # the line end goes on the last column's cells (short), not on the joined rows (a copy of all the text)
        part[-1] = pc.binary_join_element_wise(part[-1], eol, empty)
        lines = pc.binary_join_element_wise(*part, comma) if len(part) > 1 else part[0]
        offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)[lines.offset:lines.offset + len(lines) + 1]
        data = memoryview(lines.buffers()[2])[offsets[0]:offsets[-1]]
        fh.write(data if binary else bytes(data).decode("utf-8"))


def csv_bytes(df: pd.DataFrame) -> bytes:
    """``df`` as RFC 4180 CSV: UTF-8 without BOM, CRLF, header on the first line, no comment lines."""
    out = io.BytesIO()
    _write_csv(_defuse_headers(df.copy()) if any(defuse(str(c)) != str(c) for c in df.columns) else df, out)
    return out.getvalue()


def _csvw_name(title: str, taken: set[str]) -> str:
    """A CSVW column ``name`` (URI-template variable: letters, digits, ``_``; not starting with ``_``)."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", title).lstrip("_") or "column"
    base, i = name, 1
    while name in taken:
        i += 1
        name = f"{base}_{i}"
    taken.add(name)
    return name


def _datatype(df: pd.DataFrame, col: str) -> object:
    """The CSVW datatype of one exported column."""
    if col in TEXT_COLUMNS or col.startswith("kode_"):
        return "string"
    if col in df.attrs.get("datetime_columns", ()):
        return {"base": "datetime", "format": "yyyy-MM-ddTHH:mm:ssXXX"}
    dtype = df[col].dtype
    if pd.api.types.is_bool_dtype(dtype):
        return {"base": "boolean", "format": "True|False"}
    if pd.api.types.is_integer_dtype(dtype):
        return "integer"
    if pd.api.types.is_float_dtype(dtype):
        return "double"
    return "string"


def csvw_metadata(df: pd.DataFrame, *, url: str, attribution: Sequence[str] = (), title: str | None = None,
                  notes: Sequence[str] = (), provenance: dict | None = None, lang: str = "id",
                  legend: dict | None = None) -> dict:
    """W3C CSVW table metadata (``<name>.csv-metadata.json``) describing a CSV written from ``df``.

    Parameters
    ----------
    df : pandas.DataFrame
        The frame as written (e.g. from :func:`export_frame`).
    url : str
        The CSV's file name, relative to the metadata file.
    attribution : sequence of str
        Rule set, layer digests and data sources (``dc:source``, one line each).
    title : str, optional
        ``dc:title``.
    notes : sequence of str
        Further lines about the table (``dc:description``).
    provenance : dict, optional
        What the verdicts rest on (rule-set id and version, layer digests), as ``dc:provenance``.
    lang : str
        Language of the texts (``"id"`` or ``"en"``).
    legend : dict, optional
        What each rule says once (title, legal basis with grade, verdict, advisory note;
        :func:`geozones.engine.explain.legend`), written as a CSVW ``notes`` annotation.

    Returns
    -------
    dict
        JSON-LD per https://www.w3.org/TR/tabular-metadata/: ``tableSchema.columns`` with
        ``titles`` (the CSV header) and ``datatype``; code columns are ``string``.
    """
    taken: set[str] = set()
    cols = [{"name": _csvw_name(str(c), taken), "titles": str(c), "datatype": _datatype(df, c)}
            for c in df.columns]
    meta: dict = {"@context": ["http://www.w3.org/ns/csvw", {"@language": lang}], "url": url,
                  "dialect": {"header": True, "encoding": "utf-8", "delimiter": ",", "doubleQuote": True,
                              "lineTerminators": [CRLF]},
                  "tableSchema": {"columns": cols}}
    if title:
        meta["dc:title"] = title
    if attribution:
        meta["dc:source"] = [" ".join(str(line).split()) for line in attribution]
    if notes:
        meta["dc:description"] = list(notes)
    if provenance:
        meta["dc:provenance"] = provenance
    if legend:
        meta["notes"] = [legend]
    return meta


def metadata_path(csv_path: str | os.PathLike) -> Path:
    """Where the CSVW metadata of a CSV goes: ``<name>.csv-metadata.json`` beside it."""
    p = Path(csv_path)
    return p.with_name(p.name + METADATA_SUFFIX)


@dataclass(frozen=True)
class CsvExport:
    """A CSV and its CSVW metadata, as offered for download or written to disk.

    Attributes
    ----------
    data : bytes
        The RFC 4180 CSV.
    metadata : bytes
        The CSVW metadata (JSON); its ``url`` is ``name``.
    name : str
        File name of the CSV.
    """

    data: bytes
    metadata: bytes
    name: str

    @property
    def metadata_name(self) -> str:
        """File name of the metadata: ``<name>.csv-metadata.json``."""
        return self.name + METADATA_SUFFIX


def _meta_bytes(meta: dict) -> bytes:
    return json.dumps(meta, ensure_ascii=False, indent=2).encode("utf-8")


def _with_units(table: pd.DataFrame, legend: dict | None, lean: bool) -> dict | None:
    """The legend, with the kelurahan → kecamatan/kota lookup a lean export needs."""
    if not lean:
        return legend
    return {**(legend or {}), "units": lean_units(table)}


def csv_export(table: pd.DataFrame, *, attribution: Sequence[str], lang: str | None = None,
               name: str = "hasil.csv", provenance: dict | None = None, legend: dict | None = None,
               lean: bool = False) -> CsvExport:
    """A verdict table as CSV plus CSVW metadata: the one function behind the CLI's and the app's CSV.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`geozones.engine.evaluate`.
    attribution : sequence of str
        Rule set, layer digests, data sources (e.g. ``Checker.attribution()``).
    lang : str, optional
        ``"id"`` or ``"en"``: which reasons fill the ``reasons`` column.
    name : str
        File name of the CSV (the metadata refers to it).
    provenance : dict, optional
        ``Evaluation.provenance``.
    legend : dict, optional
        ``Evaluation.legend``: what each rule says once, into the metadata.
    lean : bool
        Leave the per-kelurahan and per-batch columns out (:data:`LEAN_MOVED`).
    """
    df = export_frame(table, lang=lang, lean=lean)
    meta = csvw_metadata(df, url=name, attribution=attribution, provenance=provenance,
                         lang="en" if lang == "en" else "id", legend=_with_units(table, legend, lean))
    return CsvExport(data=csv_bytes(df), metadata=_meta_bytes(meta), name=name)


def table_csv(table: pd.DataFrame, *, attribution: Sequence[str] = (), lang: str | None = None,
              legend: dict | None = None, lean: bool = False) -> bytes:
    """A verdict table as plain CSV (the bytes of :func:`csv_export`; attribution and legend go in its metadata)."""
    return csv_bytes(export_frame(table, lang=lang, lean=lean))


def table_geojson(table: gpd.GeoDataFrame, *, attribution: Sequence[str], lang: str | None = None,
                  legend: dict | None = None, lean: bool = False) -> bytes:
    """A verdict table as a GeoJSON FeatureCollection (EPSG:4326) with ``attribution`` (and ``legend``) members."""
    gdf = gpd.GeoDataFrame(export_frame(table, lang=lang, lean=lean), geometry=table.geometry.values, crs=table.crs)
    if gdf.crs is not None:
        gdf = gdf.to_crs(4326)
    data = json.loads(gdf.to_json(drop_id=True, na="null"))
    data["attribution"] = list(attribution)
    legend = _with_units(table, legend, lean)
    if legend:
        data["legend"] = legend
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def table_gpkg(table: gpd.GeoDataFrame, *, attribution: Sequence[str], lang: str | None = None,
               legend: dict | None = None, lean: bool = False) -> bytes:
    """A verdict table as a GeoPackage (layer ``verdicts``), attribution (and the legend, JSON) in its metadata."""
    import pyogrio

    gdf = gpd.GeoDataFrame(export_frame(table, lang=lang, lean=lean), geometry=table.geometry.values, crs=table.crs)
    meta = {"attribution": " | ".join(attribution)}
    legend = _with_units(table, legend, lean)
    if legend:
        meta["legend"] = json.dumps(legend, ensure_ascii=False)
    with tempfile.TemporaryDirectory(prefix="geozones-") as tmp:
        path = Path(tmp) / "verdicts.gpkg"
        pyogrio.write_dataframe(gdf.to_crs(4326), path, driver="GPKG", layer="verdicts",
                                dataset_metadata=meta)
        return path.read_bytes()


#: Sheet names per language: the table, and the attribution.
SHEETS = {"id": ("hasil", "sumber"), "en": ("results", "source")}
#: Sheet names per language: the legend (one row per rule) and the kelurahan lookup of a lean table.
LEGEND_SHEETS = {"id": ("aturan", "wilayah"), "en": ("rules", "units")}


def legend_frame(legend: dict, lang: str = "id") -> pd.DataFrame:
    """The rules of a legend as a table: one row per rule (id, title, verdict, legal basis and grade, advisory note)."""
    other = "en" if lang == "en" else "id"
    rows = [{"rule_id": r["id"], "title": r["title"][other], "verdict": r["verdict"], "form": r["form"],
             "metres": r["metres"], "legal_basis": "; ".join(b["cite"] for b in r["legal_basis"]),
             "advisory": r["advisory"], "note": (r["note"] or {}).get(other), "reason": r["reason"][other]}
            for r in legend.get("rules", [])]
    rows += [{"rule_id": q["id"], "title": f"{q['apk_type']} / {q['unit']}", "verdict": "FORBIDDEN", "form": "quota",
              "metres": None, "legal_basis": "; ".join(q["legal_basis"]), "advisory": False, "note": None,
              "reason": f"cap {q['cap']}"} for q in legend.get("quotas", [])]
    return pd.DataFrame(rows, columns=["rule_id", "title", "verdict", "form", "metres", "legal_basis", "advisory",
                                       "note", "reason"])
#: Widest fitted column (characters); longer text wraps nowhere but stays readable by widening.
MAX_WIDTH = 60
_WIDTH_SAMPLE = 500


def _fit_widths(ws, df: pd.DataFrame) -> None:
    """Column widths from the header and a sample of the values (characters, capped at MAX_WIDTH)."""
    from openpyxl.utils import get_column_letter

    sample = df.head(_WIDTH_SAMPLE)
    for i, c in enumerate(df.columns, start=1):
        lens = sample[c].astype(str).str.len().fillna(0) if len(sample) else pd.Series([0])
        width = max(len(str(c)), int(lens.max()) if len(lens) else 0) + 2  # an all-empty column: its header
        ws.column_dimensions[get_column_letter(i)].width = min(max(width, 6), MAX_WIDTH)


def table_xlsx(table: pd.DataFrame, *, attribution: Sequence[str], sheet: str | None = None,
               about_sheet: str | None = None, lang: str | None = None, legend: dict | None = None,
               lean: bool = False) -> bytes:
    """A verdict table as an Excel workbook, with the attribution on its own sheet.

    The sheets are named in ``lang`` (``hasil``/``sumber``, ``results``/``source``);
    columns are fitted to their text, the header row is frozen and filterable, and
    every text cell (header included) is stored as text, never as a formula. With a
    ``legend``, an ``aturan``/``rules`` sheet lists each rule once (and, when ``lean``,
    a ``wilayah``/``units`` sheet the kecamatan and kota of each kelurahan).
    """
    from openpyxl.utils import get_column_letter

    names = SHEETS["en" if lang == "en" else "id"]
    sheet, about_sheet = sheet or names[0], about_sheet or names[1]
    df = export_frame(table, lang=lang, lean=lean)
    legend = _with_units(table, legend, lean)
    extra: dict[str, pd.DataFrame] = {}
    if legend:
        names_l = LEGEND_SHEETS["en" if lang == "en" else "id"]
        extra[names_l[0]] = export_frame(legend_frame(legend, "en" if lang == "en" else "id"), columns=())
        if legend.get("units"):
            extra[names_l[1]] = export_frame(pd.DataFrame(legend["units"]), columns=())
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        df.to_excel(xw, sheet_name=sheet, index=False)
        head = "attribution" if lang == "en" else "sumber data / attribution"
        # attribution lines carry text from users (an import's --source): defused like any cell
        about = pd.DataFrame({head: [defuse(" ".join(str(a).split())) for a in attribution]})
        about.to_excel(xw, sheet_name=about_sheet, index=False)
        for row in xw.sheets[about_sheet].iter_rows(min_row=1):
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
        ws = xw.sheets[sheet]
        # openpyxl turns any string starting with '=' into a formula; force text, header included.
        for row in ws.iter_rows(min_row=1):
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
        ws.freeze_panes = "B2"
        if len(df.columns):
            ws.auto_filter.ref = f"A1:{get_column_letter(len(df.columns))}{len(df) + 1}"
        _fit_widths(ws, df)
        xw.sheets[about_sheet].column_dimensions["A"].width = MAX_WIDTH * 2
        for name, frame in extra.items():
            frame.to_excel(xw, sheet_name=name, index=False)
            for row in xw.sheets[name].iter_rows(min_row=1):
                for cell in row:
                    if isinstance(cell.value, str):
                        cell.data_type = "s"
            _fit_widths(xw.sheets[name], frame)
    return buf.getvalue()


def read_csv_export(data: bytes) -> pd.DataFrame:
    """Read back a CSV export as text (also older ones with a BOM and ``#`` lines)."""
    from geozones.io.tables import strip_preamble

    return pd.read_csv(io.StringIO(strip_preamble(data.decode("utf-8-sig"))), dtype=str, keep_default_na=False)


def attribution_lines(layer_attributions: Sequence[str], *, title: str | None = None,
                      digests: str | None = None) -> list[str]:
    """Title (optional), layer digests (optional) and the distinct attribution lines of the layers used."""
    lines = [title] if title else []
    if digests:
        lines.append(f"Data / lapisan: {digests}")
    lines += list(dict.fromkeys(layer_attributions))
    return lines


def annex_export(segments: gpd.GeoDataFrame, *, zoning, attribution: Sequence[str], title: str,
                 name: str = "lampiran_jalan.csv") -> CsvExport:
    """The usable-streets annex (:func:`geozones.engine.zoning.annex_frame`) as CSV plus CSVW metadata.

    The annex's title, instant, APK type and what a segment is go in the metadata
    (``dc:title``, ``dc:description``), with the attribution.
    """
    from geozones.engine.zoning import annex_frame

    df, header = annex_frame(segments, zoning=zoning, title=title)
    df = export_frame(df, columns=())
    meta = csvw_metadata(df, url=name, attribution=attribution, title=header[0] if header else title,
                         notes=header[1:])
    return CsvExport(data=csv_bytes(df), metadata=_meta_bytes(meta), name=name)


def annex_csv(segments: gpd.GeoDataFrame, *, zoning, attribution: Sequence[str], title: str) -> bytes:
    """The usable-streets annex as plain CSV (every cell defused); see :func:`annex_export` for its metadata."""
    return annex_export(segments, zoning=zoning, attribution=attribution, title=title).data


FORMATS = {"csv": table_csv, "geojson": table_geojson, "gpkg": table_gpkg, "xlsx": table_xlsx}


def write_table(table: gpd.GeoDataFrame, path: str | os.PathLike, fmt: str, *, attribution: Sequence[str],
                lang: str | None = None, provenance: dict | None = None, legend: dict | None = None,
                lean: bool = False) -> Path:
    """Write a verdict table to ``path`` atomically (a reader never sees half a file).

    A CSV gets its CSVW metadata beside it (:func:`metadata_path`), written the same way.
    ``legend`` (``Evaluation.legend``) goes into the file's metadata; ``lean`` leaves the
    columns of :data:`LEAN_MOVED` out of the rows (the metadata carries them once).
    """
    from geozones.core.errors import InputError
    from geozones.io.files import write_atomic

    path = Path(path)
    meta: bytes | None = None
    if fmt == "csv":
        # Streamed to disk: a million rows of reasons is gigabytes as one string.
        df = export_frame(table, lang=lang, lean=lean, defuse_cells=False)
        meta = _meta_bytes(csvw_metadata(df, url=path.name, attribution=attribution, provenance=provenance,
                                         lang="en" if lang == "en" else "id",
                                         legend=_with_units(table, legend, lean)))

        def writer(tmp: Path) -> None:
            with open(tmp, "wb") as fh:
                _write_csv(df, fh, defuse_cells=True)
    else:
        data = FORMATS[fmt](table, attribution=attribution, lang=lang, legend=legend, lean=lean)

        def writer(tmp: Path) -> None:
            Path(tmp).write_bytes(data)
    try:
        out = write_atomic(path, writer)
        if meta is not None:
            write_atomic(metadata_path(path), lambda tmp: Path(tmp).write_bytes(meta))
        return out
    except OSError as exc:
        raise InputError(f"cannot write here: {exc.strerror or exc}", source=str(path)) from None


__all__ = [
    "EXPORT_COLUMNS",
    "FORMATS",
    "LEAN_MOVED",
    "LEGEND_SHEETS",
    "SHEETS",
    "CsvExport",
    "annex_csv",
    "annex_export",
    "attribution_lines",
    "csv_bytes",
    "csv_export",
    "csvw_metadata",
    "defuse",
    "export_frame",
    "lean_units",
    "legend_frame",
    "metadata_path",
    "read_csv_export",
    "table_csv",
    "table_geojson",
    "table_gpkg",
    "table_xlsx",
    "write_table",
]
