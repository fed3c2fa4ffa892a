"""A tiny area built in code: two kelurahan, a mosque, two roads, a zone, a KPU point.

Geometry is laid out in metres (EPSG:32748) around Jakarta and stored in EPSG:4326,
so expected distances follow from the layout. The layers go through the real
loader (GeoJSON files + an area manifest in tmp_path).
"""

from __future__ import annotations

import copy
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
import shapely.affinity
import yaml
from shapely.geometry import LineString, Point, Polygon, box

from geozones.areas.manifest import load_manifest
from geozones.core.crs import transformer
from geozones.io.layers import load_layers
from geozones.rules.model import parse_ruleset

ORIGIN = (700_000.0, 9_316_000.0)  # UTM 48S metres, inside Jakarta Pusat's zone


def to_lonlat(x, y):
    """Fixture metres (relative to ORIGIN) to lon/lat."""
    tr = transformer(32748, 4326)
    return tr.transform(np.asarray(x, float) + ORIGIN[0], np.asarray(y, float) + ORIGIN[1])


def _to4326(geoms):
    tr = transformer(32748, 4326)
    moved = [shapely.affinity.translate(g, ORIGIN[0], ORIGIN[1]) for g in geoms]
    return [shapely.transform(g, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1]))) for g in moved]


def kel_row(code, bps, name, kec_code, kec, kota_code, kota, geom):
    return {"kode_kemendagri": code, "kode_bps": bps, "kelurahan": name, "kode_kemendagri_kec": kec_code,
            "kode_bps_kec": bps[:7], "kecamatan": kec, "kode_bps_kota": bps[:4],
            "kode_kemendagri_kota": kota_code, "kota": kota, "geometry": geom}


def write_tiny_area(root: Path, kel_names=("Alpha", "Beta")) -> Path:
    """Write the tiny layers and manifest into ``root``; return the manifest path."""
    kel = gpd.GeoDataFrame([
        kel_row("31.71.01.1001", "3173080001", kel_names[0], "31.71.01", "Satu", "31.71", "Kota Uji", None),
        kel_row("31.71.01.1002", "3173080002", kel_names[1], "31.71.01", "Satu", "31.71", "Kota Uji", None),
        kel_row("31.74.01.1001", "3174010001", "Gamma", "31.74.01", "Lain", "31.74", "Kota Lain", None),
    ], geometry=_to4326([
        # Shared-edge vertices at y = 300 and 650 exist in both polygons, so a site placed
        # there is exactly on the edge after any reprojection.
        Polygon([(0, 0), (1000, 0), (1000, 300), (1000, 650), (1000, 1000), (0, 1000)]),
        Polygon([(1000, 0), (2000, 0), (2000, 1000), (1000, 1000), (1000, 650), (1000, 300)]),
        box(2000, 0, 3000, 1000)]),
        crs=4326)
    worship = gpd.GeoDataFrame({"osm_id": [1], "name": ["Masjid Uji"]},
                               geometry=_to4326([box(200, 200, 260, 260)]), crs=4326)
    roads = gpd.GeoDataFrame({"name": ["Jalan Protokol", "Jalan Kecil"], "white": [True, False]},
                             geometry=_to4326([LineString([(0, 500), (2000, 500)]),
                                               LineString([(0, 800), (2000, 800)])]), crs=4326)
    points = gpd.GeoDataFrame({"name": ["Titik KPU 1"]}, geometry=_to4326([Point(700, 700)]), crs=4326)
    for name, gdf in (("kel", kel), ("worship", worship), ("roads", roads), ("kpu", points)):
        gdf.to_file(root / f"{name}.geojson", driver="GeoJSON")
    common = {"source": "built in code", "licence": "CC0", "attribution": "test fixture"}
    manifest = {
        "id": "test-area", "title": {"id": "Uji", "en": "Test"},
        "kota": {"kemendagri": "31.71", "bps": "3173"}, "metric_crs": "EPSG:32748",
        "layers": [
            {"name": "kelurahan", "role": "kelurahan", "file": "kel.geojson", "name_field": "kelurahan",
             "id_field": "kode_kemendagri", **common},
            {"name": "worship", "role": "worship", "file": "worship.geojson", "id_field": "osm_id", **common},
            {"name": "roads", "role": "roads", "file": "roads.geojson", **common},
            {"name": "kpu_points", "role": "kpu_points", "file": "kpu.geojson", **common},
            {"name": "tps", "role": "tps", "file": "tps.geojson", **common},
        ]}
    path = root / "test-area.yaml"
    path.write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")
    return path


BASIS = [{"instrument": "PKPU 13/2024", "article": "Pasal 1", "grade": "S"}]
ZONE = {"type": "Polygon", "coordinates": [[list(p) for p in zip(*to_lonlat([1500, 1700, 1700, 1500, 1500],
                                                                          [100, 100, 300, 300, 100]),
                                                                   strict=True)]]}


def _rule(rid, verdict, form, **kw):
    spatial = {"form": form}
    for k in ("distance", "half_width"):
        if k in kw:
            spatial[k] = kw.pop(k)
    return {"id": rid, "title": {"id": f"aturan {rid}", "en": f"rule {rid}"}, "legal_basis": BASIS,
            "verdict": verdict, "spatial": spatial, **kw}


TINY_RULES = {
    "schema_version": 1, "id": "test-rules", "title": {"id": "Uji", "en": "Test"}, "version": "1",
    "issued_by": "tests", "jurisdiction": {"kemendagri": ["31.71"]}, "area": "test-area",
    "schedule": {"source": "test", "campaign": {"start": "2024-09-25", "end": "2024-11-24"},
                 "quiet_period": {"start": "2024-11-24", "end": "2024-11-27"},
                 "voting_day": {"start": "2024-11-27", "end": "2024-11-28"}},
    "default_verdict": "NEEDS_OWNER_CONSENT",
    "default_reason": {"id": "perlu izin pemilik", "en": "owner consent needed"},
    "rules": [
        _rule("W1", "FORBIDDEN", "inside", layer="worship"),
        _rule("W1-H", "FORBIDDEN", "within", distance="10 m", layer="worship", advisory=True),
        _rule("P1", "FORBIDDEN", "corridor", half_width="25 m", layer="roads", where={"white": [True]}),
        _rule("S1", "NEEDS_DISCRETION", "corridor", half_width="8 m", layer="roads"),
        _rule("Z1", "FORBIDDEN", "inside", advisory=True,
              zones=[{"id": "z", "name": "Kawasan Uji", "source": "test", "geometry": ZONE}]),
        _rule("K1", "ALLOWED_ASSIGNED", "within", distance="10 m", layer="kpu_points"),
        _rule("B1", "NEEDS_PERMIT", "anywhere", apk_types=["billboard"]),
        _rule("T1", "OUT_OF_WINDOW", "anywhere", window={"end": "campaign.start"}),
        _rule("T2", "OUT_OF_WINDOW", "anywhere", window={"start": "campaign.end"}),
        _rule("X1", "FORBIDDEN", "within", distance="100 m", layer="tps"),
    ],
    "quotas": [{"apk_type": "spanduk", "unit": "kelurahan", "facilitated_max": 1, "extra_pct": 100,
                "legal_basis": BASIS}],
}


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("tiny")
    write_tiny_area(root)
    return root


@pytest.fixture(scope="session")
def tiny_layers(tiny_dir):
    return load_layers(load_manifest(tiny_dir / "test-area.yaml"), tiny_dir)


@pytest.fixture
def tiny_rules_data():
    return copy.deepcopy(TINY_RULES)


@pytest.fixture(scope="session")
def tiny_rules(tiny_layers):
    return parse_ruleset(copy.deepcopy(TINY_RULES), known_layers=tiny_layers.manifest.layer_names)
