"""Bawaslu cases: the state machine as a table, legal clocks as versioned data, deadlines.

Pure: no database, no files other than the packaged clock policies, no network.
Every function that needs the current time takes it as an argument (``now``), so
services pass their clock and tests fix it. The store records what these
functions return (states, history events, clock runs with their deadlines).
"""

from geozones.cases.case import Case, CaseEvent, ClockRun, advance, open_case
from geozones.cases.clocks import ClockPolicy, clock_deadline, intake_start, load_clock_policy
from geozones.cases.states import (
    OPEN_STATES,
    TERMINAL_STATES,
    TRANSITIONS,
    CaseState,
    Source,
    Transition,
    TransitionRefused,
    check_transition,
)

__all__ = [
    "OPEN_STATES", "TERMINAL_STATES", "TRANSITIONS", "Case", "CaseEvent", "CaseState", "ClockPolicy", "ClockRun",
    "Source", "Transition", "TransitionRefused", "advance", "check_transition", "clock_deadline", "intake_start",
    "load_clock_policy", "open_case",
]
