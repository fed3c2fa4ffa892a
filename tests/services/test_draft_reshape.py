"""Reshaping stored zones of a draft (issue 10 §1, "edit existing zones"): overlay features and zones held by the
rule, checked like new zones, audited with digests and the changed area in m², all-or-nothing, on both backends."""

from __future__ import annotations

import hashlib

import pyproj
import pytest
import shapely
import shapely.affinity
import shapely.geometry
import yaml

from geozones.core.errors import InputError
from geozones.services import drafts, rulesets
from geozones.services.audit_log import list_events
from geozones.services.authz import Forbidden
from geozones.services.concurrency import Conflict
from tests.store.stacked import JP_ID, JP_TEXT, import_parents

#: A spot in Johar Baru no rule matches; a park is drawn around it for R08 (DKI's rule, reads ``parks``).
PARK_XY = (106.85493, -6.187064)
#: Taman Suropati, a zone held by Jakarta Pusat's rule R08-N in its YAML.
SUROPATI = "taman-suropati"


def _square(x: float, y: float, d: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[x - d, y - d], [x + d, y - d], [x + d, y + d], [x - d, y + d],
                                                [x - d, y - d]]]}


def _geodesic_area(geom: dict) -> float:
    area, _ = pyproj.Geod(ellps="WGS84").geometry_area_perimeter(shapely.geometry.shape(geom))
    return abs(area)


@pytest.fixture
def draft(store, people, shared_data):
    import_parents(store, people["admin"])
    rulesets.import_ruleset(store, people["admin"], JP_TEXT)
    d = drafts.new_draft(store, people["kpu_editor"], JP_ID, reason="uji")
    d, ids, _ = drafts.add_zones(store, people["kpu_editor"], d.id, [drafts.ZoneInput(_square(*PARK_XY, 0.0003),
                                                                                      "Taman Uji")],
                                 "R08", source="digambar oleh / drawn by kpu_editor1", reason="survei",
                                 data_dir=shared_data)
    return d, ids[0]


def _zones(store, people, d) -> dict:
    return {z["zone_id"]: z for z in drafts.draft_zones(store, people["kpu_editor"], d.id)}


def test_overlay_and_rule_zones_take_new_outlines_audited_with_area(store, people, shared_data, draft):
    d, park = draft
    before = _zones(store, people, d)
    suropati_old = before[SUROPATI]["geometry"]
    old_park = shapely.geometry.shape(before[park]["geometry"])
    # the park grows (the old square inside the new one) and Suropati's outline moves east by about 20 m
    bigger = _square(*PARK_XY, 0.0005)
    moved = shapely.geometry.mapping(shapely.affinity.translate(shapely.geometry.shape(suropati_old), xoff=0.0002))
    v, out, notes = drafts.reshape_zones(store, people["kpu_editor"], d.id, {park: bigger, SUROPATI: moved},
                                         reason="ukur ulang", expected_row_version=d.row_version,
                                         data_dir=shared_data)
    assert notes == [] and v.row_version == d.row_version + 1
    after = _zones(store, people, v)
    assert shapely.geometry.shape(after[park]["geometry"]).equals(shapely.geometry.shape(bigger))
    assert shapely.geometry.shape(after[SUROPATI]["geometry"]).equals(shapely.geometry.shape(moved))
    assert after[park]["layer"] == "parks" and after[SUROPATI]["layer"] is None
    # the rule's own zone changed in the YAML text too, the other zones of the rule did not
    rules = {r["id"]: r for r in yaml.safe_load(drafts.draft_yaml(store, people["kpu_editor"], d.id))["rules"]}
    yz = {z["id"]: z for z in rules["R08-N"]["zones"]}
    assert shapely.geometry.shape(yz[SUROPATI]["geometry"]).equals(shapely.geometry.shape(moved))
    assert shapely.geometry.shape(yz["taman-menteng"]["geometry"]).equals(
        shapely.geometry.shape(before["taman-menteng"]["geometry"]))
    # the overlay feature still belongs to the rule and carries its attributes
    feats = {f.feature["properties"]["zone_id"]: f for f in drafts.overlay_features(store, d.id)}
    assert feats[park].layer == "parks" and feats[park].feature["properties"]["name"] == "Taman Uji"
    # changed area: grown park = big - small; moved square = 2 × (strip) — against the geodesic areas
    by = {r.zone_id: r for r in out}
    grown = _geodesic_area(bigger) - _geodesic_area(shapely.geometry.mapping(old_park))
    assert by[park].changed_m2 == pytest.approx(grown, rel=2e-3)
    sym = shapely.geometry.shape(suropati_old).symmetric_difference(shapely.geometry.shape(moved))
    assert by[SUROPATI].changed_m2 == pytest.approx(_geodesic_area(shapely.geometry.mapping(sym)), rel=2e-3)
    assert {r.metric_crs for r in out} == {"EPSG:32748"}
    events = {e.before["zone"]: e for e in list_events(store, people["kpu_publisher"])
              if e.action == "draft.reshape_zone"}
    assert set(events) == {park, SUROPATI}
    ev = events[park]
    assert ev.actor == "kpu_editor1" and ev.reason == "ukur ulang" and ev.after["layer"] == "parks"
    assert ev.before["sha256"] == hashlib.sha256(shapely.to_wkb(old_park, output_dimension=2)).hexdigest()
    assert ev.after["sha256"] == hashlib.sha256(shapely.to_wkb(shapely.geometry.shape(bigger),
                                                               output_dimension=2)).hexdigest()
    assert ev.after["changed_m2"] == pytest.approx(grown, rel=2e-3)
    # the diff against the published parent shows Suropati changed with the same area
    ch = [c for c in drafts.diff_versions(store, people["kpu_editor"], JP_ID, "2024.2", v.version)
          if c.kind == "zone" and c.key.endswith(SUROPATI) and c.field == "geometry"]
    assert ch and ch[0].area_m2 == pytest.approx(by[SUROPATI].changed_m2, rel=1e-6)


def test_single_zone_form_repairs_a_bowtie_with_a_warning(store, people, shared_data, draft):
    d, park = draft
    x, y = PARK_XY
    bowtie = {"type": "Polygon", "coordinates": [[[x - 3e-4, y - 3e-4], [x + 3e-4, y + 3e-4], [x + 3e-4, y - 3e-4],
                                                  [x - 3e-4, y + 3e-4], [x - 3e-4, y - 3e-4]]]}
    v, r, notes = drafts.reshape_zone(store, people["kpu_editor"], d.id, park, bowtie, reason="ubah",
                                      data_dir=shared_data)
    assert len(notes) == 1 and "Taman Uji" in notes[0] and "self-intersecting" in notes[0]
    stored = shapely.geometry.shape(_zones(store, people, v)[park]["geometry"])
    assert stored.is_valid and stored.geom_type == "MultiPolygon" and r.zone_id == park


def test_bad_outlines_are_refused_naming_the_zone_and_nothing_changes(store, people, shared_data, draft):
    d, park = draft
    text = drafts.draft_yaml(store, people["kpu_editor"], d.id)
    zones = _zones(store, people, d)
    outside = _square(106.70, -6.30, 0.0003)  # south-west of the kota
    with pytest.raises(InputError) as exc:
        drafts.reshape_zones(store, people["kpu_editor"], d.id,
                             {park: _square(*PARK_XY, 0.0006), SUROPATI: outside,
                              "tidak-ada": _square(*PARK_XY, 0.0004)}, reason="x", data_dir=shared_data)
    msg = str(exc.value)
    assert "Taman Suropati" in msg and "outside" in msg and "tidak-ada" in msg and "Taman Uji" not in msg
    point = {"type": "Point", "coordinates": list(PARK_XY)}
    with pytest.raises(InputError, match="must stay a Polygon"):
        drafts.reshape_zone(store, people["kpu_editor"], d.id, park, point, reason="x", data_dir=shared_data)
    with pytest.raises(InputError, match="reason"):
        drafts.reshape_zone(store, people["kpu_editor"], d.id, park, _square(*PARK_XY, 4e-4), reason=" ",
                            data_dir=shared_data)
    with pytest.raises(Conflict):
        drafts.reshape_zone(store, people["kpu_editor"], d.id, park, _square(*PARK_XY, 4e-4), reason="x",
                            expected_row_version=d.row_version - 1, data_dir=shared_data)
    for role in ("public", "paslon", "bawaslu", "admin"):
        with pytest.raises(Forbidden):
            drafts.reshape_zone(store, people[role], d.id, park, _square(*PARK_XY, 4e-4), reason="x",
                                data_dir=shared_data)
    assert drafts.draft_yaml(store, people["kpu_editor"], d.id) == text
    now = _zones(store, people, d)
    assert {k: shapely.geometry.shape(z["geometry"]).wkb for k, z in now.items()} == {
        k: shapely.geometry.shape(z["geometry"]).wkb for k, z in zones.items()}
    assert not [e for e in list_events(store, people["kpu_publisher"]) if e.action == "draft.reshape_zone"]
    # a draft sent for review is no longer edited
    sent = rulesets.submit(store, people["kpu_editor"], d.id, d.row_version, reason="kirim")
    with pytest.raises(InputError, match="not draft"):
        drafts.reshape_zone(store, people["kpu_editor"], sent.id, park, _square(*PARK_XY, 4e-4), reason="x",
                            data_dir=shared_data)
