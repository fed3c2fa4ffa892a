"""Legal citations say in words that an article is not yet verified (issue 8.14)."""

from __future__ import annotations

import pytest

from geozones.engine.reasons import cite, rule_templates
from geozones.rules.model import LegalBasis, load_ruleset
from tests.conftest import DEFAULT_RULES


@pytest.mark.parametrize(("raw", "lang", "expected"), [
    ({"article": "Pasal 70 ayat (1)"}, "id", "PKPU 13/2024 Pasal 70 ayat (1) [S]"),
    ({"article": "verify"}, "id", "PKPU 13/2024 (pasal belum diverifikasi) [S]"),
    ({"article": "verify"}, "en", "PKPU 13/2024 (article not yet verified) [S]"),
    ({"article": "verify (fasilitasi APK oleh KPU)"}, "id",
     "PKPU 13/2024 (fasilitasi APK oleh KPU; pasal belum diverifikasi) [S]"),
    ({"article": "Pasal 70", "verified": False}, "en", "PKPU 13/2024 Pasal 70 (article not yet verified) [S]"),
    ({"article": "verify"}, None, "PKPU 13/2024 (pasal belum diverifikasi / article not yet verified) [S]"),
    ({}, "en", "PKPU 13/2024 [S]"),
])
def test_cite(raw, lang, expected):
    basis = LegalBasis.model_validate({"instrument": "PKPU 13/2024", "grade": "S", **raw})
    assert basis.cite(lang) == expected


def test_verify_never_leaks_into_the_published_rule_sets_reasons():
    rs = load_ruleset(DEFAULT_RULES)
    unverified = [b for r in rs.rules for b in r.legal_basis if not b.verified]
    assert unverified, "the published rule set still has unverified articles; this test checks how they read"
    for r in rs.rules:
        for text in (cite(r.legal_basis), *("".join(tmpl.parts) for tmpl in rule_templates(r))):
            assert "verify" not in text
        tid, ten = rule_templates(r)
        if any(not b.verified for b in r.legal_basis):
            assert "belum diverifikasi" in "".join(tid.parts) and "not yet verified" not in "".join(tid.parts)
            assert "not yet verified" in "".join(ten.parts) and "belum diverifikasi" not in "".join(ten.parts)
    texts = [cite(r.legal_basis) for r in rs.rules]
    assert any("pasal belum diverifikasi" in t and "article not yet verified" in t for t in texts)
