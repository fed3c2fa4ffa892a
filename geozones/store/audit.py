"""The audit trail: append an event in the caller's transaction, verify the hash chain.

Each event's ``hash`` is the sha256 of the previous event's hash and the event's
canonical JSON (sorted keys, UTC ISO time), so altering, removing or reordering
any row breaks every later link. The first event chains to :data:`GENESIS`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from geozones.store.models import AuditEvent

__all__ = ["GENESIS", "ChainBreak", "append_event", "event_digest", "verify_chain", "verify_events"]

GENESIS = "0" * 64


def _canonical(value: Any) -> Any:
    return json.loads(json.dumps(value, sort_keys=True, default=str)) if value is not None else None


def event_digest(prev_hash: str, *, at: dt.datetime, actor: str, role: str, action: str, entity_type: str,
                 entity_id: str, before: Any, after: Any, reason: str | None) -> str:
    """sha256 (hex) of ``prev_hash`` and the event's canonical JSON."""
    body = {"at": at.astimezone(dt.UTC).isoformat(timespec="microseconds"), "actor": actor, "role": role,
            "action": action, "entity_type": entity_type, "entity_id": entity_id,
            "before": _canonical(before), "after": _canonical(after), "reason": reason}
    payload = prev_hash + "\n" + json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _lock_chain(session: Session) -> None:
    # PostgreSQL: serialise appenders for the rest of the transaction. SQLite writers already
    # hold the write lock from BEGIN IMMEDIATE. The unique prev_hash is the backstop for both.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(9000001)"))


def append_event(session: Session, *, actor: str, role: str, action: str, entity_type: str, entity_id: str,
                 before: Any = None, after: Any = None, reason: str | None = None,
                 at: dt.datetime | None = None) -> AuditEvent:
    """Add one audit event to ``session`` (committed with the change it records)."""
    _lock_chain(session)
    session.flush()
    prev = session.execute(select(AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)).scalar()
    prev = prev or GENESIS
    at = (at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    before, after = _canonical(before), _canonical(after)
    ev = AuditEvent(at=at, actor=actor, role=role, action=action, entity_type=entity_type,
                    entity_id=str(entity_id), before=before, after=after, reason=reason, prev_hash=prev,
                    hash=event_digest(prev, at=at, actor=actor, role=role, action=action, entity_type=entity_type,
                                      entity_id=str(entity_id), before=before, after=after, reason=reason))
    session.add(ev)
    session.flush()
    return ev


@dataclass(frozen=True)
class ChainBreak:
    """The first event whose link or content does not verify."""

    seq: int
    problem: str

    def __str__(self) -> str:
        return f"audit_event seq {self.seq}: {self.problem}"


def verify_events(events) -> tuple[int, ChainBreak | None]:
    """Walk events in order; return (count verified, first break or None)."""
    prev = GENESIS
    n = 0
    for ev in events:
        if ev.prev_hash != prev:
            return n, ChainBreak(ev.seq, "tautan ke peristiwa sebelumnya putus / link to the previous event "
                                         "is broken (an event was removed or reordered)")
        want = event_digest(prev, at=ev.at, actor=ev.actor, role=ev.role, action=ev.action,
                            entity_type=ev.entity_type, entity_id=ev.entity_id, before=ev.before,
                            after=ev.after, reason=ev.reason)
        if want != ev.hash:
            return n, ChainBreak(ev.seq, "isi peristiwa diubah / the event's content was altered")
        prev = ev.hash
        n += 1
    return n, None


def verify_chain(session: Session) -> tuple[int, ChainBreak | None]:
    """Verify the whole audit chain in the database."""
    return verify_events(session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars())
