"""The store on both backends: one pytest parameter, SQLite and PostgreSQL.

PostgreSQL is the server on 127.0.0.1:5432 (``$GEOZONES_TEST_PG_URL`` names its
admin database; .ci/run sets it). Each test gets a fresh database with PostGIS.
Locally the PostgreSQL runs skip with a reason when no server answers; in CI
(``CI`` or ``GEOZONES_REQUIRE_PG``) they fail instead.
"""

from __future__ import annotations

import os
import uuid

import pytest

PG_ADMIN_URL = os.environ.get("GEOZONES_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
BACKENDS = ("sqlite", "postgresql")


def _pg_required() -> bool:
    return bool(os.environ.get("CI") or os.environ.get("GEOZONES_REQUIRE_PG"))


def _admin_conninfo() -> str:
    from sqlalchemy.engine import make_url

    u = make_url(PG_ADMIN_URL)
    return (f"host={u.host or '127.0.0.1'} port={u.port or 5432} user={u.username or 'postgres'} "
            f"dbname={u.database or 'postgres'}" + (f" password={u.password}" if u.password else ""))


def create_pg_database(template: str | None = None) -> str:
    """A fresh database with PostGIS (or a copy of ``template``); its URL (skip or fail when no server answers)."""
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"geozones_test_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(_admin_conninfo(), autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    except psycopg.OperationalError as exc:
        msg = f"no PostgreSQL server answers at {PG_ADMIN_URL} ({str(exc).strip().splitlines()[0]})"
        if _pg_required():
            pytest.fail(msg + "; required in CI (CI / GEOZONES_REQUIRE_PG set)")
        pytest.skip(msg)
    url = make_url(PG_ADMIN_URL).set(drivername="postgresql+psycopg", database=name)
    if template:
        return url.render_as_string(hide_password=False)
    with psycopg.connect(_admin_conninfo().replace(f"dbname={make_url(PG_ADMIN_URL).database or 'postgres'}",
                                                   f"dbname={name}"), autocommit=True) as conn:
        try:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        except psycopg.Error:
            if _pg_required():
                raise
    return url.render_as_string(hide_password=False)


def drop_pg_database(url: str) -> None:
    """Drop a database made by :func:`create_pg_database` (ending its connections)."""
    import psycopg
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
def store_url(request, tmp_path):
    """An empty database URL on each backend (PostgreSQL: a fresh database, dropped afterwards)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'geozones.sqlite'}"
        return
    url = create_pg_database()
    try:
        yield url
    finally:
        _drop_later(url)


_TEMPLATES: dict[str, str] = {}


def _migrated_template(backend: str, tmp_factory) -> str:
    """A database migrated to head once per test session, copied for each test (migrations cost seconds)."""
    if backend not in _TEMPLATES:
        from geozones.store.database import open_store

        if backend == "sqlite":
            url = f"sqlite:///{tmp_factory.mktemp('store-template') / 'template.sqlite'}"
        else:
            url = create_pg_database()
        s = open_store(url, migrate=True)
        s.dispose()
        _TEMPLATES[backend] = url
    return _TEMPLATES[backend]


class _Dropper:
    """Drops finished test databases on a background thread (a DROP DATABASE takes about a second)."""

    def __init__(self) -> None:
        import queue
        import threading

        self.queue: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (url := self.queue.get()) is not None:
            drop_pg_database(url)

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join(timeout=300)


_DROPPER: list[_Dropper] = []


def _drop_later(url: str) -> None:
    if not _DROPPER:
        _DROPPER.append(_Dropper())
    _DROPPER[0].queue.put(url)


@pytest.fixture(scope="session", autouse=True)
def _drop_templates():
    yield
    url = _TEMPLATES.pop("postgresql", None)
    if url:
        _drop_later(url)
    if _DROPPER:
        _DROPPER.pop().close()


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path, tmp_path_factory):
    """A migrated, open store on each backend (a copy of a once-migrated template)."""
    import shutil

    from sqlalchemy.engine import make_url

    from geozones.store.database import open_store

    template = _migrated_template(request.param, tmp_path_factory)
    if request.param == "sqlite":
        path = tmp_path / "geozones.sqlite"
        shutil.copy(make_url(template).database, path)
        url = f"sqlite:///{path}"
    else:
        url = create_pg_database(template=make_url(template).database)
    s = open_store(url)
    yield s
    s.dispose()
    if request.param == "postgresql":
        _drop_later(url)


@pytest.fixture
def people(store):
    """One principal per role (admin first, then one account per role), as a dict role -> Principal."""
    from geozones.services import accounts
    from geozones.services.authz import PUBLIC

    admin = accounts.add_account(store, PUBLIC, "admin1", role="admin", password="admin-pass-1")
    out = {"public": PUBLIC, "admin": admin}
    for role, scope in (("paslon", "paslon=2"), ("bawaslu", None), ("kpu_editor", None), ("kpu_publisher", None)):
        out[role] = accounts.add_account(store, admin, f"{role}1", role=role, scope=scope, password=f"{role}-pass-1")
    out["kpu_publisher2"] = accounts.add_account(store, admin, "kpu_publisher2", role="kpu_publisher",
                                                 password="publisher-pass-2")
    return out


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch):
    """argon2id with argon2-cffi's CHEAPEST profile in-process (the production cost is for people, not tests)."""
    from argon2 import PasswordHasher, profiles

    from geozones.services import accounts

    monkeypatch.setattr(accounts, "_HASHER", PasswordHasher.from_parameters(profiles.CHEAPEST))
