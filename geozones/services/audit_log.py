"""Reading the audit trail: who changed what, when and why (issue 10 §6).

Authorized here: rule editors, publishers and admins read every event; a
``bawaslu`` account reads only events on its own entity types
(:data:`~geozones.services.authz.BAWASLU_ENTITIES`). Filters narrow by account,
entity type, entity id (a version ``ID@V``, a zone id, a grant) and time.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select

from geozones.services.authz import BAWASLU_ENTITIES, Action, Principal, authorize
from geozones.store.database import Store
from geozones.store.models import AuditEvent

__all__ = ["AUDIT_COLUMNS", "AuditRow", "audit_frame", "list_events"]

AUDIT_COLUMNS = ["seq", "at", "actor", "role", "action", "entity_type", "entity_id", "reason", "before", "after"]


@dataclass(frozen=True)
class AuditRow:
    """One audit event as listed."""

    seq: int
    at: dt.datetime
    actor: str
    role: str
    action: str
    entity_type: str
    entity_id: str
    reason: str | None
    before: dict | None
    after: dict | None


def list_events(store: Store, actor: Principal, *, account: str | None = None, entity_type: str | None = None,
                entity: str | None = None, since: dt.datetime | None = None, until: dt.datetime | None = None,
                limit: int = 10000) -> list[AuditRow]:
    """Audit events, oldest first, filtered.

    Parameters
    ----------
    entity : str, optional
        Substring of the entity id or of the before/after record (a zone id such as
        ``kpu-1`` is found in the event that added it).
    since, until : datetime, optional
        ``[since, until)``, aware.

    Raises
    ------
    Forbidden
        Unless ``actor`` may read the audit trail.
    """
    role = authorize(actor, Action.READ_AUDIT)
    q = select(AuditEvent).order_by(AuditEvent.seq)
    if account:
        q = q.where(AuditEvent.actor == account)
    if entity_type:
        q = q.where(AuditEvent.entity_type == entity_type)
    if role == "bawaslu":
        q = q.where(AuditEvent.entity_type.in_(sorted(BAWASLU_ENTITIES)))
    if since is not None:
        q = q.where(AuditEvent.at >= since)
    if until is not None:
        q = q.where(AuditEvent.at < until)
    out = []
    with store.read() as s:
        for e in s.execute(q).scalars():
            if entity and entity not in e.entity_id and entity not in json.dumps([e.before, e.after], default=str):
                continue
            out.append(AuditRow(e.seq, e.at, e.actor, e.role, e.action, e.entity_type, e.entity_id, e.reason,
                                e.before, e.after))
            if len(out) >= limit:
                break
    return out


def audit_frame(rows: list[AuditRow]) -> pd.DataFrame:
    """The events as a table (times in WIB, before/after as JSON text), for CSV and the audit page."""
    from geozones.core.time import format_wib

    recs = [{"seq": r.seq, "at": format_wib(r.at), "actor": r.actor, "role": r.role, "action": r.action,
             "entity_type": r.entity_type, "entity_id": r.entity_id, "reason": r.reason or "",
             "before": json.dumps(r.before, ensure_ascii=False, sort_keys=True) if r.before is not None else "",
             "after": json.dumps(r.after, ensure_ascii=False, sort_keys=True) if r.after is not None else ""}
            for r in rows]
    return pd.DataFrame(recs, columns=AUDIT_COLUMNS)
