"""Rule sets that stack: national -> province -> kota, flattened with each rule's level."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geozones.core.errors import InputError
from geozones.core.time import WIB
from geozones.engine.reasons import rule_templates
from geozones.rules.model import in_force, load_ruleset, parse_ruleset
from geozones.rules.stack import flatten, stack_label
from tests.engine.conftest import TINY_RULES

BASIS = [{"instrument": "SK Uji 1/2024", "grade": "S"}]


def _levels(split=(3, 7)):
    """TINY_RULES cut into a national base, a province and a kota level at rule positions ``split``."""
    rules = copy.deepcopy(TINY_RULES["rules"])
    a, b = split
    nat = {k: v for k, v in copy.deepcopy(TINY_RULES).items()
           if k not in ("jurisdiction", "area", "rules")}
    nat.update(id="uji-nasional", version="n1", level="nasional", rules=rules[:a])
    prov = {"id": "uji-provinsi", "title": {"id": "Provinsi", "en": "Province"}, "version": "p1",
            "issued_by": "tests", "level": "provinsi", "label": {"id": "PROV", "en": "PROV"},
            "extends": "uji-nasional", "jurisdiction": {"kemendagri": ["31"]}, "rules": rules[a:b]}
    kota = {"id": "uji-kota", "title": {"id": "Kota", "en": "City"}, "version": "k1", "issued_by": "tests",
            "level": "kota", "label": {"id": "Kota Uji", "en": "Test City"}, "extends": "uji-provinsi",
            "jurisdiction": TINY_RULES["jurisdiction"], "area": TINY_RULES["area"], "rules": rules[b:],
            "default_reason": {"id": "alasan kota", "en": "city reason"}}
    return nat, prov, kota


def _flat(nat, prov, kota):
    return flatten([parse_ruleset(nat), parse_ruleset(prov), parse_ruleset(kota)], source="test")


def test_flatten_keeps_every_rule_with_its_level_and_records_the_levels():
    rs = _flat(*_levels())
    single = parse_ruleset(TINY_RULES)
    assert [r.id for r in rs.rules] == [r.id for r in single.rules]
    assert [r.model_dump() for r in rs.rules] == [r.model_dump() for r in single.rules]  # origin is not content
    assert [r.origin.ruleset_id for r in rs.rules] == ["uji-nasional"] * 3 + ["uji-provinsi"] * 4 + ["uji-kota"] * 3
    assert [(lv.ruleset_id, lv.version, lv.level) for lv in rs.levels] == [
        ("uji-nasional", "n1", "nasional"), ("uji-provinsi", "p1", "provinsi"), ("uji-kota", "k1", "kota")]
    assert (rs.id, rs.version, rs.area, rs.jurisdiction) == ("uji-kota", "k1", "test-area", {"kemendagri": ["31.71"]})
    assert rs.schedule == single.schedule  # inherited from the national base
    assert rs.default_reason.en == "city reason"  # the kota's own
    assert stack_label(rs.levels) == "nasional n1 > PROV p1 > Kota Uji k1"
    assert stack_label(rs.levels, "en") == "national n1 > PROV p1 > Test City k1"


def test_reasons_cite_the_level_in_both_languages():
    rs = _flat(*_levels())
    by_id = {r.id: r for r in rs.rules}
    for rid, lid, len_ in (("W1", "nasional", "national"), ("S1", "PROV", "PROV"), ("T2", "Kota Uji", "Test City")):
        tid, ten = rule_templates(by_id[rid])
        assert f"Dasar [{lid}]: PKPU 13/2024" in tid.fill(name="x", m=1, when="t")
        assert f"Basis [{len_}]: PKPU 13/2024" in ten.fill(name="x", m=1, when="t")
    # a rule set that does not stack cites no level, as before
    tid, _ = rule_templates(parse_ruleset(TINY_RULES).rules[0])
    assert "Dasar: PKPU 13/2024" in tid.fill(name="x", m=1)


def test_a_child_cannot_redefine_an_inherited_rule_id():
    nat, prov, kota = _levels()
    kota["rules"].append(copy.deepcopy(nat["rules"][0]))
    with pytest.raises(InputError, match=r"rule id 'W1' is already defined by 'uji-nasional'.*amendments"):
        _flat(nat, prov, kota)


def test_tighten_only_by_naming_and_only_stricter():
    nat, prov, kota = _levels()
    kota["amendments"] = [{"rule": "S1", "action": "tighten", "verdict": "FORBIDDEN",
                           "spatial": {"form": "corridor", "half_width": "12 m"}, "legal_basis": BASIS,
                           "reason": {"id": "diperketat", "en": "tightened"}}]
    rs = _flat(nat, prov, kota)
    s1 = rs.rule("S1")
    assert (s1.verdict.value, s1.spatial.metres) == ("FORBIDDEN", 12.0)
    assert [b.instrument for b in s1.legal_basis] == ["PKPU 13/2024", "SK Uji 1/2024"]
    assert s1.origin.ruleset_id == "uji-kota" and s1.origin.label.id == "PROV, diperketat Kota Uji"
    assert [r.id for r in rs.rules].index("S1") == 3  # stays in place

    for change, msg in (({"verdict": "NEEDS_PERMIT"}, "weaker than the inherited"),
                        ({"spatial": {"form": "corridor", "half_width": "5 m"}}, "narrower"),
                        ({"spatial": {"form": "within", "distance": "50 m"}}, "differs from the inherited")):
        kota["amendments"] = [{"rule": "S1", "action": "tighten", "legal_basis": BASIS,
                               "reason": {"id": "x", "en": "x"}, **change}]
        with pytest.raises(InputError, match=msg):
            _flat(nat, prov, kota)


def test_lift_removes_a_named_rule_and_nothing_else():
    nat, prov, kota = _levels()
    prov["amendments"] = [{"rule": "W1-H", "action": "lift", "legal_basis": BASIS,
                           "reason": {"id": "dicabut", "en": "lifted"}}]
    rs = _flat(nat, prov, kota)
    assert "W1-H" not in {r.id for r in rs.rules} and len(rs.rules) == len(TINY_RULES["rules"]) - 1
    kota["amendments"] = [{"rule": "W1-H", "action": "lift", "legal_basis": BASIS, "reason": {"id": "x", "en": "x"}}]
    with pytest.raises(InputError, match="already lifted by uji-provinsi"):
        _flat(nat, prov, kota)
    kota["amendments"] = [{"rule": "NOPE", "action": "lift", "legal_basis": BASIS, "reason": {"id": "x", "en": "x"}}]
    with pytest.raises(InputError, match="not defined by any level above"):
        _flat(nat, prov, kota)
    kota["amendments"] = []
    kota["grants"] = [{"id": "G1", "lifts": ["W1-H"], "place": {"site_id": "a"}, "window": {},
                       "reference": "Surat 1", "granted_by": "KPU"}]
    with pytest.raises(InputError, match=r"grant G1 lifts rule\(s\) not in the stack: W1-H"):
        _flat(nat, prov, kota)


def test_amendments_say_what_they_change():
    nat, _prov, kota = _levels()
    for am, msg in (({"action": "lift", "verdict": "FORBIDDEN"}, "takes no verdict"),
                    ({"action": "tighten"}, "give a stricter")):
        kota["amendments"] = [{"rule": "S1", "legal_basis": BASIS, "reason": {"id": "x", "en": "x"}, **am}]
        with pytest.raises(InputError, match=msg) as e:
            parse_ruleset(kota, source="kota.yaml")
        assert "amendment S1" in str(e.value)
    nat["amendments"] = [{"rule": "S1", "action": "lift", "legal_basis": BASIS, "reason": {"id": "x", "en": "x"}}]
    with pytest.raises(InputError, match="has no parent"):
        parse_ruleset(nat)


def test_broken_chains_are_refused():
    nat, prov, kota = _levels()
    with pytest.raises(InputError, match="extends 'uji-provinsi', not 'uji-nasional'"):
        flatten([parse_ruleset(nat), parse_ruleset(kota)])
    with pytest.raises(InputError, match="starts at 'uji-provinsi'"):
        flatten([parse_ruleset(prov), parse_ruleset(kota)])
    bad = {**prov, "level": "kota", "area": "test-area"}
    kota2 = {**kota, "extends": "uji-provinsi"}
    with pytest.raises(InputError, match="cannot extend a kota level"):
        flatten([parse_ruleset(nat), parse_ruleset(bad), parse_ruleset(kota2)])


def test_files_cannot_claim_a_level_or_origin():
    nat, _, _ = _levels()
    data = {**copy.deepcopy(nat), "levels": [{"ruleset_id": "x", "version": "1", "level": "nasional",
                                              "label": {"id": "x", "en": "x"}}]}
    with pytest.raises(InputError, match="'levels' is set when a stack is resolved"):
        parse_ruleset(data)
    data = copy.deepcopy(nat)
    data["rules"][0]["origin"] = {"ruleset_id": "x"}
    with pytest.raises(InputError, match=r"'origin' is set when a stack is resolved"):
        parse_ruleset(data)


def test_root_and_kota_levels_need_their_fields():
    nat, _, kota = _levels()
    with pytest.raises(InputError, match="must give 'schedule' and 'default_reason'"):
        parse_ruleset({k: v for k, v in nat.items() if k != "schedule"})
    with pytest.raises(InputError, match="must name its 'area' and 'jurisdiction'"):
        parse_ruleset({k: v for k, v in kota.items() if k != "area"})


def _write(folder, name, data):
    path = folder / name
    # through JSON: the fixture's coordinates are numpy floats, which YAML cannot write
    path.write_text(yaml.safe_dump(json.loads(json.dumps(data, default=float)), sort_keys=False,
                                   allow_unicode=True), encoding="utf-8")
    return path


def test_load_resolves_parents_by_id_from_the_folder(tmp_path):
    nat, prov, kota = _levels()
    _write(tmp_path, "a.yaml", nat)
    _write(tmp_path, "b.yaml", prov)
    _write(tmp_path, "manifest.yaml", {"id": "not-a-rule-set", "layers": []})  # skipped: not a rule set
    path = _write(tmp_path, "c.yaml", kota)
    rs = load_ruleset(path)
    assert [lv.ruleset_id for lv in rs.levels] == ["uji-nasional", "uji-provinsi", "uji-kota"]
    alone = load_ruleset(path, resolve=False)
    assert alone.levels == [] and len(alone.rules) == 3 and alone.schedule is None
    with pytest.raises(InputError, match=r"\(level uji-nasional\), rule W1, field 'layer': .*unknown layer 'worship'"):
        load_ruleset(path, known_layers={"kelurahan", "roads", "kpu_points", "tps"})
    (tmp_path / "b.yaml").unlink()
    with pytest.raises(InputError, match="parent rule set 'uji-provinsi' not found"):
        load_ruleset(path)
    _write(tmp_path, "b.yaml", {**prov, "extends": "uji-kota"})
    with pytest.raises(InputError, match="in a circle"):
        load_ruleset(path)


def test_each_level_in_the_version_in_force(tmp_path):
    nat, prov, kota = _levels()
    v2 = copy.deepcopy(nat)
    v2.update(version="n2", effective_from="2024-11-01")
    v2["rules"].append({"id": "N2", "title": {"id": "baru", "en": "new"}, "legal_basis": BASIS,
                        "verdict": "FORBIDDEN", "spatial": {"form": "anywhere"}, "apk_types": ["baliho"]})
    for name, data in (("n1.yaml", nat), ("n2.yaml", v2), ("p.yaml", prov)):
        _write(tmp_path, name, data)
    path = _write(tmp_path, "k.yaml", kota)
    before = load_ruleset(path, at=dt.datetime(2024, 10, 31, 23, 59, tzinfo=WIB))
    after = load_ruleset(path, at=dt.datetime(2024, 11, 1, 0, 0, tzinfo=WIB))
    newest = load_ruleset(path)
    assert [lv.version for lv in before.levels] == ["n1", "p1", "k1"] and "N2" not in {r.id for r in before.rules}
    assert [lv.version for lv in after.levels] == ["n2", "p1", "k1"] and after.rule("N2").origin.version == "n2"
    assert [lv.version for lv in newest.levels] == ["n2", "p1", "k1"]
    with pytest.raises(InputError, match="no version of rule set 'uji-nasional' is in force"):
        in_force([parse_ruleset(v2)], dt.datetime(2024, 1, 1, tzinfo=WIB), "uji-nasional")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(TINY_RULES["rules"])), st.integers(0, len(TINY_RULES["rules"])))
def test_any_split_of_a_rule_set_into_levels_flattens_back_to_it(a, b):
    """However the rules are shared out over national, province and kota, the stack judges with the same rules."""
    a, b = sorted((a, b))
    rs = _flat(*_levels((a, b)))
    single = parse_ruleset(TINY_RULES)
    assert [r.model_dump() for r in rs.rules] == [r.model_dump() for r in single.rules]
    assert [r.origin.level for r in rs.rules] == ["nasional"] * a + ["provinsi"] * (b - a) + ["kota"] * (
        len(single.rules) - b)
