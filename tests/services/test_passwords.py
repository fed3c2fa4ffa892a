"""Password changes: a user changes their own (proved by the current one), an admin resets another's."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text

from geozones.services import accounts
from geozones.services.accounts import MAX_FAILURES, AuthError, WrongPassword
from geozones.services.authz import PUBLIC, Forbidden
from geozones.store.models import AuditEvent


@pytest.fixture
def admin(store):
    admin = accounts.add_account(store, PUBLIC, "root", role="admin", password="root-pass-1")
    accounts.add_account(store, admin, "ed", role="kpu_editor", password="ed-secret-1")
    return admin


def _events(store, action):
    with store.read() as s:
        return s.execute(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)).scalars().all()


def test_own_change_needs_the_current_password_and_ends_sessions(store, admin):
    token, _ = accounts.login(store, "ed", "ed-secret-1")
    accounts.change_own_password(store, "ed", "ed-secret-1", "ed-secret-2", reason="rotasi")
    with pytest.raises(WrongPassword):
        accounts.authenticate(store, "ed", "ed-secret-1")
    assert accounts.authenticate(store, "ed", "ed-secret-2").name == "ed"
    assert accounts.principal_from_token(store, token) is PUBLIC  # the old session ended
    (ev,) = _events(store, "account.passwd")
    after = ev.after if isinstance(ev.after, dict) else json.loads(ev.after)
    assert (ev.actor, ev.role, ev.entity_id, ev.reason) == ("ed", "kpu_editor", "ed", "rotasi")
    assert after["sessions_ended"] == 1
    with store.engine.connect() as conn:
        h = conn.execute(text("SELECT password_hash FROM account WHERE name = 'ed'")).scalar()
        dump = " ".join(str(r) for r in conn.execute(text("SELECT before, after FROM audit_event")))
    assert h.startswith("$argon2id$") and "ed-secret-2" not in h
    assert "ed-secret" not in dump and "$argon2" not in dump


def test_wrong_current_password_is_refused_bilingual_and_counts_toward_lock_out(store, admin):
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(WrongPassword) as err:
            accounts.change_own_password(store, "ed", "not-the-one", "ed-secret-2")
        assert err.value.problems[0].message_id == "nama akun atau kata sandi lama salah"
        assert err.value.problems[0].message == "wrong account name or current password"
    with pytest.raises(AuthError, match="locked"):
        accounts.change_own_password(store, "ed", "not-the-one", "ed-secret-2")
    with pytest.raises(AuthError, match="locked"):  # the right one too, while locked
        accounts.change_own_password(store, "ed", "ed-secret-1", "ed-secret-2")
    assert _events(store, "account.passwd") == []


def test_unknown_account_gives_the_same_refusal_as_a_wrong_password(store, admin):
    with pytest.raises(WrongPassword) as a:
        accounts.change_own_password(store, "nobody", "whatever-1", "whatever-2")
    with pytest.raises(WrongPassword) as b:
        accounts.change_own_password(store, "ed", "whatever-1", "whatever-2")
    assert str(a.value) == str(b.value)


def test_short_new_password_is_refused_before_anything_is_checked(store, admin):
    with pytest.raises(accounts.InputError, match="at least 8"):
        accounts.change_own_password(store, "ed", "wrong", "short")
    with store.engine.connect() as conn:  # no failed login was counted
        assert conn.execute(text("SELECT failed_logins FROM account WHERE name = 'ed'")).scalar() == 0


def test_admin_reset_unlocks_and_is_audited(store, admin):
    for _ in range(MAX_FAILURES):
        with pytest.raises(AuthError):
            accounts.authenticate(store, "ed", "wrong-pass")
    with pytest.raises(AuthError, match="locked"):
        accounts.authenticate(store, "ed", "ed-secret-1")
    accounts.reset_password(store, admin, "ed", "ed-fresh-123", reason="lupa kata sandi")
    assert accounts.authenticate(store, "ed", "ed-fresh-123").roles == {"public", "kpu_editor"}
    (ev,) = _events(store, "account.passwd_reset")
    before = ev.before if isinstance(ev.before, dict) else json.loads(ev.before)
    assert (ev.actor, ev.role, ev.entity_id, before["locked"]) == ("root", "admin", "ed", True)


@pytest.mark.parametrize("role", ["paslon", "bawaslu", "kpu_editor", "kpu_publisher", "public"])
def test_only_an_admin_resets_another_account(store, people, role):
    with pytest.raises(Forbidden, match="not allowed"):
        accounts.reset_password(store, people[role], "kpu_editor1", "taken-over-1")
    with pytest.raises(Forbidden):  # refused before the lookup: nothing told about unknown names
        accounts.reset_password(store, people[role], "no-such-account", "taken-over-1")
    assert accounts.authenticate(store, "kpu_editor1", "kpu_editor-pass-1").name == "kpu_editor1"
    assert _events(store, "account.passwd_reset") == []


def test_reset_of_unknown_account_or_sso_identity_is_refused_bilingual(store, admin):
    with pytest.raises(accounts.InputError) as err:
        accounts.reset_password(store, admin, "nobody", "whatever-12")
    p = err.value.problems[0]
    assert (p.message_id, p.message) == ("akun 'nobody' tidak ada", "no account 'nobody'")
    accounts.grant_role(store, admin, "pub@example.test", "kpu_publisher", sso=True)
    with pytest.raises(accounts.InputError, match="single sign-on"):
        accounts.reset_password(store, admin, "pub@example.test", "whatever-12")
