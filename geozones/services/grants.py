"""The discretion (diskresi) register: rule editors request, publishers decide (issue 9 §5).

A grant lifts named rules of a rule set at a place for a time, citing a letter.
Requests are validated with the rule-set model's :class:`~geozones.rules.model.Grant`
against the version in force now, so a request naming an unknown rule is refused.
Decisions are optimistic (row version) and audited; granted ones are served by
:meth:`geozones.services.store_catalog.StoreCatalog.grants`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy import select

from geozones.core.errors import InputError
from geozones.rules.model import Grant
from geozones.rules.stack import flatten
from geozones.services.authz import Action, Forbidden, Principal, authorize
from geozones.services.concurrency import checked_update, conflict_for, now_utc
from geozones.services.rulesets import get_version, stack_rows, stored_level
from geozones.store.audit import append_event
from geozones.store.database import Store
from geozones.store.models import DiskresiGrant, RuleSetRecord, RuleSetVersion

__all__ = ["DECISIONS", "PENDING_REFERENCE", "GrantInfo", "decide_grant", "get_grant", "list_grants", "request_grant"]

DECISIONS = ("granted", "refused", "revoked")
#: The letter number of a request not yet decided (the decision names the real letter).
PENDING_REFERENCE = "(belum diputus / not decided)"


@dataclass(frozen=True)
class GrantInfo:
    """A grant in the register."""

    id: int
    ruleset_id: str
    grant_id: str
    lifts: list
    status: str
    reference: str | None
    requested_by: str
    decided_by: str | None
    row_version: int
    place: dict | None = None
    window_start: dt.datetime | None = None
    window_end: dt.datetime | None = None
    addressee: str | None = None
    conditions: dict | None = None
    attachment_sha256: str | None = None
    public: bool = True


def _info(g: DiskresiGrant) -> GrantInfo:
    return GrantInfo(g.id, g.ruleset_id, g.grant_id, list(g.lifts), g.status, g.reference, g.requested_by,
                     g.decided_by, g.row_version, dict(g.place or {}), g.window_start, g.window_end, g.addressee,
                     dict(g.conditions) if g.conditions else None, g.attachment_sha256, bool(g.public))


def _aware(value) -> dt.datetime | None:
    return value if isinstance(value, dt.datetime) else None


def request_grant(store: Store, actor: Principal, ruleset_id: str, grant: dict, *, addressee: str | None = None,
                  public: bool = True, reason: str | None = None,
                  attachment_sha256: str | None = None) -> GrantInfo:
    """Record a grant request (rule editors); ``grant`` is a mapping in the rule-set ``grants:`` format.

    Raises
    ------
    InputError
        Not a valid grant, or it lifts a rule the version in force does not have.
    """
    try:
        g = Grant.model_validate(grant)
    except ValidationError as exc:
        raise InputError("; ".join(e["msg"] for e in exc.errors()), source="grant", field="grant") from None
    v = get_version(store, actor, ruleset_id)
    # A kota's grant may lift a rule it inherits (a DKI protocol road): check against the whole stack in force.
    with store.read() as s:
        levels = [stored_level(r) for r in stack_rows(s, s.get(RuleSetVersion, v.id))]
    rs = flatten(levels, source=f"{ruleset_id}@{v.version}") if len(levels) > 1 else levels[0]
    start, end = _aware(g.window.start), _aware(g.window.end)
    if start is not None and end is not None and end <= start:
        raise InputError("jendela diskresi kosong: akhir tidak setelah awal / empty grant window: the end is not "
                         "after the start", source="grant", field="--to")
    unknown = [r for r in g.lifts if r not in {x.id for x in rs.rules}]
    if unknown:
        raise InputError(f"aturan tidak dikenal / unknown rule(s): {', '.join(unknown)}", field="lifts")
    with store.write() as s:
        rec = s.get(RuleSetRecord, ruleset_id)
        role = authorize(actor, Action.EDIT_RULES, {"kota": list((rec.jurisdiction or {}).get("kemendagri", []))})
        if s.execute(select(DiskresiGrant.id).where(DiskresiGrant.ruleset_id == ruleset_id,
                                                    DiskresiGrant.grant_id == g.id)).first():
            raise InputError(f"diskresi '{g.id}' sudah ada / grant '{g.id}' already exists", field="id")
        now = now_utc()
        row = DiskresiGrant(ruleset_id=ruleset_id, grant_id=g.id, lifts=list(g.lifts),
                            place=g.place.model_dump(mode="json", exclude_none=True),
                            window_start=_aware(g.window.start), window_end=_aware(g.window.end),
                            reference=g.reference, granted_by=g.granted_by, addressee=addressee,
                            conditions=g.conditions.model_dump() if g.conditions else None, public=public,
                            attachment_sha256=attachment_sha256,
                            status="requested", requested_by=actor.name, created_at=now, updated_at=now,
                            updated_by=actor.name, row_version=1)
        s.add(row)
        s.flush()
        append_event(s, actor=actor.name, role=role, action="grant.request", entity_type="diskresi_grant",
                     entity_id=f"{ruleset_id}/{g.id}", after={"lifts": list(g.lifts), "reference": g.reference},
                     reason=reason, at=now)
        return _info(row)


def decide_grant(store: Store, actor: Principal, grant_row_id: int, expected_row_version: int, decision: str, *,
                 reason: str | None = None, reference: str | None = None,
                 conditions: dict | None = None) -> GrantInfo:
    """Grant, refuse or revoke (``kpu_publisher``; not a request one made oneself).

    A grant names its letter (``reference``, the KPU letter number every verdict it
    touches cites) and may carry ``conditions`` (``{"id": ..., "en": ...}``).
    """
    if decision not in DECISIONS:
        raise InputError(f"keputusan / decision must be one of {', '.join(DECISIONS)}", field="decision")
    with store.write() as s:
        g = s.get(DiskresiGrant, grant_row_id, populate_existing=True)
        if g is None:
            raise InputError(f"diskresi #{grant_row_id} tidak ada / no grant #{grant_row_id}")
        rec = s.get(RuleSetRecord, g.ruleset_id)
        role = authorize(actor, Action.PUBLISH, {"kota": list((rec.jurisdiction or {}).get("kemendagri", []))})
        if g.row_version != expected_row_version:
            raise conflict_for(f"grant {g.grant_id}", g, expected_row_version)
        if actor.name == g.requested_by:
            raise Forbidden("pemohon tidak dapat memutus permohonannya sendiri / the requester cannot decide its "
                            "own request (four eyes)")
        allowed = {"requested": {"granted", "refused"}, "granted": {"revoked"}}.get(g.status, set())
        if decision not in allowed:
            raise InputError(f"diskresi berstatus {g.status} tidak dapat menjadi {decision} / a {g.status} grant "
                             f"cannot become {decision}")
        before = g.status
        extra: dict = {}
        reference = reference or (g.reference if g.reference != PENDING_REFERENCE else None)
        if decision == "granted" and not reference:
            raise InputError("nomor surat wajib untuk mengabulkan / a letter number is required to grant",
                             field="--letter")
        if decision == "granted":
            extra = {"reference": reference, "granted_by": actor.name}
            if conditions:
                extra["conditions"] = conditions
        checked_update(s, DiskresiGrant, g.id, expected_row_version, actor.name, f"grant {g.grant_id}",
                       status=decision, decided_by=actor.name, **extra)
        append_event(s, actor=actor.name, role=role, action=f"grant.{decision}", entity_type="diskresi_grant",
                     entity_id=f"{g.ruleset_id}/{g.grant_id}", before={"status": before},
                     after={"status": decision, **({"reference": reference} if reference else {})}, reason=reason)
        return _info(s.get(DiskresiGrant, g.id, populate_existing=True))


def list_grants(store: Store, actor: Principal, ruleset_id: str) -> list[GrantInfo]:
    """Grants of a rule set: everyone sees granted public ones; rule editors see all."""
    authorize(actor, Action.VIEW_PUBLIC)
    from geozones.services.authz import can

    with store.read() as s:
        rows = s.execute(select(DiskresiGrant).where(DiskresiGrant.ruleset_id == ruleset_id)
                         .order_by(DiskresiGrant.id)).scalars().all()
        if not can(actor, Action.EDIT_RULES):
            rows = [g for g in rows if g.status == "granted" and g.public]
        return [_info(g) for g in rows]


def get_grant(store: Store, actor: Principal, grant_ref: str) -> GrantInfo:
    """A grant by its row id (``12``) or its grant id (``D-2024-001``); non-public ones for rule editors only."""
    from geozones.services.authz import can

    authorize(actor, Action.VIEW_PUBLIC)
    with store.read() as s:
        g = s.get(DiskresiGrant, int(grant_ref)) if str(grant_ref).isdigit() else None
        if g is None:
            g = s.execute(select(DiskresiGrant).where(DiskresiGrant.grant_id == str(grant_ref))
                          .order_by(DiskresiGrant.id)).scalars().first()
        if g is None or (not can(actor, Action.EDIT_RULES) and not (g.status == "granted" and g.public)):
            raise InputError(f"diskresi '{grant_ref}' tidak ada / no grant '{grant_ref}'", field="grant")
        return _info(g)
