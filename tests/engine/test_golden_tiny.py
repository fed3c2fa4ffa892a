"""Golden points on the tiny fixture: verdicts, rule ids, distances, edges, time, grants, quotas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from geozones.engine import evaluate, evaluate_detailed
from geozones.engine.compile import prepare
from geozones.io.sites import sites_frame
from geozones.rules.model import Grant, parse_ruleset
from tests.engine.conftest import to_lonlat

DURING = "2024-10-15T10:00"

# (name, x, y, apk_type, verdict, rule ids in the table, nearest_m or None)
GOLDEN = [
    ("in-mosque", 230, 230, None, "FORBIDDEN", {"W1", "W1-H"}, 0.0),
    ("near-mosque-5m", 265, 230, None, "FORBIDDEN", {"W1-H"}, 5.0),
    ("mosque-15m", 275, 230, None, "NEEDS_OWNER_CONSENT", set(), 15.0),
    ("protocol-10m", 500, 510, None, "FORBIDDEN", {"P1"}, 10.0),
    ("protocol-5m", 500, 505, None, "FORBIDDEN", {"P1", "S1"}, 5.0),
    ("protocol-30m", 500, 530, None, "NEEDS_OWNER_CONSENT", set(), 30.0),
    ("minor-7m", 500, 807, None, "NEEDS_DISCRETION", {"S1"}, None),
    ("zone", 1600, 200, None, "FORBIDDEN", {"Z1"}, 0.0),
    ("kpu-point", 700, 705, None, "ALLOWED_ASSIGNED", {"K1"}, None),
    ("billboard", 300, 900, "billboard", "NEEDS_PERMIT", {"B1"}, None),
    ("spanduk-ok", 300, 900, "spanduk", "NEEDS_OWNER_CONSENT", set(), None),
    ("other-kota", 2500, 500, None, "OUTSIDE_AREA", set(), None),
    ("nowhere", 9000, 9000, None, "OUTSIDE_AREA", set(), None),
]


@pytest.fixture(scope="module")
def golden(tiny_layers, tiny_rules):
    xs = [g[1] for g in GOLDEN]
    ys = [g[2] for g in GOLDEN]
    lon, lat = to_lonlat(xs, ys)
    sites = sites_frame(lon, lat, site_id=[g[0] for g in GOLDEN], apk_type=[g[3] or "spanduk" for g in GOLDEN])
    return evaluate_detailed(sites, tiny_layers, tiny_rules, at=DURING)


@pytest.mark.parametrize("row", range(len(GOLDEN)), ids=[g[0] for g in GOLDEN])
def test_golden_point(golden, row):
    name, _x, _y, _apk, verdict, rule_ids, nearest = GOLDEN[row]
    got = golden.table.iloc[row]
    assert got["site_id"] == name
    assert got["verdict"] == verdict, got["reasons_en"]
    assert set(filter(None, got["rule_ids"].split(";"))) == rule_ids
    if nearest is not None:
        assert got["nearest_m"] == pytest.approx(nearest, abs=0.15)


def test_unknown_apk_type_gets_type_rules_as_conditions(tiny_layers, tiny_rules):
    # A rule for billboards only never decides the verdict of a site of unknown type (issue 8.1):
    # it shows as a conditional reason, and verdict_by_type gives the verdict per type.
    lon, lat = to_lonlat([300], [900])
    t = evaluate(sites_frame(lon, lat), tiny_layers, tiny_rules, at=DURING)
    row = t.iloc[0]
    assert row["verdict"] == "NEEDS_OWNER_CONSENT" and row["rule_ids"] == ""
    assert row["verdict_by_type"] == ("baliho:NEEDS_OWNER_CONSENT; billboard:NEEDS_PERMIT; "
                                      "spanduk:NEEDS_OWNER_CONSENT; umbul_umbul:NEEDS_OWNER_CONSENT")
    assert row["reasons_id"].startswith("perlu izin pemilik")
    assert "jika billboard/videotron: B1 " in row["reasons_id"]
    assert "if it is a billboard/videotron: B1 " in row["reasons_en"]


def test_reasons_name_rule_feature_distance_and_basis(golden):
    row = golden.table.set_index("site_id").loc["near-mosque-5m"]
    for text in (row["reasons_id"], row["reasons_en"]):
        assert "W1-H" in text and "'Masjid Uji'" in text and "5 m" in text
        assert "PKPU 13/2024 Pasal 1 [S]" in text
    assert "anjuran" in row["reasons_id"] and "advisory" in row["reasons_en"]
    assert bool(row["advisory"]) is True
    assert bool(golden.table.set_index("site_id").loc["in-mosque", "advisory"]) is False


def test_default_and_outside_reasons(golden):
    t = golden.table.set_index("site_id")
    assert "izin pemilik" in t.loc["mosque-15m", "reasons_id"]
    assert "owner consent" in t.loc["mosque-15m", "reasons_en"]
    assert "31.71" in t.loc["other-kota", "reasons_en"]
    assert pd.isna(t.loc["other-kota", "kode_kemendagri"])


def test_absent_layer_is_reported_not_checked(golden):
    assert [c["rule_id"] for c in golden.not_checked] == ["X1"]
    t = golden.table.set_index("site_id")
    assert t.loc["in-mosque", "not_checked"] == "X1"
    assert t.loc["nowhere", "not_checked"] == ""


def test_admin_codes(golden):
    t = golden.table.set_index("site_id")
    assert t.loc["in-mosque", "kode_kemendagri"] == "31.71.01.1001"
    assert t.loc["in-mosque", "kode_bps"] == "3173080001"
    assert t.loc["zone", "kelurahan"] == "Beta"
    assert t.loc["zone", "kecamatan"] == "Satu"


def test_matches_keep_every_feature_and_exact_distance(golden, tiny_layers):
    m = golden.matches
    near = m[(m["site_id"] == "protocol-5m") & (m["rule_id"] == "P1")]
    assert len(near) == 1
    assert near["feature_name"].iloc[0] == "Jalan Protokol"
    assert near["distance_m"].iloc[0] == pytest.approx(5.0, abs=0.05)


def test_shared_edge_goes_to_lower_code(tiny_layers, tiny_rules):
    # On the edge x = 1000 between Alpha (…1001) and Beta (…1002), and on the corner.
    lon, lat = to_lonlat([1000, 1000, 1000], [300, 650, 0])
    sites = sites_frame(lon, lat)
    # the points really are on both polygons (else this test proves nothing)
    kel = tiny_layers.metric("kelurahan").values[:2]
    pts = sites.to_crs(32748).geometry.values
    assert shapely.covers(kel[0], pts).all() and shapely.covers(kel[1], pts).all()
    t = evaluate(sites, tiny_layers, tiny_rules, at=DURING)
    assert list(t["kode_kemendagri"]) == ["31.71.01.1001"] * 3


@pytest.mark.parametrize("when,verdict,rule", [
    ("2024-09-24T23:59:59+07:00", "OUT_OF_WINDOW", "T1"),
    ("2024-09-25T00:00:00+07:00", "NEEDS_OWNER_CONSENT", None),
    ("2024-11-23T23:59:59+07:00", "NEEDS_OWNER_CONSENT", None),
    ("2024-11-24T00:00:00+07:00", "OUT_OF_WINDOW", "T2"),
    ("2024-11-23T17:00:00Z", "OUT_OF_WINDOW", "T2"),  # 24 Nov 00:00 WIB
])
def test_time_windows_in_wib(tiny_layers, tiny_rules, when, verdict, rule):
    lon, lat = to_lonlat([300], [900])
    t = evaluate(sites_frame(lon, lat, apk_type="spanduk"), tiny_layers, tiny_rules, at=when)
    assert t["verdict"].iloc[0] == verdict
    assert (rule in t["rule_ids"].iloc[0]) if rule else t["rule_ids"].iloc[0] == ""


def test_installed_at_wins_over_at(tiny_layers, tiny_rules):
    lon, lat = to_lonlat([300, 300], [900, 900])
    sites = sites_frame(lon, lat, site_id=["a", "b"], apk_type="baliho",
                        installed_at=["2024-09-01T10:00", None])
    t = evaluate(sites, tiny_layers, tiny_rules, at=DURING)
    assert list(t["verdict"]) == ["OUT_OF_WINDOW", "NEEDS_OWNER_CONSENT"]
    assert t["judged_at"].iloc[0] == pd.Timestamp("2024-09-01T10:00", tz="Asia/Jakarta")


def test_grant_lifts_only_named_rules_inside_window(tiny_layers, tiny_rules):
    lon, lat = to_lonlat([500, 500], [505, 505])
    sites = sites_frame(lon, lat, site_id=["g", "h"], apk_type="umbul-umbul")
    grant = Grant.model_validate({
        "id": "G-1", "lifts": ["S1"], "place": {"site_id": "g"}, "reference": "Surat 1/2024",
        "granted_by": "KPU Kota", "window": {"start": "campaign.start", "end": "campaign.end"}})
    res = evaluate_detailed(sites, tiny_layers, tiny_rules, at=DURING, grants=[grant])
    t = res.table.set_index("site_id")
    # P1 still forbids: the grant names only S1
    assert t.loc["g", "verdict"] == "FORBIDDEN"
    assert t.loc["g", "rule_ids"] == "P1"
    assert t.loc["g", "grant_ids"] == "G-1"
    assert "DISKRESI G-1" in t.loc["g", "reasons_id"]
    assert t.loc["h", "rule_ids"] == "P1;S1"
    lifted = res.matches[res.matches["lifted_by"] == "G-1"]
    assert list(lifted["rule_id"]) == ["S1"] and list(lifted["site_id"]) == ["g"]


def test_grant_that_lifts_everything_allows(tiny_layers, tiny_rules):
    lon, lat = to_lonlat([500], [807])
    sites = sites_frame(lon, lat, site_id=["s"], apk_type="spanduk")
    geom = shapely.geometry.mapping(shapely.points(*to_lonlat([500], [800]))[0])
    grant = Grant.model_validate({
        "id": "G-2", "lifts": ["S1"], "place": {"geometry": geom, "radius": "20 m"},
        "reference": "Surat 2/2024", "granted_by": "Pemkot", "window": {"start": "2024-10-01"}})
    inside = evaluate(sites, tiny_layers, tiny_rules, at=DURING, grants=[grant])
    assert inside["verdict"].iloc[0] == "ALLOWED"
    before = evaluate(sites, tiny_layers, tiny_rules, at="2024-09-30T12:00", grants=[grant])
    assert before["verdict"].iloc[0] == "NEEDS_DISCRETION"


def test_quota_across_batch(tiny_layers, tiny_rules):
    # cap = 1 facilitated + 100 % = 2 spanduk per paslon per kelurahan
    xs = [300, 310, 320, 330, 1300]
    lon, lat = to_lonlat(xs, [900] * 5)
    times = ["2024-10-01T08:00", "2024-10-02T08:00", "2024-10-03T08:00", "2024-10-01T09:00", "2024-10-04"]
    sites = sites_frame(lon, lat, site_id=["a", "b", "c", "d", "e"], apk_type="spanduk",
                        paslon=["1", "1", "1", "2", "1"], installed_at=times)
    t = evaluate(sites, tiny_layers, tiny_rules).set_index("site_id")
    assert t.loc["c", "verdict"] == "FORBIDDEN"  # third of paslon 1 in Alpha
    assert "Q-spanduk-kelurahan" in t.loc["c", "rule_ids"]
    assert "ke-3" in t.loc["c", "reasons_id"] and "batas 2" in t.loc["c", "reasons_id"]
    assert (t.loc[["a", "b", "d", "e"], "verdict"] == "NEEDS_OWNER_CONSENT").all()


def test_prepared_reuse_gives_same_answer(tiny_layers, tiny_rules):
    lon, lat = to_lonlat([230, 500, 9000], [230, 505, 9000])
    sites = sites_frame(lon, lat)
    prep = prepare(tiny_layers, tiny_rules)
    a = evaluate(sites, tiny_layers, tiny_rules, at=DURING, prepared=prep)
    b = evaluate(sites, tiny_layers, tiny_rules, at=DURING)
    pd.testing.assert_frame_equal(pd.DataFrame(a), pd.DataFrame(b))
    other = parse_ruleset(tiny_rules.model_dump(mode="json"), known_layers=None)
    with pytest.raises(ValueError, match="another rule set"):
        evaluate(sites, tiny_layers, other, prepared=prep)


def test_sites_without_crs_or_not_points_are_refused(tiny_layers, tiny_rules):
    from geozones.core.errors import InputError

    lon, lat = to_lonlat([230], [230])
    sites = sites_frame(lon, lat)
    with pytest.raises(InputError, match="no CRS"):
        evaluate(sites.set_crs(None, allow_override=True), tiny_layers, tiny_rules)
    poly = sites.copy()
    poly["geometry"] = poly.to_crs(32748).buffer(5).to_crs(4326)
    with pytest.raises(InputError, match=r"row 1.*point"):
        evaluate(poly, tiny_layers, tiny_rules)


def test_other_crs_input_is_reprojected(tiny_layers, tiny_rules):
    lon, lat = to_lonlat([230, 275], [230, 230])
    sites = sites_frame(lon, lat)
    a = evaluate(sites, tiny_layers, tiny_rules, at=DURING)
    b = evaluate(sites.to_crs(32748), tiny_layers, tiny_rules, at=DURING)
    assert list(a["verdict"]) == list(b["verdict"])
    np.testing.assert_allclose(a["nearest_m"], b["nearest_m"], atol=0.1)


def test_unverified_when_a_missing_layer_could_be_stricter(golden, tiny_layers, tiny_rules_data):
    t = golden.table.set_index("site_id")
    # X1 (FORBIDDEN within 100 m of a TPS) has no layer: a permissive verdict is not certain
    assert bool(t.loc["mosque-15m", "unverified"]) is True
    assert "BELUM PASTI" in t.loc["mosque-15m", "reasons_id"] and "X1 (tps)" in t.loc["mosque-15m", "reasons_id"]
    assert "UNVERIFIED" in t.loc["mosque-15m", "reasons_en"]
    # nothing can be stricter than FORBIDDEN, and outside the area nothing applies
    assert bool(t.loc["in-mosque", "unverified"]) is False
    assert bool(t.loc["other-kota", "unverified"]) is False
    # with every layer present, nothing is unverified
    data = tiny_rules_data
    data["rules"] = [r for r in data["rules"] if r["id"] != "X1"]
    rs = parse_ruleset(data, known_layers=tiny_layers.manifest.layer_names)
    lon, lat = to_lonlat([275], [230])
    again = evaluate(sites_frame(lon, lat, apk_type="spanduk"), tiny_layers, rs, at=DURING)
    assert not again["unverified"].any() and "BELUM PASTI" not in again["reasons_id"].iloc[0]
