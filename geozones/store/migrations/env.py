"""Alembic environment: one migration set for SQLite and PostgreSQL (Alembic cookbook).

``render_as_batch`` lets SQLite ALTER tables; custom types render with the
``geozones.store.types`` prefix; PostgreSQL-only objects (PostGIS tables, the
generated ``geom_gis`` column and its index) are left out of comparisons so
``alembic check`` is clean on both backends.
"""

from __future__ import annotations

import contextlib
import os
import warnings

from alembic import context
from sqlalchemy import create_engine

from geozones.store.models import Base

config = context.config
# PostGIS's geometry type is not known to SQLAlchemy's reflection; the column is excluded anyway.
warnings.filterwarnings("ignore", message="Did not recognize type 'geometry'")
target_metadata = Base.metadata

#: Objects that exist only on PostGIS deployments and are not part of the models.
POSTGIS_ONLY = {"spatial_ref_sys", "geom_gis", "ix_zone_feature_geom_gis",
                "geography_columns", "geometry_columns", "raster_columns", "raster_overviews"}


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    return name not in POSTGIS_ONLY


def render_item(type_, obj, autogen_context):
    mod = type(obj).__module__
    if type_ == "type" and mod.startswith("geozones.store.types"):
        autogen_context.imports.add("import geozones.store.types")
        return f"geozones.store.types.{type(obj).__name__}()"
    return False


def _configure(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                      include_object=include_object, render_item=render_item, compare_type=True)


@contextlib.contextmanager
def _sqlite_foreign_keys_off(connection):
    """On SQLite, foreign keys unenforced during the migration, checked after it, then enforced again.

    A batch migration rebuilds a table (copy, drop, rename); SQLite refuses to drop a table
    other tables reference while it enforces foreign keys, and the pragma cannot change
    inside a transaction (Alembic docs, "Dealing with Referencing Foreign Keys"). It is set
    on the driver connection before SQLAlchemy begins one.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    raw = connection.connection.driver_connection
    raw.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
    except BaseException:
        connection.invalidate()  # never pool a connection that does not enforce foreign keys
        raise
    if raw.in_transaction:  # the pragma would be ignored: drop the connection instead
        connection.invalidate()
        return
    raw.execute("PRAGMA foreign_keys = ON")


def _check_foreign_keys(connection) -> None:
    """Refuse (before commit) a migration that left SQLite rows whose foreign keys point nowhere."""
    if connection.dialect.name == "sqlite":
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"migration left rows whose foreign keys point nowhere: {broken[:5]}")


def run_migrations_online() -> None:
    store = config.attributes.get("store")
    if store is not None:
        with store.write_engine.connect() as connection, _sqlite_foreign_keys_off(connection):
            _configure(connection)
            with context.begin_transaction():
                context.run_migrations()
                _check_foreign_keys(connection)
            connection.commit()
        return
    from geozones.store.database import database_url

    url = config.get_main_option("sqlalchemy.url") or database_url(os.environ.get("GEOZONES_DATABASE_URL"))
    engine = create_engine(url)
    with engine.connect() as connection, _sqlite_foreign_keys_off(connection):
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
            _check_foreign_keys(connection)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
run_migrations_online()
