"""Every UI string exists in both languages and every key the code asks for exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from geozones.app import i18n, mapview
from geozones.engine import zoning

ROOT = Path(__file__).resolve().parents[2]


def test_catalog_has_both_languages():
    for key, texts in i18n.CATALOG.items():
        assert len(texts) == 2 and all(s.strip() for s in texts), key


def test_placeholders_match_between_languages():
    for key, (ind, eng) in i18n.CATALOG.items():
        assert set(re.findall(r"\{(\w+)\}", ind)) == set(re.findall(r"\{(\w+)\}", eng)), key


def _sources():
    files = [ROOT / "app.py", *sorted((ROOT / "geozones" / "app").rglob("*.py"))]
    assert len(files) > 10, "the app's modules were not found: the scan is broken"
    return {p: p.read_text(encoding="utf-8") for p in files}


def test_every_literal_key_used_exists():
    used = set()
    for text in _sources().values():
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z_.]*[a-z])["']""", text))
    assert used, "no t() calls found: the scan is broken"
    missing = sorted(k for k in used if k not in i18n.CATALOG)
    assert not missing, missing


def test_keys_built_at_runtime_exist():
    built = [f"layer.{c}" for c in mapview.CATEGORIES] + [f"zone.{z}" for z in zoning.ZONES]
    built += [f"tip.{f}" for f in ("kelurahan", "kecamatan", "kode_kemendagri", "kode_bps")]
    built += ["ctl.search_kel", "ctl.search_kec"]
    assert [k for k in built if k not in i18n.CATALOG] == []


def test_t_defaults_to_indonesian_and_formats():
    assert i18n.t("nav.map") == "Peta"
    assert i18n.t("nav.map", "en") == "Map"
    assert i18n.t("list.shown", "en", n=2, total=3) == "Showing 2 of 3 sites."
    assert i18n.normalize_lang("en-US") == "en" and i18n.normalize_lang("xx") == "id"
    with pytest.raises(KeyError):
        i18n.t("no.such.key")
