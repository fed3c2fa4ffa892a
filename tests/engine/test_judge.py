"""The judge's steps on awkward geometry: multipart corridors, point features under an inside rule,
overlapping kelurahan with and without the site grid."""

from __future__ import annotations

import copy
import importlib

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import MultiLineString, Point, box

from geozones.areas.manifest import load_manifest
from geozones.engine import evaluate
from geozones.io.layers import load_layers
from geozones.io.sites import sites_frame
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
