"""Issue 8.1 (a site of unknown APK type) and 8.2 (only lawful sites use up a quota)."""

from __future__ import annotations

import copy

import pandas as pd

from geozones.engine import evaluate, evaluate_detailed
from geozones.engine.quotas import quota_usage
from geozones.io.sites import sites_frame
from geozones.rules.model import parse_ruleset
from tests.engine.conftest import BASIS, TINY_RULES, _rule, to_lonlat

DURING = "2024-10-15T10:00"


# ----------------------------------------------------------------------------- 8.1 unknown APK type
def test_type_rule_never_decides_an_unknown_type(tiny_layers, tiny_rules):
    lon, lat = to_lonlat([300, 300, 300], [900, 900, 900])
    t = evaluate(sites_frame(lon, lat, site_id=["none", "billboard", "spanduk"],
                             apk_type=[None, "billboard", "spanduk"]), tiny_layers, tiny_rules, at=DURING)
    t = t.set_index("site_id")
    assert t.loc["none", "verdict"] == "NEEDS_OWNER_CONSENT"
    assert t.loc["billboard", "verdict"] == "NEEDS_PERMIT" and t.loc["billboard", "rule_ids"] == "B1"
    assert t.loc["spanduk", "verdict"] == "NEEDS_OWNER_CONSENT"
    # the unknown type's verdict is the verdict of the mildest reading, and the per-type column says the rest
    assert t.loc["none", "verdict_by_type"].split("; ") == [
        "baliho:NEEDS_OWNER_CONSENT", "billboard:NEEDS_PERMIT", "spanduk:NEEDS_OWNER_CONSENT",
        "umbul_umbul:NEEDS_OWNER_CONSENT"]
    assert t.loc["billboard", "verdict_by_type"] == "" and t.loc["spanduk", "verdict_by_type"] == ""
    # the default reason comes first, then the condition
    rid, ren = t.loc["none", "reasons_id"], t.loc["none", "reasons_en"]
    assert rid.index("perlu izin pemilik") < rid.index("jika billboard/videotron: B1 aturan B1")
    assert "if it is a billboard/videotron: B1 rule B1" in ren
    assert "jika" not in t.loc["billboard", "reasons_id"]


def test_unknown_type_still_gets_rules_for_every_type(tiny_layers, tiny_rules):
    # A rule for all types decides as before; the type rule stays a condition beside it.
    lon, lat = to_lonlat([230], [230])  # inside the mosque
    res = evaluate_detailed(sites_frame(lon, lat), tiny_layers, tiny_rules, at=DURING)
    row = res.table.iloc[0]
    assert row["verdict"] == "FORBIDDEN" and row["rule_ids"].split(";")[0] == "W1"
    assert "B1" not in row["rule_ids"].split(";")
    assert row["verdict_by_type"] == ""  # forbidden as every type
    m = res.matches
    assert m.loc[m["rule_id"] == "B1", "conditional"].all()
    assert not m.loc[m["rule_id"] == "W1", "conditional"].any()


def test_condition_can_be_stricter_for_a_type_with_a_place_rule(tiny_layers):
    # A billboard-only FORBIDDEN corridor along the small road: unknown type -> mild verdict, by-type differs.
    data = copy.deepcopy(TINY_RULES)
    data["rules"].append(_rule("BB", "FORBIDDEN", "corridor", half_width="30 m", layer="roads",
                               apk_types=["billboard", "baliho"]))
    rules = parse_ruleset(data, known_layers=tiny_layers.manifest.layer_names)
    lon, lat = to_lonlat([300], [820])  # 20 m from Jalan Kecil: outside S1's 8 m, inside BB's 30 m
    row = evaluate(sites_frame(lon, lat), tiny_layers, rules, at=DURING).iloc[0]
    assert row["verdict"] == "NEEDS_OWNER_CONSENT"
    assert "baliho:FORBIDDEN" in row["verdict_by_type"] and "billboard:FORBIDDEN" in row["verdict_by_type"]
    assert "spanduk:NEEDS_OWNER_CONSENT" in row["verdict_by_type"]
    assert "jika baliho atau billboard/videotron: BB" in row["reasons_id"]
    assert "'Jalan Kecil'" in row["reasons_id"]


def test_johar_baru_without_type_is_owner_consent(jakpus_layers, jakpus_rules):
    sites = sites_frame([106.854146, 106.854146], [-6.186935, -6.186935], site_id=["none", "spanduk"],
                        apk_type=[None, "spanduk"])
    t = evaluate(sites, jakpus_layers, jakpus_rules, at="2024-10-15T10:00").set_index("site_id")
    assert t.loc["none", "verdict"] == "NEEDS_OWNER_CONSENT"
    assert t.loc["none", "verdict"] == t.loc["spanduk", "verdict"]
    assert "billboard:NEEDS_PERMIT" in t.loc["none", "verdict_by_type"]
    assert "spanduk:NEEDS_OWNER_CONSENT" in t.loc["none", "verdict_by_type"]
    assert "R14" not in t.loc["none", "rule_ids"].split(";")
    assert "jika billboard/videotron: R14" in t.loc["none", "reasons_id"]
    assert "if it is a billboard/videotron: R14" in t.loc["none", "reasons_en"]


# ----------------------------------------------------------------------------- 8.2 quotas
def _quota_sites(points, times, ids):
    lon, lat = to_lonlat([p[0] for p in points], [p[1] for p in points])
    return sites_frame(lon, lat, site_id=ids, apk_type="spanduk", paslon="1", installed_at=times)


def test_forbidden_sites_do_not_use_up_the_quota(tiny_layers, tiny_rules):
    # cap = 1 facilitated + 100 % = 2 spanduk per paslon per kelurahan
    sites = _quota_sites([(230, 230), (240, 240), (300, 900), (400, 900)],
                         ["2024-10-01T08:00", "2024-10-01T09:00", "2024-10-02T08:00", "2024-10-03T08:00"],
                         ["mosque1", "mosque2", "lawful1", "lawful2"])
    t = evaluate(sites, tiny_layers, tiny_rules).set_index("site_id")
    assert t.loc["lawful1", "verdict"] == "NEEDS_OWNER_CONSENT"
    assert t.loc["lawful2", "verdict"] == "NEEDS_OWNER_CONSENT"
    for s in ("mosque1", "mosque2"):
        assert t.loc[s, "verdict"] == "FORBIDDEN"
        assert "Q-" not in t.loc[s, "rule_ids"] and "W1" in t.loc[s, "rule_ids"].split(";")
        assert "Kuota" not in t.loc[s, "reasons_id"]


def test_conditional_verdicts_count_and_the_third_lawful_site_is_over(tiny_layers, tiny_rules):
    sites = _quota_sites([(300, 804), (400, 900), (500, 900), (230, 230)],
                         ["2024-10-01T08:00", "2024-10-02T08:00", "2024-10-03T08:00", "2024-10-01T07:00"],
                         ["discretion", "lawful1", "lawful2", "mosque"])
    t = evaluate(sites, tiny_layers, tiny_rules).set_index("site_id")
    assert t.loc["discretion", "verdict"] == "NEEDS_DISCRETION"  # 4 m from Jalan Kecil: counts
    assert t.loc["lawful1", "verdict"] == "NEEDS_OWNER_CONSENT"
    assert t.loc["lawful2", "verdict"] == "FORBIDDEN"
    assert t.loc["lawful2", "rule_ids"] == "Q-spanduk-kelurahan"
    assert "APK ke-3" in t.loc["lawful2", "reasons_id"]
    usage = quota_usage(t.reset_index(), tiny_rules)
    row = usage[(usage["unit_code"] == "31.71.01.1001") & (usage["unit"] == "kelurahan")].iloc[0]
    assert (row["used"], row["over"]) == (3, 1)  # the mosque site is not counted


def test_out_of_window_sites_do_not_count(tiny_layers, tiny_rules):
    sites = _quota_sites([(300, 900), (400, 900), (500, 900)],
                         ["2024-09-01T08:00", "2024-10-02T08:00", "2024-10-03T08:00"],
                         ["early", "lawful1", "lawful2"])
    t = evaluate(sites, tiny_layers, tiny_rules).set_index("site_id")
    assert t.loc["early", "verdict"] == "OUT_OF_WINDOW" and "Q-" not in t.loc["early", "rule_ids"]
    assert list(t.loc[["lawful1", "lawful2"], "verdict"]) == ["NEEDS_OWNER_CONSENT"] * 2


def test_outside_area_sites_do_not_count(tiny_layers, tiny_rules):
    sites = _quota_sites([(2500, 500), (300, 900), (400, 900)],
                         ["2024-10-01T08:00", "2024-10-02T08:00", "2024-10-03T08:00"], ["gamma", "a", "b"])
    t = evaluate(sites, tiny_layers, tiny_rules).set_index("site_id")
    assert t.loc["gamma", "verdict"] == "OUTSIDE_AREA"
    assert list(t.loc[["a", "b"], "verdict"]) == ["NEEDS_OWNER_CONSENT"] * 2
    assert isinstance(t, pd.DataFrame)


def test_quota_legal_basis_with_braces_is_literal(tiny_layers):
    data = copy.deepcopy(TINY_RULES)
    data["quotas"][0]["legal_basis"] = [{**BASIS[0], "article": "Pasal {pos} {0} %s {x.__class__}"}]
    rules = parse_ruleset(data, known_layers=tiny_layers.manifest.layer_names)
    sites = _quota_sites([(300, 900), (400, 900), (500, 900)],
                         ["2024-10-01T08:00", "2024-10-02T08:00", "2024-10-03T08:00"], ["a", "b", "c"])
    t = evaluate(sites, tiny_layers, rules).set_index("site_id")
    assert "Pasal {pos} {0} %s {x.__class__} [S]" in t.loc["c", "reasons_id"]
    assert "APK ke-3" in t.loc["c", "reasons_id"] and "APK no. 3" in t.loc["c", "reasons_en"]
