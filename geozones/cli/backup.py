"""``geozones db dump OUT`` and ``geozones db restore IN``: one portable, verifiable archive."""

from __future__ import annotations

import argparse
from pathlib import Path

from geozones.cli.store_common import acting_principal, add_store_options, cli_store

__all__ = ["register"]


def register(dsub: argparse._SubParsersAction) -> None:
    """Add ``dump`` and ``restore`` to the ``db`` tree."""
    d = dsub.add_parser("dump", help="write the whole store to one archive (admin)")
    d.add_argument("out", type=Path)
    d.add_argument("--with-password-hashes", action="store_true",
                   help="include the argon2id hashes of built-in accounts (default: left out)")
    add_store_options(d)
    d.set_defaults(func=dump)
    r = dsub.add_parser("restore", help="restore an archive into an empty database (every hash verified first)")
    r.add_argument("archive", type=Path)
    add_store_options(r, user=False)
    r.set_defaults(func=restore)


def dump(args: argparse.Namespace) -> int:
    """Write the archive."""
    from geozones.services.backup import dump_archive

    with cli_store(args) as store:
        m = dump_archive(store, acting_principal(store, args), args.out,
                         with_password_hashes=args.with_password_hashes)
    print(f"geozones: arsip ditulis / archive written: {args.out} ({len(m['files'])} berkas / files, "
          f"skema / schema {m['schema_revision']})")
    return 0


def restore(args: argparse.Namespace) -> int:
    """Verify and restore."""
    from geozones.core.errors import InputError
    from geozones.services.backup import restore_archive

    if not args.archive.is_file():
        raise InputError("arsip tidak ada / archive not found", source=str(args.archive))
    with cli_store(args, migrate=True) as store:
        counts = restore_archive(store, args.archive)
    print("geozones: dipulihkan / restored: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0
