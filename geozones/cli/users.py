"""``geozones users add|list|disable|grant|revoke``: accounts and role grants (admin; audited)."""

from __future__ import annotations

import argparse

from geozones.cli.store_common import acting_principal, add_store_options, open_cli_store, read_new_password
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


def add(args: argparse.Namespace) -> int:
    """Create an account."""
    from geozones.services import accounts

    store = open_cli_store(args)
    try:
        first = not accounts.has_admin(store)
        actor = PUBLIC if first and args.role == "admin" else acting_principal(store, args)
        password = None if args.sso else read_new_password(args.name)
        accounts.add_account(store, actor, args.name, role=args.role, scope=args.scope, password=password,
                             email=args.email, sso=args.sso, reason=args.reason)
    finally:
        store.dispose()
    print(f"geozones: akun dibuat / account created: {args.name} ({args.role}"
          + (f", {args.scope}" if args.scope else "") + ")")
    return 0


def list_(args: argparse.Namespace) -> int:
    """Print accounts as a table."""
    from geozones.services import accounts

    store = open_cli_store(args)
    try:
        rows = accounts.list_accounts(store, acting_principal(store, args))
    finally:
        store.dispose()
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

    store = open_cli_store(args)
    try:
        accounts.disable_account(store, acting_principal(store, args), args.name, reason=args.reason)
    finally:
        store.dispose()
    print(f"geozones: akun dinonaktifkan / account disabled: {args.name}")
    return 0


def grant(args: argparse.Namespace) -> int:
    """Grant a role."""
    from geozones.services import accounts

    store = open_cli_store(args)
    try:
        accounts.grant_role(store, acting_principal(store, args), args.name, args.role, args.scope, sso=args.sso,
                            reason=args.reason)
    finally:
        store.dispose()
    print(f"geozones: peran diberikan / role granted: {args.name} {args.role}" + (f" ({args.scope})" if args.scope
                                                                                    else ""))
    return 0


def revoke(args: argparse.Namespace) -> int:
    """Revoke a role."""
    from geozones.services import accounts

    store = open_cli_store(args)
    try:
        accounts.revoke_role(store, acting_principal(store, args), args.name, args.role, args.scope,
                             reason=args.reason)
    finally:
        store.dispose()
    print(f"geozones: peran dicabut / role revoked: {args.name} {args.role}")
    return 0
