"""Drawn and imported zones: repair, refusal, buffer, and where a zone lands (rule zones or layer overlay)."""

from __future__ import annotations

import warnings

import pytest
import shapely
import shapely.geometry
import shapely.ops
from hypothesis import given, settings
from hypothesis import strategies as st

from geozones.core.crs import STORAGE_CRS, transformer
from geozones.core.errors import DataWarning, InputError
from geozones.engine import evaluate
from geozones.engine.zones import (
    OVERLAY_MARK,
    apply_overlay,
    check_zone,
    jurisdiction_area,
    parse_buffer,
    place_zone,
    with_overlay,
)
from geozones.io.sites import sites_frame
from geozones.rules.model import DEFAULT_RULES, Zone, load_ruleset

RULES = load_ruleset(DEFAULT_RULES)
UTM48S = "EPSG:32748"
DURING = "2024-10-15T10:00"
# A spot in Johar Baru judged NEEDS_OWNER_CONSENT by the published rules (tests/engine/test_realdata.py).
JOHAR = (106.85600, -6.18300)


def _square_around(lon: float, lat: float, half: float) -> dict:
    to_m, to_ll = transformer(STORAGE_CRS, UTM48S), transformer(UTM48S, STORAGE_CRS)
    x, y = to_m.transform(lon, lat)
    xs, ys = [x - half, x + half, x + half, x - half, x - half], [y - half, y - half, y + half, y + half, y - half]
    lons, lats = to_ll.transform(xs, ys)
    return {"type": "Polygon", "coordinates": [[[a, b] for a, b in zip(lons, lats, strict=True)]]}


BOWTIE = {"type": "Polygon", "coordinates": [[[106.855, -6.182], [106.857, -6.184], [106.857, -6.182],
                                              [106.855, -6.184], [106.855, -6.182]]]}


def _messages(exc: pytest.ExceptionInfo) -> str:
    return str(exc.value)


def test_bowtie_is_repaired_with_a_warning_naming_the_zone():
    with pytest.warns(DataWarning, match="Taman Kupu"):
        z = check_zone(BOWTIE, name="Taman Kupu")
    g = shapely.geometry.shape(z.geometry)
    assert g.is_valid and g.geom_type == "MultiPolygon" and len(g.geoms) == 2
    assert len(z.warnings) == 1
    assert "berpotongan sendiri" in z.warnings[0] and "self-intersecting" in z.warnings[0]


def test_valid_zone_passes_untouched():
    sq = _square_around(*JOHAR, 50)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        z = check_zone(sq, name="Taman A")
    assert shapely.geometry.shape(z.geometry).equals(shapely.geometry.shape(sq))
    assert z.warnings == [] and z.buffer_m == 0 and z.outline == z.geometry


@pytest.mark.parametrize(("geometry", "words"), [
    ({"type": "Polygon", "coordinates": []}, "kosong"),
    ({"type": "Polygon", "coordinates": [[[106.85, -6.18], [106.86, -6.18], [106.87, -6.18], [106.85, -6.18]]]},
     "tanpa luas"),
    ({"type": "LineString", "coordinates": [[106.85, -6.18], [106.85, -6.18]]}, "tanpa panjang"),
    ({"type": "Point", "coordinates": [700000, 9316000]}, "bukan derajat"),
    ({"type": "Blob", "coordinates": [1, 2]}, "bukan geometri GeoJSON"),
])
def test_empty_degenerate_or_foreign_geometry_is_refused(geometry, words):
    with pytest.raises(InputError) as exc:
        check_zone(geometry, name="Zona X", source="<peta>")
    text = _messages(exc)
    assert words in text and "zona 'Zona X'" in text and "<peta>" in text
    assert " / " in text  # Bahasa Indonesia first, English beside


def test_vertex_count_is_bounded():
    circle = shapely.geometry.Point(*JOHAR).buffer(0.001, quad_segs=200)
    with pytest.raises(InputError, match="terlalu banyak titik sudut"):
        check_zone(shapely.geometry.mapping(circle), name="Bulat", max_vertices=500)
    assert check_zone(shapely.geometry.mapping(circle), name="Bulat", max_vertices=1000).geometry


@pytest.mark.parametrize(("text", "metres"), [("10 m", 10.0), ("0.05 km", 50.0), ("15 meter", 15.0)])
def test_buffer_parsed_like_rule_distances(text, metres):
    assert parse_buffer(text) == metres


@pytest.mark.parametrize("bad", [10, "10", "ten m", "-5 m"])
def test_buffer_without_unit_is_refused(bad):
    with pytest.raises(InputError) as exc:
        parse_buffer(bad, name="Zona B")
    assert "buffer" in str(exc.value) and "zona 'Zona B'" in str(exc.value)


def test_buffer_grows_the_outline_in_metres():
    pt = {"type": "Point", "coordinates": list(JOHAR)}
    z = check_zone(pt, name="Titik", buffer="10 m")
    assert z.geometry["type"] == "Point" and z.buffer_m == 10
    outline = shapely.geometry.shape(z.outline)
    tr = transformer(STORAGE_CRS, UTM48S)
    area = shapely.transform(outline, lambda xy: __import__("numpy").column_stack(tr.transform(xy[:, 0], xy[:, 1])))
    assert area.area == pytest.approx(3.14159 * 100, rel=0.02)


def test_zone_outside_the_kota_is_refused(jakpus_layers):
    juris = jurisdiction_area(jakpus_layers, RULES)
    # Blok M, Jakarta Selatan
    with pytest.raises(InputError) as exc:
        check_zone(_square_around(106.8000, -6.2440, 50), name="Taman Selatan", jurisdiction=juris)
    assert "di luar wilayah kota" in str(exc.value) and "Taman Selatan" in str(exc.value)
    # straddling the southern boundary: partly outside, with how much
    miny = juris.bounds[1]
    edge = shapely.geometry.Point(*JOHAR)
    south = shapely.ops.nearest_points(juris.boundary, shapely.geometry.Point(106.845, miny - 0.01))[0]
    with pytest.raises(InputError, match="sebagian berada di luar"):
        check_zone(_square_around(south.x, south.y, 200), name="Lintas Batas", jurisdiction=juris)
    assert check_zone(_square_around(edge.x, edge.y, 50), name="Dalam", jurisdiction=juris).warnings == []


def test_zone_for_rule_with_zones_lands_in_its_zones():
    z = check_zone(_square_around(*JOHAR, 40), name="Kawasan Baru")
    placed = place_zone(RULES, "R09", z, zone_id="kawasan-baru", source="digambar oleh kpu_editor")
    assert placed.overlay is None
    new_rule = placed.ruleset.rule("R09")
    assert [x.id for x in new_rule.zones][-1] == "kawasan-baru"
    assert len(new_rule.zones) == len(RULES.rule("R09").zones) + 1
    assert RULES.rule("R09").zones[-1].id != "kawasan-baru"  # the input is untouched
    with pytest.raises(InputError, match="sudah dipakai"):
        place_zone(placed.ruleset, "R09", z, zone_id="kawasan-baru", source="x")


def test_point_for_inside_rule_needs_polygon_or_buffer():
    pt = check_zone({"type": "Point", "coordinates": list(JOHAR)}, name="Titik")
    with pytest.raises(InputError, match="gambar poligon atau beri buffer"):
        place_zone(RULES, "R09", pt, zone_id="t1", source="x")
    with pytest.raises(InputError, match="tidak ada dalam rule set"):
        place_zone(RULES, "R99", pt, zone_id="t1", source="x")
    with pytest.raises(InputError, match="di mana saja"):
        place_zone(RULES, next(r.id for r in RULES.rules if r.spatial.form == "anywhere"), pt,
                   zone_id="t1", source="x")
    buffered = check_zone({"type": "Point", "coordinates": list(JOHAR)}, name="Titik", buffer="15 m")
    assert place_zone(RULES, "R09", buffered, zone_id="t1", source="x").ruleset.rule("R09").zones[-1].id == "t1"


def test_zone_for_layer_rule_becomes_overlay_feature_matching_the_filter():
    rule = next(r for r in RULES.rules if r.layer and r.where and r.spatial.form != "inside")
    z = check_zone(_square_around(*JOHAR, 20), name="Titik Baru")
    placed = place_zone(RULES, rule.id, z, zone_id="ov-1", source="kpu_editor")
    assert placed.ruleset is RULES and placed.overlay.layer == rule.layer
    props = placed.overlay.feature["properties"]
    for col, allowed in rule.where.items():
        assert props[col] in allowed
    assert props["overlay"] == OVERLAY_MARK and props["zone_id"] == "ov-1" and props["name"] == "Titik Baru"
    merged = apply_overlay(None, [placed.overlay], rule.layer)
    assert len(merged) == 1 and merged.crs.to_epsg() == 4326


def test_park_drawn_for_r08_makes_a_johar_baru_point_forbidden(jakpus_layers):
    """The issue's done-when, engine half: a park drawn for R08 turns a point inside it FORBIDDEN."""
    juris = jurisdiction_area(jakpus_layers, RULES)
    rules = load_ruleset(DEFAULT_RULES, known_layers=jakpus_layers.manifest.layer_names)
    z = check_zone(_square_around(*JOHAR, 60), name="Taman Johar Baru", jurisdiction=juris)
    placed = place_zone(rules, "R08", z, zone_id="taman-johar-baru", source="kpu_editor",
                        spec=jakpus_layers.manifest.spec("parks"))
    sites = sites_frame([JOHAR[0]], [JOHAR[1]], site_id=["s1"], apk_type="spanduk", paslon="1")
    before = evaluate(sites, jakpus_layers, rules, at=DURING)
    layers = with_overlay(jakpus_layers, [placed.overlay])
    after = evaluate(sites, layers, rules, at=DURING)
    assert before.loc[0, "verdict"] == "NEEDS_OWNER_CONSENT"
    assert after.loc[0, "verdict"] == "FORBIDDEN"
    assert "R08" in after.loc[0, "rule_ids"]
    assert layers["parks"].digest != jakpus_layers["parks"].digest
    assert jakpus_layers.get("parks") is None or OVERLAY_MARK not in set(jakpus_layers.get("parks").get("overlay", []))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.floats(-0.002, 0.002), st.floats(-0.002, 0.002)), min_size=3, max_size=12))
def test_any_drawn_ring_is_refused_clearly_or_stored_valid(offsets):
    """Whatever the mouse draws, the result is a clear refusal or a valid polygonal zone."""
    ring = [[JOHAR[0] + dx, JOHAR[1] + dy] for dx, dy in offsets]
    geometry = {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)
            z = check_zone(geometry, name="Acak")
    except InputError as exc:
        assert "zona 'Acak'" in str(exc) and " / " in str(exc)
        return
    g = shapely.geometry.shape(z.geometry)
    assert g.is_valid and not g.is_empty and g.geom_type in ("Polygon", "MultiPolygon")
    assert Zone(id="a", name="Acak", source="x", geometry=z.geometry)  # the rule-set model accepts it
