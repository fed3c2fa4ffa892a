"""The rule-set format: the published file, its schema, and refused rule sets."""

from __future__ import annotations

import copy
import json

import jsonschema
import pytest
import yaml

from geozones.core.errors import InputError
from geozones.rules.model import json_schema_text, load_ruleset, parse_ruleset
from tests.conftest import DEFAULT_RULES, ROOT
from tests.engine.conftest import TINY_RULES, to_lonlat

LAYERS = {"kelurahan", "worship", "roads", "kpu_points", "tps"}


def test_published_rule_set_validates_and_covers_the_catalogue(jakpus_rules):
    ids = {r.id for r in jakpus_rules.rules}
    expressible = {"R01", "R02", "R03", "R04", "R05", "R06", "R07", "R08", "R09", "R10", "R11", "R13", "R14",
                   "R15", "R17", "R18", "R25"}
    assert expressible <= ids
    assert {(q.apk_type.value, q.unit, q.cap) for q in jakpus_rules.quotas} == {
        ("baliho", "kota", 15), ("billboard", "kota", 15), ("umbul_umbul", "kecamatan", 60),
        ("spanduk", "kelurahan", 6)}
    assert all(b.grade in "PSI" for r in jakpus_rules.rules for b in r.legal_basis)
    sch = jakpus_rules.schedule
    assert sch.campaign.start.isoformat() == "2024-09-25T00:00:00+07:00"
    assert sch.quiet_period.start == sch.campaign.end
    assert sch.voting_day.start.date().isoformat() == "2024-11-27"
    assert jakpus_rules.default_verdict == "NEEDS_OWNER_CONSENT"


def test_schema_file_is_current_and_accepts_the_yaml():
    path = ROOT / "rules" / "ruleset.schema.json"
    assert path.read_text(encoding="utf-8") == json_schema_text(), "run: geozones rules schema --out " + str(path)
    data = yaml.safe_load(DEFAULT_RULES.read_text(encoding="utf-8"))
    data = json.loads(json.dumps(data, default=str))  # YAML dates -> strings, as an editor would see them
    jsonschema.validate(data, json.loads(path.read_text(encoding="utf-8")))


def test_round_trip_through_json(tiny_rules):
    again = parse_ruleset(tiny_rules.model_dump(mode="json"), known_layers=LAYERS)
    assert again == tiny_rules


def _problems(data, **kw):
    with pytest.raises(InputError) as e:
        parse_ruleset(data, source="test.yaml", **kw)
    return str(e.value)


def test_unknown_layer():
    data = copy.deepcopy(TINY_RULES)
    data["rules"][0]["layer"] = "mosques"
    msg = _problems(data, known_layers=LAYERS)
    assert "test.yaml, rule W1, field 'layer': layer 'mosques' tidak dikenal" in msg
    assert "/ unknown layer 'mosques'" in msg


@pytest.mark.parametrize("value", [50, "50", "fifty m", 2.5])
def test_distance_without_a_unit(value):
    data = copy.deepcopy(TINY_RULES)
    data["rules"][1]["spatial"]["distance"] = value
    msg = _problems(data)
    assert "rule W1-H" in msg and "spatial.distance" in msg


def test_within_needs_a_distance():
    data = copy.deepcopy(TINY_RULES)
    del data["rules"][1]["spatial"]["distance"]
    assert "needs a distance" in _problems(data)


def test_duplicate_rule_id():
    data = copy.deepcopy(TINY_RULES)
    data["rules"][1]["id"] = "W1"
    assert "duplicate rule id(s): W1" in _problems(data)


@pytest.mark.parametrize("window", [{"start": "campaign.end", "end": "campaign.start"},
                                    {"start": "2024-10-01", "end": "2024-10-01"}])
def test_empty_window(window):
    data = copy.deepcopy(TINY_RULES)
    data["rules"][0]["window"] = window
    assert "rule W1: window is empty" in _problems(data)


def test_empty_schedule_period():
    data = copy.deepcopy(TINY_RULES)
    data["schedule"]["campaign"] = {"start": "2024-11-24", "end": "2024-09-25"}
    msg = _problems(data)
    assert "schedule.campaign" in msg and "period is empty" in msg


def test_unknown_schedule_reference():
    data = copy.deepcopy(TINY_RULES)
    data["rules"][0]["window"] = {"start": "kampanye.start"}
    assert "unknown schedule reference" in _problems(data)


def test_grant_must_name_existing_rules():
    data = copy.deepcopy(TINY_RULES)
    data["grants"] = [{"id": "G", "lifts": ["R99"], "place": {"site_id": "x"}, "window": {},
                       "reference": "r", "granted_by": "b"}]
    assert "grant G lifts unknown rule(s): R99" in _problems(data)


def test_unknown_field_and_verdict():
    data = copy.deepcopy(TINY_RULES)
    data["rules"][0]["verdik"] = "FORBIDDEN"
    data["rules"][2]["verdict"] = "BANNED"
    msg = _problems(data)
    assert "rule W1, field 'verdik'" in msg and "rule P1, field 'verdict'" in msg


def test_bad_yaml_names_the_line(tmp_path):
    p = tmp_path / "r.yaml"
    p.write_text("id: x\nrules: [\n  - a: b\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_ruleset(p)
    assert "r.yaml" in str(e.value) and "line" in str(e.value)


def test_readme_grant_example_validates_and_lifts_only_its_rules(jakpus_layers, tmp_path):
    import re

    from geozones.engine import evaluate
    from geozones.io.sites import sites_frame

    block = re.search(r"```yaml\n(grants:.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S).group(1)
    data = yaml.safe_load(DEFAULT_RULES.read_text(encoding="utf-8"))
    data.update(yaml.safe_load(block))
    # The kota level's grant lifts rules of the DKI level above it: resolved with the stack.
    (tmp_path / "with.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    (tmp_path / "without.yaml").write_text(yaml.safe_dump({**data, "grants": []}), encoding="utf-8")
    rs = load_ruleset(tmp_path / "with.yaml", known_layers=jakpus_layers.manifest.layer_names)
    g = rs.grants[0]
    assert g.lifts == ["R15", "R05-K"] and g.place.radius == 15.0
    lon, lat = g.place.geometry["coordinates"]
    site = sites_frame(lon, lat, apk_type="spanduk")
    without = evaluate(site, jakpus_layers, load_ruleset(tmp_path / "without.yaml"), at="2024-10-15T10:00")
    assert {"R15", "R05-K"} <= set(without["rule_ids"].iloc[0].split(";"))  # the example point needs the grant
    t = evaluate(site, jakpus_layers, rs, at="2024-10-15T10:00")
    assert not {"R15", "R05-K"} & set(t["rule_ids"].iloc[0].split(";"))
    assert t["grant_ids"].iloc[0] == "G-2024-007"


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
