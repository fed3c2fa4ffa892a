"""The login page (AppTest): built-in accounts and single sign-on identities, roles only from geozones' grants."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest


def _script():
    from geozones.app.login import login_page

    login_page()


@pytest.fixture
def home(tmp_path, monkeypatch):
    from argon2 import PasswordHasher, profiles

    from geozones.services import accounts
    from geozones.services.authz import PUBLIC
    from geozones.store.database import open_store

    monkeypatch.setenv("GEOZONES_HOME", str(tmp_path))
    monkeypatch.delenv("GEOZONES_DATABASE_URL", raising=False)
    monkeypatch.setattr(accounts, "_HASHER", PasswordHasher.from_parameters(profiles.CHEAPEST))
    store = open_store()
    admin = accounts.add_account(store, PUBLIC, "root", role="admin", password="root-pass-1")
    accounts.add_account(store, admin, "ed", role="kpu_editor", password="ed-pass-123")
    accounts.grant_role(store, admin, "kpu.pub@example.test", "kpu_publisher", sso=True)
    store.dispose()
    return tmp_path


def _texts(at) -> str:
    return "\n".join(str(e.value) for kind in ("success", "error", "info", "caption") for e in getattr(at, kind))


def test_builtin_login_logout_and_wrong_password(home):
    at = AppTest.from_function(_script, default_timeout=60)
    at.run()
    at.text_input(key="login_name").input("ed")
    at.text_input(key="login_password").input("wrong-pass")
    at.button[0].click().run()
    assert "wrong account name or password" in _texts(at)
    at.text_input(key="login_name").input("ed")
    at.text_input(key="login_password").input("ed-pass-123")
    at.button[0].click().run()
    assert not at.exception
    assert "**ed**" in _texts(at) and "kpu\\_editor" in _texts(at)
    at.button(key="logout").click().run()
    assert "**ed**" not in _texts(at)
    assert at.text_input(key="login_name") is not None


def test_sso_roles_come_from_grants_and_unknown_identities_are_public(home):
    at = AppTest.from_function(_script, default_timeout=60)
    at.user = {"is_logged_in": True, "email": "kpu.pub@example.test", "sub": "u1", "iss": "http://idp.test"}
    at.run()
    assert "kpu\\_publisher" in _texts(at)
    at = AppTest.from_function(_script, default_timeout=60)
    at.user = {"is_logged_in": True, "email": "stranger@example.test", "sub": "u9", "iss": "http://idp.test"}
    at.run()
    assert "public (no role granted)" in _texts(at) or "publik (belum ada peran)" in _texts(at)


def test_no_store_yet_says_how_to_create_the_first_admin(tmp_path, monkeypatch):
    monkeypatch.setenv("GEOZONES_HOME", str(tmp_path))
    monkeypatch.delenv("GEOZONES_DATABASE_URL", raising=False)
    at = AppTest.from_function(_script, default_timeout=60)
    at.run()
    assert "geozones users add" in _texts(at)
    assert not (tmp_path / "geozones.sqlite").exists()  # the login page does not create a store by itself
