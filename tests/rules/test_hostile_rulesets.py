"""Rule sets that used to validate and then blow up (issue 13.3): bounded, no duplicate keys, numbers in range."""

from __future__ import annotations

import re
import time

import pytest
import yaml

from geozones.core.errors import InputError
from geozones.rules.model import RuleSetLimits, load_ruleset, parse_ruleset
from tests.rules.conftest import write_rules


def _err(fn, *args, **kw) -> str:
    with pytest.raises(InputError) as e:
        fn(*args, **kw)
    return str(e.value)


def _alias_chain(levels: int, width: int = 9) -> str:
    """YAML whose last anchor expands to ``width ** levels`` values, in a few hundred bytes."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels):
        refs = ", ".join([f"*a{i - 1}"] * width)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


def test_alias_chain_in_where_is_refused_at_load(tmp_path, rules_data):
    # Same rule set as YAML, with a chain of anchors feeding a rule's `where` values.
    text = yaml.safe_dump(rules_data, sort_keys=False)
    text = "x-chain:\n" + "".join("  " + line + "\n" for line in _alias_chain(8).splitlines()) + text
    text = text.replace("    white:\n    - true\n", "    white: *a7\n")
    assert "*a7" in text
    path = tmp_path / "bomb.yaml"
    path.write_text(text, encoding="utf-8")
    t0 = time.perf_counter()
    msg = _err(load_ruleset, path)
    assert time.perf_counter() - t0 < 5  # refused from the node graph, not after expanding 43 million values
    found = int(re.search(r"([0-9,]+) nodes", msg).group(1).replace(",", ""))
    assert "max_nodes=500,000" in msg and found > 2 * 48_427_561  # the chain, and its use in `where`
    assert "simpul" in msg and "nodes" in msg  # both languages


def test_small_alias_use_still_loads(tmp_path, rules_data):
    text = yaml.safe_dump(rules_data, sort_keys=False)
    text = text.replace("legal_basis:\n  - instrument: PKPU 13/2024\n",
                        "legal_basis: &lb\n  - instrument: PKPU 13/2024\n", 1)
    path = tmp_path / "ok.yaml"
    path.write_text(text, encoding="utf-8")
    assert load_ruleset(path).id == "test-rules"


def test_duplicate_key_is_refused_naming_key_and_lines(tmp_path, rules_data):
    text = yaml.safe_dump(rules_data, sort_keys=False)
    # A second verdict for W1: before, the last one won silently and changed the verdict.
    text = text.replace("  verdict: FORBIDDEN\n", "  verdict: FORBIDDEN\n  verdict: ALLOWED_ASSIGNED\n", 1)
    path = tmp_path / "dup.yaml"
    path.write_text(text, encoding="utf-8")
    msg = _err(load_ruleset, path)
    lines = text.splitlines()
    first = lines.index("  verdict: FORBIDDEN") + 1
    assert f"key 'verdict' appears twice (lines {first} and {first + 1})" in msg
    assert f"kunci 'verdict' muncul dua kali (baris {first} dan {first + 1})" in msg


def test_merge_keys_are_not_duplicates(tmp_path, rules_data):
    text = yaml.safe_dump(rules_data, sort_keys=False)
    text = "x-base: &base {grade: S, instrument: PKPU 13/2024}\n" + text.replace(
        "  - instrument: PKPU 13/2024\n    article: Pasal 1\n    grade: S\n",
        "  - <<: *base\n    article: Pasal 1\n    grade: P\n", 1)
    path = tmp_path / "merge.yaml"
    path.write_text(text.replace("schema_version: 1\n", "schema_version: 1\n", 1), encoding="utf-8")
    # x-base is an unknown top-level field, refused by the model, not as a duplicate key
    assert "appears twice" not in _err(load_ruleset, path)


def test_too_many_rules_is_refused_before_validation(rules_data):
    rules_data["rules"] = [dict(rules_data["rules"][6], id=f"B{i}") for i in range(60_000)]
    t0 = time.perf_counter()
    msg = _err(parse_ruleset, rules_data, source="big.yaml")
    assert time.perf_counter() - t0 < 2
    assert "big.yaml, field 'rules': 60,000 entri, batas max_rules=2,000 / 60,000 entries, limit max_rules=2,000" \
        in msg


def test_limits_come_from_the_environment(monkeypatch, rules_data):
    monkeypatch.setenv("GEOZONES_RULES_LIMITS", "max_rules=3, max_text=5000")
    assert RuleSetLimits.from_env().max_rules == 3
    assert "limit max_rules=3" in _err(parse_ruleset, rules_data)
    monkeypatch.setenv("GEOZONES_RULES_LIMITS", "max_rulez=3")
    assert "unknown limit" in _err(RuleSetLimits.from_env)


def test_file_size_is_checked_before_reading(tmp_path, rules_data):
    path = write_rules(tmp_path / "r.yaml", rules_data)
    size = path.stat().st_size
    msg = _err(load_ruleset, path, limits=RuleSetLimits(max_bytes=1000))
    assert f"{size:,} bytes, limit max_bytes=1,000" in msg and "bita" in msg


def test_zone_vertices_are_bounded(rules_data):
    msg = _err(parse_ruleset, rules_data, source="z.yaml", limits=RuleSetLimits(max_vertices=4))
    assert "z.yaml, rule Z1, field 'zones.0.geometry'" in msg and "max_vertices=4" in msg


def test_alias_built_zone_geometry_is_refused_quickly(rules_data):
    ring = rules_data["rules"][4]["zones"][0]["geometry"]["coordinates"][0]
    big = ring[:1] * 10
    for _ in range(5):
        big = big * 10  # shared lists, as aliases build them: 1e6 vertices from a few objects
    rules_data["rules"][4]["zones"][0]["geometry"]["coordinates"] = [big]
    t0 = time.perf_counter()
    msg = _err(parse_ruleset, rules_data)
    assert time.perf_counter() - t0 < 2 and "max_vertices=20,000" in msg


def test_long_texts_are_bounded_naming_rule_and_field(rules_data):
    rules_data["rules"][1]["title"]["en"] = "x" * 5000
    msg = _err(parse_ruleset, rules_data, source="t.yaml")
    assert "t.yaml, rule W1-H, field 'title.en': teks 5,000 karakter, batas max_text=4,000" in msg
    assert "text of 5,000 characters, limit max_text=4,000" in msg


@pytest.mark.parametrize(("path", "value", "needle"), [
    (("quotas", 0, "facilitated_max"), 10**30, "value 1000000000000000000000000000000 is out of range: "
                                                "must be at most 100000"),
    (("quotas", 0, "extra_pct"), 10**6, "value 1000000 is out of range: must be at most 1000"),
    (("quotas", 0, "facilitated_max"), -1, "must be at least 0"),
    (("rules", 1, "spatial", "distance"), "99999999 m", "distance 99999999 m is beyond the limit of 10000 m"),
    (("rules", 1, "spatial", "distance"), "9" * 400 + " m", "is not a number with a unit"),
    (("rules", 7, "window", "end"), "9999-01-01", "year 9999 is outside 1900-2100"),
    (("schedule", "campaign", "start"), "0001-01-01", "year 1 is outside 1900-2100"),
])
def test_out_of_range_numbers_are_refused(rules_data, path, value, needle):
    node = rules_data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    msg = _err(parse_ruleset, rules_data)
    assert needle in msg
    assert " / " in msg  # Indonesian first, English beside


def test_facilitated_max_at_the_limit_still_gives_a_cap_that_fits_int64(rules_data):
    rules_data["quotas"][0].update(facilitated_max=100_000, extra_pct=1_000)
    rs = parse_ruleset(rules_data)
    assert rs.quotas[0].cap == 1_100_000 < 2**63


def test_messages_are_in_both_languages(rules_data):
    del rules_data["issued_by"]
    rules_data["rules"][0]["verdict"] = "MAYBE"
    rules_data["rules"][1]["spatial"] = {"form": "within"}
    msg = _err(parse_ruleset, rules_data, source="t.yaml")
    assert "t.yaml, field 'issued_by': wajib diisi / Field required" in msg
    assert "rule W1, field 'verdict': nilai 'MAYBE' tidak diizinkan" in msg
    assert ("bentuk 'within' memerlukan distance, mis. distance: 50 m / "
            "form 'within' needs a distance, e.g. distance: 50 m") in msg


@pytest.mark.parametrize("area", ["../../../../etc/hostname", "/etc/hostname", "a/b", "x.yaml", "Jakarta Pusat",
                                  "jakarta\x1b[2J", ""])
def test_area_is_an_identifier_never_a_path(rules_data, area):
    rules_data["area"] = area
    msg = _err(parse_ruleset, rules_data, source="t.yaml")
    assert "field 'area'" in msg and ("not a valid identifier" in msg or "control character" in msg)


@pytest.mark.parametrize("layer", ["../worship", "worship/../../x", "Worship"])
def test_rule_layer_is_an_identifier(rules_data, layer):
    rules_data["rules"][0]["layer"] = layer
    assert "rule W1, field 'layer'" in _err(parse_ruleset, rules_data)


def test_ruleset_id_and_supersedes_are_identifiers(rules_data):
    rules_data["id"] = "a/../b"
    rules_data["supersedes"] = ["../old"]
    msg = _err(parse_ruleset, rules_data)
    assert "field 'id'" in msg and "field 'supersedes.0'" in msg


def test_where_values_are_scalars(rules_data):
    rules_data["rules"][2]["where"] = {"white": [[True], {"a": 1}]}
    msg = _err(parse_ruleset, rules_data)
    assert "rule P1, field 'where.white.0" in msg and "rule P1, field 'where.white.1" in msg
    rules_data["rules"][2]["where"] = {"white": [True, "ya", 1, 2.5, None]}
    assert parse_ruleset(rules_data).rules[2].where == {"white": [True, "ya", 1, 2.5, None]}


@pytest.mark.parametrize("text", ["Tempat\x1b[2J ibadah", "a\x07", "x\u202eevil", "\x00"])
def test_control_characters_in_texts_are_refused(rules_data, text):
    rules_data["rules"][0]["title"]["id"] = text
    msg = _err(parse_ruleset, rules_data)
    assert "rule W1, field 'title.id'" in msg and "control character U+" in msg and "karakter kendali" in msg
    assert "\x1b" not in msg.split(": ", 1)[0]


def test_tabs_and_newlines_in_texts_are_fine(rules_data):
    rules_data["rules"][0]["note"] = {"id": "baris satu\nbaris\tdua", "en": "line one\nline two"}
    assert parse_ruleset(rules_data).rules[0].note.en == "line one\nline two"
