"""Bawaslu cases in the store: steps through the state machine, clocks, locks, lists, dashboards, evidence.

The state machine and the clocks are pure (:mod:`geozones.cases`); this module
loads a case from its rows, asks :func:`geozones.cases.advance` for the next one
and writes the difference (new state, one ``case_event``, stopped and started
clocks) with its audit event in one transaction. Deadlines are computed once when
a clock starts and stored with the clock policy's id and version; a KPU order's
deadline is the one typed from its letter. A case locked by one officer is
refused to others, naming who holds it. Every call is authorized here.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from geozones.cases import Case, ClockRun, advance, load_clock_policy
from geozones.cases import CaseEvent as PureEvent
from geozones.cases.states import CaseState, Source, TransitionRefused, label
from geozones.core.errors import InputError
from geozones.core.time import format_wib
from geozones.services.authz import Action, Forbidden, Principal, authorize
from geozones.store.audit import append_event
from geozones.store.casework import CaseClock, CaseEvent, CaseRecord, Report, ReporterIdentity, ReportPhoto, Sweep
from geozones.store.database import Store
from geozones.store.models import Account, Media

__all__ = ["CaseRow", "advance_case", "assign_case", "case_detail", "dashboard", "list_cases", "lock_case",
           "record_sweep", "sweeps", "unlock_case", "write_evidence", "write_new_case"]

#: A case due within this time is listed right after the overdue ones.
DUE_SOON = dt.timedelta(hours=24)


def _jsonable(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.astimezone(dt.UTC).isoformat() if isinstance(v, dt.datetime) else v) for k, v in fields.items()}


def _clock_row(case_id: int, run: ClockRun) -> CaseClock:
    return CaseClock(case_id=case_id, clock_id=run.clock_id, policy_id=run.policy_id,
                     policy_version=run.policy_version, unit=run.unit, duration=run.duration,
                     start_event=run.start_event, started_at=run.started_at, deadline=run.deadline, basis=run.basis,
                     policy_deadline=run.policy_deadline, extended_deadline=run.extended_deadline,
                     calendar=run.calendar, stopped_at=run.stopped_at, stop_event=run.stop_event)


def _next_deadline(case: Case) -> dt.datetime | None:
    return None if case.closed else case.next_deadline()


def write_new_case(s, report_id: int, case: Case, *, now: dt.datetime, actor: str) -> int:
    """Write a case opened by :func:`geozones.cases.open_case` (in the caller's transaction); its id."""
    rec = CaseRecord(report_id=report_id, source=case.source.value, state=case.state.value,
                     policy_id=case.policy_id, policy_version=case.policy_version, known_at=case.known_at,
                     arrived_at=case.arrived_at, received_at=case.received_at, next_deadline=_next_deadline(case),
                     opened_at=now, opened_by=actor, updated_at=now, updated_by=actor)
    s.add(rec)
    s.flush()
    ev = case.history[0]
    s.add(CaseEvent(case_id=rec.id, seq=1, at=ev.at, actor=ev.actor, role=ev.role, from_state=None,
                    to_state=ev.to_state.value, fields=_jsonable(dict(ev.fields))))
    for run in case.clocks:
        s.add(_clock_row(rec.id, run))
    s.flush()
    append_event(s, actor=actor, role=ev.role, action="case.open", entity_type="case", entity_id=str(rec.id),
                 after={"state": rec.state, "report_id": report_id, "policy": f"{case.policy_id}@{case.policy_version}",
                        "clocks": {r.clock_id: r.deadline.isoformat() for r in case.clocks}}, at=now)
    return rec.id


def _get_case(s, case_id: int | str) -> CaseRecord:
    try:
        cid = int(str(case_id).lstrip("#"))
    except ValueError:
        raise InputError(f"nomor kasus '{case_id}' tidak sah / invalid case number '{case_id}'", field="case") \
            from None
    rec = s.get(CaseRecord, cid)
    if rec is None:
        raise InputError(f"kasus #{cid} tidak ada / no case #{cid}", field="case")
    return rec


def _load(s, rec: CaseRecord) -> Case:
    events = s.execute(select(CaseEvent).where(CaseEvent.case_id == rec.id).order_by(CaseEvent.seq)).scalars().all()
    clocks = s.execute(select(CaseClock).where(CaseClock.case_id == rec.id).order_by(CaseClock.id)).scalars().all()
    history = tuple(PureEvent(e.seq, e.at, e.actor, e.role, CaseState(e.from_state) if e.from_state else None,
                              CaseState(e.to_state), dict(e.fields or {})) for e in events)
    runs = tuple(ClockRun(c.clock_id, c.policy_id, c.policy_version, c.unit, c.duration, c.start_event, c.started_at,
                          c.deadline, c.basis, c.policy_deadline, c.extended_deadline, c.calendar, c.stopped_at,
                          c.stop_event) for c in clocks)
    return Case(Source(rec.source), CaseState(rec.state), rec.known_at, rec.arrived_at, rec.received_at,
                rec.policy_id, rec.policy_version, history, runs)


#: A lock its holder has not used for this long is stale: another officer may take the case over, and the
#: takeover names the previous holder in the audit trail (an officer who closed the browser must not freeze a
#: case whose legal clock is running).
LOCK_TTL = dt.timedelta(minutes=30)


def _lock_is_live(rec: CaseRecord, now: dt.datetime) -> bool:
    return bool(rec.lock_holder) and rec.locked_at is not None and now - rec.locked_at < LOCK_TTL


def _check_lock(rec: CaseRecord, actor: Principal, now: dt.datetime) -> None:
    """Refuse a case another officer holds a live lock on; renew the actor's own lock (its use keeps it live)."""
    if rec.lock_holder == actor.name:
        rec.locked_at = now
    elif rec.lock_holder and rec.lock_holder != actor.name and _lock_is_live(rec, now):
        since = format_wib(rec.locked_at)
        raise InputError.bi(
            f"kasus #{rec.id} sedang disunting oleh {rec.lock_holder} sejak {since}; kunci lepas sendiri "
            f"{int(LOCK_TTL.total_seconds() // 60)} menit setelah dipakai terakhir",
            f"case #{rec.id} is being edited by {rec.lock_holder} since {since}; the lock lapses "
            f"{int(LOCK_TTL.total_seconds() // 60)} minutes after its last use", field="case")


def advance_case(store: Store, actor: Principal, case_id: int | str, to: str, fields: dict[str, Any], *,
                 now: dt.datetime, photo: tuple[str, bytes] | None = None) -> CaseState:
    """Take one step (role, fields and clocks checked); with ``photo`` the bytes are stored and its sha256 used.

    Raises
    ------
    Forbidden
        Not bawaslu, or a role the table does not allow for this step.
    InputError / TransitionRefused
        A step the table refuses, missing or invalid fields, a case locked by someone else.
    """
    role = authorize(actor, Action.CASEWORK)
    fields = {k: v for k, v in fields.items() if v is not None}
    photo_obj = None
    if photo is not None:
        from geozones.services.reports import read_photos

        photo_obj = read_photos([photo], now)[0]
        fields["photo"] = photo_obj.sha256
    with store.write() as s:
        rec = _get_case(s, case_id)
        _check_lock(rec, actor, now)
        if photo_obj is None and isinstance(fields.get("photo"), str) and s.get(Media, fields["photo"]) is None:
            raise InputError(f"foto {fields['photo']} belum tersimpan; unggah fotonya / photo {fields['photo']} is "
                             "not stored; upload the photo itself", field="photo")
        case = _load(s, rec)
        policy = load_clock_policy(rec.policy_id)
        try:
            new = advance(case, to, actor=actor.name, role=role, fields=fields, now=now, policy=policy)
        except TransitionRefused as exc:
            if exc.kind == "role":
                raise Forbidden(str(exc)) from None
            raise
        ev = new.history[-1]
        s.add(CaseEvent(case_id=rec.id, seq=ev.seq, at=ev.at, actor=ev.actor, role=ev.role,
                        from_state=ev.from_state.value if ev.from_state else None, to_state=ev.to_state.value,
                        fields=_jsonable(dict(ev.fields))))
        rows = {c.clock_id: c for c in s.execute(select(CaseClock).where(CaseClock.case_id == rec.id)).scalars()}
        for run in new.clocks:
            row = rows.get(run.clock_id)
            if row is None:
                s.add(_clock_row(rec.id, run))
            elif row.stopped_at is None and run.stopped_at is not None:
                row.stopped_at, row.stop_event = run.stopped_at, run.stop_event
        if photo_obj is not None:
            from geozones.services.reports import _store_photo

            _store_photo(s, actor, role, rec.report_id, photo_obj, now, kind="after")
        before = rec.state
        rec.state, rec.next_deadline = new.state.value, _next_deadline(new)
        rec.updated_at, rec.updated_by = now, actor.name
        rec.row_version += 1
        s.flush()
        append_event(s, actor=actor.name, role=role, action="case.advance", entity_type="case", entity_id=str(rec.id),
                     before={"state": before}, after={"state": new.state.value, **_jsonable(dict(ev.fields))},
                     reason=fields.get("reason"), at=now)
        return new.state


def assign_case(store: Store, actor: Principal, case_id: int | str, account: str, *, now: dt.datetime) -> None:
    """Assign a case to a bawaslu account (audited)."""
    role = authorize(actor, Action.CASEWORK)
    with store.write() as s:
        rec = _get_case(s, case_id)
        _check_lock(rec, actor, now)
        acc = s.execute(select(Account).where(Account.name == account)).scalar_one_or_none()
        if acc is None or acc.disabled:
            raise InputError(f"akun '{account}' tidak ada / no account '{account}'", field="account")
        from geozones.store.models import RoleGrant

        roles = set(s.execute(select(RoleGrant.role).where(RoleGrant.account_id == acc.id,
                                                           RoleGrant.revoked_at.is_(None))).scalars())
        if "bawaslu" not in roles:
            raise InputError(f"akun '{account}' bukan Bawaslu / account '{account}' is not Bawaslu", field="account")
        before = rec.assigned_to
        rec.assigned_to, rec.updated_at, rec.updated_by = account, now, actor.name
        rec.row_version += 1
        append_event(s, actor=actor.name, role=role, action="case.assign", entity_type="case", entity_id=str(rec.id),
                     before={"assigned_to": before}, after={"assigned_to": account}, at=now)


def lock_case(store: Store, actor: Principal, case_id: int | str, *, now: dt.datetime) -> None:
    """Take the edit lock of a case (refused while another officer holds a live one: :data:`LOCK_TTL`)."""
    role = authorize(actor, Action.CASEWORK)
    with store.write() as s:
        rec = _get_case(s, case_id)
        _check_lock(rec, actor, now)
        previous = rec.lock_holder if rec.lock_holder not in (None, actor.name) else None
        rec.lock_holder, rec.locked_at = actor.name, now
        append_event(s, actor=actor.name, role=role, action="case.lock", entity_type="case", entity_id=str(rec.id),
                     before={"lock_holder": previous} if previous else None, after={"lock_holder": actor.name},
                     at=now)


def unlock_case(store: Store, actor: Principal, case_id: int | str, *, now: dt.datetime) -> None:
    """Release the edit lock (its holder, or anyone once the lock is stale: :data:`LOCK_TTL`)."""
    role = authorize(actor, Action.CASEWORK)
    with store.write() as s:
        rec = _get_case(s, case_id)
        _check_lock(rec, actor, now)
        if rec.lock_holder is None:
            return
        rec.lock_holder, rec.locked_at = None, None
        append_event(s, actor=actor.name, role=role, action="case.unlock", entity_type="case", entity_id=str(rec.id),
                     at=now)


@dataclass(frozen=True)
class CaseRow:
    """One line of the case list."""

    case_id: int
    state: str
    source: str
    kelurahan: str
    kecamatan: str
    kode_kemendagri: str
    verdict: str
    rule_ids: str
    apk_type: str
    paslon: str
    deadline: dt.datetime | None
    overdue: bool
    due_soon: bool
    assigned_to: str
    lock_holder: str
    lon: float
    lat: float
    observed_at: dt.datetime

    def as_dict(self) -> dict[str, Any]:
        """Plain values (deadline and times in ISO, UTC)."""
        out = dict(self.__dict__)
        for k in ("deadline", "observed_at"):
            out[k] = out[k].isoformat() if out[k] is not None else ""
        return out


def _scope_paslon(actor: Principal) -> set[str] | None:
    if "bawaslu" in actor.roles:
        return None
    return {g.scope_pair()[1] for g in actor.grants if g.role == "paslon" and g.scope_pair()} or set()


def list_cases(store: Store, actor: Principal, *, at: dt.datetime, state: str | None = None,
               overdue: bool = False) -> list[CaseRow]:
    """Cases, overdue first, then due within 24 h, then by deadline; a paslon sees only its own (never reporters)."""
    authorize(actor, Action.VIEW_OWN_CASES)
    scope = _scope_paslon(actor)
    if state is not None:
        from geozones.cases.states import parse_state

        state = parse_state(state).value
    with store.read() as s:
        q = select(CaseRecord, Report).join(Report, Report.id == CaseRecord.report_id)
        if state:
            q = q.where(CaseRecord.state == state)
        rows = []
        for rec, rep in s.execute(q).all():
            if scope is not None and (rep.paslon or "") not in scope:
                continue
            dl = rec.next_deadline
            late = dl is not None and at > dl
            rows.append(CaseRow(rec.id, rec.state, rec.source, rep.kelurahan or "", rep.kecamatan or "",
                                rep.kode_kemendagri or "", rep.verdict or rep.suggested_verdict or "",
                                rep.rule_ids if rep.rule_ids is not None else (rep.suggested_rule_ids or ""),
                                rep.apk_type or "", rep.paslon or "", dl, late,
                                dl is not None and not late and dl - at <= DUE_SOON, rec.assigned_to or "",
                                rec.lock_holder or "", rep.lon, rep.lat, rep.observed_at))
    if overdue:
        rows = [r for r in rows if r.overdue]
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    rows.sort(key=lambda r: (0 if r.overdue else 1 if r.due_soon else 2, r.deadline or far, r.case_id))
    return rows


def case_detail(store: Store, actor: Principal, case_id: int | str, *, at: dt.datetime) -> dict[str, Any]:
    """Everything about one case except the reporter: report, classification, history, clocks, photos."""
    authorize(actor, Action.VIEW_OWN_CASES)
    scope = _scope_paslon(actor)
    with store.read() as s:
        rec = _get_case(s, case_id)
        rep = s.get(Report, rec.report_id)
        if scope is not None and (rep.paslon or "") not in scope:
            raise Forbidden(f"kasus #{rec.id} bukan milik paslon Anda / case #{rec.id} is not your paslon's")
        case = _load(s, rec)
        photos = s.execute(select(ReportPhoto).where(ReportPhoto.report_id == rep.id).order_by(ReportPhoto.id)) \
            .scalars().all()
        has_reporter = s.get(ReporterIdentity, rep.id) is not None
    report = {c.key: getattr(rep, c.key) for c in Report.__table__.columns if c.key != "geom"}
    return {"case": {c.key: getattr(rec, c.key) for c in CaseRecord.__table__.columns},
            "report": report, "history": list(case.history), "clocks": list(case.clocks),
            "overdue": [c.clock_id for c in case.overdue(at)],
            "photos": [{"sha256": p.media_sha256, "role": p.role, "taken_at": p.taken_at, "lon": p.lon,
                        "lat": p.lat, "notes": p.notes} for p in photos],
            "has_reporter": has_reporter and "bawaslu" in actor.roles,
            "label": label(case.state), "label_en": label(case.state, "en")}


def dashboard(store: Store, actor: Principal, *, at: dt.datetime) -> dict[str, Any]:
    """Open cases by state; counts per kelurahan, kecamatan, rule, paslon, APK type and day; points for the map."""
    authorize(actor, Action.CASEWORK)
    from geozones.cases.states import TERMINAL_STATES

    rows = list_cases(store, actor, at=at)
    open_rows = [r for r in rows if CaseState(r.state) not in TERMINAL_STATES]
    per_rule: Counter = Counter()
    for r in rows:
        for rid in filter(None, r.rule_ids.split(";")):
            per_rule[rid] += 1
    from geozones.core.time import to_wib

    return {"open_by_state": dict(Counter(r.state for r in open_rows)),
            "overdue": [r for r in open_rows if r.overdue], "due_soon": [r for r in open_rows if r.due_soon],
            "per_kelurahan": dict(Counter(r.kelurahan or "-" for r in rows)),
            "per_kecamatan": dict(Counter(r.kecamatan or "-" for r in rows)),
            "per_rule": dict(per_rule), "per_paslon": dict(Counter(r.paslon or "-" for r in rows)),
            "per_apk_type": dict(Counter(r.apk_type or "-" for r in rows)),
            "per_day": dict(Counter(str(to_wib(r.observed_at).date()) for r in rows)),
            "rows": rows, "sweeps": sweeps(store, actor)}


def record_sweep(store: Store, actor: Principal, kecamatan: str, counts: dict[str, int], *, swept_at: dt.datetime,
                 now: dt.datetime, note: str | None = None) -> int:
    """Record a quiet-period sweep in one kecamatan with counts per APK type (Satpol PP's tally)."""
    role = authorize(actor, Action.CASEWORK)
    if not kecamatan or not kecamatan.strip():
        raise InputError("kecamatan harus diisi / the kecamatan is required", field="kecamatan")
    clean = {}
    for k, v in counts.items():
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise InputError(f"jumlah {k} harus bilangan bulat ≥ 0 / the count of {k} must be a whole number ≥ 0",
                             field=k)
        clean[str(k)] = v
    with store.write() as s:
        row = Sweep(kecamatan=kecamatan.strip(), swept_at=swept_at, counts=clean, note=note, recorded_at=now,
                    recorded_by=actor.name)
        s.add(row)
        s.flush()
        append_event(s, actor=actor.name, role=role, action="sweep.record", entity_type="case",
                     entity_id=f"sweep:{row.id}", after={"kecamatan": row.kecamatan, "counts": clean}, at=now)
        return row.id


def sweeps(store: Store, actor: Principal) -> dict[str, dict[str, int]]:
    """Total counts per APK type for each kecamatan."""
    authorize(actor, Action.CASEWORK)
    out: dict[str, Counter] = {}
    with store.read() as s:
        for row in s.execute(select(Sweep).order_by(Sweep.id)).scalars():
            out.setdefault(row.kecamatan, Counter()).update(row.counts)
    return {k: dict(v) for k, v in out.items()}


def _reason(text: str) -> dict[str, str]:
    rule_id, _, rest = text.partition(" ")
    for marker in (" Dasar: ", " Basis: "):
        if marker in rest:
            what, _, basis = rest.partition(marker)
            return {"rule_id": rule_id, "text": what, "legal_basis": basis}
    return {"rule_id": rule_id, "text": rest, "legal_basis": ""}


def _evidence_case(store: Store, actor: Principal, case_id: int | str, *, now: dt.datetime, lang: str):
    from geozones.io.evidence import EvidenceCase, EvidencePhoto

    d = case_detail(store, actor, case_id, at=now)
    rep, rec = d["report"], d["case"]
    with store.read() as s:
        photos = []
        for p in d["photos"]:
            m = s.get(Media, p["sha256"])
            photos.append(EvidencePhoto(name=m.filename or p["sha256"][:12], data=bytes(m.data), media_type=m.mime,
                                        taken_at=p["taken_at"], lon=p["lon"], lat=p["lat"],
                                        caption="foto sesudah / photo after" if p["role"] == "after" else ""))
    reasons = rep["suggested_reasons_en"] if lang == "en" else rep["suggested_reasons_id"]
    return EvidenceCase(
        case_id=str(rec["id"]), source=rec["source"], state=rec["state"], lon=rep["lon"], lat=rep["lat"],
        observed_at=rep["observed_at"], known_at=rep["known_at"], apk_type=rep["apk_type"] or "",
        paslon=rep["paslon"] or "", address=rep["address"] or "", description=rep["description"] or "",
        kelurahan=rep["kelurahan"] or "", kecamatan=rep["kecamatan"] or "",
        kode_kemendagri=rep["kode_kemendagri"] or "", verdict=rep["verdict"] or rep["suggested_verdict"],
        reasons=[_reason(x) for x in (reasons or "").split(" | ") if x],
        ruleset=f"{rep['ruleset_id']}@{rep['ruleset_version']}", data_digests=rep["data_digests"] or {},
        history=d["history"], clocks=d["clocks"], photos=photos)


def write_evidence(store: Store, actor: Principal, case_id: int | str | list[int | str] | tuple[int | str, ...],
                   out: str | os.PathLike, *, now: dt.datetime, lang: str = "id",
                   data_dir: str | os.PathLike | None = None):
    """Write the evidence ZIP of one case or a selection (PDF, originals, ``manifest.sha256``).

    Parameters
    ----------
    case_id : int, str, or list of them
        One case (``12`` or ``"#12"``) or several: several make one PDF covering all
        of them, each case's originals in ``originals/kasus-<id>/``.
    out : path-like
        The ZIP (written atomically).
    now : datetime
        Generation and audit time.
    lang : {"id", "en"}
    data_dir : path-like, optional
        Layer files for the map (default ``$GEOZONES_DATA_DIR``); no map without them.

    Returns
    -------
    geozones.io.evidence.Bundle
        Its sha256 goes to the audit trail (one ``evidence.export`` event naming every case).

    Raises
    ------
    Forbidden
        Not bawaslu.
    InputError
        No case, an unknown case, the same case twice.

    The reporter's identity is never in the bundle.
    """
    from geozones.io.evidence import write_bundle

    role = authorize(actor, Action.CASEWORK)
    ids = list(case_id) if isinstance(case_id, list | tuple) else [case_id]
    if not ids:
        raise InputError("pilih paling sedikit satu kasus / choose at least one case", field="case")
    ev_cases = [_evidence_case(store, actor, c, now=now, lang=lang) for c in ids]
    layers = None
    try:
        from geozones.services.catalog import FileCatalog
        from geozones.services.reports import _file_checker

        dd = str(data_dir) if data_dir else None
        layers = _file_checker(dd, FileCatalog(None, dd).key()).layers
    except InputError:
        layers = None
    bundle = write_bundle(ev_cases[0] if len(ev_cases) == 1 else ev_cases, Path(out), layers=layers, now=now,
                          lang=lang)
    with store.write() as s:
        after = {"sha256": bundle.sha256, "files": len(bundle.manifest)}
        if len(ev_cases) > 1:
            after["cases"] = [int(c.case_id) for c in ev_cases]
        entity = ",".join(c.case_id for c in ev_cases)
        if len(entity) > 200:  # the column's width; the full list is in ``after["cases"]``
            entity = f"{ev_cases[0].case_id}..{ev_cases[-1].case_id} ({len(ev_cases)})"
        append_event(s, actor=actor.name, role=role, action="evidence.export", entity_type="evidence",
                     entity_id=entity, after=after, at=now)
    return bundle
