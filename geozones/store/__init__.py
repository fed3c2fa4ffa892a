"""Persistence behind the catalog (SQLite by default, PostgreSQL/PostGIS for shared deployments)."""
