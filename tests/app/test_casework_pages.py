"""The Bawaslu pages (AppTest): intake, case steps, dashboard overdue first; the public sees no case."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geozones.app.login import TOKEN_KEY

PAGES = Path(__file__).resolve().parents[2] / "geozones" / "app" / "pages"


@pytest.fixture
def home(tmp_path, monkeypatch, shared_data):
    from argon2 import PasswordHasher, profiles

    from geozones.io.sealing import new_key
    from geozones.services import accounts
    from geozones.services.authz import PUBLIC
    from geozones.store.database import open_store

    monkeypatch.setenv("GEOZONES_HOME", str(tmp_path))
    monkeypatch.setenv("GEOZONES_DATA_DIR", str(shared_data))
    monkeypatch.setenv("GEOZONES_SECRET_KEY", new_key())
    monkeypatch.setenv("GEOZONES_NOW", "2024-10-11T09:00+07:00")
    monkeypatch.delenv("GEOZONES_DATABASE_URL", raising=False)
    monkeypatch.setattr(accounts, "_HASHER", PasswordHasher.from_parameters(profiles.CHEAPEST))
    store = open_store()
    admin = accounts.add_account(store, PUBLIC, "root", role="admin", password="root-pass-1")
    accounts.add_account(store, admin, "siti", role="bawaslu", password="siti-pass-12")
    token, _ = accounts.login(store, "siti", "siti-pass-12")
    store.dispose()
    return token


def _page(name: str, token: str | None = None) -> AppTest:
    at = AppTest.from_file(str(PAGES / name), default_timeout=90)
    if token:
        at.session_state[TOKEN_KEY] = token
    at.run()
    assert not at.exception, at.exception
    return at


def _texts(at) -> str:
    return "\n".join(str(e.value) for kind in ("success", "error", "info", "warning", "caption", "markdown",
                                                "subheader") for e in getattr(at, kind))


def test_bawaslu_intake_steps_and_overdue_dashboard(home, monkeypatch):
    at = _page("lapor.py", home)
    assert at.selectbox(key="intake_source").options == ["temuan", "laporan", "informasi_awal"]
    at.text_input(key="intake_lon").input("106.8311")
    at.text_input(key="intake_lat").input("-6.1700")
    at.text_input(key="intake_observed").input("2024-10-10 10:00")
    at.text_input(key="intake_paslon").input("2")
    at.button[-1].click().run()
    assert not at.exception
    done = "\n".join(str(s.value) for s in at.success)
    assert "Pasar Baru" in done and "FORBIDDEN" in done and "R01" in done

    at = _page("kasus.py", home)
    assert "Pasar Baru" in _texts(at)
    at.button[0].click().run()  # confirm the suggestion
    assert "confirmed" in "\n".join(str(s.value) for s in at.success)
    for to, extra in (("under_study", {}), ("recommended", {"adv_letter": "012/REK/2024"}),
                      ("ordered", {"adv_order": "KPU-77", "adv_deadline": "2024-10-12 09:00"})):
        at.selectbox(key="adv_to_id").select(to)
        at.text_input(key="adv_reason").input(f"langkah {to}")
        for key, value in extra.items():
            at.text_input(key=key).input(value)
        at.button[1].click().run()
        assert not at.exception and not at.error, [e.value for e in at.error]
    assert "perintah KPU untuk menurunkan" in _texts(at)

    monkeypatch.setenv("GEOZONES_NOW", "2024-10-12T10:00+07:00")
    dash = _page("dasbor.py", home)
    first = dash.dataframe[0].value
    assert list(first["case_id"]) == [1] and first["!"].iloc[0] in ("TERLAMBAT", "OVERDUE")


def test_public_sends_informasi_awal_and_sees_nothing(home):
    at = _page("lapor.py")
    assert at.selectbox(key="intake_source").options == ["informasi_awal"]
    at.text_input(key="intake_lon").input("106.8311")
    at.text_input(key="intake_lat").input("-6.1700")
    at.button[-1].click().run()
    assert not at.exception
    msg = "\n".join(str(s.value) for s in at.success)
    assert "1" in msg and "Pasar Baru" not in msg and "FORBIDDEN" not in msg
    for page in ("kasus.py", "dasbor.py"):
        at = _page(page)
        assert not at.dataframe and at.warning
        assert "Pasar Baru" not in _texts(at)


def _file_one_report(token: str) -> None:
    at = _page("lapor.py", token)
    at.text_input(key="intake_lon").input("106.8311")
    at.text_input(key="intake_lat").input("-6.1700")
    at.text_input(key="intake_paslon").input("2")
    at.button[-1].click().run()
    assert not at.exception and at.success


def _headers(frame) -> dict[str, str]:
    """The column headers a table shows (its column_config labels), by column key."""
    import json

    config = json.loads(frame.proto.columns or "{}")
    return {k: v.get("label", k) for k, v in config.items()}


@pytest.mark.parametrize("lang", ["id", "en"])
def test_case_tables_speak_the_session_language(home, lang):
    from geozones.app import casework_view as cv
    from geozones.cases.states import STATE_LABELS, label

    _file_one_report(home)
    at = AppTest.from_file(str(PAGES / "kasus.py"), default_timeout=90)
    at.session_state[TOKEN_KEY] = home
    at.session_state["lang"] = lang
    at.run()
    assert not at.exception, at.exception
    i = 1 if lang == "en" else 0
    cases, history = at.dataframe[0], at.dataframe[1]
    heads = _headers(cases)
    assert "case_id" in cases.value.columns  # the frame keeps its keys
    for key in ("case_id", "!", "state", "verdict", "rule_ids", "apk_type", "deadline"):
        assert heads[key] == cv.COLUMNS[key][i]
    words = {label(s, lang) for s in STATE_LABELS}
    assert set(cases.value["state"]) <= words
    assert set(history.value["to"]) <= words
    assert not {"informasi_awal", "temuan", "laporan"} & set(cases.value["state"]) - words
    assert _headers(history)["to"] == cv.COLUMNS["to"][i]
    # every select has a placeholder in the session's language, none Streamlit's English default
    for box in at.selectbox:
        assert box.proto.placeholder == cv.T["select"][i]
    keep = at.selectbox(key=f"decide_verdict_{lang}")
    assert keep.options[0] == cv.T["cases.keep"][i]  # the options as drawn, in the session's language
    assert keep.options[1] == ("Forbidden" if lang == "en" else "Dilarang")


def test_case_choices_survive_a_language_switch(home):
    from geozones.cases.states import label

    _file_one_report(home)
    at = _page("kasus.py", home)
    at.selectbox(key="adv_to_id").select("under_study")
    at.selectbox(key="annex_state_id").select("temuan").run()
    assert label("under_study", "id") in at.selectbox(key="adv_to_id").options
    at.session_state["lang"] = "en"
    at.run()
    assert not at.exception
    assert at.selectbox(key="adv_to_en").value == "under_study"
    assert at.selectbox(key="annex_state_en").value == "temuan"
    assert at.selectbox(key="decide_verdict_en").value == ""  # the untouched default is kept, not blanked
    assert label("under_study", "en") in at.selectbox(key="adv_to_en").options


def test_dashboard_tabs_labels_and_legend(home):
    from geozones.app import casework_view as cv
    from geozones.cases.states import STATE_LABELS, label

    _file_one_report(home)
    at = AppTest.from_file(str(PAGES / "dasbor.py"), default_timeout=90)
    at.session_state[TOKEN_KEY] = home
    at.session_state["lang"] = "en"
    at.run()
    assert not at.exception, at.exception
    assert [t.label for t in at.tabs] == [cv.T[f"dash.tab.{g}"][1] for g in
                                         ("kelurahan", "kecamatan", "rule", "paslon", "apk", "day")]
    assert {m.label for m in at.metric} <= {label(s, "en") for s in STATE_LABELS}
    # the raw hex legend under the map is gone; the legend is drawn on the map (see the e2e test)
    assert not any("#f0ad4e" in str(c.value) for c in at.caption)
    assert all(text for _, text in cv.state_legend()) and len(cv.state_legend()) == len(cv.STATE_COLORS)


def test_sidebar_names_who_is_logged_in_and_logs_out(home):
    from geozones.services.accounts import principal_from_token
    from geozones.services.authz import PUBLIC
    from geozones.store.database import open_store

    at = AppTest.from_file(str(PAGES.parents[2] / "app.py"), default_timeout=90)
    at.session_state[TOKEN_KEY] = home
    at.run()
    assert not at.exception, at.exception
    side = "\n".join(str(m.value) for m in at.sidebar.markdown)
    assert "Masuk sebagai **siti** (bawaslu)" in side
    at.sidebar.button(key="sidebar_logout").click().run()
    assert not at.exception
    assert TOKEN_KEY not in at.session_state
    assert "siti" not in "\n".join(str(m.value) for m in at.sidebar.markdown)
    assert not any(b.key == "sidebar_logout" for b in at.sidebar.button)
    store = open_store()
    try:
        assert principal_from_token(store, home) is PUBLIC  # ended in the store, not only forgotten by the tab
    finally:
        store.dispose()


def test_sidebar_shows_nothing_for_the_public(home):
    at = AppTest.from_file(str(PAGES.parents[2] / "app.py"), default_timeout=90)
    at.run()
    assert not at.exception
    assert not any(b.key == "sidebar_logout" for b in at.sidebar.button)
