"""Write verdict tables as CSV, GeoJSON or GeoPackage, atomically, with attribution.

Every export carries the data attribution (BPS/HDX CC BY-IGO; © OpenStreetMap
contributors, ODbL) and the rule set id and version it was judged with: CSV as
``#`` comment lines before the header, GeoJSON as top-level members, GeoPackage
as dataset metadata.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from geozones.io.vector import write_atomic

#: Columns every export starts with, in this order.
LEAD_COLUMNS = ["site_id", "lon", "lat", "verdict", "kode_kemendagri", "kode_bps", "kelurahan",
                "kecamatan", "kota", "rule_ids", "reasons", "nearest_m", "nearest_name", "advisory",
                "apk_type", "paslon", "judged_at", "not_checked", "grant_ids", "reasons_id", "reasons_en"]


def export_frame(table: gpd.GeoDataFrame, lang: str = "id") -> gpd.GeoDataFrame:
    """Order columns for export and add ``reasons`` in ``lang``; times as ISO text."""
    out = table.copy()
    out["reasons"] = out["reasons_en"] if lang == "en" else out["reasons_id"]
    out["judged_at"] = out["judged_at"].map(lambda t: t.isoformat() if pd.notna(t) else "")
    cols = [c for c in LEAD_COLUMNS if c in out.columns]
    rest = [c for c in out.columns if c not in cols and c != out.geometry.name]
    return out[[*cols, *rest, out.geometry.name]]


def header_lines(attributions: list[str], ruleset_label: str) -> list[str]:
    """Provenance lines shown with an export."""
    return [f"Rule set / aturan: {ruleset_label}", *[f"Data: {a}" for a in attributions]]


def write_table(table: gpd.GeoDataFrame, path: str | os.PathLike | None, fmt: str, *,
                attributions: list[str], ruleset_label: str, lang: str = "id",
                stream=None) -> Path | None:
    """Write a verdict table; ``path=None`` writes CSV to ``stream``.

    Parameters
    ----------
    table : geopandas.GeoDataFrame
        From :func:`geozones.engine.evaluate`.
    path : path-like or None
        Destination, written through a temporary file and renamed.
    fmt : {"csv", "geojson", "gpkg"}
    attributions : list of str
        Data attribution lines (``LayerSet.attributions()``).
    ruleset_label : str
        Rule set id and version.
    """
    frame = export_frame(table, lang)
    header = header_lines(attributions, ruleset_label)
    if fmt == "csv":
        plain = pd.DataFrame(frame.drop(columns=frame.geometry.name))
        text = "".join(f"# {h}\n" for h in header) + plain.to_csv(index=False)
        if path is None:
            stream.write(text)
            return None
        return write_atomic(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    if fmt == "geojson":
        data = json.loads(frame.to_json(na="null", drop_id=True))
        data["attribution"] = [h.removeprefix("Data: ") for h in header[1:]]
        data["ruleset"] = ruleset_label
        text = json.dumps(data, ensure_ascii=False)
        return write_atomic(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    if fmt == "gpkg":
        meta = {"attribution": " | ".join(header[1:]), "ruleset": ruleset_label}
        return write_atomic(path, lambda tmp: pyogrio.write_dataframe(
            frame, tmp, driver="GPKG", layer="verdicts", dataset_metadata=meta))
    raise ValueError(f"unknown format {fmt}")
