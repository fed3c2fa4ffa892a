"""Optimistic concurrency: the row's version is checked in the ``UPDATE`` itself.

Two writers that both read row version *n* race; the first ``UPDATE ... WHERE
row_version = n`` wins and bumps it to *n + 1*; the second matches no row and
gets a :class:`Conflict` naming who changed the row and when, so nothing is lost
silently and the loser can reload and retry.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from geozones.core.errors import InputError
from geozones.core.time import format_wib

__all__ = ["Conflict", "checked_update", "conflict_for", "now_utc"]


class Conflict(InputError):
    """Someone else changed the row since it was read (exit 2; reload and try again)."""


def now_utc() -> dt.datetime:
    """The current instant, aware, in UTC."""
    return dt.datetime.now(dt.UTC)


def conflict_for(what: str, row: Any, expected: int) -> Conflict:
    """A conflict message naming who last changed ``row`` (needs ``updated_by``, ``updated_at``)."""
    return Conflict(f"konflik: {what} sudah diubah oleh '{row.updated_by}' pada {format_wib(row.updated_at)} "
                    f"(versi baris {row.row_version}, Anda memegang {expected}); muat ulang lalu ulangi / "
                    f"conflict: {what} was changed by '{row.updated_by}' at {format_wib(row.updated_at)} "
                    f"(row version {row.row_version}, you had {expected}); reload and retry")


def checked_update(session: Session, model: type, pk: Any, expected: int, actor: str, what: str,
                   **values: Any) -> None:
    """``UPDATE model SET values WHERE id = pk AND row_version = expected``, or raise :class:`Conflict`.

    Bumps ``row_version`` and sets ``updated_by``/``updated_at``.
    """
    stmt = (update(model).where(model.id == pk, model.row_version == expected)
            .values(**values, row_version=model.row_version + 1, updated_by=actor, updated_at=now_utc())
            .execution_options(synchronize_session=False))
    if session.execute(stmt).rowcount != 1:
        row = session.get(model, pk, populate_existing=True)
        if row is None:
            raise InputError(f"{what} tidak ada / does not exist")
        raise conflict_for(what, row, expected)
    session.expire_all()
