"""``geozones db upgrade|verify``: migrate the schema; check the audit chain and media hashes."""

from __future__ import annotations

import argparse

from geozones.cli.store_common import acting_principal, add_store_options, cli_store
from geozones.core.errors import InputError, Problem

__all__ = ["register"]


def register(sub: argparse._SubParsersAction, parser_class: type) -> None:
    """Add the ``db`` command tree."""
    db = sub.add_parser("db", help="the store: migrate, verify, back up")
    dsub = db.add_subparsers(dest="db_command", parser_class=parser_class, required=True)
    up = dsub.add_parser("upgrade", help="create or migrate the database schema to this version of geozones")
    add_store_options(up, user=False)
    up.set_defaults(func=upgrade_cmd)
    ver = dsub.add_parser("verify", help="check the audit chain, every media hash and every rule-set text (admin)")
    add_store_options(ver)
    ver.set_defaults(func=verify)
    try:
        from geozones.cli import backup
    except ImportError:  # pragma: no cover - backup lands separately
        return
    backup.register(dsub)


def upgrade_cmd(args: argparse.Namespace) -> int:
    """Migrate to head."""
    from geozones.store.migrate import current_revision, head_revision, upgrade

    with cli_store(args, migrate=False, check=False) as store:
        before = current_revision(store)
        upgrade(store)
        after = current_revision(store)
    if before == after:
        print(f"geozones: skema sudah terbaru / schema already up to date ({after})")
    else:
        print(f"geozones: skema diperbarui / schema upgraded: {before or 'kosong/empty'} → {after} "
              f"(head {head_revision()})")
    return 0


def verify(args: argparse.Namespace) -> int:
    """Verify; exit 2 naming the first break."""
    from geozones.services.maintenance import verify_store

    with cli_store(args) as store:
        report = verify_store(store, acting_principal(store, args))
    if not report.ok:
        raise InputError([Problem(m) for m in ("verifikasi gagal / verification failed", *report.problems())])
    print(f"geozones: ok: {report.events} peristiwa audit / audit events, {report.media} media, "
          f"{report.versions} versi aturan / rule-set versions verified")
    return 0
