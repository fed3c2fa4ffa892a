"""Issue 13.1: no text from a rule set or from data is ever a format string.

Every text field of a rule set gets braces, percent signs and attribute/index lookups;
the reasons must carry each one literally, and nothing may be evaluated.
"""

from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from geozones.engine import evaluate_detailed
from geozones.engine.reasons import ReasonTemplate, template
from geozones.io.sites import sites_frame
from geozones.rules.model import Grant, parse_ruleset
from tests.engine.conftest import TINY_RULES, to_lonlat

HOSTILE = "{ibadah} {name.__class__.__mro__} {0[0]} {m} {when} {pos} {{x}} 50% %s %(a)s }{"


def _h(field: str) -> str:
    return f"<{field}> {HOSTILE}"


def _hostile_rules(tiny_layers):
    data = copy.deepcopy(TINY_RULES)
    data["default_reason"] = {"id": _h("default.id"), "en": _h("default.en")}
    data["schedule"]["source"] = _h("schedule.source")
    for r in data["rules"]:
        rid = r["id"]
        r["title"] = {"id": _h(f"{rid}.title.id"), "en": _h(f"{rid}.title.en")}
        r["note"] = {"id": _h(f"{rid}.note.id"), "en": _h(f"{rid}.note.en")}
        r["legal_basis"] = [{"instrument": _h(f"{rid}.instrument"), "article": _h(f"{rid}.article"),
                             "grade": "S", "note": _h(f"{rid}.basis.note")}]
        for z in r.get("zones") or []:
            z["name"] = _h("zone.name")
            z["source"] = _h("zone.source")
    data["quotas"][0]["legal_basis"] = [{"instrument": _h("quota.instrument"), "article": _h("quota.article"),
                                         "grade": "S"}]
    return parse_ruleset(data, known_layers=tiny_layers.manifest.layer_names)


def test_every_rule_text_appears_literally(tiny_layers):
    rules = _hostile_rules(tiny_layers)
    pts = {"mosque": (230, 230), "road": (500, 505), "zone": (1600, 200), "early": (300, 900),
           "unknown": (300, 900), "q1": (400, 900), "q2": (500, 900), "q3": (600, 900)}
    lon, lat = to_lonlat([p[0] for p in pts.values()], [p[1] for p in pts.values()])
    apk = ["baliho", "umbul-umbul", "baliho", "baliho", None, "spanduk", "spanduk", "spanduk"]
    times = [None, None, None, "2024-09-01T08:00", None, "2024-10-01T08:00", "2024-10-02T08:00",
             "2024-10-03T08:00"]
    sites = sites_frame(lon, lat, site_id=list(pts), apk_type=apk, paslon="1", installed_at=times)
    grant = Grant.model_validate({
        "id": "G-1", "lifts": ["S1"], "place": {"site_id": "road"}, "reference": _h("grant.reference"),
        "granted_by": _h("grant.granted_by"), "conditions": {"id": _h("grant.cond.id"), "en": _h("grant.cond.en")},
        "window": {"start": "campaign.start", "end": "campaign.end"}})
    res = evaluate_detailed(sites, tiny_layers, rules, at="2024-10-15T10:00", grants=[grant])
    t = res.table.set_index("site_id")
    everything = " ".join(t["reasons_id"]) + " " + " ".join(t["reasons_en"])
    assert "<class" not in everything and "object'>" not in everything  # nothing was evaluated
    expect = {
        "mosque": ["W1.title.id", "W1.article", "W1.instrument", "W1-H.note.id", "W1-H.title.en", "W1-H.note.en"],
        "road": ["P1.title.id", "P1.title.en", "S1.title.id", "grant.reference", "grant.granted_by",
                 "grant.cond.id", "grant.cond.en"],
        "zone": ["Z1.title.id", "zone.name", "Z1.note.en"],
        "early": ["T1.title.id", "T1.title.en"],
        "unknown": ["default.id", "default.en", "B1.title.id", "B1.title.en"],
        "q3": ["quota.instrument", "quota.article"],
    }
    for site, fields in expect.items():
        text = t.loc[site, "reasons_id"] + " || " + t.loc[site, "reasons_en"]
        for f in fields:
            assert _h(f) in text, (site, f)
    assert "dinilai pada 01-09-2024 08:00 WIB" in t.loc["early", "reasons_id"]
    assert "APK ke-3" in t.loc["q3", "reasons_id"]


def test_template_slots_are_filled_once_and_text_is_kept():
    tpl = template("a {m} {name} %s ", ("name",), " b ", ("m",), " {when}")
    assert tpl.fill(name="{m}", m=5) == "a {m} {name} %s {m} b 5 {when}"
    assert template("x ", ("when",), " y").split("when") == ("x ", " y")


@given(text=st.text(max_size=40))
@settings(max_examples=200, deadline=None)
def test_any_text_is_literal(text):
    tpl = ReasonTemplate((text, "name", text, "m", text))
    assert tpl.fill(name="N", m=7) == f"{text}N{text}7{text}"
