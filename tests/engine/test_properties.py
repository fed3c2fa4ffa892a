"""Properties that hold for all inputs (Hypothesis)."""

from __future__ import annotations

import copy
import importlib

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geozones.core.verdicts import RANK
from geozones.engine import evaluate
from geozones.engine.nearest import SegmentIndex
from geozones.io.sites import sites_frame
from geozones.rules.model import Grant, parse_ruleset
from tests.engine.conftest import BASIS, ORIGIN, TINY_RULES, to_lonlat

DURING = "2024-10-15T10:00"
coords = st.lists(st.tuples(st.floats(-200, 3200), st.floats(-200, 1200)), min_size=1, max_size=25)
APK = st.sampled_from(["spanduk", "baliho", "billboard", "umbul_umbul", None])
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _sites(points, apk):
    xs, ys = zip(*points, strict=True)
    lon, lat = to_lonlat(xs, ys)
    return sites_frame(lon, lat, apk_type=apk)


def _ranks(table):
    return np.array([RANK[v] for v in table["verdict"]])


@SETTINGS
@given(points=coords, apk=APK, layer=st.sampled_from(["worship", "roads", "kpu_points"]),
       dist=st.integers(0, 300), form=st.sampled_from(["within", "inside", "anywhere"]))
def test_adding_a_forbidden_rule_never_relaxes(tiny_layers, points, apk, layer, dist, form):
    base = parse_ruleset(copy.deepcopy(TINY_RULES), known_layers=tiny_layers.manifest.layer_names)
    data = copy.deepcopy(TINY_RULES)
    extra = {"id": "NEW", "title": {"id": "baru", "en": "new"}, "legal_basis": BASIS, "verdict": "FORBIDDEN",
             "spatial": {"form": form}}
    if form == "within":
        extra["spatial"]["distance"] = f"{dist} m"
    if form != "anywhere":
        extra["layer"] = layer
    data["rules"].append(extra)
    more = parse_ruleset(data, known_layers=tiny_layers.manifest.layer_names)
    sites = _sites(points, apk)
    a = evaluate(sites, tiny_layers, base, at=DURING)
    b = evaluate(sites, tiny_layers, more, at=DURING)
    assert (_ranks(b) >= _ranks(a)).all()


@SETTINGS
@given(points=coords, apk=APK, lifts=st.sets(st.sampled_from(["W1", "W1-H", "P1", "S1", "Z1", "B1"]), min_size=1),
       chosen=st.integers(0, 24))
def test_a_grant_touches_only_the_rules_it_names(tiny_layers, tiny_rules, points, apk, lifts, chosen):
    sites = _sites(points, apk)
    sid = sites["site_id"].iloc[chosen % len(sites)]
    grant = Grant.model_validate({"id": "G", "lifts": sorted(lifts), "place": {"site_id": sid},
                                  "reference": "x", "granted_by": "y", "window": {}})
    a = evaluate(sites, tiny_layers, tiny_rules, at=DURING).set_index("site_id")
    b = evaluate(sites, tiny_layers, tiny_rules, at=DURING, grants=[grant]).set_index("site_id")
    others = a.index != sid
    assert (a.loc[others, "verdict"] == b.loc[others, "verdict"]).all()
    assert (a.loc[others, "rule_ids"] == b.loc[others, "rule_ids"]).all()
    before = set(filter(None, a.loc[sid, "rule_ids"].split(";")))
    after = set(filter(None, b.loc[sid, "rule_ids"].split(";")))
    assert after == before - lifts
    assert RANK[b.loc[sid, "verdict"]] <= RANK[a.loc[sid, "verdict"]]


@SETTINGS
@given(points=coords, apk=APK, seed=st.integers(0, 2**32 - 1))
def test_site_order_does_not_matter(tiny_layers, tiny_rules, points, apk, seed):
    sites = _sites(points, apk)
    sites["paslon"] = "1"  # quotas counted across the batch must not depend on order either
    sites["apk_type"] = "spanduk"
    perm = np.random.default_rng(seed).permutation(len(sites))
    a = evaluate(sites, tiny_layers, tiny_rules, at=DURING).set_index("site_id")
    b = evaluate(sites.iloc[perm], tiny_layers, tiny_rules, at=DURING).set_index("site_id").loc[a.index]
    cols = ["verdict", "rule_ids", "kode_kemendagri", "reasons_en", "nearest_name"]
    assert a[cols].fillna("").equals(b[cols].fillna(""))
    np.testing.assert_array_equal(a["nearest_m"].to_numpy(), b["nearest_m"].to_numpy())


@SETTINGS
@given(points=coords, d1=st.floats(0, 500), d2=st.floats(0, 500))
def test_dwithin_is_monotone_in_distance(tiny_layers, points, d1, d2):
    lo, hi = sorted((d1, d2))

    def matched(d):
        data = copy.deepcopy(TINY_RULES)
        data["rules"] = [r for r in data["rules"] if r["id"] != "W1-H"]
        data["rules"].append({"id": "D", "title": {"id": "d", "en": "d"}, "legal_basis": BASIS,
                              "verdict": "FORBIDDEN", "layer": "worship",
                              "spatial": {"form": "within", "distance": f"{d:.3f} m"}})
        rs = parse_ruleset(data, known_layers=tiny_layers.manifest.layer_names)
        t = evaluate(_sites(points, "spanduk"), tiny_layers, rs, at=DURING)
        return np.array(["D" in r.split(";") for r in t["rule_ids"]])

    small, large = matched(lo), matched(hi)
    assert not (small & ~large).any()


@pytest.mark.slow
@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 400), k=st.sampled_from([2, 4, 12]),
       bound=st.sampled_from([50.0, 300.0, 1500.0]), small=st.sampled_from([0, 10_000]))
def test_nearest_index_matches_the_exact_reference(seed, n, k, bound, small):
    rng = np.random.default_rng(seed)
    polys = shapely.buffer(shapely.points(rng.uniform(0, 2000, 30), rng.uniform(0, 2000, 30)),
                           rng.uniform(5, 60, 30), quad_segs=3)
    lines = shapely.linestrings(rng.uniform(0, 2000, (10, 4, 2)))
    pts = shapely.points(rng.uniform(0, 2000, (5, 2)))
    geoms = np.concatenate([polys, lines, pts])
    idx = SegmentIndex(geoms, bound=bound, k=k, root_size=256.0, min_size=2.0)
    x, y = rng.uniform(-500, 2500, n), rng.uniform(-500, 2500, n)
    f, d = idx.query(x, y, small=small)  # small=0: always through the quadtree
    # reference: brute force over every feature outline
    outline = np.where(shapely.get_dimensions(geoms) == 2, shapely.boundary(geoms), geoms)
    full = shapely.distance(shapely.points(x, y)[:, None], outline[None, :])
    ref_d = full.min(axis=1)
    within = ref_d <= bound
    assert np.array_equal(f >= 0, within)
    np.testing.assert_allclose(d[within], ref_d[within], atol=1e-6)
    # the reported feature is at that distance, and no lower index is
    np.testing.assert_allclose(full[np.flatnonzero(within), f[within]], ref_d[within], atol=1e-6)
    for i in np.flatnonzero(within):
        assert not (full[i, : f[i]] <= ref_d[i] + 1e-10).any()


@pytest.mark.slow
@SETTINGS
@given(points=st.lists(st.tuples(st.floats(-100, 3100), st.floats(-100, 1100)), min_size=1, max_size=60),
       on_grid=st.lists(st.tuples(st.integers(-4, 124), st.integers(-4, 44)), max_size=20), apk=APK)
def test_site_grid_gives_the_same_answer_as_testing_every_site(tiny_layers, tiny_rules, monkeypatch, points,
                                                                on_grid, apk):
    import geozones.engine as engine
    judge_module = importlib.import_module("geozones.engine.judge")  # the package exports a function of that name

    grid = engine.prepare(tiny_layers, tiny_rules)
    g = grid.site_grid()
    # add points exactly on grid lines and corners, where a cell's answer is most fragile
    extra = [(g.origin[0] + i * g.cell - ORIGIN[0], g.origin[1] + j * g.cell - ORIGIN[1]) for i, j in on_grid]
    sites = _sites(points + extra + [(1000, 300), (1000, 650)], apk)
    monkeypatch.setattr(judge_module, "GRID_MIN_SITES", 10**9)
    plain = evaluate(sites, tiny_layers, tiny_rules, at=DURING, prepared=grid)
    monkeypatch.setattr(judge_module, "GRID_MIN_SITES", 0)
    gridded = evaluate(sites, tiny_layers, tiny_rules, at=DURING, prepared=grid)
    cols = ["verdict", "rule_ids", "kode_kemendagri", "reasons_en", "nearest_name", "nearest_m"]
    assert plain[cols].astype(object).fillna("").equals(gridded[cols].astype(object).fillna(""))
