"""Verdict tables as CSV, GeoJSON and XLSX bytes, each carrying the data attribution.

* CSV: leading ``# `` lines (title and attribution), then a normal header row.
* GeoJSON: a FeatureCollection with a top-level ``attribution`` member.
* XLSX: a ``hasil``/``results`` sheet and a ``sumber`` sheet with the attribution.

Text cells that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``
first) are prefixed with ``'`` so an uploaded site id cannot become a formula.
"""

from __future__ import annotations

import io
import json
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

#: Columns of an exported verdict table, in order (those present are kept).
EXPORT_COLUMNS = (
    "site_id", "lon", "lat", "verdict", "kode_kemendagri", "kode_bps", "kelurahan", "kecamatan", "rule_ids",
    "reasons", "nearest_m", "nearest_name", "nearest_layer", "advisory", "unverified", "apk_type", "paslon",
    "judged_at",
    "kode_kemendagri_kec", "kode_bps_kec", "kode_kemendagri_kota", "kode_bps_kota", "kota",
    "reasons_id", "reasons_en", "not_checked", "grant_ids",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _defuse(value: object) -> object:
    if isinstance(value, str):
        value = _CONTROL.sub("", value)  # control characters are illegal in XLSX and break readers
        if value.startswith(_FORMULA_START):
            return "'" + value
    return value


def export_frame(table: pd.DataFrame, columns: Sequence[str] = EXPORT_COLUMNS, *,
                 lang: str | None = None) -> pd.DataFrame:
    """The columns of ``table`` worth exporting, without geometry, formulas defused.

    Columns not in ``columns`` (the user's own extra columns) follow at the end.
    With ``lang`` (``"id"`` or ``"en"``) a ``reasons`` column holds the reasons in
    that language, and the other language's column stays beside it.
    """
    geom = table.geometry.name if isinstance(table, gpd.GeoDataFrame) else None
    if lang is not None and "reasons_id" in table.columns:
        same = "reasons_en" if lang == "en" else "reasons_id"
        table = table.assign(reasons=table[same]).drop(columns=[same])
    first = [c for c in columns if c in table.columns]
    rest = [c for c in table.columns if c not in first and c != geom]
    df = pd.DataFrame(table[first + rest]).copy()
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
    for c in df.columns:
        if isinstance(df[c].dtype, pd.DatetimeTZDtype):
            df[c] = df[c].dt.strftime("%Y-%m-%dT%H:%M:%S%z")
        elif df[c].dtype == object or pd.api.types.is_string_dtype(df[c].dtype):
            if pd.api.types.infer_dtype(df[c], skipna=True) in ("string", "empty"):
                # Defuse each distinct text once: columns repeat (codes, names, verdicts), and a
                # per-cell Python call cost seconds at 100,000 rows.
                codes, uniques = pd.factorize(df[c], use_na_sentinel=True)
                fixed = np.array([_defuse(u) for u in uniques] + [None], dtype=object)
                df[c] = pd.Series(fixed[codes], index=df.index, dtype=object)
            else:  # mixed cells (numbers, lists from JSON): keep each value as it is
                df[c] = df[c].map(_defuse)
    return df


def csv_bytes(df: pd.DataFrame, *, attribution: Sequence[str] = ()) -> bytes:
    """UTF-8 CSV (with BOM, so Excel reads it as UTF-8) after ``# `` attribution lines."""
    out = io.StringIO()
    for line in attribution:
        out.write("# " + " ".join(str(line).split()) + "\n")
    df.to_csv(out, index=False, lineterminator="\n")
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def table_csv(table: pd.DataFrame, *, attribution: Sequence[str], lang: str | None = None) -> bytes:
    """A verdict table as CSV with attribution lines."""
    return csv_bytes(export_frame(table, lang=lang), attribution=attribution)


def table_geojson(table: gpd.GeoDataFrame, *, attribution: Sequence[str], lang: str | None = None) -> bytes:
    """A verdict table as a GeoJSON FeatureCollection (EPSG:4326) with ``attribution``."""
    gdf = gpd.GeoDataFrame(export_frame(table, lang=lang), geometry=table.geometry.values, crs=table.crs)
    if gdf.crs is not None:
        gdf = gdf.to_crs(4326)
    data = json.loads(gdf.to_json(drop_id=True, na="null"))
    data["attribution"] = list(attribution)
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def table_gpkg(table: gpd.GeoDataFrame, *, attribution: Sequence[str], lang: str | None = None) -> bytes:
    """A verdict table as a GeoPackage (layer ``verdicts``), attribution in its metadata."""
    import pyogrio

    gdf = gpd.GeoDataFrame(export_frame(table, lang=lang), geometry=table.geometry.values, crs=table.crs)
    with tempfile.TemporaryDirectory(prefix="geozones-") as tmp:
        path = Path(tmp) / "verdicts.gpkg"
        pyogrio.write_dataframe(gdf.to_crs(4326), path, driver="GPKG", layer="verdicts",
                                dataset_metadata={"attribution": " | ".join(attribution)})
        return path.read_bytes()


def table_xlsx(table: pd.DataFrame, *, attribution: Sequence[str], sheet: str = "hasil",
               about_sheet: str = "sumber", lang: str | None = None) -> bytes:
    """A verdict table as an Excel workbook, with the attribution on its own sheet."""
    df = export_frame(table, lang=lang)
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        df.to_excel(xw, sheet_name=sheet, index=False)
        pd.DataFrame({"attribution": list(attribution)}).to_excel(xw, sheet_name=about_sheet, index=False)
        ws = xw.sheets[sheet]
        # openpyxl turns any string starting with '=' into a formula; force text.
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
        ws.freeze_panes = "B2"
    return buf.getvalue()


def read_csv_export(data: bytes) -> pd.DataFrame:
    """Read back a CSV written by :func:`csv_bytes` (skips the ``#`` lines)."""
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


def annex_csv(segments: gpd.GeoDataFrame, *, zoning, attribution: Sequence[str], title: str) -> bytes:
    """The usable-streets annex (:func:`geozones.engine.zoning.annex_frame`) as CSV with its header lines."""
    from geozones.engine.zoning import annex_frame

    df, header = annex_frame(segments, zoning=zoning, title=title)
    return csv_bytes(df, attribution=[*header, *attribution])


FORMATS = {"csv": table_csv, "geojson": table_geojson, "gpkg": table_gpkg, "xlsx": table_xlsx}


def write_table(table: gpd.GeoDataFrame, path: str | os.PathLike, fmt: str, *, attribution: Sequence[str],
                lang: str | None = None) -> Path:
    """Write a verdict table to ``path`` atomically (a reader never sees half a file)."""
    from geozones.core.errors import InputError
    from geozones.io.files import write_atomic

    if fmt == "csv":
        # Streamed to disk: a million rows of reasons is gigabytes as one string.
        df = export_frame(table, lang=lang)

        def writer(tmp: Path) -> None:
            with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
                fh.writelines("# " + " ".join(str(line).split()) + "\n" for line in attribution)
                df.to_csv(fh, index=False, lineterminator="\n")
    else:
        data = FORMATS[fmt](table, attribution=attribution, lang=lang)

        def writer(tmp: Path) -> None:
            Path(tmp).write_bytes(data)
    try:
        return write_atomic(path, writer)
    except OSError as exc:
        raise InputError(f"cannot write here: {exc.strerror or exc}", source=str(path)) from None


__all__ = ["EXPORT_COLUMNS", "FORMATS", "annex_csv", "attribution_lines", "csv_bytes", "export_frame",
           "read_csv_export", "table_csv", "table_geojson", "table_gpkg", "table_xlsx", "write_table"]
