"""Alembic, driven from code: upgrade to head and compare the database's revision with ours."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.exc import DBAPIError, OperationalError

from geozones.store.database import MIGRATIONS, SchemaError, Store, _friendly

__all__ = ["alembic_config", "check_current", "current_revision", "head_revision", "upgrade"]


def alembic_config(store: Store | None = None, url: str | None = None) -> Config:
    """An Alembic config for the packaged migrations (no ``alembic.ini`` needed)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", (store.url if store else url or "").replace("%", "%%"))
    if store is not None:
        cfg.attributes["store"] = store
    return cfg


def head_revision() -> str:
    """The newest revision this code knows."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(store: Store) -> str | None:
    """The database's revision (None when it has never been migrated)."""
    with store.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(store: Store, revision: str = "head") -> None:
    """Migrate the database to ``revision`` (refuses a database newer than this code)."""
    current = current_revision(store)
    script = ScriptDirectory.from_config(alembic_config())
    if current is not None and _unknown(script, current):
        raise _newer(store, current)
    try:
        command.upgrade(alembic_config(store), revision)
    except (OperationalError, DBAPIError) as exc:
        raise _friendly(exc, store.url) from None


def _unknown(script: ScriptDirectory, rev: str) -> bool:
    try:
        return script.get_revision(rev) is None
    except Exception:  # noqa: BLE001 - alembic raises several kinds for an unknown id
        return True


def _newer(store: Store, current: str) -> SchemaError:
    return SchemaError(f"skema basis data lebih baru dari geozones ini (revisi {current}); perbarui geozones / "
                       f"the database schema is newer than this geozones (revision {current}); upgrade geozones",
                       source=store.url.split("@")[-1])


def check_current(store: Store) -> None:
    """Refuse a schema that is behind (naming ``geozones db upgrade``) or newer than this code."""
    current = current_revision(store)
    head = head_revision()
    if current == head:
        return
    script = ScriptDirectory.from_config(alembic_config())
    if current is not None and _unknown(script, current):
        raise _newer(store, current)
    raise SchemaError(f"skema basis data tertinggal ({current or 'kosong'} → {head}); jalankan `geozones db upgrade` "
                      f"/ the database schema is behind ({current or 'empty'} → {head}); run `geozones db upgrade`",
                      source=store.url.split("@")[-1])
