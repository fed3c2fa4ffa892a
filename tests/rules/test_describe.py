"""The rule text shared by ``geozones rules show`` and the Aturan page."""

from __future__ import annotations

import datetime as dt
import typing

from geozones.core.verdicts import Verdict
from geozones.rules.describe import FORM_TEXT, describe_rules
from geozones.rules.model import Spatial

WIB = dt.timezone(dt.timedelta(hours=7))


def test_every_rule_described_in_order_with_form_place_and_citations(tiny_rules):
    texts = describe_rules(tiny_rules)
    assert [r.id for r in texts] == [r.id for r in tiny_rules.rules]
    by_id = {r.id: r for r in texts}
    w1h = by_id["W1-H"]
    assert (w1h.verdict, w1h.spatial, w1h.place, w1h.advisory) == (Verdict.FORBIDDEN, "within 10 m", "worship", True)
    assert w1h.form_text("id") == "dalam jarak" and w1h.form_text("en") == "within"
    assert w1h.title_in("id") == "aturan W1-H" and w1h.title_in("en") == "rule W1-H"
    assert w1h.citations == ("PKPU 13/2024 Pasal 1 [S]",) and w1h.grades == "S"
    assert by_id["W1"].spatial == "inside" and by_id["W1"].metres is None
    assert by_id["P1"].place_detail == "roads (white ∈ True)" and by_id["P1"].spatial == "corridor 25 m"
    assert by_id["Z1"].place == "Kawasan Uji" == by_id["Z1"].place_detail
    assert by_id["B1"].place == "-" and by_id["B1"].place_detail == "—" and by_id["B1"].apk_types == ("billboard",)
    assert by_id["W1"].apk_types is None and by_id["W1"].note_in("en") == ""


def test_windows_as_written_and_resolved(tiny_rules):
    by_id = {r.id: r for r in describe_rules(tiny_rules)}
    assert by_id["T1"].window == (None, "campaign.start")
    assert by_id["T1"].window_at == (None, dt.datetime(2024, 9, 25, tzinfo=WIB))
    assert by_id["T2"].window_at == (dt.datetime(2024, 11, 24, tzinfo=WIB), None)
    assert by_id["W1"].window == (None, None) == by_id["W1"].window_at


def test_every_spatial_form_has_text_in_both_languages():
    forms = typing.get_args(Spatial.model_fields["form"].annotation)
    assert set(forms) == set(FORM_TEXT)
    for ind, eng in FORM_TEXT.values():
        assert ind.strip() and eng.strip()


def test_published_rules_described(jakpus_rules):
    texts = describe_rules(jakpus_rules)
    assert len(texts) == len(jakpus_rules.rules) and all(r.citations and r.title_in("en") for r in texts)
