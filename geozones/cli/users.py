"""``geozones users add|list|disable|grant|revoke|passwd``: accounts, role grants and passwords (audited)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from geozones.cli.store_common import (
    USER_ENV,
    acting_principal,
    add_store_options,
    cli_store,
    read_new_password,
)
from geozones.core.errors import InputError
from geozones.services.authz import PUBLIC, ROLES

__all__ = ["register"]


def register(sub: argparse._SubParsersAction, parser_class: type) -> None:
    """Add the ``users`` command tree."""
    users = sub.add_parser("users", help="accounts and roles in the store (admin)")
    usub = users.add_subparsers(dest="users_command", parser_class=parser_class, required=True)
    a = usub.add_parser("add", help="create an account (password from a prompt or stdin); on a database with no "
                        "admin, the first admin needs no login")
    a.add_argument("name")
    a.add_argument("--role", required=True, choices=ROLES)
    a.add_argument("--scope", default=None, help="paslon=N or kota=NN.NN")
    a.add_argument("--email", default=None)
    a.add_argument("--sso", action="store_true", help="a single sign-on identity (no password; NAME is its email)")
    a.add_argument("--reason", default=None)
    add_store_options(a)
    a.set_defaults(func=add)
    ls = usub.add_parser("list", help="accounts and their live role grants")
    add_store_options(ls)
    ls.set_defaults(func=list_)
    d = usub.add_parser("disable", help="disable an account and end its sessions")
    d.add_argument("name")
    d.add_argument("--reason", default=None)
    add_store_options(d)
    d.set_defaults(func=disable)
    g = usub.add_parser("grant", help="give a role (to an account, or with --sso to an identity's email)")
    g.add_argument("name")
    g.add_argument("--role", required=True, choices=ROLES)
    g.add_argument("--scope", default=None)
    g.add_argument("--sso", action="store_true")
    g.add_argument("--reason", default=None)
    add_store_options(g)
    g.set_defaults(func=grant)
    r = usub.add_parser("revoke", help="revoke a role")
    r.add_argument("name")
    r.add_argument("--role", required=True, choices=ROLES)
    r.add_argument("--scope", default=None)
    r.add_argument("--reason", default=None)
    add_store_options(r)
    r.set_defaults(func=revoke)
    p = usub.add_parser("passwd", help="change your own password (asks the current one), or as an admin "
                        "(--user ADMIN) set another account's new password")
    p.add_argument("name", metavar="ACCOUNT")
    p.add_argument("--password-stdin", action="store_true",
                   help="read the passwords from standard input, one a line: for your own account the current "
                   "password then the new one; for an admin's reset the new one only (default: prompts, no echo)")
    p.add_argument("--reason", default=None)
    add_store_options(p)
    p.set_defaults(func=passwd)


def add(args: argparse.Namespace) -> int:
    """Create an account."""
    from geozones.services import accounts

    with cli_store(args) as store:
        first = not accounts.has_admin(store)
        actor = PUBLIC if first and args.role == "admin" else acting_principal(store, args)
        password = None if args.sso else read_new_password(args.name)
        accounts.add_account(store, actor, args.name, role=args.role, scope=args.scope, password=password,
                             email=args.email, sso=args.sso, reason=args.reason)
    print(f"geozones: akun dibuat / account created: {args.name} ({args.role}"
          + (f", {args.scope}" if args.scope else "") + ")")
    return 0


def list_(args: argparse.Namespace) -> int:
    """Print accounts as a table."""
    from geozones.services import accounts

    with cli_store(args) as store:
        rows = accounts.list_accounts(store, acting_principal(store, args))
    print("name\temail\tsso\tstatus\troles")
    for a in rows:
        from geozones.core.time import format_wib

        status = "disabled" if a.disabled else (f"locked until {format_wib(a.locked_until)}"
                                                if a.locked_until else "active")
        roles = ", ".join(g.role + (f"({g.scope})" if g.scope else "") for g in a.grants) or "public"
        print(f"{a.name}\t{a.email or ''}\t{'yes' if a.sso else 'no'}\t{status}\t{roles}")
    return 0


def disable(args: argparse.Namespace) -> int:
    """Disable an account."""
    from geozones.services import accounts

    with cli_store(args) as store:
        accounts.disable_account(store, acting_principal(store, args), args.name, reason=args.reason)
    print(f"geozones: akun dinonaktifkan / account disabled: {args.name}")
    return 0


def grant(args: argparse.Namespace) -> int:
    """Grant a role."""
    from geozones.services import accounts

    with cli_store(args) as store:
        accounts.grant_role(store, acting_principal(store, args), args.name, args.role, args.scope, sso=args.sso,
                            reason=args.reason)
    print(f"geozones: peran diberikan / role granted: {args.name} {args.role}" + (f" ({args.scope})" if args.scope
                                                                                    else ""))
    return 0


def revoke(args: argparse.Namespace) -> int:
    """Revoke a role."""
    from geozones.services import accounts

    with cli_store(args) as store:
        accounts.revoke_role(store, acting_principal(store, args), args.name, args.role, args.scope,
                             reason=args.reason)
    print(f"geozones: peran dicabut / role revoked: {args.name} {args.role}")
    return 0


def _stdin_lines(n: int, what: str, what_id: str) -> list[str]:
    lines = [sys.stdin.readline() for _ in range(n)]
    if not all(lines):
        raise InputError.bi(f"stdin harus memuat {what_id}, satu per baris", f"standard input must hold {what}, "
                            "one a line", field="--password-stdin")
    return [line.rstrip("\r\n") for line in lines]


def _typed_new(name: str) -> str:
    first = getpass.getpass(f"Kata sandi baru / new password for {name}: ")
    if getpass.getpass("Ulangi / repeat: ") != first:
        raise InputError.bi("kata sandi baru tidak sama", "the new passwords differ", field="password")
    return first


def _need_terminal() -> None:
    if not sys.stdin.isatty():
        raise InputError.bi("tidak ada terminal untuk menanyakan kata sandi: pakai --password-stdin",
                            "no terminal to ask for the password: use --password-stdin", field="password")


def passwd(args: argparse.Namespace) -> int:
    """Change one's own password (proved by the current one), or reset another account's as an admin.

    The acting account is ``--user`` / ``$GEOZONES_USER``; when it is absent or is ACCOUNT
    itself, this is a change of one's own password and the current password is asked
    (never taken from ``$GEOZONES_PASSWORD``, so a session left open cannot change it).
    Otherwise the acting account must be an admin (its password from
    ``$GEOZONES_PASSWORD`` or a prompt) and only the new password is read.
    """
    from geozones.services import accounts

    acting = getattr(args, "user", None) or os.environ.get(USER_ENV)
    own = not acting or acting == args.name
    with cli_store(args) as store:
        if own:
            if args.password_stdin:
                old, new = _stdin_lines(2, "the current password then the new one",
                                        "kata sandi sekarang lalu yang baru")
            else:
                _need_terminal()
                old = getpass.getpass(f"Kata sandi sekarang / current password for {args.name}: ")
                new = _typed_new(args.name)
            accounts.change_own_password(store, args.name, old, new, reason=args.reason)
        else:
            actor = acting_principal(store, args)
            if args.password_stdin:
                (new,) = _stdin_lines(1, "the new password", "kata sandi baru")
            else:
                _need_terminal()
                new = _typed_new(args.name)
            accounts.reset_password(store, actor, args.name, new, reason=args.reason)
    print(f"geozones: kata sandi diganti / password changed: {args.name} (sesi lama diakhiri / earlier sessions "
          "ended)")
    return 0
