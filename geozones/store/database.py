"""Opening the store: the URL, the engine, sessions and the schema's state.

``$GEOZONES_DATABASE_URL`` names the database. Without it, the store is a SQLite
file ``geozones.sqlite`` in ``$GEOZONES_HOME`` (default: the platform's user data
folder from platformdirs), created and migrated on first use, in WAL mode with a
busy timeout. A PostgreSQL database (``postgresql+psycopg://...``) is migrated only
by ``geozones db upgrade``; opening one whose schema is behind or newer than this
code is refused with a message naming what to do.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from geozones.core.errors import InputError
from geozones.store.location import DATABASE_URL_ENV, HOME_ENV, default_sqlite_path, geozones_home, store_exists

__all__ = [
    "DATABASE_URL_ENV", "HOME_ENV", "SchemaError", "Store", "StoreError", "database_url", "default_sqlite_path",
    "geozones_home", "open_store", "store_exists",
]

#: Milliseconds a SQLite writer waits for another before giving up.
BUSY_TIMEOUT_MS = 10_000
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class StoreError(InputError):
    """The store cannot be used as asked (unreachable, read-only, malformed URL): exit 2, nothing written."""


class SchemaError(StoreError):
    """The database's schema is behind or ahead of this version of geozones."""


def database_url(url: str | None = None) -> str:
    """The database URL: ``url``, else ``$GEOZONES_DATABASE_URL``, else the embedded SQLite file."""
    url = url or os.environ.get(DATABASE_URL_ENV)
    if url:
        return url
    return f"sqlite:///{default_sqlite_path()}"


def _redact(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<malformed>"


def _engine(url: str, *, immediate: bool) -> Engine:
    try:
        u = make_url(url)
    except ArgumentError:
        raise StoreError(f"URL basis data tidak sah / malformed database URL: '{url}' "
                         "(contoh / e.g. sqlite:///path/geozones.sqlite or "
                         "postgresql+psycopg://user@host/dbname)", source=DATABASE_URL_ENV) from None
    backend = u.get_backend_name()
    if backend == "postgresql" and u.drivername == "postgresql":
        u = u.set(drivername="postgresql+psycopg")
    if backend not in ("sqlite", "postgresql"):
        raise StoreError(f"basis data '{backend}' tidak didukung / unsupported database '{backend}': "
                         "use sqlite:/// or postgresql+psycopg://", source=DATABASE_URL_ENV)
    if backend == "sqlite":
        if u.database and u.database != ":memory:":
            path = Path(u.database)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"folder basis data tidak dapat dibuat / cannot create the database folder: "
                                 f"{exc.strerror}", source=str(path.parent)) from None
        eng = create_engine(u, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

        @event.listens_for(eng, "connect")
        def _pragmas(dbapi_conn, _record) -> None:
            # Let SQLAlchemy emit BEGIN itself (pysqlite's own handling defers it; SQLAlchemy docs).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA foreign_keys = ON")
            try:
                cur.execute("PRAGMA journal_mode = WAL")
            except Exception:  # noqa: BLE001 - a read-only file keeps its journal mode
                pass
            cur.close()

        @event.listens_for(eng, "begin")
        def _begin(conn) -> None:
            # Writers take the write lock at BEGIN, so a read-then-write never fails mid-way
            # with SQLITE_BUSY_SNAPSHOT; readers in WAL mode are never blocked.
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return eng
    return create_engine(u, pool_pre_ping=True, connect_args={"connect_timeout": 10})


def _friendly(exc: Exception, url: str) -> StoreError:
    msg = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else type(exc).__name__
    low = msg.lower()
    if "readonly" in low or "read-only" in low or "read only" in low:
        what = "basis data hanya-baca / the database is read-only"
    elif ("disk" in low and "full" in low) or "no space" in low:
        what = "disk penuh / the disk is full"
    elif "unable to open" in low:
        what = "berkas basis data tidak dapat dibuka / cannot open the database file"
    elif "connection" in low or "could not" in low or "timeout" in low or "refused" in low:
        what = "server basis data tidak terjangkau / the database server does not answer"
    else:
        what = "basis data tidak dapat dipakai / the database cannot be used"
    return StoreError(f"{what} ({msg})", source=_redact(url))


@dataclass
class Store:
    """An open store: one engine for readers, one for writers (same database).

    Use :meth:`read` and :meth:`write` as context managers; :meth:`write`
    commits when the block ends without an exception and rolls back otherwise.
    """

    url: str
    engine: Engine
    write_engine: Engine
    _read: sessionmaker = field(init=False, repr=False)
    _write: sessionmaker = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(self.write_engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading (closed at the end; loaded objects stay readable)."""
        with self._read() as s:
            try:
                yield s
            except (OperationalError, DBAPIError) as exc:
                raise _friendly(exc, self.url) from None

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        """A session for one change: committed together (audit included) or not at all."""
        with self._write() as s:
            try:
                yield s
                s.commit()
            except OperationalError as exc:
                s.rollback()
                raise _friendly(exc, self.url) from None
            except BaseException:
                s.rollback()
                raise

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
        self.write_engine.dispose()


def _connect(url: str) -> Store:
    store = Store(url, _engine(url, immediate=False), _engine(url, immediate=True))
    try:
        with store.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except (OperationalError, DBAPIError) as exc:
        store.dispose()
        raise _friendly(exc, url) from None
    return store


def open_store(url: str | None = None, *, migrate: bool | None = None, check: bool = True) -> Store:
    """Open the store at ``url`` (see :func:`database_url`), checking its schema.

    Parameters
    ----------
    url : str, optional
        SQLAlchemy URL; default :func:`database_url`.
    migrate : bool, optional
        Bring the schema up to date first. Default: yes for SQLite (the embedded
        store is set up on first use), no for PostgreSQL (``geozones db upgrade``).
    check : bool
        Refuse a schema that is behind or newer (default).

    Raises
    ------
    StoreError
        Malformed URL, unreachable server, unreadable or read-only file.
    SchemaError
        The schema is behind (names ``geozones db upgrade``) or newer than this code.
    """
    from geozones.store import migrate as mig

    url = database_url(url)
    store = _connect(url)
    if migrate is None:
        migrate = store.dialect == "sqlite"
    try:
        if migrate:
            mig.upgrade(store)
        if check:
            mig.check_current(store)
    except BaseException:
        store.dispose()
        raise
    return store
