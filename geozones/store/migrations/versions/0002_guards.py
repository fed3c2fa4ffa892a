"""Guards in the database itself: append-only audit and media, frozen published versions, PostGIS extras.

The triggers are written per dialect (SQLite ``RAISE(ABORT, ...)``, PostgreSQL
plpgsql), so the refusal holds for any client, not only for geozones' services.
Where the PostGIS extension is installed, ``zone_feature`` gets a generated
``geom_gis`` column with a GiST index so QGIS can open it; nothing in geozones reads it.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 17:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

#: Columns of a published version that may never change (status and end times may).
FROZEN = ("ruleset_id", "version", "yaml_text", "sha256", "parent_id", "decree_no", "decree_signed_on",
          "decree_pdf_sha256", "effective_from", "published_at", "author", "publisher")
APPEND_ONLY = ("audit_event", "media")


def _sqlite_up() -> None:
    for table in APPEND_ONLY:
        for what in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {table}_no_{what.lower()} BEFORE {what} ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {what} refused'); END")
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in FROZEN)
    op.execute("CREATE TRIGGER ruleset_version_frozen BEFORE UPDATE ON ruleset_version "
               "WHEN OLD.status = 'withdrawn' OR (OLD.status IN ('published', 'superseded') AND "
               f"({changed} OR NEW.status IN ('draft', 'in_review'))) "
               "BEGIN SELECT RAISE(ABORT, 'a published rule-set version is immutable'); END")
    op.execute("CREATE TRIGGER ruleset_version_no_delete BEFORE DELETE ON ruleset_version "
               "WHEN OLD.status NOT IN ('draft', 'in_review') "
               "BEGIN SELECT RAISE(ABORT, 'a published rule-set version cannot be deleted'); END")
    frozen_zone = "(SELECT status FROM ruleset_version WHERE id = {}.version_id) NOT IN ('draft', 'in_review')"
    for what, row in (("INSERT", "NEW"), ("UPDATE", "OLD"), ("DELETE", "OLD")):
        op.execute(f"CREATE TRIGGER zone_feature_frozen_{what.lower()} BEFORE {what} ON zone_feature "
                   f"WHEN {frozen_zone.format(row)} "
                   "BEGIN SELECT RAISE(ABORT, 'zones of a published rule-set version are immutable'); END")


def _postgresql_up() -> None:
    op.execute("""
        CREATE FUNCTION geozones_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
        END $$""")
    for table in APPEND_ONLY:
        op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION geozones_append_only()")
        op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION geozones_append_only()")
    changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in FROZEN)
    op.execute(f"""
        CREATE FUNCTION geozones_version_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'DELETE' THEN
            IF OLD.status NOT IN ('draft', 'in_review') THEN
              RAISE EXCEPTION 'a published rule-set version cannot be deleted';
            END IF;
            RETURN OLD;
          END IF;
          IF OLD.status = 'withdrawn' OR (OLD.status IN ('published', 'superseded') AND
             ({changed} OR NEW.status IN ('draft', 'in_review'))) THEN
            RAISE EXCEPTION 'a published rule-set version is immutable';
          END IF;
          RETURN NEW;
        END $$""")
    op.execute("CREATE TRIGGER ruleset_version_frozen BEFORE UPDATE OR DELETE ON ruleset_version "
               "FOR EACH ROW EXECUTE FUNCTION geozones_version_frozen()")
    op.execute("""
        CREATE FUNCTION geozones_zone_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE vid integer;
        BEGIN
          vid := CASE WHEN TG_OP = 'INSERT' THEN NEW.version_id ELSE OLD.version_id END;
          IF (SELECT status FROM ruleset_version WHERE id = vid) NOT IN ('draft', 'in_review') THEN
            RAISE EXCEPTION 'zones of a published rule-set version are immutable';
          END IF;
          IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
          RETURN NEW;
        END $$""")
    op.execute("CREATE TRIGGER zone_feature_frozen BEFORE INSERT OR UPDATE OR DELETE ON zone_feature "
               "FOR EACH ROW EXECUTE FUNCTION geozones_zone_frozen()")
    has_postgis = op.get_bind().exec_driver_sql(
        "SELECT 1 FROM pg_extension WHERE extname = 'postgis'").first() is not None
    if has_postgis:
        op.execute("ALTER TABLE zone_feature ADD COLUMN geom_gis geometry(Geometry, 4326) "
                   "GENERATED ALWAYS AS (ST_SetSRID(ST_GeomFromWKB(geom), 4326)) STORED")
        op.execute("CREATE INDEX ix_zone_feature_geom_gis ON zone_feature USING gist (geom_gis)")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_up()
    else:
        _sqlite_up()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE zone_feature DROP COLUMN IF EXISTS geom_gis")
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP TRIGGER IF EXISTS ruleset_version_frozen ON ruleset_version")
        op.execute("DROP TRIGGER IF EXISTS zone_feature_frozen ON zone_feature")
        for fn in ("geozones_append_only", "geozones_version_frozen", "geozones_zone_frozen"):
            op.execute(f"DROP FUNCTION IF EXISTS {fn}()")
        return
    for table in APPEND_ONLY:
        for what in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{what}")
    for name in ("ruleset_version_frozen", "ruleset_version_no_delete", "zone_feature_frozen_insert",
                 "zone_feature_frozen_update", "zone_feature_frozen_delete"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
