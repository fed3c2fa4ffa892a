"""What the commands share: the catalog named by the arguments."""

from __future__ import annotations

import argparse

from geozones.services.catalog import FileCatalog


def catalog(args: argparse.Namespace) -> FileCatalog:
    """The catalog of ``--rules`` (else the default rule set) and ``--data-dir``."""
    return FileCatalog(getattr(args, "rules", None), getattr(args, "data_dir", None))


def store_selection(args: argparse.Namespace):
    """The store's catalog and the rule set named by ``--ruleset`` (or the store's for the default area).

    Returns ``(StoreCatalog, ruleset_id, version_or_None)``, or None when ``--rules``
    names a file, or when no store exists yet or it holds no rule set for the
    default area (then the default file is used, as before the store).
    """
    if getattr(args, "rules", None) is not None:
        if getattr(args, "ruleset", None):
            from geozones.core.errors import InputError

            raise InputError("pilih --rules ATAU --ruleset / give --rules or --ruleset, not both", field="--ruleset")
        return None
    from geozones.store.location import store_exists  # no SQLAlchemy import when there is no store

    url = getattr(args, "database_url", None)
    ref = getattr(args, "ruleset", None)
    if not ref and not store_exists(url):
        return None
    from geozones.rules.model import DEFAULT_RULES, load_ruleset
    from geozones.services.store_catalog import StoreCatalog, parse_ruleset_ref
    from geozones.store.database import open_store

    store = open_store(url)
    cat = StoreCatalog(store, data_dir=getattr(args, "data_dir", None))
    if ref:
        rid, version = parse_ruleset_ref(ref)
        return cat, rid, version
    default = load_ruleset(DEFAULT_RULES)
    with store.read() as s:
        from sqlalchemy import select

        from geozones.store.models import RuleSetRecord

        ids = list(s.execute(select(RuleSetRecord.id).where(RuleSetRecord.area == default.area)
                             .order_by(RuleSetRecord.id)).scalars())
    if not ids:
        store.dispose()
        return None
    return cat, (default.id if default.id in ids else ids[0]), None
