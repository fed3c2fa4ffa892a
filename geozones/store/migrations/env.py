"""Alembic environment: one migration set for SQLite and PostgreSQL (Alembic cookbook).

``render_as_batch`` lets SQLite ALTER tables; custom types render with the
``geozones.store.types`` prefix; PostgreSQL-only objects (PostGIS tables, the
generated ``geom_gis`` column and its index) are left out of comparisons so
``alembic check`` is clean on both backends.
"""

from __future__ import annotations

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


def run_migrations_online() -> None:
    store = config.attributes.get("store")
    if store is not None:
        with store.write_engine.connect() as connection:
            _configure(connection)
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()
        return
    from geozones.store.database import database_url

    url = config.get_main_option("sqlalchemy.url") or database_url(os.environ.get("GEOZONES_DATABASE_URL"))
    engine = create_engine(url)
    with engine.connect() as connection:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
run_migrations_online()
