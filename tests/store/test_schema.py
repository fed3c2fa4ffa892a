"""Schema, migrations and column types on both backends."""

from __future__ import annotations

import datetime as dt

import pytest
import shapely
from alembic import command
from sqlalchemy import text

from geozones.store.database import SchemaError, StoreError, open_store
from geozones.store.migrate import alembic_config, current_revision, head_revision

WIB = dt.timezone(dt.timedelta(hours=7))


def test_migrated_schema_matches_the_models(store):
    assert current_revision(store) == head_revision()
    command.check(alembic_config(store))  # raises when autogenerate would find a difference


def test_postgresql_is_migrated_only_on_request_and_a_behind_schema_names_the_command(store_url):
    if store_url.startswith("sqlite"):
        s = open_store(store_url)  # the embedded store is created and migrated on first use
        assert current_revision(s) == head_revision()
        s.dispose()
        return
    with pytest.raises(SchemaError, match="geozones db upgrade"):
        open_store(store_url)
    s = open_store(store_url, migrate=True)
    s.dispose()
    open_store(store_url).dispose()


def test_a_newer_schema_is_refused(store):
    with store.write_engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffff9999'"))
    with pytest.raises(SchemaError, match="newer"):
        open_store(store.url)
    with pytest.raises(SchemaError, match="newer"):
        open_store(store.url, migrate=True)


def test_utc_type_keeps_the_instant_and_refuses_naive_times(store):
    from geozones.store.models import LoginAttempt

    wib = dt.datetime(2024, 10, 1, 9, 0, tzinfo=WIB)
    with store.write() as s:
        s.add(LoginAttempt(name="x", at=wib, success=False))
    with store.read() as s:
        got = s.query(LoginAttempt).one().at
    assert got.tzinfo is not None and got == wib and got.utcoffset() == dt.timedelta(0)
    assert got.hour == 2
    with pytest.raises(Exception, match="naive"), store.write() as s:
        s.add(LoginAttempt(name="y", at=dt.datetime(2024, 10, 1, 9, 0), success=False))
        s.flush()


def test_wkb_geometry_round_trip(store, people):
    from geozones.services import rulesets
    from geozones.store.models import ZoneFeature
    from tests.store.stacked import JP_TEXT, import_parents

    import_parents(store, people["admin"])
    rulesets.import_ruleset(store, people["admin"], JP_TEXT)
    with store.read() as s:
        zones = s.query(ZoneFeature).all()
    assert zones
    for z in zones:
        assert isinstance(z.geom, shapely.Geometry) and z.geom.is_valid
        assert (z.minx, z.miny, z.maxx, z.maxy) == pytest.approx(z.geom.bounds)


def test_postgis_generated_column_when_postgis_is_installed(store):
    if store.dialect != "postgresql":
        with store.engine.connect() as conn:
            cols = {r[1] for r in conn.execute(text("PRAGMA table_info(zone_feature)"))}
        assert "geom_gis" not in cols  # SQLite: WKB and bbox only, no extension needed
        return
    with store.engine.connect() as conn:
        has = conn.execute(text("SELECT 1 FROM pg_extension WHERE extname='postgis'")).first()
        cols = {r[0] for r in conn.execute(text(
            "SELECT column_name FROM information_schema.columns WHERE table_name='zone_feature'"))}
    assert has is not None, "the test database is created with PostGIS"
    assert "geom_gis" in cols


def test_bad_urls_give_clear_errors(tmp_path):
    with pytest.raises(StoreError, match="malformed database URL"):
        open_store("not a url::")
    with pytest.raises(StoreError, match="does not answer"):
        open_store("postgresql+psycopg://postgres@127.0.0.1:1/none")
    with pytest.raises(StoreError, match="unsupported"):
        open_store("mysql://x@localhost/db")


def test_read_only_database_is_a_clear_error_and_nothing_changes(tmp_path):
    from geozones.services import accounts
    from geozones.services.authz import PUBLIC

    path = tmp_path / "g.sqlite"
    open_store(f"sqlite:///{path}").dispose()
    before = path.read_bytes()
    ro = open_store(f"sqlite:///file:{path}?mode=ro&uri=true")
    with pytest.raises(StoreError, match="read-only"):
        accounts.add_account(ro, PUBLIC, "root", role="admin", password="12345678")
    ro.dispose()
    assert path.read_bytes() == before
