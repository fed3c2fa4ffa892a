"""Hypothesis stateful test of cases in the store: no sequence of proposed steps breaks an invariant.

A closed case stays closed; a refused step changes nothing; every stored deadline belongs to a clock that
started (with the case's policy version); every step is in the history and in the audit trail, whose chain
verifies. SQLite (the same services run on PostgreSQL in test_casework.py).
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import func, select

from geozones.cases.states import TERMINAL_STATES, CaseState
from geozones.core.errors import InputError
from geozones.services import cases as C
from geozones.services.authz import Principal, RoleGrantView
from geozones.services.reports import Classification, ReportInput, submit_report
from geozones.store.audit import verify_chain
from geozones.store.casework import CaseClock, CaseEvent, CaseRecord
from geozones.store.database import open_store
from geozones.store.models import AuditEvent

W = dt.timezone(dt.timedelta(hours=7))
START = dt.datetime(2024, 10, 11, 9, 0, tzinfo=W)
BAWASLU = Principal("bawaslu1", (RoleGrantView("bawaslu"),))
OTHERS = (Principal("kpu1", (RoleGrantView("kpu_editor"),)), Principal("public"))
SUGGESTION = Classification("FORBIDDEN", "R01", "R01 ...", "R01 ...", "PKPU", "Pasar Baru", "Sawah Besar",
                            "31.71.02.1001", "Masjid Istiqlal", "worship", 0.0, "dki", "2024.1", "file", {})
_TEMPLATE: list[Path] = []


def _template() -> Path:
    if not _TEMPLATE:
        path = Path(tempfile.mkdtemp()) / "template.sqlite"
        open_store(f"sqlite:///{path}").dispose()
        _TEMPLATE.append(path)
    return _TEMPLATE[0]


FIELDS = st.fixed_dictionaries({"reason": st.sampled_from(["", "alasan"])}, optional={
    "letter": st.just("012/REK"), "order": st.just("KPU-7"), "count": st.integers(0, 3),
    "storage": st.just("gudang Satpol PP"), "photo": st.just("a" * 64),
    "deadline_h": st.integers(-2, 48), "grounds": st.sampled_from(["late", "incomplete"])})


class CaseMachine(RuleBasedStateMachine):
    """One case, many proposed steps."""

    @initialize(source=st.sampled_from(["temuan", "laporan", "informasi_awal"]))
    def open(self, source):
        self.dir = Path(tempfile.mkdtemp())
        shutil.copy(_template(), self.dir / "g.sqlite")
        self.store = open_store(f"sqlite:///{self.dir / 'g.sqlite'}")
        self.now = START
        sub = submit_report(self.store, BAWASLU, ReportInput(source=source, lon=106.8311, lat=-6.17,
                                                             observed_at=START, known_at=START),
                            now=START, classification=SUGGESTION)
        self.case_id = sub.case_id
        self.closed_in: str | None = None
        from geozones.services.media import store_media

        self.after_photo = store_media(self.store, BAWASLU, b"photo after removal", mime="image/jpeg").sha256

    def teardown(self):
        if hasattr(self, "store"):
            self.store.dispose()
            shutil.rmtree(self.dir, ignore_errors=True)

    def _snapshot(self):
        with self.store.read() as s:
            state = s.get(CaseRecord, self.case_id).state
            events = s.execute(select(func.count()).select_from(CaseEvent)).scalar()
            audit = s.execute(select(func.count()).select_from(AuditEvent)).scalar()
        return state, events, audit

    @rule(to=st.sampled_from([s.value for s in CaseState]), fields=FIELDS, hours=st.integers(0, 30),
          who=st.sampled_from([0, 0, 0, 1, 2]))
    def step(self, to, fields, hours, who):
        self.now += dt.timedelta(hours=hours)
        fields = dict(fields)
        if "deadline_h" in fields:
            fields["deadline"] = self.now + dt.timedelta(hours=fields.pop("deadline_h"))
        actor = BAWASLU if who == 0 else OTHERS[who - 1]
        before = self._snapshot()
        try:
            C.advance_case(self.store, actor, self.case_id, to, fields, now=self.now)
        except InputError:
            assert self._snapshot() == before  # refused: nothing half-saved
            return
        after = self._snapshot()
        assert actor is BAWASLU and after[0] == to and after[1] == before[1] + 1 and after[2] > before[2]
        assert before[0] not in {s.value for s in TERMINAL_STATES}
        if CaseState(to) in TERMINAL_STATES:
            self.closed_in = to

    @rule(pick=st.integers(0, 5), hours=st.integers(0, 30))
    def allowed_step(self, pick, hours):
        """A step the table allows, with exactly its required fields (so long paths are explored)."""
        from geozones.cases.states import allowed_targets, transition

        state = self._snapshot()[0]
        targets = allowed_targets(state, "bawaslu") if CaseState(state) not in TERMINAL_STATES else []
        if not targets:
            return
        to = targets[pick % len(targets)]
        self.now += dt.timedelta(hours=hours)
        values = {"reason": "alasan", "letter": "012/REK", "order": "KPU-7", "count": 2, "storage": "gudang",
                  "photo": self.after_photo, "deadline": self.now + dt.timedelta(hours=24)}
        row = transition(state, to)
        fields = {k: v for k, v in values.items() if k in row.requires}
        try:
            C.advance_case(self.store, BAWASLU, self.case_id, to.value, fields, now=self.now)
        except InputError as exc:
            # only the laporan window may refuse a table step (a late report cannot be registered)
            assert to == CaseState.REGISTERED, str(exc)
            return
        assert self._snapshot()[0] == to.value
        if to in TERMINAL_STATES:
            self.closed_in = to.value

    @invariant()
    def closed_stays_closed(self):
        if getattr(self, "closed_in", None):
            assert self._snapshot()[0] == self.closed_in

    @invariant()
    def deadlines_belong_to_started_clocks(self):
        if not hasattr(self, "store"):
            return
        with self.store.read() as s:
            rec = s.get(CaseRecord, self.case_id)
            clocks = s.execute(select(CaseClock).where(CaseClock.case_id == self.case_id)).scalars().all()
            for c in clocks:
                assert c.started_at is not None and c.deadline is not None
                assert (c.policy_id, c.policy_version) == (rec.policy_id, rec.policy_version)
            running = [c.deadline for c in clocks if c.stopped_at is None]
            if rec.next_deadline is not None:
                assert rec.next_deadline in running
            if CaseState(rec.state) in TERMINAL_STATES:
                assert rec.next_deadline is None and not running

    @invariant()
    def every_step_is_audited(self):
        if not hasattr(self, "store"):
            return
        with self.store.read() as s:
            steps = s.execute(select(func.count()).select_from(CaseEvent)).scalar()
            audited = s.execute(select(func.count()).select_from(AuditEvent)
                                .where(AuditEvent.action.in_(("case.open", "case.advance")))).scalar()
            assert steps == audited
            assert verify_chain(s)[1] is None


CaseMachine.TestCase.settings = settings(max_examples=15, stateful_step_count=12, deadline=None,
                                         suppress_health_check=[HealthCheck.too_slow])
TestCases = CaseMachine.TestCase
