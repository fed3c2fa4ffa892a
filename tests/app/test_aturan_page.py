"""The Aturan page on a store where KPU has published: coverage table, date control, rules and grants of that date.

The store is the one of :mod:`tests.app.test_kpu_pages` (the national and DKI levels and the
Jakarta Pusat rule set imported; version 2024.4 with a KPU park in force from 15/10/2024; grant
D-001 in force 10/10 - 01/11/2024).
"""

from __future__ import annotations

import re

import pandas as pd
from streamlit.testing.v1 import AppTest

from tests.app.test_kpu_pages import (
    APP,
    kpu_home,  # noqa: F401 - the shared store fixture
)
from tests.app.test_kpu_pages import _texts as _escaped_texts

LETTER = "123/PL.02.4-SD/3171/2024"


def _texts(at: AppTest) -> str:
    """The page's texts with markdown escapes removed (``2024\\.4`` reads ``2024.4``)."""
    return _escaped_texts(at).replace("\\", "")


def _aturan() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.switch_page("geozones/app/pages/aturan.py").run()
    assert not at.exception, at.exception
    return at


def _frame_with(at: AppTest, column: str) -> pd.DataFrame | None:
    frames = [d.value for d in at.dataframe if column in d.value.columns]
    return frames[0] if frames else None


def _shows_letter(at: AppTest) -> bool:
    return any(LETTER in str(v) for d in at.dataframe for v in d.value.to_numpy().ravel())


def test_coverage_table_is_built_when_the_rules_come_from_the_store(kpu_home):  # noqa: F811
    at = _aturan()  # whatever the date, the rule set in force comes from the store
    errors = "\n".join(str(e.value) for e in at.error)
    assert "cakupan" not in errors.lower() and "tidak ditemukan" not in errors, errors
    layers = _frame_with(at, "Aturan tidak diperiksa")
    assert layers is not None, [list(d.value.columns) for d in at.dataframe]
    layers = layers.set_index("Nama")
    assert layers.loc["kelurahan", "Jumlah objek"] == 44
    assert layers.loc["tps", "Aturan tidak diperiksa"] == "R25"  # named from the store's rule set
    kel = _frame_with(at, "Kemungkinan celah data")
    assert kel is not None and len(kel) == 44


def _versions() -> dict[str, str]:
    """Version of the Jakarta Pusat level by status, as the fixture stored them."""
    from geozones.store.database import open_store
    from geozones.store.models import RuleSetVersion

    store = open_store()
    try:
        with store.read() as s:
            rows = s.query(RuleSetVersion).filter_by(ruleset_id="dki-jakarta-pusat-pilkada-2024").all()
            return {v.status: v.version for v in rows}
    finally:
        store.dispose()


def _version_shown(at: AppTest) -> str:
    meta = re.search(r"Versi (\S+) · status", _texts(at))
    assert meta, _texts(at)
    return meta.group(1)


def test_date_control_picks_the_version_and_grants_of_that_date(kpu_home):  # noqa: F811
    versions = _versions()  # the imported one superseded on 15/10 by the one with the KPU park
    at = _aturan()
    # today (2026 on this machine, or any day outside the schedule) is moved into the campaign
    field = at.text_input(key="aturan_at_date")
    day = pd.Timestamp(pd.to_datetime(field.value, format="%d/%m/%Y"))
    assert pd.Timestamp("2024-09-25") <= day < pd.Timestamp("2024-11-24")
    assert not any("setelah hari pemungutan suara" in str(w.value) for w in at.warning)
    if day < pd.Timestamp("2024-10-15"):  # the first run loads the version of the date shown, not of today
        assert _version_shown(at) == versions["superseded"]
    at.text_input(key="aturan_at_date").input("10/10/2024").run()
    assert not at.exception, at.exception
    assert _version_shown(at) == versions["superseded"]  # the park version is in force from 15/10 only
    assert _shows_letter(at)  # D-001 is in force from 10/10
    at.text_input(key="aturan_at_date").input("20/10/2024").run()
    assert _version_shown(at) == versions["published"] and _shows_letter(at)
    at.text_input(key="aturan_at_date").input("05/11/2024").run()  # D-001 ended on 01/11
    assert not at.exception, at.exception
    assert not _shows_letter(at)
    assert "D-001" in _texts(at)  # ...but the page says one grant lies outside the date
    at.text_input(key="aturan_at_date").input("01/06/2026").run()
    assert any("setelah hari pemungutan suara" in str(w.value) for w in at.warning)
