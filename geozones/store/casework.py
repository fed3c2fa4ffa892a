"""Tables of the Bawaslu workspace: reports, sealed reporter identities, photos, cases, clocks, sweeps.

A *report* is what came in (place, times, source, APK type, paslon, photos) with
the engine's suggestion kept beside the rule-set version and layer digests it
rests on, and the officer's confirmation or override (with a reason). Each report
opens one *case*; the case's steps are kept in ``case_event`` (append-only: a
trigger refuses UPDATE and DELETE) and its legal clocks in ``case_clock``
(deadline computed once at the start, with the clock policy's version; only
``stopped_at``/``stop_event`` change afterwards). A reporter's identity lives in
its own table as an AES-GCM token (:mod:`geozones.io.sealing`), never in clear.
Quiet-period sweeps (``sweep``) record Satpol PP tallies per kecamatan (append-only).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from geozones.store.models import Base
from geozones.store.types import WKBGeometry

__all__ = ["CASEWORK_APPEND_ONLY", "CaseClock", "CaseEvent", "CaseRecord", "Report", "ReportPhoto",
           "ReporterIdentity", "Sweep"]

#: Tables whose rows are never changed nor removed (guarded by triggers in migration 0003).
CASEWORK_APPEND_ONLY = ("case_event", "sweep", "reporter_identity", "report_photo")


class Report(Base):
    """One report of an APK (a temuan, a laporan or an informasi awal), with its suggested classification."""

    __tablename__ = "report"
    __table_args__ = (Index(None, "minx", "maxx", "miny", "maxy"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(20), index=True)
    apk_type: Mapped[str | None] = mapped_column(String(60))
    paslon: Mapped[str | None] = mapped_column(String(60), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    geom = mapped_column(WKBGeometry, nullable=False)
    minx: Mapped[float] = mapped_column(Float)
    miny: Mapped[float] = mapped_column(Float)
    maxx: Mapped[float] = mapped_column(Float)
    maxy: Mapped[float] = mapped_column(Float)
    observed_at: Mapped[dt.datetime]
    known_at: Mapped[dt.datetime]
    intake_notes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # the engine's suggestion, reproducible from the version and digests
    suggested_verdict: Mapped[str | None] = mapped_column(String(40))
    suggested_rule_ids: Mapped[str | None] = mapped_column(Text)
    suggested_reasons_id: Mapped[str | None] = mapped_column(Text)
    suggested_reasons_en: Mapped[str | None] = mapped_column(Text)
    legal_basis: Mapped[str | None] = mapped_column(Text)
    kelurahan: Mapped[str | None] = mapped_column(String(120), index=True)
    kecamatan: Mapped[str | None] = mapped_column(String(120), index=True)
    kode_kemendagri: Mapped[str | None] = mapped_column(String(40))
    nearest_name: Mapped[str | None] = mapped_column(Text)
    nearest_layer: Mapped[str | None] = mapped_column(String(60))
    nearest_m: Mapped[float | None] = mapped_column(Float)
    ruleset_id: Mapped[str | None] = mapped_column(String(120))
    ruleset_version: Mapped[str | None] = mapped_column(String(60))
    ruleset_origin: Mapped[str | None] = mapped_column(String(20))
    data_digests: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    classified_at: Mapped[dt.datetime | None]
    # the officer's decision
    verdict: Mapped[str | None] = mapped_column(String(40))
    rule_ids: Mapped[str | None] = mapped_column(Text)
    decision: Mapped[str | None] = mapped_column(String(20))  # confirmed | overridden
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[dt.datetime | None]
    override_reason: Mapped[str | None] = mapped_column(Text)
    duplicate_of: Mapped[int | None] = mapped_column(ForeignKey("report.id"), index=True)
    created_at: Mapped[dt.datetime]
    created_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[dt.datetime]
    updated_by: Mapped[str] = mapped_column(String(200))
    row_version: Mapped[int] = mapped_column(Integer, default=1)


class ReporterIdentity(Base):
    """A pelapor's identity, sealed (AES-256-GCM bound to ``report:<id>``); the key is never in the database."""

    __tablename__ = "reporter_identity"

    report_id: Mapped[int] = mapped_column(ForeignKey("report.id"), primary_key=True)
    sealed: Mapped[str] = mapped_column(Text)
    key_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
    created_by: Mapped[str] = mapped_column(String(200))


class ReportPhoto(Base):
    """A photo of a report (bytes in ``media`` under their sha256) with what its EXIF said."""

    __tablename__ = "report_photo"
    __table_args__ = (UniqueConstraint("report_id", "media_sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id"), index=True)
    media_sha256: Mapped[str] = mapped_column(ForeignKey("media.sha256"))
    role: Mapped[str] = mapped_column(String(20), default="report")  # report | after
    taken_at: Mapped[dt.datetime | None]
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    notes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    added_at: Mapped[dt.datetime]
    added_by: Mapped[str] = mapped_column(String(200))


class CaseRecord(Base):
    """A case: its state, its clock policy, who works on it and who holds its lock."""

    __tablename__ = "bawaslu_case"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id"), unique=True)
    source: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(30), index=True)
    policy_id: Mapped[str] = mapped_column(String(60))
    policy_version: Mapped[str] = mapped_column(String(30))
    known_at: Mapped[dt.datetime]
    arrived_at: Mapped[dt.datetime]
    received_at: Mapped[dt.datetime]
    next_deadline: Mapped[dt.datetime | None] = mapped_column(index=True)
    assigned_to: Mapped[str | None] = mapped_column(String(200))
    lock_holder: Mapped[str | None] = mapped_column(String(200))
    locked_at: Mapped[dt.datetime | None]
    opened_at: Mapped[dt.datetime]
    opened_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[dt.datetime]
    updated_by: Mapped[str] = mapped_column(String(200))
    row_version: Mapped[int] = mapped_column(Integer, default=1)


class CaseEvent(Base):
    """One step of a case (append-only); the first opens it (``from_state`` empty)."""

    __tablename__ = "case_event"
    __table_args__ = (UniqueConstraint("case_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("bawaslu_case.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime]
    actor: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str | None] = mapped_column(String(30))
    to_state: Mapped[str] = mapped_column(String(30))
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class CaseClock(Base):
    """A legal clock that started on a case: deadline computed once, stored with the policy version."""

    __tablename__ = "case_clock"
    __table_args__ = (UniqueConstraint("case_id", "clock_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("bawaslu_case.id"), index=True)
    clock_id: Mapped[str] = mapped_column(String(60))
    policy_id: Mapped[str] = mapped_column(String(60))
    policy_version: Mapped[str] = mapped_column(String(30))
    unit: Mapped[str] = mapped_column(String(20))
    duration: Mapped[int] = mapped_column(Integer)
    start_event: Mapped[str] = mapped_column(String(30))
    started_at: Mapped[dt.datetime]
    deadline: Mapped[dt.datetime] = mapped_column(index=True)
    basis: Mapped[str] = mapped_column(Text)
    policy_deadline: Mapped[dt.datetime | None]
    extended_deadline: Mapped[dt.datetime | None]
    calendar: Mapped[str | None] = mapped_column(Text)
    stopped_at: Mapped[dt.datetime | None]
    stop_event: Mapped[str | None] = mapped_column(String(30))


class Sweep(Base):
    """A quiet-period sweep (penertiban) in one kecamatan, with counts per APK type as Satpol PP tallies them."""

    __tablename__ = "sweep"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kecamatan: Mapped[str] = mapped_column(String(120), index=True)
    swept_at: Mapped[dt.datetime]
    counts: Mapped[dict[str, Any]] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[dt.datetime]
    recorded_by: Mapped[str] = mapped_column(String(200))
