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
        at.selectbox(key="adv_to").select(to)
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
