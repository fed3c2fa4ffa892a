"""Exports carry the attribution and never turn user text into spreadsheet formulas."""

from __future__ import annotations

import io
import json

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import shapely
from shapely.geometry import Point

from geozones.io import exports

ATTR = ["geozones test", "© OpenStreetMap contributors, ODbL",
        "Administrative boundaries: BPS – Statistics Indonesia, via OCHA/HDX (cod-ab-idn), CC BY-IGO"]


def _table():
    return gpd.GeoDataFrame({
        "site_id": ["=HYPERLINK(\"http://x\")", "A2"], "lon": [106.83109, 106.85], "lat": [-6.17025, -6.18],
        "verdict": ["FORBIDDEN", "NEEDS_OWNER_CONSENT"], "kelurahan": ["Pasar Baru", "Kramat"],
        "reasons_id": ["R01 Tempat ibadah", "R12"], "extra": ["@SUM(1)", "ok"],
        "judged_at": pd.to_datetime(["2024-10-01T08:00", "2024-10-02T08:00"]).tz_localize("Asia/Jakarta"),
    }, geometry=shapely.points([106.83109, 106.85], [-6.17025, -6.18]), crs=4326)


def test_csv_is_plain_with_attribution_in_csvw_metadata_and_round_trips():
    out = exports.csv_export(_table(), attribution=ATTR, name="hasil.csv")
    data = out.data
    assert data.startswith(b"site_id,") and data.splitlines()[0].decode().split(",")[0] == "site_id"
    meta = json.loads(out.metadata)
    assert meta["url"] == "hasil.csv" and meta["dc:source"] == ATTR and out.metadata_name == "hasil.csv-metadata.json"
    assert exports.table_csv(_table(), attribution=ATTR) == data
    back = exports.read_csv_export(data)
    assert list(back["kelurahan"]) == ["Pasar Baru", "Kramat"]
    assert back.columns[0] == "site_id" and "extra" in back.columns and "geometry" not in back.columns
    assert back["site_id"][0].startswith("'=")  # formula defused
    assert back["judged_at"][0] == "2024-10-01T08:00:00+07:00"


def test_geojson_has_attribution_and_points():
    data = json.loads(exports.table_geojson(_table(), attribution=ATTR))
    assert data["attribution"] == ATTR
    assert len(data["features"]) == 2
    assert data["features"][0]["geometry"]["coordinates"] == [106.83109, -6.17025]
    assert data["features"][0]["properties"]["verdict"] == "FORBIDDEN"


def test_xlsx_keeps_text_as_text_and_has_source_sheet():
    wb = openpyxl.load_workbook(io.BytesIO(exports.table_xlsx(_table(), attribution=ATTR)))
    assert wb.sheetnames == ["hasil", "sumber"]
    ws = wb["hasil"]
    header = [c.value for c in ws[1]]
    sid = ws.cell(row=2, column=header.index("site_id") + 1)
    assert sid.data_type == "s" and sid.value.startswith("'=")
    extra = ws.cell(row=2, column=header.index("extra") + 1)
    assert extra.data_type == "s"
    assert [c.value for c in wb["sumber"]["A"]][1:] == ATTR


def test_exports_survive_control_characters_and_fid(tmp_path):
    from geozones.io.exports import table_gpkg, table_xlsx

    t = gpd.GeoDataFrame({"site_id": ["a\x07b"], "fid": [7], "verdict": ["ALLOWED"]},
                         geometry=[Point(106.8, -6.2)], crs=4326)
    assert table_xlsx(t, attribution=["x"])[:2] == b"PK"
    out = tmp_path / "o.gpkg"
    out.write_bytes(table_gpkg(t, attribution=["x"]))
    back = gpd.read_file(out)
    assert back["fid_input"].iloc[0] == 7 and back["site_id"].iloc[0] == "ab"


def test_exports_keep_lists_and_mixed_values():
    from geozones.io.exports import export_frame, table_csv

    t = gpd.GeoDataFrame({"site_id": ["a", "b"], "tags": [np.array([1, 2]), None], "mix": [1, True],
                          "Fid": [1, 2], "fid_input": ["x", "y"]},
                         geometry=[Point(106.8, -6.2), Point(106.8, -6.2)], crs=4326)
    df = export_frame(t)
    assert df["mix"].tolist() == [1, True]
    assert "fid" not in {c.lower() for c in df.columns} and "fid_input" in df.columns
    assert len({c.lower() for c in df.columns}) == len(df.columns)
    assert table_csv(t, attribution=["x"]).startswith(b"site_id,")
