"""The case state machine: example steps, bilingual refusals, and Hypothesis stateful invariants."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from geozones.cases import (
    OPEN_STATES,
    TERMINAL_STATES,
    TRANSITIONS,
    CaseState,
    TransitionRefused,
    advance,
    check_transition,
    load_clock_policy,
    open_case,
)
from geozones.cases.states import FIELDS, allowed_targets

W = ZoneInfo("Asia/Jakarta")
POLICY = load_clock_policy("pilkada-2024")
SHA = "ab" * 32


def t(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=W)


def fields_for(source: CaseState, target: CaseState, now: dt.datetime) -> dict:
    """The required fields of a step, filled with valid values."""
    values = {"reason": "alasan", "letter": "188/PP.01.01/K.JK/10/2024", "order": "KPU-31.71/123",
              "deadline": now + dt.timedelta(hours=24), "photo": SHA, "count": 3, "storage": "Kantor Satpol PP"}
    row = next(r for r in TRANSITIONS if r.source == source and r.target == target)
    return {k: values[k] for k in row.requires}


def test_the_table_names_every_state_and_a_role_for_every_step():
    assert {s.value for s in CaseState} == {
        "informasi_awal", "temuan", "laporan", "registered", "not_registered", "under_study", "recommended",
        "ordered", "compliance_check", "referred", "removed", "closed", "dismissed"}
    for row in TRANSITIONS:
        assert row.roles and "reason" in row.requires and all(f in FIELDS for f in row.requires)
    for state in OPEN_STATES:
        assert CaseState.DISMISSED in allowed_targets(state)
    for state in TERMINAL_STATES:
        assert allowed_targets(state) == []


def test_mermaid_lists_every_step():
    from geozones.cases.states import mermaid

    text = mermaid()
    assert text.startswith("stateDiagram-v2") and "recommended --> ordered: order, deadline" in text
    assert "referred --> removed: count, storage" in text and "[*] --> informasi_awal" in text


def test_full_flow_of_a_temuan():
    case = open_case("temuan", known_at=t(2024, 10, 10, 10), arrived_at=t(2024, 10, 10, 11), actor="pkd",
                     role="bawaslu", policy=POLICY)
    assert case.state == CaseState.TEMUAN and case.clock("tindak_lanjut").deadline == t(2024, 10, 13, 23, 59, 59)
    steps = [("under_study", t(2024, 10, 10, 12), {}),
             ("recommended", t(2024, 10, 11, 9), {"letter": "188/PP.01.01/K.JK/10/2024"}),
             ("ordered", t(2024, 10, 11, 15), {"order": "12/PL.02.4-SD/3171/2024", "deadline": t(2024, 10, 12, 15)}),
             ("compliance_check", t(2024, 10, 13, 9), {"photo": SHA}),
             ("referred", t(2024, 10, 13, 10), {}),
             ("removed", t(2024, 10, 14, 10), {"count": 4, "storage": "Gudang Satpol PP Jakarta Pusat",
                                               "removed_by": "Satpol PP"}),
             ("closed", t(2024, 10, 14, 11), {})]
    for to, now, extra in steps:
        case = advance(case, to, actor="ana", role="bawaslu", fields={"reason": "langkah", **extra}, now=now,
                       policy=POLICY)
    assert case.state == CaseState.CLOSED and case.closed
    assert [e.to_state.value for e in case.history] == ["temuan", *(s[0] for s in steps)]
    order = case.clock("perintah_kpu")
    assert order.deadline == t(2024, 10, 12, 15) and order.policy_deadline == t(2024, 10, 12, 15)
    assert order.stopped_at == t(2024, 10, 13, 9) and order.stop_event == "compliance_check"
    assert case.clock("imbauan_bawaslu").deadline == t(2024, 10, 14, 9)
    assert all(not c.running for c in case.clocks)
    assert case.history[-2].fields["removed_at"] == t(2024, 10, 14, 10)


def test_a_typed_order_deadline_wins_and_the_policy_one_is_kept():
    case = open_case("temuan", known_at=t(2024, 10, 10, 10), arrived_at=t(2024, 10, 10, 11), actor="pkd",
                     role="bawaslu", policy=POLICY)
    for to, extra in [("under_study", {}), ("recommended", {"letter": "L1"}),
                      ("ordered", {"order": "O1", "deadline": t(2024, 10, 13, 12)})]:
        case = advance(case, to, actor="ana", role="bawaslu", fields={"reason": "r", **extra},
                       now=t(2024, 10, 11, 9), policy=POLICY)
    run = case.clock("perintah_kpu")
    assert run.deadline == t(2024, 10, 13, 12) and run.policy_deadline == t(2024, 10, 12, 9)
    assert case.overdue(t(2024, 10, 13, 11)) == []
    assert [c.clock_id for c in case.overdue(t(2024, 10, 13, 13))] == ["perintah_kpu"]
    assert {c.clock_id for c in case.overdue(t(2024, 10, 14, 10))} == {"perintah_kpu", "imbauan_bawaslu"}


def test_late_laporan_cannot_be_registered_and_is_recorded_as_late():
    case = open_case("laporan", known_at=t(2024, 10, 1, 9), arrived_at=t(2024, 10, 9, 10), actor="pkd",
                     role="bawaslu", policy=POLICY)
    assert case.late()
    with pytest.raises(TransitionRefused, match=r"melewati batas .* / the report arrived .* not_registered") as err:
        advance(case, "registered", actor="ana", role="bawaslu", fields={"reason": "r"}, now=t(2024, 10, 9, 11),
                policy=POLICY)
    assert err.value.kind == "guard"
    case = advance(case, "not_registered", actor="ana", role="bawaslu", fields={"reason": "terlambat 8 hari"},
                   now=t(2024, 10, 9, 11), policy=POLICY)
    assert case.state == CaseState.NOT_REGISTERED and case.history[-1].fields["grounds"] == "late"
    assert all(not c.running for c in case.clocks)


def test_refusals_are_bilingual_and_name_the_problem():
    with pytest.raises(TransitionRefused) as err:
        check_transition("under_study", "recommended", "bawaslu", {"reason": "r"})
    assert err.value.kind == "fields" and "memerlukan nomor surat rekomendasi / " in str(err.value)
    assert err.value.problems[0].field == "letter"
    with pytest.raises(TransitionRefused) as err:
        check_transition("under_study", "recommended", "paslon", {"reason": "r", "letter": "1"})
    assert err.value.kind == "role" and "peran 'paslon' tidak boleh" in str(err.value) and "role 'paslon'" in str(
        err.value)
    with pytest.raises(TransitionRefused) as err:
        check_transition("closed", "under_study", "bawaslu", {"reason": "r"})
    assert err.value.kind == "terminal"
    with pytest.raises(TransitionRefused, match="unknown state 'done'"):
        check_transition("removed", "done", "bawaslu", {"reason": "r"})
    with pytest.raises(TransitionRefused) as err:
        check_transition("referred", "removed", "bawaslu", {"reason": "r", "count": 0, "storage": " "},
                         now=t(2024, 10, 1))
    fields = {p.field for p in err.value.problems}
    assert fields == {"count", "storage"}
    with pytest.raises(TransitionRefused, match=r"sudah lewat / .*has already passed"):
        check_transition("recommended", "ordered", "bawaslu",
                         {"reason": "r", "order": "1", "deadline": t(2024, 10, 1)}, now=t(2024, 10, 2))


def test_only_the_public_may_open_an_informasi_awal():
    case = open_case("informasi_awal", known_at=t(2024, 10, 10, 8), arrived_at=t(2024, 10, 10, 22),
                     actor="anonymous", role="public", policy=POLICY)
    assert case.state == CaseState.INFORMASI_AWAL and case.clock("temuan_window") is not None
    for source in ("temuan", "laporan"):
        with pytest.raises(TransitionRefused, match="peran 'public' tidak boleh membuka"):
            open_case(source, known_at=t(2024, 10, 10, 8), arrived_at=t(2024, 10, 10, 9), actor="x",
                      role="public", policy=POLICY)
    with pytest.raises(TransitionRefused):
        advance(case, "temuan", actor="anonymous", role="public", fields={"reason": "r"}, now=t(2024, 10, 11),
                policy=POLICY)


def test_time_may_not_run_backwards():
    case = open_case("temuan", known_at=t(2024, 10, 10, 8), arrived_at=t(2024, 10, 10, 9), actor="x",
                     role="bawaslu", policy=POLICY)
    with pytest.raises(Exception, match="before the last step"):
        advance(case, "under_study", actor="x", role="bawaslu", fields={"reason": "r"}, now=t(2024, 10, 10, 8),
                policy=POLICY)


ROLES = ("bawaslu", "public", "paslon", "kpu_editor")


class CaseMachine(RuleBasedStateMachine):
    """Random walks over the table, with wrong roles and missing fields mixed in."""

    @initialize(source=st.sampled_from(["temuan", "laporan", "informasi_awal"]),
                known_hours=st.integers(0, 24 * 10), delay_hours=st.integers(0, 24 * 10))
    def open(self, source, known_hours, delay_hours):
        known = t(2024, 9, 25) + dt.timedelta(hours=known_hours)
        self.now = known + dt.timedelta(hours=delay_hours)
        self.case = open_case(source, known_at=known, arrived_at=self.now, actor="pkd", role="bawaslu",
                              policy=POLICY)
        self.was_closed = False
        self.seen: set[CaseState] = set()

    @rule(pick=st.integers(0, 100), hours=st.integers(0, 96), role=st.sampled_from(("bawaslu",) * 6 + ROLES),
          drop_one=st.integers(0, 5), along_table=st.integers(0, 3))
    def step(self, pick, hours, role, drop_one, along_table):
        self.now += dt.timedelta(hours=hours)
        drop = drop_one == 0
        # mostly steps the table has, rarely a dismissal (so walks reach closed), sometimes any state at all
        targets = allowed_targets(self.case.state) if along_table else list(CaseState)
        if pick % 6 and len(targets) > 1:
            targets = [s for s in targets if s != CaseState.DISMISSED]
        targets = targets or list(CaseState)
        target = targets[pick % len(targets)]
        row = next((r for r in TRANSITIONS if r.source == self.case.state and r.target == target), None)
        fields = fields_for(row.source, row.target, self.now) if row else {"reason": "r"}
        if drop and fields:
            fields.pop(sorted(fields)[0])
        before = self.case
        try:
            self.case = advance(self.case, target, actor=f"{role}-1", role=role, fields=fields, now=self.now,
                                policy=POLICY)
        except TransitionRefused as exc:
            assert self.case is before
            assert " / " in str(exc)  # Indonesian, then English
            legal = row is not None and role in row.roles and not drop
            assert not legal or exc.kind == "guard", (before.state, target, role, str(exc))
            return
        assert row is not None and role in row.roles and not drop
        assert self.case.state == target
        assert len(self.case.history) == len(before.history) + 1

    @invariant()
    def closed_stays_closed(self):
        if self.was_closed:
            assert self.case.closed
        self.was_closed = self.case.closed

    @invariant()
    def every_transition_is_recorded(self):
        h = self.case.history
        assert h[0].from_state is None and h[-1].to_state == self.case.state
        assert [e.seq for e in h] == list(range(1, len(h) + 1))
        for prev, nxt in itertools.pairwise(h):
            assert nxt.from_state == prev.to_state and nxt.at >= prev.at
            assert any(r.source == nxt.from_state and r.target == nxt.to_state and nxt.role in r.roles
                       for r in TRANSITIONS)
            assert nxt.fields.get("reason")

    @invariant()
    def every_deadline_belongs_to_a_started_clock(self):
        events = {"known", "laporan_received"} | {e.to_state.value for e in self.case.history}
        ids = [c.clock_id for c in self.case.clocks]
        assert len(ids) == len(set(ids))
        for run in self.case.clocks:
            clock = POLICY.clock(run.clock_id)
            assert run.start_event in clock.starts and run.start_event in events
            assert run.deadline >= run.started_at
            assert (run.policy_id, run.policy_version) == (POLICY.id, POLICY.version)
            if run.stopped_at is not None:
                assert run.stopped_at >= run.started_at
        if self.case.closed:
            assert all(not c.running for c in self.case.clocks)

    @invariant()
    def registered_laporan_was_in_time(self):
        if any(e.to_state == CaseState.REGISTERED for e in self.case.history):
            assert not self.case.late()


CaseMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=25, deadline=None,
                                         suppress_health_check=[HealthCheck.too_slow])
TestCaseMachine = CaseMachine.TestCase


def test_random_walks_reach_the_end_states():
    """Guard against a machine that never gets deep: walks along the table reach closed and dismissed."""
    reached: set[str] = set()

    class Probe(CaseMachine):
        @invariant()
        def note(self):
            reached.add(self.case.state.value)

    Probe.TestCase.settings = settings(max_examples=200, stateful_step_count=30, deadline=None, database=None,
                                       derandomize=True,
                                       suppress_health_check=[HealthCheck.too_slow])
    Probe.TestCase().runTest()
    assert {"closed", "dismissed", "removed", "referred", "not_registered"} <= reached
