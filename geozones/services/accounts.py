"""Accounts, logins and role grants (built-in argon2id passwords and single sign-on identities).

Built-in accounts keep an argon2id hash (argon2-cffi defaults); after
:data:`MAX_FAILURES` wrong passwords in a row an account is locked for
:data:`LOCKOUT`; a login is a random token whose sha256 is stored with an expiry
(:data:`SESSION_TTL`). Single sign-on identities (``st.login``) get roles only
from grants recorded here, never from the identity provider: an identity with no
grant is public. Every change to accounts and grants is audited in the same
transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geozones.core.errors import InputError
from geozones.core.time import format_wib
from geozones.services.authz import PUBLIC, Action, Forbidden, Principal, RoleGrantView, authorize
from geozones.services.concurrency import now_utc
from geozones.store.audit import append_event
from geozones.store.database import Store
from geozones.store.models import ROLES, Account, LoginAttempt, LoginSession, RoleGrant

__all__ = [
    "LOCKOUT", "MAX_FAILURES", "SESSION_TTL", "AccountInfo", "AuthError", "WrongPassword", "add_account",
    "authenticate", "change_own_password", "disable_account", "grant_role", "has_admin", "list_accounts", "login",
    "logout", "principal_for_account", "principal_for_sso", "principal_from_token", "reset_password", "revoke_role",
]

MAX_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=15)
SESSION_TTL = dt.timedelta(hours=8)
MIN_PASSWORD = 8
_HASHER = PasswordHasher()  # argon2id, RFC 9106 low-memory profile
_DUMMY: dict[int, str] = {}


def _dummy_hash() -> str:
    """A hash to verify against for unknown names, so they cost as much as known ones."""
    key = id(_HASHER)
    if key not in _DUMMY:
        _DUMMY[key] = _HASHER.hash("geozones-dummy-password")
    return _DUMMY[key]
_NAME = re.compile(r"^[A-Za-z0-9_.@+-]{2,200}$")
_SCOPE = re.compile(r"^(paslon=[0-9]{1,3}|kota=[0-9]{2}\.[0-9]{2})$")


class AuthError(InputError):
    """Login refused (wrong name or password, locked, disabled, expired session)."""


class WrongPassword(AuthError):
    """Wrong name or password: one error for both, so a refusal never tells which names exist."""


@dataclass(frozen=True)
class AccountInfo:
    """An account as listed (never its password hash)."""

    name: str
    email: str | None
    sso: bool
    disabled: bool
    locked_until: dt.datetime | None
    grants: tuple[RoleGrantView, ...]


def _grants(session: Session, account_id: int) -> tuple[RoleGrantView, ...]:
    rows = session.execute(select(RoleGrant.role, RoleGrant.scope)
                           .where(RoleGrant.account_id == account_id, RoleGrant.revoked_at.is_(None))
                           .order_by(RoleGrant.id)).all()
    return tuple(RoleGrantView(r, s) for r, s in rows)


def principal_for_account(session: Session, account: Account) -> Principal:
    """The principal of ``account`` with its live grants (public when disabled)."""
    if account.disabled:
        return Principal(account.name, (), account.id)
    return Principal(account.name, _grants(session, account.id), account.id)


def _by_name(session: Session, name: str) -> Account | None:
    return session.execute(select(Account).where(Account.name == name)).scalar_one_or_none()


def has_admin(store: Store) -> bool:
    """Whether any enabled account holds a live admin grant."""
    with store.read() as s:
        return _has_admin(s)


def _has_admin(s: Session) -> bool:
    n = s.execute(select(func.count()).select_from(RoleGrant).join(Account, Account.id == RoleGrant.account_id)
                  .where(RoleGrant.role == "admin", RoleGrant.revoked_at.is_(None),
                         Account.disabled.is_(False))).scalar()
    return bool(n)


def _check_role(role: str, scope: str | None) -> None:
    if role not in ROLES:
        raise InputError(f"peran tidak dikenal / unknown role '{role}'; use one of: {', '.join(ROLES)}",
                         field="role")
    if scope is not None and not _SCOPE.match(scope):
        raise InputError(f"cakupan tidak sah / bad scope '{scope}': write paslon=2 or kota=31.71", field="scope")
    if role == "paslon" and (scope is None or not scope.startswith("paslon=")):
        raise InputError("peran paslon perlu cakupan / the paslon role needs a scope such as paslon=2",
                         field="scope")


def _check_password(password: str | None) -> None:
    if password is None or len(password) < MIN_PASSWORD:
        raise InputError(f"kata sandi minimal {MIN_PASSWORD} karakter / the password needs at least "
                         f"{MIN_PASSWORD} characters", field="password")


def add_account(store: Store, actor: Principal, name: str, *, role: str, scope: str | None = None,
                password: str | None = None, email: str | None = None, sso: bool = False,
                reason: str | None = None) -> Principal:
    """Create an account with one role grant (admin only; the first admin needs no login).

    Parameters
    ----------
    password : str, optional
        For built-in accounts (never logged or audited); SSO identities have none.
    sso : bool
        A single sign-on identity (keyed by ``email``, no password).

    Raises
    ------
    Forbidden
        When ``actor`` is not an admin and the database already has one.
    InputError
        Bad name, role, scope or password; name taken.
    """
    if not _NAME.match(name):
        raise InputError(f"nama akun tidak sah / bad account name '{name}' (letters, digits, . _ - @ +)",
                         field="name")
    _check_role(role, scope)
    if not sso:
        _check_password(password)
    hashed = _HASHER.hash(password) if password else None
    with store.write() as s:
        bootstrap = not _has_admin(s)
        if bootstrap and role != "admin":
            raise Forbidden("basis data belum punya admin: buat admin pertama dulu / no admin yet: "
                            "create the first admin first (geozones users add NAME --role admin)")
        if bootstrap:
            acting_role = "bootstrap"
            actor_name = name
        else:
            acting_role = authorize(actor, Action.ADMIN)
            actor_name = actor.name
        if _by_name(s, name) is not None:
            raise InputError(f"akun '{name}' sudah ada / account '{name}' already exists", field="name")
        now = now_utc()
        acc = Account(name=name, email=email or (name if sso and "@" in name else None), password_hash=hashed,
                      sso=sso, disabled=False, failed_logins=0, created_at=now, created_by=actor_name,
                      updated_at=now, updated_by=actor_name, row_version=1)
        s.add(acc)
        s.flush()
        s.add(RoleGrant(account_id=acc.id, role=role, scope=scope, granted_by=actor_name, granted_at=now))
        append_event(s, actor=actor_name, role=acting_role, action="account.add", entity_type="account",
                     entity_id=name, after={"name": name, "email": acc.email, "sso": sso, "role": role,
                                             "scope": scope}, reason=reason, at=now)
        return principal_for_account(s, acc)


def list_accounts(store: Store, actor: Principal) -> list[AccountInfo]:
    """Every account with its live grants (admin only)."""
    authorize(actor, Action.ADMIN)
    with store.read() as s:
        accs = s.execute(select(Account).order_by(Account.name)).scalars().all()
        return [AccountInfo(a.name, a.email, a.sso, a.disabled, a.locked_until, _grants(s, a.id)) for a in accs]


def _account_or_fail(s: Session, name: str) -> Account:
    acc = _by_name(s, name)
    if acc is None:
        acc = s.execute(select(Account).where(Account.email == name)).scalars().first()
    if acc is None:
        raise InputError(f"akun '{name}' tidak ada / no account '{name}'", field="name")
    return acc


def disable_account(store: Store, actor: Principal, name: str, reason: str | None = None) -> None:
    """Disable an account and end its sessions (admin only; audited)."""
    with store.write() as s:
        role = authorize(actor, Action.ADMIN)
        acc = _account_or_fail(s, name)
        if acc.disabled:
            return
        now = now_utc()
        acc.disabled, acc.updated_by, acc.updated_at = True, actor.name, now
        acc.row_version += 1
        for sess in s.execute(select(LoginSession).where(LoginSession.account_id == acc.id,
                                                         LoginSession.ended_at.is_(None))).scalars():
            sess.ended_at = now
        append_event(s, actor=actor.name, role=role, action="account.disable", entity_type="account",
                     entity_id=acc.name, before={"disabled": False}, after={"disabled": True}, reason=reason, at=now)


def grant_role(store: Store, actor: Principal, name: str, role: str, scope: str | None = None, *,
               sso: bool = False, reason: str | None = None) -> None:
    """Give ``role`` (optionally scoped) to an account; with ``sso`` an unknown email becomes an SSO identity.

    An admin may grant a role to a single sign-on identity before its first login.
    """
    _check_role(role, scope)
    with store.write() as s:
        acting = authorize(actor, Action.ADMIN)
        acc = _by_name(s, name) or s.execute(select(Account).where(Account.email == name)).scalars().first()
        now = now_utc()
        if acc is None:
            if not sso or "@" not in name:
                raise InputError(f"akun '{name}' tidak ada / no account '{name}' (for a single sign-on identity "
                                 "give its email with --sso)", field="name")
            acc = Account(name=name, email=name, sso=True, disabled=False, failed_logins=0, created_at=now,
                          created_by=actor.name, updated_at=now, updated_by=actor.name, row_version=1)
            s.add(acc)
            s.flush()
            append_event(s, actor=actor.name, role=acting, action="account.add", entity_type="account",
                         entity_id=name, after={"name": name, "email": name, "sso": True}, reason=reason, at=now)
        if any(g.role == role and g.scope == scope for g in _grants(s, acc.id)):
            return
        s.add(RoleGrant(account_id=acc.id, role=role, scope=scope, granted_by=actor.name, granted_at=now))
        append_event(s, actor=actor.name, role=acting, action="role.grant", entity_type="account",
                     entity_id=acc.name, after={"role": role, "scope": scope}, reason=reason, at=now)


def revoke_role(store: Store, actor: Principal, name: str, role: str, scope: str | None = None, *,
                reason: str | None = None) -> None:
    """Revoke a live grant (kept, marked revoked; audited). The last admin cannot be revoked."""
    with store.write() as s:
        acting = authorize(actor, Action.ADMIN)
        acc = _account_or_fail(s, name)
        rows = s.execute(select(RoleGrant).where(RoleGrant.account_id == acc.id, RoleGrant.role == role,
                                                 RoleGrant.revoked_at.is_(None))).scalars().all()
        rows = [g for g in rows if scope is None or g.scope == scope]
        if not rows:
            raise InputError(f"'{name}' tidak memegang peran / does not hold role '{role}'"
                             + (f" ({scope})" if scope else ""), field="role")
        now = now_utc()
        for g in rows:
            g.revoked_at, g.revoked_by = now, actor.name
        s.flush()
        if role == "admin" and not _has_admin(s):
            raise Forbidden("admin terakhir tidak dapat dicabut / the last admin cannot be revoked")
        append_event(s, actor=actor.name, role=acting, action="role.revoke", entity_type="account",
                     entity_id=acc.name, before={"role": role, "scope": [g.scope for g in rows]}, reason=reason,
                     at=now)


def authenticate(store: Store, name: str, password: str) -> Principal:
    """Check a built-in account's password, with lock-out; return its principal.

    Raises
    ------
    AuthError
        Wrong name or password (one message for both), disabled or locked account.
    """
    now = now_utc()
    with store.write() as s:
        acc = _by_name(s, name)
        ok, why = False, "bad password"
        if acc is None or acc.password_hash is None:
            try:
                _HASHER.verify(_dummy_hash(), password + "x")  # same cost for unknown names
            except VerificationError:
                pass
            why = "unknown account"
        elif acc.disabled:
            why = "disabled"
        elif acc.locked_until is not None and acc.locked_until > now:
            why = "locked"
        else:
            try:
                ok = _HASHER.verify(acc.password_hash, password)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                ok = False
            if ok:
                acc.failed_logins, acc.locked_until = 0, None
                if _HASHER.check_needs_rehash(acc.password_hash):
                    acc.password_hash = _HASHER.hash(password)
            else:
                acc.failed_logins += 1
                if acc.failed_logins >= MAX_FAILURES:
                    acc.locked_until, acc.failed_logins = now + LOCKOUT, 0
                    why = "locked after repeated failures"
        s.add(LoginAttempt(name=name[:200], at=now, success=ok, reason=None if ok else why))
        if ok:
            return principal_for_account(s, acc)
    if why == "disabled":
        raise AuthError(f"akun '{name}' dinonaktifkan / account '{name}' is disabled")
    if why.startswith("locked"):
        until = format_wib(acc.locked_until)
        raise AuthError(f"akun '{name}' dikunci sampai {until} karena terlalu banyak percobaan gagal / "
                        f"account '{name}' is locked until {until} after repeated failed logins")
    raise WrongPassword("nama akun atau kata sandi salah / wrong account name or password")


def _set_password(s: Session, acc: Account, password: str, by: str, now: dt.datetime) -> int:
    """Store a new hash, clear failures and lock-out, end every live session; the number ended."""
    acc.password_hash = _HASHER.hash(password)
    acc.failed_logins, acc.locked_until = 0, None
    acc.updated_at, acc.updated_by = now, by
    acc.row_version += 1
    ended = 0
    for sess in s.execute(select(LoginSession).where(LoginSession.account_id == acc.id,
                                                     LoginSession.ended_at.is_(None))).scalars():
        sess.ended_at = now
        ended += 1
    return ended


def change_own_password(store: Store, name: str, old_password: str, new_password: str, *,
                        reason: str | None = None) -> Principal:
    """A user changes the password of their own built-in account, proving it with the current one.

    The current password is the authority: it is checked as a login is (a wrong one counts
    toward the lock-out, see :func:`authenticate`). The new hash is argon2id; failures and
    lock-out are cleared and every live session of the account ends (a stolen session does
    not outlive the change). Audited as ``account.passwd`` in the same transaction, without
    any password or hash.

    Parameters
    ----------
    name : str
        The account (its name).
    old_password, new_password : str
        The current password and the new one (at least :data:`MIN_PASSWORD` characters).

    Returns
    -------
    Principal
        The account's principal.

    Raises
    ------
    WrongPassword
        Wrong current password or no such account (one message for both).
    AuthError
        The account is disabled or locked.
    InputError
        The new password is too short, or an SSO identity (which has no password here).
    """
    _check_password(new_password)
    try:
        principal = authenticate(store, name, old_password)
    except WrongPassword:
        raise WrongPassword.bi("nama akun atau kata sandi lama salah", "wrong account name or current password",
                               field="password") from None
    with store.write() as s:
        acc = s.get(Account, principal.account_id)
        if acc is None or acc.disabled:  # disabled between the two transactions
            raise AuthError.bi(f"akun '{name}' dinonaktifkan", f"account '{name}' is disabled")
        now = now_utc()
        ended = _set_password(s, acc, new_password, acc.name, now)
        append_event(s, actor=acc.name, role=principal.main_role(), action="account.passwd", entity_type="account",
                     entity_id=acc.name, after={"password": "changed", "sessions_ended": ended}, reason=reason,
                     at=now)
        return principal_for_account(s, acc)


def reset_password(store: Store, actor: Principal, name: str, new_password: str, *,
                   reason: str | None = None) -> None:
    """An admin sets a new password for another built-in account (audited; admin only).

    Failures and lock-out are cleared and every live session of the account ends, so a
    reset also unlocks an account. A disabled account stays disabled. Audited as
    ``account.passwd_reset``, without any password or hash.

    Raises
    ------
    Forbidden
        When ``actor`` is not an admin (checked before the account is looked up, so a
        refusal tells nothing about which names exist).
    InputError
        No such account, a single sign-on identity (no password here), or a new password
        that is too short.
    """
    with store.write() as s:
        acting = authorize(actor, Action.ADMIN)
        _check_password(new_password)
        acc = _by_name(s, name)
        if acc is None:
            raise InputError.bi(f"akun '{name}' tidak ada", f"no account '{name}'", field="name")
        if acc.sso:
            raise InputError.bi(f"'{name}' adalah identitas single sign-on: kata sandinya diatur penyedia "
                                "identitas, bukan geozones",
                                f"'{name}' is a single sign-on identity: its password is kept by the identity "
                                "provider, not by geozones", field="name")
        now = now_utc()
        was_locked = acc.locked_until is not None and acc.locked_until > now
        ended = _set_password(s, acc, new_password, actor.name, now)
        append_event(s, actor=actor.name, role=acting, action="account.passwd_reset", entity_type="account",
                     entity_id=acc.name, before={"locked": was_locked},
                     after={"password": "reset", "locked": False, "sessions_ended": ended}, reason=reason, at=now)


def login(store: Store, name: str, password: str) -> tuple[str, Principal]:
    """Authenticate and open a session; return (token, principal). Only the token's sha256 is stored."""
    principal = authenticate(store, name, password)
    token = secrets.token_urlsafe(32)
    now = now_utc()
    with store.write() as s:
        s.add(LoginSession(token_sha256=hashlib.sha256(token.encode()).hexdigest(), account_id=principal.account_id,
                           created_at=now, expires_at=now + SESSION_TTL))
    return token, principal


def principal_from_token(store: Store, token: str | None) -> Principal:
    """The principal of a live session token; :data:`PUBLIC` for none, an expired or ended one."""
    if not token:
        return PUBLIC
    digest = hashlib.sha256(token.encode()).hexdigest()
    with store.read() as s:
        sess = s.get(LoginSession, digest)
        if sess is None or sess.ended_at is not None or sess.expires_at <= now_utc():
            return PUBLIC
        acc = s.get(Account, sess.account_id)
        if acc is None or acc.disabled:
            return PUBLIC
        return principal_for_account(s, acc)


def logout(store: Store, token: str) -> None:
    """End a session."""
    digest = hashlib.sha256(token.encode()).hexdigest()
    with store.write() as s:
        sess = s.get(LoginSession, digest)
        if sess is not None and sess.ended_at is None:
            sess.ended_at = now_utc()


def principal_for_sso(store: Store, *, email: str | None, issuer: str | None, subject: str | None) -> Principal:
    """The principal of a single sign-on identity: its geozones grants, else public.

    The identity is matched by (issuer, subject) once bound, else by email on an
    SSO account an admin created; the first login binds issuer and subject
    (audited). The identity provider's own claims never give a role.
    """
    if not (email or subject):
        return PUBLIC
    with store.write() as s:
        acc = None
        if issuer and subject:
            acc = s.execute(select(Account).where(Account.sso.is_(True), Account.sso_issuer == issuer,
                                                  Account.sso_subject == subject)).scalars().first()
        if acc is None and email:
            acc = s.execute(select(Account).where(Account.sso.is_(True), Account.email == email,
                                                  Account.sso_subject.is_(None))).scalars().first()
            if acc is not None and issuer and subject:
                acc.sso_issuer, acc.sso_subject = issuer, subject
                append_event(s, actor=acc.name, role="public", action="account.sso_bind", entity_type="account",
                             entity_id=acc.name, after={"issuer": issuer, "subject": subject})
        if acc is None or acc.disabled:
            return Principal(email or subject or "sso", ())
        return principal_for_account(s, acc)
