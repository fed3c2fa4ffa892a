"""What store commands share: the database option, the acting account and password input."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from geozones.core.errors import InputError

if TYPE_CHECKING:
    from geozones.services.authz import Principal
    from geozones.store.database import Store

__all__ = ["USER_ENV", "acting_principal", "add_store_options", "open_cli_store", "read_new_password"]

USER_ENV = "GEOZONES_USER"
DATABASE_URL_ENV = "GEOZONES_DATABASE_URL"
PASSWORD_ENV = "GEOZONES_PASSWORD"


def add_store_options(p: argparse.ArgumentParser, *, user: bool = True) -> None:
    """``--database-url`` (and ``--user`` for commands that act as an account)."""
    p.add_argument("--database-url", default=None,
                   help=f"SQLAlchemy URL of the store (default: ${DATABASE_URL_ENV}, else the embedded SQLite file "
                   "in $GEOZONES_HOME)")
    if user:
        p.add_argument("--user", default=None,
                       help=f"account to act as (default: ${USER_ENV}); the password comes from "
                       f"${PASSWORD_ENV} or a prompt")


def open_cli_store(args: argparse.Namespace, **kw) -> Store:
    """Open the store named by ``--database-url`` / the environment (see :func:`open_store`)."""
    from geozones.store.database import open_store

    return open_store(getattr(args, "database_url", None), **kw)


@contextmanager
def cli_store(args: argparse.Namespace, **kw) -> Iterator[Store]:
    """:func:`open_cli_store` for one command: the store's connections are closed when the block ends."""
    store = open_cli_store(args, **kw)
    try:
        yield store
    finally:
        store.dispose()


def _prompt(text: str) -> str:
    if not sys.stdin.isatty():
        raise InputError(f"kata sandi diperlukan: set ${PASSWORD_ENV} atau jalankan di terminal / a password is "
                         f"needed: set ${PASSWORD_ENV} or run in a terminal", field="password")
    return getpass.getpass(text)


def acting_principal(store: Store, args: argparse.Namespace, *, optional: bool = False) -> Principal:
    """The account the command acts as, authenticated (public when none is named and ``optional``)."""
    from geozones.services.accounts import authenticate
    from geozones.services.authz import PUBLIC

    name = getattr(args, "user", None) or os.environ.get(USER_ENV)
    if not name:
        if optional:
            return PUBLIC
        raise InputError(f"sebutkan akun: --user NAMA atau ${USER_ENV} / name the acting account: --user NAME or "
                         f"${USER_ENV}", field="--user")
    password = os.environ.get(PASSWORD_ENV)
    if password is None:
        password = _prompt(f"Kata sandi / password for {name}: ")
    return authenticate(store, name, password)


def read_new_password(name: str) -> str:
    """A new password: typed twice at a prompt, or one line of standard input (never an argument)."""
    if sys.stdin.isatty():
        first = getpass.getpass(f"Kata sandi baru / new password for {name}: ")
        again = getpass.getpass("Ulangi / repeat: ")
        if first != again:
            raise InputError("kata sandi tidak sama / the passwords differ", field="password")
        return first
    line = sys.stdin.readline()
    if not line:
        raise InputError("kata sandi baru diharapkan di stdin / expected the new password on standard input",
                         field="password")
    return line.rstrip("\r\n")
