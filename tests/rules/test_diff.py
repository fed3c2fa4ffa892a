"""Diff between rule-set versions: field-by-field records, zone areas in metres, table and map."""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely
import shapely.geometry
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geozones.core.crs import STORAGE_CRS, transformer
from geozones.core.verdicts import Verdict
from geozones.rules.diff import DIFF_COLORS, diff_frame, diff_map_frame, diff_rulesets, diff_zones
from geozones.rules.model import DEFAULT_RULES, Zone, load_ruleset

BASE = load_ruleset(DEFAULT_RULES)
UTM48S = "EPSG:32748"


def _square(x0: float, y0: float, side: float) -> dict:
    """A square drawn in UTM 48S metres, returned as lon/lat GeoJSON."""
    tr = transformer(UTM48S, STORAGE_CRS)
    xs, ys = [x0, x0 + side, x0 + side, x0, x0], [y0, y0, y0 + side, y0 + side, y0]
    lon, lat = tr.transform(xs, ys)
    return {"type": "Polygon", "coordinates": [[[round(a, 9), round(b, 9)] for a, b in zip(lon, lat, strict=True)]]}


# A square of 100 m near Monas (UTM 48S easting/northing).
E0, N0 = 701_000.0, 9_316_000.0


def _with_rule(rs, rule_id, **changes):
    rules = [r.model_copy(update=changes) if r.id == rule_id else r for r in rs.rules]
    return rs.model_copy(update={"rules": rules})


def _key(c):
    return (c.kind, c.key, c.change, c.field, json.dumps(c.old, sort_keys=True, default=str),
            json.dumps(c.new, sort_keys=True, default=str), None if c.area_m2 is None else round(c.area_m2, 3))


def test_same_version_has_no_diff():
    assert diff_rulesets(BASE, BASE) == []


def test_rule_field_changed_names_old_and_new():
    new = _with_rule(BASE, "R01", spatial=BASE.rule("R01").spatial.model_copy(update={"distance": 75.0}))
    changes = diff_rulesets(BASE, new)
    assert [(c.kind, c.key, c.change, c.field) for c in changes] == [("rule", "R01", "changed", "spatial.distance")]
    assert changes[0].old != changes[0].new
    assert changes[0].new == "75 m"


def test_quota_and_grant_added_removed():
    quotas = [q.model_copy(update={"facilitated_max": 3}) if q.apk_type == "spanduk" else q for q in BASE.quotas]
    quotas = [q for q in quotas if q.apk_type != "billboard"]
    grant = {"id": "G1", "lifts": ["R05-K"], "place": {"geometry": {"type": "Point", "coordinates": [106.83, -6.18]},
                                                       "radius": "15 m"},
             "window": {"start": "2024-10-01", "end": "2024-11-01"}, "reference": "B-1/PL.01/2024",
             "granted_by": "KPU Kota Jakarta Pusat"}
    new = BASE.model_validate({**BASE.model_dump(mode="json"), "quotas": [q.model_dump(mode="json") for q in quotas],
                               "grants": [grant]})
    got = {(c.kind, c.key, c.change, c.field) for c in diff_rulesets(BASE, new)}
    assert got == {("quota", "spanduk/kelurahan", "changed", "facilitated_max"),
                   ("quota", "billboard/kota", "removed", None),
                   ("grant", "G1", "added", None)}


def test_zone_moved_10m_changes_2000_m2():
    z = Zone(id="Z1", name="Taman Uji", source="drawn", geometry=_square(E0, N0, 100))
    moved = z.model_copy(update={"geometry": _square(E0 + 10, N0, 100)})
    a = _with_rule(BASE, "R08-N", zones=[*BASE.rule("R08-N").zones, z])
    b = _with_rule(BASE, "R08-N", zones=[*BASE.rule("R08-N").zones, moved])
    [c] = diff_rulesets(a, b)
    assert (c.kind, c.key, c.change, c.field) == ("zone", "R08-N/Z1", "changed", "geometry")
    # symmetric difference of two 100 m squares offset by 10 m: 2 x 10 m x 100 m
    assert c.area_m2 == pytest.approx(2000.0, rel=0.01)
    added = diff_rulesets(BASE, a)
    assert [(c.change, c.key) for c in added] == [("added", "R08-N/Z1")]
    assert added[0].area_m2 == pytest.approx(10_000.0, rel=0.01)


def test_zone_renamed_is_a_field_change_without_area():
    zones = BASE.rule("R09").zones
    b = _with_rule(BASE, "R09", zones=[zones[0].model_copy(update={"name": "Monas (baru)"}), *zones[1:]])
    [c] = diff_rulesets(BASE, b)
    assert (c.kind, c.key, c.field, c.old, c.new) == ("zone", "R09/medan-merdeka-monas", "name",
                                                       "Kawasan Medan Merdeka / Taman Monas", "Monas (baru)")
    assert c.area_m2 is None


def test_overlay_zones_diff_with_shapely_geometries():
    old = {"park-1": {"geometry": shapely.geometry.shape(_square(E0, N0, 50)), "name": "A"}}
    new = {"park-2": {"geometry": shapely.geometry.shape(_square(E0, N0 + 500, 20)), "name": "B"}}
    got = sorted((c.change, c.key, round(c.area_m2)) for c in diff_zones(old, new))
    assert got[0][:2] == ("added", "park-2") and got[0][2] == pytest.approx(400, abs=4)
    assert got[1][:2] == ("removed", "park-1") and got[1][2] == pytest.approx(2500, abs=25)


def test_table_and_map_frames():
    z = Zone(id="Z1", name="Taman <b>Uji</b>", source="drawn", geometry=_square(E0, N0, 100))
    a = _with_rule(BASE, "R08-N", zones=[*BASE.rule("R08-N").zones, z])
    zones9 = BASE.rule("R09").zones
    b = _with_rule(a, "R09", zones=zones9[1:])
    b = _with_rule(b, "R08-N", zones=[*BASE.rule("R08-N").zones,
                                      z.model_copy(update={"geometry": _square(E0, N0, 120)})])
    b = _with_rule(b, "R01", verdict=Verdict.NEEDS_PERMIT)
    changes = diff_rulesets(a, b)
    df = diff_frame(changes)
    assert list(df.columns) == ["kind", "key", "name", "change", "change_label", "field", "old", "new", "area_m2"]
    assert set(df["kind"]) == {"rule", "zone"}
    row = df[df["key"] == "R01"].iloc[0]
    assert (row["field"], row["old"], row["new"]) == ("verdict", "FORBIDDEN", "NEEDS_PERMIT")
    gdf = diff_map_frame(changes)
    assert gdf.crs.to_epsg() == 4326
    by_key = gdf.set_index("key")
    assert by_key.loc["R09/medan-merdeka-monas", "change"] == "removed"
    assert by_key.loc["R09/medan-merdeka-monas", "color"] == DIFF_COLORS["removed"]
    assert by_key.loc["R08-N/Z1", "change"] == "changed"
    assert by_key.loc["R08-N/Z1", "area_m2"] == pytest.approx(120 * 120 - 100 * 100, rel=0.01)
    assert by_key.loc["R08-N/Z1", "color"] == DIFF_COLORS["changed"]
    assert by_key.loc["R08-N/Z1", "name"] == "Taman <b>Uji</b>"
    assert by_key.loc["R09/medan-merdeka-monas", "name"] == "Kawasan Medan Merdeka / Taman Monas"
    assert gdf.geometry.is_valid.all()


# --- properties over random edits of the published rule set ---------------------------------

def _edit_quota(rs, i, n):
    quotas = list(rs.quotas)
    if not quotas:  # every quota dropped by an earlier step
        return rs
    q = quotas[i % len(quotas)]
    quotas[i % len(quotas)] = q.model_copy(update={"facilitated_max": n})
    return rs.model_copy(update={"quotas": quotas})


def _drop_quota(rs, i, _n):
    quotas = list(rs.quotas)
    if quotas:
        quotas.pop(i % len(quotas))
    return rs.model_copy(update={"quotas": quotas})


def _edit_title(rs, i, n):
    r = rs.rules[i % len(rs.rules)]
    return _with_rule(rs, r.id, title=r.title.model_copy(update={"en": f"{r.title.en} v{n}"}))


def _add_zone(rs, i, n):
    rule = rs.rule("R09")
    z = Zone(id=f"new-{i}-{n}", name=f"Zona {n}", source="drawn",
             geometry=_square(E0 + 37 * (i % 50), N0 + 41 * (n % 50), 10 + n % 90))
    return _with_rule(rs, "R09", zones=[*(x for x in rule.zones if x.id != z.id), z])


def _drop_zone(rs, i, _n):
    zones = list(rs.rule("R08-N").zones)
    if len(zones) > 1:
        zones.pop(i % len(zones))
    return _with_rule(rs, "R08-N", zones=zones)


def _move_zone(rs, i, n):
    zones = list(rs.rule("R09").zones)
    k = i % len(zones)
    g = shapely.geometry.shape(zones[k].geometry)
    moved = shapely.transform(g, lambda xy: xy + np.array([n * 1e-5, -(i % 7) * 1e-5]))
    zones[k] = zones[k].model_copy(update={"geometry": shapely.geometry.mapping(moved)})
    return _with_rule(rs, "R09", zones=zones)


def _drop_rule(rs, i, _n):
    # the zone-holding rules stay: the zone edits work on them
    free = [r for r in rs.rules if r.id not in ("R08-N", "R09")]
    if not free:
        return rs
    victim = free[i % len(free)]
    return rs.model_copy(update={"rules": [r for r in rs.rules if r.id != victim.id]})


def _edit_schedule(rs, _i, n):
    p = rs.schedule.campaign
    import datetime as dt

    return rs.model_copy(update={"schedule": rs.schedule.model_copy(
        update={"campaign": p.model_copy(update={"end": p.end + dt.timedelta(hours=n + 1)})})})


EDITS = [_edit_quota, _drop_quota, _edit_title, _add_zone, _drop_zone, _move_zone, _drop_rule, _edit_schedule]
edits = st.lists(st.tuples(st.sampled_from(EDITS), st.integers(0, 200), st.integers(0, 200)), max_size=5)


def _apply(rs, steps):
    for fn, i, n in steps:
        rs = fn(rs, i, n)
    return rs


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits)
def test_diff_of_a_version_with_itself_is_empty(steps):
    a = _apply(BASE, steps)
    assert diff_rulesets(a, a) == []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits, edits)
def test_diff_mirrors(steps_a, steps_b):
    a, b = _apply(BASE, steps_a), _apply(BASE, steps_b)
    forward, backward = diff_rulesets(a, b), diff_rulesets(b, a)
    assert sorted(map(_key, (c.mirrored() for c in forward))) == sorted(map(_key, backward))
    assert (len(forward) == 0) == (a.model_dump(mode="json") == b.model_dump(mode="json"))
    counts = diff_frame(forward)["change"].value_counts()
    assert counts.get("added", 0) == diff_frame(backward)["change"].value_counts().get("removed", 0)
