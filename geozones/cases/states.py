"""The case state machine of a Bawaslu APK case, as one table.

States and transitions follow the administrative handling of APK violations in a
Pilkada (UU 1/2015 jo. UU 10/2016 Pasal 134; PKPU 11/2020 Pasal 76; Bawaslu DKI
practice in 2024; see ``../shared/domain/domain-research.md`` §5 and
``workflows-research.md`` §4.2)::

    informasi_awal ─► temuan ──────────────┐
    laporan ─► registered ─────────────────┴─► under_study ─► recommended (letter)
           └─► not_registered (late / incomplete)             │
    ordered (order, deadline) ◄────────────────────────────────┘
    ordered ─► compliance_check (photo after) ─┬─► removed (count, storage) ─► closed
                                               └─► referred (Satpol PP) ─► removed
    any open state ─► dismissed (reason)

Each transition names the roles that may take it and the fields it requires;
every transition requires a ``reason`` (the CLI's ``--reason``), so the history
says why each step was taken. The pidana branch (damage to lawful APK, Pasal
187(3), Sentra Gakkumdu) is a separate linked case, not part of this table.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from geozones.core.errors import InputError, Problem


class CaseState(StrEnum):
    """Where a case stands. The values are the names scripts and the CLI use."""

    INFORMASI_AWAL = "informasi_awal"
    TEMUAN = "temuan"
    LAPORAN = "laporan"
    REGISTERED = "registered"
    NOT_REGISTERED = "not_registered"
    UNDER_STUDY = "under_study"
    RECOMMENDED = "recommended"
    ORDERED = "ordered"
    COMPLIANCE_CHECK = "compliance_check"
    REFERRED = "referred"
    REMOVED = "removed"
    CLOSED = "closed"
    DISMISSED = "dismissed"


class Source(StrEnum):
    """How a case came in (domain-research §5): a finding, a formal report, or a tip."""

    TEMUAN = "temuan"
    LAPORAN = "laporan"
    INFORMASI_AWAL = "informasi_awal"


#: States a case can never leave.
TERMINAL_STATES = frozenset({CaseState.CLOSED, CaseState.DISMISSED, CaseState.NOT_REGISTERED})
#: States from which work continues (and from which a case may be dismissed).
OPEN_STATES = frozenset(CaseState) - TERMINAL_STATES

#: Short labels (id, en) of every state, for tables, history and errors.
STATE_LABELS: dict[CaseState, tuple[str, str]] = {
    CaseState.INFORMASI_AWAL: ("informasi awal", "initial information"),
    CaseState.TEMUAN: ("temuan", "finding"),
    CaseState.LAPORAN: ("laporan diterima", "report received"),
    CaseState.REGISTERED: ("laporan diregistrasi", "report registered"),
    CaseState.NOT_REGISTERED: ("laporan tidak diregistrasi", "report not registered"),
    CaseState.UNDER_STUDY: ("dalam kajian", "under study"),
    CaseState.RECOMMENDED: ("rekomendasi ke KPU", "recommendation to KPU"),
    CaseState.ORDERED: ("perintah KPU untuk menurunkan", "KPU order to remove"),
    CaseState.COMPLIANCE_CHECK: ("verifikasi kepatuhan", "compliance check"),
    CaseState.REFERRED: ("diteruskan ke Satpol PP", "referred to Satpol PP"),
    CaseState.REMOVED: ("APK diturunkan", "APK removed"),
    CaseState.CLOSED: ("selesai", "closed"),
    CaseState.DISMISSED: ("dihentikan", "dismissed"),
}

#: Grounds on which a laporan is not registered (formil/materiil requirements, domain-research §5).
NOT_REGISTERED_GROUNDS = {"late": ("melewati batas waktu 7 hari", "past the 7-day window"),
                          "incomplete": ("syarat formil/materiil tidak lengkap",
                                         "formal/material requirements incomplete")}


@dataclass(frozen=True)
class FieldSpec:
    """A field a transition may require: its labels and its kind (how it is checked)."""

    id: str
    en: str
    kind: str  # text | count | instant | sha256 | grounds


#: The fields transitions can ask for; names match the CLI options (``--letter`` → ``letter``).
FIELDS: dict[str, FieldSpec] = {
    "reason": FieldSpec("alasan", "reason", "text"),
    "letter": FieldSpec("nomor surat rekomendasi", "recommendation letter number", "text"),
    "order": FieldSpec("nomor surat perintah KPU", "KPU order number", "text"),
    "deadline": FieldSpec("batas waktu dalam surat perintah", "deadline stated in the order", "instant"),
    "photo": FieldSpec("foto sesudah (sha256)", "photo after (sha256)", "sha256"),
    "referred_to": FieldSpec("diteruskan kepada", "referred to", "text"),
    "removed_by": FieldSpec("diturunkan oleh", "removed by", "text"),
    "removed_at": FieldSpec("waktu penurunan", "time of removal", "instant"),
    "count": FieldSpec("jumlah APK", "number of APK", "count"),
    "storage": FieldSpec("tempat penyimpanan", "storage place", "text"),
    "grounds": FieldSpec("dasar penolakan", "grounds", "grounds"),
}


@dataclass(frozen=True)
class Transition:
    """One allowed step: from ``source`` to ``target``, by one of ``roles``, with ``requires`` filled."""

    source: CaseState
    target: CaseState
    roles: frozenset[str]
    requires: tuple[str, ...]
    optional: tuple[str, ...] = ()


def _t(source: CaseState, target: CaseState, requires: tuple[str, ...] = (), optional: tuple[str, ...] = (),
       roles: tuple[str, ...] = ("bawaslu",)) -> Transition:
    return Transition(source, target, frozenset(roles), ("reason", *requires), optional)


S = CaseState
#: The table. A state not named as a source here has no way out but ``dismissed`` (added below).
TRANSITIONS: tuple[Transition, ...] = (
    _t(S.INFORMASI_AWAL, S.TEMUAN),
    _t(S.LAPORAN, S.REGISTERED),
    _t(S.LAPORAN, S.NOT_REGISTERED, optional=("grounds",)),
    _t(S.TEMUAN, S.UNDER_STUDY),
    _t(S.REGISTERED, S.UNDER_STUDY),
    _t(S.UNDER_STUDY, S.RECOMMENDED, ("letter",)),
    _t(S.RECOMMENDED, S.ORDERED, ("order", "deadline")),
    _t(S.ORDERED, S.COMPLIANCE_CHECK, ("photo",)),
    # the paslon took it down itself: the compliance check's photo shows it gone
    _t(S.COMPLIANCE_CHECK, S.REMOVED, ("count", "storage"), ("removed_by", "removed_at")),
    _t(S.COMPLIANCE_CHECK, S.REFERRED, optional=("referred_to",)),
    _t(S.REFERRED, S.REMOVED, ("count", "storage"), ("removed_by", "removed_at")),
    _t(S.REMOVED, S.CLOSED),
    *(_t(s, S.DISMISSED) for s in CaseState if s in OPEN_STATES),
)
del S

_BY_PAIR = {(t.source, t.target): t for t in TRANSITIONS}

#: Who may open a case of each source: the public may give an informasi awal only.
OPENING_ROLES: dict[Source, frozenset[str]] = {
    Source.INFORMASI_AWAL: frozenset({"public", "bawaslu"}),
    Source.TEMUAN: frozenset({"bawaslu"}),
    Source.LAPORAN: frozenset({"bawaslu"}),
}


class TransitionRefused(InputError):
    """A proposed step that the table, the role or the fields do not allow.

    ``kind`` is one of ``"unknown_state"``, ``"terminal"``, ``"not_allowed"``, ``"role"``,
    ``"fields"`` or ``"guard"``; services map ``"role"`` to a permission error.
    """

    def __init__(self, kind: str, message: str | list[Problem], *, field: str | None = None) -> None:
        self.kind = kind
        super().__init__(message, field=field)


def mermaid() -> str:
    """The table as a Mermaid state diagram (for the docs), each arrow labelled with its required fields."""
    lines = ["stateDiagram-v2"]
    for source in OPENING_ROLES:
        lines.append(f"    [*] --> {source.value}")
    for row in TRANSITIONS:
        if row.target == CaseState.DISMISSED:
            continue
        extra = [f for f in row.requires if f != "reason"]
        lines.append(f"    {row.source.value} --> {row.target.value}" + (f": {', '.join(extra)}" if extra else ""))
    lines.append("    note right of dismissed: from any open state, with a reason")
    lines += [f"    {s.value} --> [*]" for s in sorted(TERMINAL_STATES)]
    return "\n".join(lines) + "\n"


def label(state: CaseState | str, lang: str = "id") -> str:
    """Label of a state in ``lang`` (``"id"`` or ``"en"``)."""
    ind, eng = STATE_LABELS[CaseState(state)]
    return eng if lang == "en" else ind


def allowed_targets(state: CaseState | str, role: str | None = None) -> list[CaseState]:
    """States reachable in one step from ``state`` (by ``role`` when given), in table order."""
    return [t.target for t in TRANSITIONS if t.source == CaseState(state) and (role is None or role in t.roles)]


def transition(source: CaseState | str, target: CaseState | str) -> Transition | None:
    """The table row from ``source`` to ``target``, or ``None``."""
    return _BY_PAIR.get((CaseState(source), CaseState(target)))


def parse_state(value: str, field: str = "state") -> CaseState:
    """A state from its name; unknown names are refused listing the valid ones."""
    try:
        return CaseState(str(value).strip().lower())
    except ValueError:
        names = ", ".join(s.value for s in CaseState)
        raise TransitionRefused("unknown_state", f"status '{value}' tidak dikenal; pilih salah satu: {names} / "
                                f"unknown state '{value}'; choose one of: {names}", field=field) from None


def _check_value(name: str, value: Any, now: dt.datetime | None) -> str | None:
    """Problem with one field value (bilingual), or None."""
    spec = FIELDS[name]
    if spec.kind == "text":
        if not isinstance(value, str) or not value.strip():
            return f"{spec.id} harus berupa teks yang tidak kosong / {spec.en} must be non-empty text"
    elif spec.kind == "count":
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            return f"{spec.id} harus bilangan bulat ≥ 1 / {spec.en} must be a whole number ≥ 1"
    elif spec.kind == "sha256":
        if not isinstance(value, str) or not re.fullmatch(r"[0-9a-f]{64}", value):
            return f"{spec.id} harus sha256 (64 huruf hex) / {spec.en} must be a sha256 (64 hex digits)"
    elif spec.kind == "grounds":
        if value not in NOT_REGISTERED_GROUNDS:
            return (f"{spec.id} harus salah satu dari: {', '.join(NOT_REGISTERED_GROUNDS)} / "
                    f"{spec.en} must be one of: {', '.join(NOT_REGISTERED_GROUNDS)}")
    elif spec.kind == "instant":
        if not isinstance(value, dt.datetime) or value.tzinfo is None:
            return (f"{spec.id} harus waktu dengan zona waktu / {spec.en} must be a time with its time zone "
                    "(read it with geozones.core.time.parse_time)")
        if now is not None and name == "deadline" and value <= now:
            return (f"{spec.id} {value.isoformat()} sudah lewat / {spec.en} {value.isoformat()} has already "
                    "passed")
        if now is not None and name == "removed_at" and value > now:
            return f"{spec.id} ada di masa depan / {spec.en} is in the future"
    return None


def check_transition(state: CaseState | str, target: CaseState | str, role: str,
                     fields: Mapping[str, Any], *, now: dt.datetime | None = None) -> CaseState:
    """Validate a proposed step and return the new state.

    Parameters
    ----------
    state, target : CaseState or str
        Current state and proposed next state (names as in :class:`CaseState`).
    role : str
        Role of the actor (``"public"``, ``"bawaslu"``, ``"kpu_editor"``, ...).
    fields : mapping
        Values given with the step (``reason``, ``letter``, ``order``, ``deadline``,
        ``photo``, ``count``, ``storage``, ...). Empty values count as missing;
        fields the step does not use are refused, so nothing typed is silently dropped.
    now : datetime, optional
        The current time (tz-aware); when given, an order's ``deadline`` must lie
        after it and ``removed_at`` may not.

    Returns
    -------
    CaseState
        ``target``, validated.

    Raises
    ------
    TransitionRefused
        With a message in Bahasa Indonesia and English saying what is wrong: an
        unknown state, a closed case, a step the table does not have (listing the
        allowed ones), the wrong role, or missing/invalid fields (one problem each).
    """
    state = parse_state(state)
    target = parse_state(target, field="to")
    if state in TERMINAL_STATES:
        raise TransitionRefused("terminal", f"kasus sudah '{label(state)}' dan tidak dapat diubah lagi / "
                                f"the case is already '{label(state, 'en')}' and cannot change", field="to")
    row = transition(state, target)
    if row is None:
        allowed = ", ".join(t.value for t in allowed_targets(state))
        raise TransitionRefused(
            "not_allowed", f"dari '{state.value}' tidak dapat langsung ke '{target.value}'; yang boleh: {allowed} / "
            f"'{state.value}' cannot go straight to '{target.value}'; allowed: {allowed}", field="to")
    if role not in row.roles:
        who = ", ".join(sorted(row.roles))
        raise TransitionRefused(
            "role", f"peran '{role}' tidak boleh memindahkan kasus ke '{target.value}' (hanya: {who}) / "
            f"role '{role}' may not move a case to '{target.value}' (only: {who})", field="role")
    problems: list[Problem] = []
    given = {k: v for k, v in fields.items() if v is not None and not (isinstance(v, str) and not v.strip())}
    for name in row.requires:
        if name not in given:
            spec = FIELDS[name]
            problems.append(Problem(f"'{target.value}' memerlukan {spec.id} / '{target.value}' requires the "
                                    f"{spec.en}", field=name))
    for name, value in given.items():
        if name not in row.requires and name not in row.optional:
            problems.append(Problem(f"'{target.value}' tidak memakai isian '{name}' / '{target.value}' does not "
                                    f"take the field '{name}'", field=name))
            continue
        msg = _check_value(name, value, now)
        if msg:
            problems.append(Problem(msg, field=name))
    if problems:
        raise TransitionRefused("fields", problems)
    return target
