"""The Jakarta Pusat rule set on the real layers in ../shared/data.

Data: BPS/HDX kelurahan boundaries (CC BY-IGO); © OpenStreetMap contributors (ODbL).
"""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import pytest
import shapely

from geozones.engine import evaluate, evaluate_detailed
from geozones.engine.compile import prepare
from geozones.io.sites import sites_frame

DURING = "2024-10-15T10:00"

# Representative points of real features (lon, lat): verdict, rules that must be among the reasons.
PLACES = {
    "istiqlal": (106.83109, -6.17025, "FORBIDDEN", {"R01"}, "Masjid Istiqlal", "31.71.02.1001"),
    "katedral": (106.83324, -6.16920, "FORBIDDEN", {"R01"}, "Gereja Katedral", "31.71.02.1001"),
    "rscm": (106.84709, -6.19676, "FORBIDDEN", {"R02"}, "RSCM", "31.71.04.1002"),
    "thamrin": (106.82290, -6.18800, "FORBIDDEN", {"R05", "R11"}, "MH Thamrin", "31.71.06.1004"),
    "monas": (106.82720, -6.17540, "FORBIDDEN", {"R09"}, "Kawasan Medan Merdeka / Taman Monas", "31.71.01.1001"),
    "jaksel": (106.80000, -6.26000, "OUTSIDE_AREA", set(), None, None),
    "johar-baru": (106.85600, -6.18300, "NEEDS_OWNER_CONSENT", set(), None, "31.71.08.1001"),
}


@pytest.fixture(scope="module")
def prepared(jakpus_layers, jakpus_rules):
    return prepare(jakpus_layers, jakpus_rules)


@pytest.fixture(scope="module")
def places(jakpus_layers, jakpus_rules, prepared):
    names = list(PLACES)
    sites = sites_frame([PLACES[n][0] for n in names], [PLACES[n][1] for n in names], site_id=names,
                        apk_type="spanduk", paslon="1")
    return evaluate_detailed(sites, jakpus_layers, jakpus_rules, at=DURING, prepared=prepared)


@pytest.mark.parametrize("name", list(PLACES))
def test_known_places(places, name):
    _, _, verdict, rules, feature, kode = PLACES[name]
    row = places.table.set_index("site_id").loc[name]
    assert row["verdict"] == verdict, row["reasons_en"]
    assert rules <= set(row["rule_ids"].split(";"))
    if feature:
        assert feature in row["reasons_id"] and feature in row["reasons_en"]
    if kode:
        assert row["kode_kemendagri"] == kode
    else:
        assert pd.isna(row["kode_kemendagri"])


def test_istiqlal_reason_cites_the_law(places):
    row = places.table.set_index("site_id").loc["istiqlal"]
    assert "R01 Tempat ibadah: di dalam 'Masjid Istiqlal' (0 m)" in row["reasons_id"]
    assert "PKPU 13/2024" in row["reasons_id"] and "[S]" in row["reasons_id"]
    assert row["nearest_name"] == "Masjid Istiqlal" and row["nearest_m"] == 0


def test_quiet_street_names_its_nearest_restriction(places):
    row = places.table.set_index("site_id").loc["johar-baru"]
    assert 0 < row["nearest_m"] <= places.nearest_bound_m
    assert row["nearest_name"]
    assert set(row["not_checked"].split(";")) == {"R07", "R08", "R13", "R25"}


def test_every_kelurahan_code_from_its_own_point(jakpus_layers, jakpus_rules, prepared):
    kel = jakpus_layers.kelurahan
    assert len(kel) == 44
    pts = kel.geometry.representative_point()
    sites = sites_frame(pts.x, pts.y, site_id=kel["kode_kemendagri"])
    t = evaluate(sites, jakpus_layers, jakpus_rules, at=DURING, prepared=prepared)
    assert list(t["kode_kemendagri"]) == list(kel["kode_kemendagri"])
    assert list(t["kode_bps"]) == list(kel["kode_bps"])
    assert set(t["kecamatan"]) == {"Tanah Abang", "Menteng", "Senen", "Johar Baru", "Cempaka Putih",
                                   "Kemayoran", "Sawah Besar", "Gambir"}
    assert (t["kode_kemendagri_kota"] == "31.71").all() and (t["kode_bps_kota"] == "3173").all()


def test_gambir_kebon_kelapa_codes(jakpus_layers, jakpus_rules, prepared):
    # SOURCES.md: Kebon Kelapa is BPS 3173080004 and Kemendagri 31.71.01.1005 (different numbering)
    kel = jakpus_layers.kelurahan.set_index("kelurahan")
    p = kel.loc["Kebon Kelapa"].geometry.representative_point()
    t = evaluate(sites_frame(p.x, p.y), jakpus_layers, jakpus_rules, at=DURING, prepared=prepared)
    assert t["kode_bps"].iloc[0] == "3173080004" and t["kode_kemendagri"].iloc[0] == "31.71.01.1005"


@pytest.mark.parametrize("grid", [False, True], ids=["every-site", "site-grid"])
def test_random_sites_agree_with_a_naive_loop(jakpus_layers, jakpus_rules, prepared, monkeypatch, grid):
    """The vectorized engine (with and without the site grid) against a per-site scalar loop."""
    judge_module = importlib.import_module("geozones.engine.judge")  # the package exports a function of that name

    monkeypatch.setattr(judge_module, "GRID_MIN_SITES", 0 if grid else 10**9)
    rng = np.random.default_rng(7)
    minx, miny, maxx, maxy = jakpus_layers.kelurahan.total_bounds
    n = 300
    sites = sites_frame(rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n), apk_type="spanduk")
    res = evaluate_detailed(sites, jakpus_layers, jakpus_rules, at=DURING, prepared=prepared)
    pts = np.asarray(sites.to_crs(prepared.crs).geometry.values, dtype=object)
    expected: list[set[str]] = []
    for p in pts:
        inside_area = any(shapely.covers(k, p) for k in prepared.admin_geoms)
        hit = set()
        if inside_area:
            for c in prepared.rules:
                if c.status != "active" or not (c.start_ns <= pd.Timestamp(DURING, tz="Asia/Jakarta").value
                                                < c.end_ns):
                    continue
                form = c.rule.spatial.form
                if form == "anywhere":
                    if c.rule.apk_types is None or "spanduk" in c.rule.apk_types:
                        hit.add(c.rule.id)
                    continue
                for f in c.features:
                    g = prepared.geoms[f]
                    if (form == "inside" and shapely.intersects(g, p)) or \
                            (form != "inside" and shapely.distance(g, p) <= c.rule.spatial.metres):
                        hit.add(c.rule.id)
                        break
        expected.append(hit)
    got = [set(filter(None, r.split(";"))) for r in res.table["rule_ids"]]
    assert got == expected
    # nearest: brute force over the forbidden features' outlines
    geoms = prepared.geoms[prepared.nearest_feat]
    outline = np.where(shapely.get_dimensions(geoms) == 2, shapely.boundary(geoms), geoms)
    inside = shapely.intersects(pts[:, None], np.where(shapely.get_dimensions(geoms) == 2, geoms, None)[None, :])
    d = np.where(inside.any(axis=1), 0.0, shapely.distance(pts[:, None], outline[None, :]).min(axis=1))
    in_area = (res.table["verdict"] != "OUTSIDE_AREA").to_numpy()
    ref = np.where(d <= prepared.nearest_bound_m, np.round(d, 1), np.nan)[in_area]
    np.testing.assert_allclose(res.table["nearest_m"].to_numpy()[in_area], ref, atol=0.051)
