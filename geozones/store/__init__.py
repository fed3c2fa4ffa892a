"""Persistence: SQLite by default, PostgreSQL/PostGIS for shared deployments.

Modules: :mod:`~geozones.store.database` (URL, engine, sessions, schema state),
:mod:`~geozones.store.models` (tables), :mod:`~geozones.store.types` (UTC and WKB
column types), :mod:`~geozones.store.audit` (hash-chained audit events),
:mod:`~geozones.store.migrate` (Alembic from code). Authorization is not here:
the services above check it on every call.
"""
