"""Built-in accounts and single sign-on identities."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from geozones.services import accounts
from geozones.services.accounts import MAX_FAILURES, AuthError
from geozones.services.authz import PUBLIC


@pytest.fixture
def admin(store):
    return accounts.add_account(store, PUBLIC, "root", role="admin", password="root-pass-1")


def test_passwords_are_argon2id_and_never_stored_in_clear(store, admin):
    accounts.add_account(store, admin, "ed", role="kpu_editor", password="ed-secret-1")
    with store.engine.connect() as conn:
        h = conn.execute(text("SELECT password_hash FROM account WHERE name = 'ed'")).scalar()
        audit = conn.execute(text("SELECT after FROM audit_event")).scalars().all()
    assert h.startswith("$argon2id$") and "ed-secret-1" not in h
    assert all("ed-secret-1" not in str(a) for a in audit)
    assert accounts.authenticate(store, "ed", "ed-secret-1").roles == {"public", "kpu_editor"}


def test_short_password_and_bad_scope_are_refused(store, admin):
    with pytest.raises(Exception, match="at least 8"):
        accounts.add_account(store, admin, "ed", role="kpu_editor", password="short")
    with pytest.raises(Exception, match="paslon=2"):
        accounts.add_account(store, admin, "tim", role="paslon", password="tim-pass-12")
    with pytest.raises(Exception, match="bad scope"):
        accounts.add_account(store, admin, "tim", role="paslon", scope="paslon=dua", password="tim-pass-12")


def test_lock_out_after_repeated_failures(store, admin):
    accounts.add_account(store, admin, "ed", role="kpu_editor", password="ed-secret-1")
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(AuthError, match="wrong account name or password"):
            accounts.authenticate(store, "ed", "wrong-pass")
    with pytest.raises(AuthError, match="locked"):
        accounts.authenticate(store, "ed", "wrong-pass")
    with pytest.raises(AuthError, match="locked"):  # even the right password, while locked
        accounts.authenticate(store, "ed", "ed-secret-1")
    with store.write_engine.begin() as conn:
        conn.execute(text("UPDATE account SET locked_until = :t WHERE name = 'ed'"),
                     {"t": dt.datetime(2000, 1, 1)})
    assert accounts.authenticate(store, "ed", "ed-secret-1").name == "ed"


def test_unknown_name_and_wrong_password_give_the_same_message(store, admin):
    with pytest.raises(AuthError) as a:
        accounts.authenticate(store, "nobody", "whatever-1")
    with pytest.raises(AuthError) as b:
        accounts.authenticate(store, "root", "whatever-1")
    assert str(a.value) == str(b.value)


def test_sessions_expire_end_and_follow_disable(store, admin):
    accounts.add_account(store, admin, "ed", role="kpu_editor", password="ed-secret-1")
    token, _ = accounts.login(store, "ed", "ed-secret-1")
    assert accounts.principal_from_token(store, token).roles == {"public", "kpu_editor"}
    assert accounts.principal_from_token(store, token + "x") == PUBLIC
    with store.write_engine.begin() as conn:
        conn.execute(text("UPDATE login_session SET expires_at = :t"), {"t": dt.datetime(2000, 1, 1)})
    assert accounts.principal_from_token(store, token) == PUBLIC
    token2, _ = accounts.login(store, "ed", "ed-secret-1")
    accounts.logout(store, token2)
    assert accounts.principal_from_token(store, token2) == PUBLIC
    token3, _ = accounts.login(store, "ed", "ed-secret-1")
    accounts.disable_account(store, admin, "ed", reason="left the office")
    assert accounts.principal_from_token(store, token3) == PUBLIC
    with pytest.raises(AuthError, match="disabled"):
        accounts.authenticate(store, "ed", "ed-secret-1")


def test_sso_identity_without_a_grant_is_public_and_roles_come_only_from_grants(store, admin):
    p = accounts.principal_for_sso(store, email="kpu.editor@example.test", issuer="http://idp", subject="u1")
    assert p.is_public
    accounts.grant_role(store, admin, "kpu.editor@example.test", "kpu_editor", sso=True)
    p = accounts.principal_for_sso(store, email="kpu.editor@example.test", issuer="http://idp", subject="u1")
    assert p.roles == {"public", "kpu_editor"}
    # bound to (issuer, subject) at first login: another subject with the same email gets nothing
    other = accounts.principal_for_sso(store, email="kpu.editor@example.test", issuer="http://idp", subject="u2")
    assert other.is_public
    accounts.revoke_role(store, admin, "kpu.editor@example.test", "kpu_editor")
    assert accounts.principal_for_sso(store, email="kpu.editor@example.test", issuer="http://idp",
                                      subject="u1").is_public


def test_the_last_admin_cannot_be_revoked(store, admin):
    with pytest.raises(Exception, match="last admin"):
        accounts.revoke_role(store, admin, "root", "admin")
    assert accounts.has_admin(store)


def test_every_change_is_audited_in_order(store, admin):
    accounts.add_account(store, admin, "ed", role="kpu_editor", password="ed-secret-1")
    accounts.grant_role(store, admin, "ed", "bawaslu")
    accounts.revoke_role(store, admin, "ed", "bawaslu")
    accounts.disable_account(store, admin, "ed")
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT actor, role, action, entity_id FROM audit_event ORDER BY seq")).all()
    assert [r[2] for r in rows] == ["account.add", "account.add", "role.grant", "role.revoke", "account.disable"]
    assert rows[0][:2] == ("root", "bootstrap") and all(r[0] == "root" and r[1] == "admin" for r in rows[1:])
