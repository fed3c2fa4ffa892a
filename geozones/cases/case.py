"""A case as a value: its state, its history and its running clocks.

:func:`open_case` and :func:`advance` return a *new* :class:`Case`; the store
writes the new state, the one new :class:`CaseEvent` and the clock runs in the
same transaction as its audit entry. Nothing here reads the clock of the machine:
``arrived_at`` and ``now`` are arguments.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from geozones.cases.clocks import ClockPolicy, clock_deadline, intake_start
from geozones.cases.states import (
    OPENING_ROLES,
    TERMINAL_STATES,
    CaseState,
    Source,
    TransitionRefused,
    check_transition,
    label,
)
from geozones.core.errors import InputError


@dataclass(frozen=True)
class CaseEvent:
    """One step in a case's history (the first one opens it: ``from_state`` is ``None``)."""

    seq: int
    at: dt.datetime
    actor: str
    role: str
    from_state: CaseState | None
    to_state: CaseState
    fields: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ClockRun:
    """A clock that started on a case, with its deadline computed once at the start.

    ``deadline`` is the one that counts; for a clock with a typed deadline (a KPU
    order), ``policy_deadline`` keeps what the policy would have given.
    ``extended_deadline`` is the deadline if the policy's extension is used.
    """

    clock_id: str
    policy_id: str
    policy_version: str
    unit: str
    duration: int
    start_event: str
    started_at: dt.datetime
    deadline: dt.datetime
    basis: str
    policy_deadline: dt.datetime | None = None
    extended_deadline: dt.datetime | None = None
    calendar: str | None = None
    stopped_at: dt.datetime | None = None
    stop_event: str | None = None

    @property
    def running(self) -> bool:
        """True until the clock is stopped."""
        return self.stopped_at is None

    def overdue(self, now: dt.datetime) -> bool:
        """Running and past its deadline at ``now``."""
        return self.running and now > self.deadline


@dataclass(frozen=True)
class Case:
    """A case: where it stands, how it got there, and the clocks it runs."""

    source: Source
    state: CaseState
    known_at: dt.datetime
    arrived_at: dt.datetime
    received_at: dt.datetime
    policy_id: str
    policy_version: str
    history: tuple[CaseEvent, ...] = ()
    clocks: tuple[ClockRun, ...] = ()

    @property
    def closed(self) -> bool:
        """True in a terminal state (closed, dismissed, not registered)."""
        return self.state in TERMINAL_STATES

    def clock(self, clock_id: str) -> ClockRun | None:
        """The run of ``clock_id`` on this case, if it started."""
        return next((c for c in self.clocks if c.clock_id == clock_id), None)

    def overdue(self, now: dt.datetime) -> list[ClockRun]:
        """Running clocks past their deadline at ``now``."""
        return [c for c in self.clocks if c.overdue(now)]

    def next_deadline(self) -> dt.datetime | None:
        """The earliest deadline of a running clock."""
        running = [c.deadline for c in self.clocks if c.running]
        return min(running) if running else None

    def late(self) -> bool:
        """A laporan that arrived after its 7-day window closed (it cannot be registered)."""
        run = self.clock("laporan_window")
        return run is not None and self.arrived_at > run.deadline


def _start_clocks(case: Case, events: list[str], at: dt.datetime, policy: ClockPolicy,
                  typed_deadline: dt.datetime | None = None) -> tuple[ClockRun, ...]:
    runs = list(case.clocks)
    started = {r.clock_id for r in runs}
    cats = tuple(policy.holiday_categories)
    for clock in policy.clocks:
        if clock.id in started or not clock.runs_for(case.source):
            continue
        event = next((e for e in events if e in clock.starts), None)
        if event is None:
            continue
        start = case.known_at if event == "known" else case.received_at if event == "laporan_received" else at
        computed = clock_deadline(start, clock.duration, clock.unit, holiday_categories=cats)
        extended = (clock_deadline(start, clock.duration + clock.extension.duration, clock.unit,
                                   holiday_categories=cats) if clock.extension else None)
        deadline = typed_deadline if clock.typed_deadline and typed_deadline is not None else computed
        runs.append(ClockRun(
            clock_id=clock.id, policy_id=policy.id, policy_version=policy.version, unit=clock.unit,
            duration=clock.duration, start_event=event, started_at=start, deadline=deadline,
            basis="; ".join(b.cite() for b in clock.legal_basis),
            policy_deadline=computed if deadline is not computed else None, extended_deadline=extended,
            calendar=policy.calendar_note() if clock.unit == "working_day" else None))
    return tuple(runs)


def _stop_clocks(runs: tuple[ClockRun, ...], target: CaseState, at: dt.datetime,
                 policy: ClockPolicy) -> tuple[ClockRun, ...]:
    out = []
    for run in runs:
        if run.running and run.policy_id == policy.id:
            stops = policy.clock(run.clock_id).stops
            if target in TERMINAL_STATES or target.value in stops:
                # a received-clock waiting for the office to open never ran: it stops at its start
                run = replace(run, stopped_at=max(at, run.started_at), stop_event=target.value)
        out.append(run)
    return tuple(out)


def _aware(value: dt.datetime, name: str) -> dt.datetime:
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise InputError(f"{name} harus waktu dengan zona waktu / {name} must be a time with its time zone",
                         field=name)
    return value


def open_case(source: Source | str, *, known_at: dt.datetime, arrived_at: dt.datetime, actor: str, role: str,
              policy: ClockPolicy, schedule: Mapping[str, tuple[dt.datetime, dt.datetime]] | None = None,
              fields: Mapping[str, Any] | None = None) -> Case:
    """Open a case from an intake, starting the clocks that start on ``known`` and ``laporan_received``.

    Parameters
    ----------
    source : Source or str
        ``temuan``, ``laporan`` or ``informasi_awal``; the case starts in the state of that name.
    known_at : datetime
        When the violation became known (tz-aware); not after ``arrived_at``.
    arrived_at : datetime
        When the report reached Bawaslu ("now" of the intake). Outside office
        hours the ``received`` time is the next opening (:func:`intake_start`).
    actor, role : str
        Who opens it; the public may only give an ``informasi_awal``.
    policy : ClockPolicy
        The clock policy in force; its id and version are stored with every deadline.
    schedule : mapping, optional
        Election periods (``quiet_period``, ``voting_day``) as ``(start, end)``.
    fields : mapping, optional
        Free values recorded in the opening event (e.g. a description).

    Raises
    ------
    TransitionRefused
        For a role that may not open a case of this source.
    InputError
        For naive times, or a ``known_at`` after the arrival.
    """
    try:
        source = Source(str(source).strip().lower())
    except ValueError:
        raise InputError(f"sumber '{source}' tidak dikenal; pilih temuan, laporan atau informasi_awal / unknown "
                         f"source '{source}'; choose temuan, laporan or informasi_awal", field="source") from None
    if role not in OPENING_ROLES[source]:
        who = ", ".join(sorted(OPENING_ROLES[source]))
        raise TransitionRefused("role", f"peran '{role}' tidak boleh membuka {source.value} (hanya: {who}) / role "
                                f"'{role}' may not open a {source.value} (only: {who})", field="role")
    known_at, arrived_at = _aware(known_at, "known_at"), _aware(arrived_at, "arrived_at")
    if known_at > arrived_at:
        raise InputError(f"waktu diketahui {known_at.isoformat()} sesudah laporan masuk {arrived_at.isoformat()} / "
                         f"known_at {known_at.isoformat()} is after the arrival {arrived_at.isoformat()}",
                         field="known_at")
    received = intake_start(arrived_at, policy, schedule) if source == Source.LAPORAN else arrived_at
    state = CaseState(source.value)
    opening = CaseEvent(1, arrived_at, actor, role, None, state, dict(fields or {}))
    case = Case(source, state, known_at, arrived_at, received, policy.id, policy.version, (opening,))
    events = ["known", state.value] + (["laporan_received"] if source == Source.LAPORAN else [])
    return replace(case, clocks=_start_clocks(case, events, arrived_at, policy))


def advance(case: Case, to: CaseState | str, *, actor: str, role: str, fields: Mapping[str, Any],
            now: dt.datetime, policy: ClockPolicy) -> Case:
    """Take one step; return the case with its new state, event and clocks.

    The step is checked by :func:`~geozones.cases.states.check_transition` (table,
    role, fields). A laporan that arrived after its 7-day window cannot be
    ``registered``; it goes to ``not_registered`` (grounds ``late`` set for it).
    Clocks whose ``stops`` name the new state stop, terminal states stop all,
    and clocks whose ``starts`` name it start, deadlines computed now. A KPU
    order's ``deadline`` field is the deadline of the clock it starts.

    Raises
    ------
    TransitionRefused
        Bilingual, for any step the table, the role, the fields or the window refuse.
    InputError
        For a naive ``now`` or one before the last recorded step.
    """
    now = _aware(now, "now")
    if case.policy_id != policy.id or case.policy_version != policy.version:
        raise InputError(f"kasus memakai kebijakan jam {case.policy_id} {case.policy_version}, bukan {policy.id} "
                         f"{policy.version} / the case runs clock policy {case.policy_id} {case.policy_version}, "
                         f"not {policy.id} {policy.version}", field="policy")
    target = check_transition(case.state, to, role, fields, now=now)
    last = case.history[-1].at if case.history else case.arrived_at
    if now < last:
        raise InputError(f"waktu {now.isoformat()} sebelum langkah terakhir {last.isoformat()} / time "
                         f"{now.isoformat()} is before the last step {last.isoformat()}", field="now")
    values = {k: v for k, v in fields.items() if v is not None and not (isinstance(v, str) and not v.strip())}
    if target == CaseState.REGISTERED and case.late():
        deadline = case.clock("laporan_window").deadline  # type: ignore[union-attr]
        raise TransitionRefused(
            "guard", f"laporan masuk {case.arrived_at.isoformat()} melewati batas {deadline.isoformat()}; catat "
            f"sebagai not_registered (terlambat) / the report arrived {case.arrived_at.isoformat()}, after its "
            f"window closed {deadline.isoformat()}; record it as not_registered (late)", field="to")
    if target == CaseState.NOT_REGISTERED and "grounds" not in values:
        values["grounds"] = "late" if case.late() else "incomplete"
    if target == CaseState.REMOVED:
        values.setdefault("removed_at", now)
    event = CaseEvent(len(case.history) + 1, now, actor, role, case.state, target, values)
    runs = _stop_clocks(case.clocks, target, now, policy)
    moved = replace(case, state=target, history=(*case.history, event), clocks=runs)
    if target in TERMINAL_STATES:
        return moved
    return replace(moved, clocks=_start_clocks(moved, [target.value], now, policy,
                                               typed_deadline=values.get("deadline")))


def describe(case: Case, lang: str = "id") -> str:
    """One line: state label and the next deadline."""
    nxt = case.next_deadline()
    when = nxt.strftime("%d-%m-%Y %H:%M WIB") if nxt else "-"
    return f"{label(case.state, lang)} ({'batas' if lang != 'en' else 'due'} {when})"
