"""Regressions for inputs a review found mishandled (each failed before its fix)."""

from __future__ import annotations

import copy
import importlib
import subprocess
import sys

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import GeometryCollection, LineString, MultiLineString, Point, box

from geozones.areas.manifest import load_manifest
from geozones.core.errors import InputError
from geozones.core.time import parse_time
from geozones.engine import evaluate
from geozones.engine.nearest import SegmentIndex
from geozones.io.layers import load_layers
from geozones.io.sites import read_sites, sites_frame
from geozones.rules.model import parse_ruleset
from tests.engine.conftest import TINY_RULES, _to4326, kel_row, to_lonlat, write_tiny_area

DURING = "2024-10-15T10:00"


def _area(tmp_path, roads=None, worship=None, kel=None):
    write_tiny_area(tmp_path)
    if roads is not None:
        gpd.GeoDataFrame({"name": ["Jalan Putus"], "white": [True]}, geometry=_to4326([roads]),
                         crs=4326).to_file(tmp_path / "roads.geojson", driver="GeoJSON")
    if worship is not None:
        gpd.GeoDataFrame({"osm_id": list(range(len(worship))), "name": [f"M{i}" for i in range(len(worship))]},
                         geometry=_to4326(worship), crs=4326).to_file(tmp_path / "worship.geojson", driver="GeoJSON")
    if kel is not None:
        kel.to_file(tmp_path / "kel.geojson", driver="GeoJSON")
    layers = load_layers(load_manifest(tmp_path / "test-area.yaml"), tmp_path)
    return layers, parse_ruleset(copy.deepcopy(TINY_RULES), known_layers=layers.manifest.layer_names)


def test_multipart_road_has_no_corridor_across_its_gap(tmp_path):
    layers, rules = _area(tmp_path, roads=MultiLineString([[(0, 500), (400, 500)], [(1400, 500), (2000, 500)]]))
    lon, lat = to_lonlat([900, 300], [500, 500])
    t = evaluate(sites_frame(lon, lat, apk_type="spanduk"), layers, rules, at=DURING)
    assert "P1" not in t["rule_ids"].iloc[0]
    assert "P1" in t["rule_ids"].iloc[1]


def test_inside_rule_reports_point_features_it_cannot_check(tmp_path):
    layers, rules = _area(tmp_path, worship=[Point(230, 230), box(500, 200, 560, 260)])
    lon, lat = to_lonlat([230], [230])
    from geozones.engine import evaluate_detailed

    res = evaluate_detailed(sites_frame(lon, lat, apk_type="spanduk"), layers, rules, at=DURING)
    w1 = [c for c in res.not_checked if c["rule_id"] == "W1"]
    assert w1 and "points or lines" in w1[0]["reason"]
    assert "W1" in res.table["not_checked"].iloc[0]
    assert "W1-H" in res.table["rule_ids"].iloc[0]  # the radius rule still sees the point


@pytest.mark.parametrize("grid", [0, 10**9])
def test_overlapping_kelurahan_lowest_code_with_or_without_grid(tmp_path, monkeypatch, grid):
    judge_module = importlib.import_module("geozones.engine.judge")  # the package exports a function of that name

    kel = gpd.GeoDataFrame([
        kel_row("31.71.01.1001", "3173080001", "Alpha", "31.71.01", "Satu", "31.71", "Kota Uji", None),
        kel_row("31.71.01.1002", "3173080002", "Beta", "31.71.01", "Satu", "31.71", "Kota Uji", None),
    ], geometry=_to4326([box(0, 0, 1100, 1000), box(1000, 0, 2000, 1000)]), crs=4326)
    layers, rules = _area(tmp_path, kel=kel)
    monkeypatch.setattr(judge_module, "GRID_MIN_SITES", grid)
    rng = np.random.default_rng(1)
    x = rng.uniform(1000, 1100, 200)
    lon, lat = to_lonlat(x, rng.uniform(0, 1000, 200))
    t = evaluate(sites_frame(lon, lat), layers, rules, at=DURING)
    assert (t["kode_kemendagri"] == "31.71.01.1001").all()


def test_nearest_sees_geometry_collections():
    gc = GeometryCollection([box(0, 0, 10, 10), LineString([(100, 0), (100, 50)])])
    idx = SegmentIndex(np.array([gc, Point(500, 500)], dtype=object), bound=1000)
    for small in (0, 10**6):
        f, d = idx.query(np.array([15.0, 95.0]), np.array([5.0, 20.0]), small=small)
        assert list(f) == [0, 0]
        np.testing.assert_allclose(d, [5.0, 5.0])


def test_naive_installed_at_in_a_ready_made_frame_is_wib(tiny_layers, tiny_rules):
    lon, lat = to_lonlat([300], [900])
    raw = gpd.GeoDataFrame({"site_id": ["a"], "apk_type": ["Spanduk"], "paslon": [None],
                            "installed_at": [pd.Timestamp("2024-09-25 03:00")]},
                           geometry=shapely.points(lon, lat), crs=4326)
    t = evaluate(raw, tiny_layers, tiny_rules)
    # 03:00 WIB on the first campaign day: inside the window (UTC would be 10:00 WIB, also inside, so
    # check the recorded time itself)
    assert t["judged_at"].iloc[0] == pd.Timestamp("2024-09-25 03:00", tz="Asia/Jakarta")
    assert t["apk_type"].iloc[0] == "spanduk"


@pytest.mark.parametrize("text,expect", [("01/10/2024", "2024-10-01"), ("13/10/2024 08:30", "2024-10-13"),
                                         ("2024-10-01T08:00", "2024-10-01")])
def test_day_first_dates(text, expect):
    assert parse_time(text).date().isoformat() == expect


@pytest.mark.parametrize("value", ["3000-01-01", "1600-01-01", "32/13/2024"])
def test_absurd_dates_are_refused_by_row(tmp_path, value):
    p = tmp_path / "s.csv"
    p.write_text(f"id,lon,lat,installed_at\na,106.8,-6.2,{value}\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"row 1, field 'installed_at'"):
        read_sites(p)


def test_infinite_coordinates(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text("id,lon,lat\na,inf,-6.2\nb,106.8,1e400\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        read_sites(p)
    assert "row 1, field 'lon'" in str(e.value) and "row 2, field 'lat'" in str(e.value)


def test_point_files_get_coordinate_checks(tmp_path):
    gdf = gpd.GeoDataFrame({"id": ["a", "b"]}, geometry=[Point(106.8, -6.2), Point(-6.17, 106.83)], crs=4326)
    p = tmp_path / "s.geojson"
    gdf.to_file(p)
    with pytest.raises(InputError) as e:
        read_sites(p)
    assert "feature 2" in str(e.value) and "swapped" in str(e.value)


def test_null_ids_in_geojson_are_empty_not_duplicates(tmp_path):
    p = tmp_path / "s.geojson"
    p.write_text('{"type":"FeatureCollection","features":['
                 '{"type":"Feature","properties":{"id":null},"geometry":{"type":"Point","coordinates":[106.8,-6.2]}},'
                 '{"type":"Feature","properties":{"id":null},"geometry":{"type":"Point","coordinates":[106.81,-6.2]}}'
                 ']}', encoding="utf-8")
    with pytest.raises(InputError) as e:
        read_sites(p)
    assert "feature 1" in str(e.value) and "site id is empty" in str(e.value)
    assert "duplicate" not in str(e.value)


def test_hash_in_a_header_is_not_a_comment(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text("#,lon,lat\n1,106.8,-6.2\n", encoding="utf-8")
    s = read_sites(p)
    assert len(s) == 1


def test_rule_set_type_errors_are_input_errors():
    data = copy.deepcopy(TINY_RULES)
    data["rules"][6]["apk_types"] = 5
    with pytest.raises(InputError, match=r"rule B1.*apk_types"):
        parse_ruleset(data)
    data = copy.deepcopy(TINY_RULES)
    data["jurisdiction"] = {"kode": ["31.71"]}
    with pytest.raises(InputError, match="jurisdiction"):
        parse_ruleset(data)


def test_bowtie_zone_is_refused():
    data = copy.deepcopy(TINY_RULES)
    lon, lat = to_lonlat([1500, 1700, 1700, 1500, 1500], [100, 300, 100, 300, 100])
    data["rules"][4]["zones"][0]["geometry"] = {"type": "Polygon",
                                                "coordinates": [[list(p) for p in zip(lon, lat, strict=True)]]}
    with pytest.raises(InputError, match=r"rule Z1.*not valid"):
        parse_ruleset(data)


def test_writing_into_a_directory_is_exit_2(shared_data, tmp_path):
    sites = tmp_path / "s.csv"
    sites.write_text("id,lon,lat\na,106.83109,-6.17025\n", encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "geozones", "check", str(sites), "--data-dir", str(shared_data),
                        "--out", str(tmp_path)], capture_output=True, text=True, timeout=120)
    # the folder has no extension: refused as unknown format; a folder named x.csv: cannot write
    assert r.returncode == 2 and "Traceback" not in r.stderr
    folder = tmp_path / "x.csv"
    folder.mkdir()
    r = subprocess.run([sys.executable, "-m", "geozones", "check", str(sites), "--data-dir", str(shared_data),
                        "--out", str(folder)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "cannot write" in r.stderr and "Traceback" not in r.stderr


def test_exports_survive_control_characters_and_fid(tmp_path):
    from geozones.io.exports import table_gpkg, table_xlsx

    t = gpd.GeoDataFrame({"site_id": ["a\x07b"], "fid": [7], "verdict": ["ALLOWED"]},
                         geometry=[Point(106.8, -6.2)], crs=4326)
    assert table_xlsx(t, attribution=["x"])[:2] == b"PK"
    out = tmp_path / "o.gpkg"
    out.write_bytes(table_gpkg(t, attribution=["x"]))
    back = gpd.read_file(out)
    assert back["fid_input"].iloc[0] == 7 and back["site_id"].iloc[0] == "ab"


# --- second review -----------------------------------------------------------------------

def test_float_ids_keep_every_digit(tmp_path):
    gdf = gpd.GeoDataFrame({"kode": [3171010001.0, 3171010002.0], "paslon": [1.0, 2.0]},
                           geometry=[Point(106.8, -6.2), Point(106.81, -6.2)], crs=4326)
    p = tmp_path / "s.gpkg"
    gdf.to_file(p)
    s = read_sites(p)
    assert list(s["site_id"]) == ["3171010001", "3171010002"] and list(s["paslon"]) == ["1", "2"]


def test_offset_times_out_of_range_in_geojson_are_exit_2(tmp_path, shared_data):
    p = tmp_path / "y.geojson"
    p.write_text('{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"a",'
                 '"installed_at":"3000-01-01T00:00:00+07:00"},"geometry":{"type":"Point","coordinates":[106.83,-6.17]}}'
                 ']}', encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "geozones", "check", str(p), "--data-dir", str(shared_data)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "installed_at" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("text,expect", [("01/10/24 08:00", "2024-10-01"), ("1.10.2024", "2024-10-01")])
def test_two_digit_years_are_day_first(text, expect):
    assert parse_time(text).date().isoformat() == expect


@pytest.mark.parametrize("text", ["2024/13/01", "240101", "now", "today"])
def test_ambiguous_or_moving_times_are_refused(text):
    with pytest.raises(ValueError):
        parse_time(text)


def test_many_distinct_times_each_land_on_their_row(tmp_path):
    times = pd.date_range("2024-10-01", periods=500, freq="min")
    df = pd.DataFrame({"id": range(500), "lon": 106.83, "lat": -6.17, "installed_at": times.strftime("%Y-%m-%dT%H:%M")})
    p = tmp_path / "s.csv"
    df.to_csv(p, index=False)
    s = read_sites(p)
    assert (s["installed_at"].dt.tz_localize(None).to_numpy() == times.to_numpy()).all()


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


def test_nested_collections_in_nearest():
    inner = GeometryCollection([box(0, 0, 10, 10)])
    idx = SegmentIndex(np.array([GeometryCollection([inner]), Point(500, 500)], dtype=object), bound=1000)
    for small in (0, 10**6):
        f, d = idx.query(np.array([15.0]), np.array([5.0]), small=small)
        assert f[0] == 0 and d[0] == pytest.approx(5.0)
