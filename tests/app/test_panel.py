"""The verdict panel's per-APK-type line, with or without the engine's ``verdict_by_type`` column."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from geozones.app.widgets.panel import verdict_by_type_text


@pytest.mark.parametrize(("value", "lang", "expected"), [
    ("billboard:NEEDS_PERMIT; spanduk:NEEDS_OWNER_CONSENT", "id",
     "Billboard/videotron: Perlu izin Pemda; Spanduk: Perlu izin pemilik"),
    ("billboard:NEEDS_PERMIT; spanduk:NEEDS_OWNER_CONSENT", "en",
     "Billboard/videotron: Needs a permit; Spanduk (banner): Needs owner consent"),
    ("baliho:FORBIDDEN;umbul-umbul:ALLOWED", "id", "Baliho: Dilarang; Umbul-umbul: Boleh"),
    ("poster:MAYBE", "id", "poster:MAYBE"),  # an unknown form is kept as written
    ("", "id", ""),
    (None, "id", ""),
    (float("nan"), "en", ""),
])
def test_verdict_by_type_text(value, lang, expected):
    assert verdict_by_type_text(value, lang) == expected


def _plain(markdown: str) -> str:
    """Markdown as read: backslash escapes removed."""
    return re.sub(r"\\(.)", r"\1", markdown)


def _panel_script(by_type, lang):
    """Draw verdict_panel for a one-site table built here (with the column when by_type is not None)."""
    import datetime as dt
    from types import SimpleNamespace

    import pandas as pd

    from geozones.app.widgets.panel import verdict_panel

    row = {"site_id": "titik", "lon": 106.854146, "lat": -6.186935, "verdict": "NEEDS_PERMIT",
           "judged_at": dt.datetime(2024, 10, 15, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=7))),
           "kelurahan": "Johar Baru", "kode_kemendagri": "31.71.08.1001", "kode_bps": "3173040001",
           "kecamatan": "Johar Baru", "kota": "Kota Administrasi Jakarta Pusat",
           "reasons_id": "jika billboard/videotron: R14 izin", "reasons_en": "if billboard/videotron: R14 permit",
           "nearest_m": float("nan"), "nearest_name": None, "nearest_layer": None,
           "advisory": False, "unverified": False}
    if by_type is not None:
        row["verdict_by_type"] = by_type
    matches = pd.DataFrame(columns=["rule_id", "verdict", "feature_name", "layer", "distance_m", "advisory",
                                    "reason_id", "reason_en"])
    result = SimpleNamespace(table=pd.DataFrame([row]), matches=matches, not_checked=[], nearest_bound_m=1000.0)
    verdict_panel(result, lang)


@pytest.mark.parametrize(("by_type", "lang", "line"), [
    ("billboard:NEEDS_PERMIT; spanduk:NEEDS_OWNER_CONSENT", "id",
     "**Menurut jenis APK:** Billboard/videotron: Perlu izin Pemda; Spanduk: Perlu izin pemilik"),
    ("billboard:NEEDS_PERMIT; spanduk:NEEDS_OWNER_CONSENT", "en",
     "**By APK type:** Billboard/videotron: Needs a permit; Spanduk (banner): Needs owner consent"),
])
def test_panel_shows_the_line_when_types_differ(by_type, lang, line):
    at = AppTest.from_function(_panel_script, args=(by_type, lang)).run()
    assert not at.exception, at.exception
    assert line in [_plain(m.value) for m in at.markdown]


@pytest.mark.parametrize("by_type", [None, ""])
def test_panel_without_the_column_or_with_it_empty_has_no_line(by_type):
    at = AppTest.from_function(_panel_script, args=(by_type, "id")).run()
    assert not at.exception, at.exception
    assert not [m.value for m in at.markdown if "jenis APK" in m.value]
    assert any("NEEDS\\_PERMIT" in e.value or "NEEDS_PERMIT" in e.value for e in at.warning)


def test_panel_escapes_a_hostile_type():
    at = AppTest.from_function(_panel_script, args=("<img src=x onerror=alert(1)>:FORBIDDEN", "id")).run()
    assert not at.exception
    line = next(m.value for m in at.markdown if "jenis APK" in m.value)
    assert "\\<img" in line and "<" not in line.replace("\\<", "")  # every < escaped
