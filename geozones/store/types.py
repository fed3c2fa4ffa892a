"""Column types the store needs on both backends: UTC instants and WKB geometries."""

from __future__ import annotations

import datetime as dt

import shapely
from sqlalchemy import DateTime, LargeBinary
from sqlalchemy.types import TypeDecorator

__all__ = ["UTCDateTime", "WKBGeometry"]


class UTCDateTime(TypeDecorator):
    """An instant stored in UTC and read back as an aware UTC ``datetime``.

    SQLite's ``DateTime(timezone=True)`` drops the offset (a 09:00 WIB value comes
    back as a naive 09:00; workflows-research §1.1), so values are converted to UTC
    before they are stored and marked UTC when read. Naive values are refused:
    a time without an offset is a bug in the caller, not something to guess.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        """UTC for the database (naive on SQLite, which keeps no offset)."""
        if value is None:
            return None
        if not isinstance(value, dt.datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} refused: give an offset (UTC or WIB)")
        utc = value.astimezone(dt.UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        """An aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class WKBGeometry(TypeDecorator):
    """A shapely geometry stored as ISO WKB (EPSG:4326, lon/lat); no spatial extension needed."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value, dialect) -> bytes | None:
        """ISO WKB bytes."""
        if value is None:
            return None
        if isinstance(value, bytes | bytearray | memoryview):
            return bytes(value)
        return shapely.to_wkb(value, flavor="iso")

    def process_result_value(self, value, dialect):
        """A shapely geometry."""
        if value is None:
            return None
        return shapely.from_wkb(bytes(value))
