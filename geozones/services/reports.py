"""Bawaslu intake: reports and their photos, classification by the engine, decisions, duplicates.

Every call is authorized here (:mod:`geozones.services.authz`): the public (and a
paslon) may submit an *informasi awal* only and get nothing back but its number;
everything else is casework (role ``bawaslu``). Each change is written with its
audit event in one transaction, so a refused or failed intake leaves nothing
behind. Services take the current time (``now``) as an argument.

Classification judges the report's point with the rule-set version in force at the
observed time (the store's, :func:`geozones.services.versioned.check_by_version`;
the packaged rule file when the store holds none for the area), and keeps the
suggestion with the version and layer digests, so it can be reproduced later.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from sqlalchemy import select

from geozones.core.errors import InputError, Problem
from geozones.io.photos import INDONESIA_BOUNDS, Photo, read_photo
from geozones.io.sealing import ReporterIdentity as Identity
from geozones.io.sealing import key_id, load_key, seal_identity
from geozones.services.authz import Action, Forbidden, Principal, authorize
from geozones.store.audit import append_event
from geozones.store.casework import CaseRecord, Report, ReporterIdentity, ReportPhoto
from geozones.store.database import Store
from geozones.store.models import Media

__all__ = ["DUPLICATE_DISTANCE_M", "DUPLICATE_WINDOW", "Classification", "ReportInput", "Submitted", "classify",
           "classify_report", "decide", "find_duplicates", "import_reports", "merge_duplicate", "open_reporter",
           "submit_report"]

#: Reports of the same paslon and APK type closer than this (metres) are likely duplicates
#: (``$GEOZONES_DUPLICATE_M``; 25 m is about one street front).
DUPLICATE_DISTANCE_M = float(os.environ.get("GEOZONES_DUPLICATE_M", "25"))
#: ... and observed within this time of each other (``$GEOZONES_DUPLICATE_HOURS``, default 72 h).
DUPLICATE_WINDOW = dt.timedelta(hours=float(os.environ.get("GEOZONES_DUPLICATE_HOURS", "72")))
#: Days a laporan may come after the violation became known (UU 1/2015 jo. UU 10/2016 Pasal 134 ayat (4)).
LAPORAN_WINDOW_DAYS = 7


@dataclass
class ReportInput:
    """What an intake gives (place in EPSG:4326 degrees; times tz-aware)."""

    source: str
    lon: float | None = None
    lat: float | None = None
    observed_at: dt.datetime | None = None
    known_at: dt.datetime | None = None
    apk_type: str | None = None
    paslon: str | None = None
    description: str | None = None
    address: str | None = None
    photos: Sequence[tuple[str, bytes]] = ()
    reporter: Identity | None = None


@dataclass(frozen=True)
class Submitted:
    """What an intake returns: the report and case numbers and what was noted on the way."""

    report_id: int
    case_id: int
    notes: tuple[str, ...] = ()
    duplicates: tuple[int, ...] = ()
    late: bool = False


@dataclass
class Classification:
    """The engine's suggestion for one point, with what it rests on."""

    verdict: str | None
    rule_ids: str
    reasons_id: str
    reasons_en: str
    legal_basis: str
    kelurahan: str
    kecamatan: str
    kode_kemendagri: str
    nearest_name: str | None
    nearest_layer: str | None
    nearest_m: float | None
    ruleset_id: str
    ruleset_version: str
    origin: str
    data_digests: dict[str, str] = field(default_factory=dict)


def _aware(value: dt.datetime | None, name: str) -> dt.datetime | None:
    if value is None:
        return None
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise InputError(f"{name} harus waktu dengan zona waktu / {name} must be a time with its time zone",
                         field=name)
    return value


@functools.lru_cache(maxsize=4)
def _file_checker(data_dir: str | None, key: str):
    from geozones.services.catalog import FileCatalog
    from geozones.services.checking import open_checker

    return open_checker(FileCatalog(None, data_dir))


def _store_ruleset_id(store: Store) -> str | None:
    from geozones.rules.model import DEFAULT_RULES, load_ruleset
    from geozones.store.models import RuleSetRecord

    default = load_ruleset(DEFAULT_RULES)
    with store.read() as s:
        ids = list(s.execute(select(RuleSetRecord.id).where(RuleSetRecord.area == default.area)
                             .order_by(RuleSetRecord.id)).scalars())
    if not ids:
        return None
    return default.id if default.id in ids else ids[0]


def classify(store: Store, lon: float, lat: float, at: dt.datetime, *, apk_type: str | None = None,
             paslon: str | None = None, data_dir: str | os.PathLike | None = None) -> Classification:
    """Judge one point at ``at`` with the rule-set version in force then.

    Raises
    ------
    InputError
        No version in force at ``at``, or the layers are missing.
    """
    import geopandas as gpd
    import pandas as pd

    from geozones.services.catalog import FileCatalog

    sites = gpd.GeoDataFrame({"id": ["report"], "apk_type": [apk_type or None], "paslon": [paslon or None],
                              "installed_at": [pd.Timestamp(at)]},
                             geometry=[shapely.Point(lon, lat)], crs="EPSG:4326")
    rid = _store_ruleset_id(store)
    if rid is not None:
        from geozones.services.store_catalog import StoreCatalog
        from geozones.services.versioned import check_by_version

        ev, checkers = check_by_version(StoreCatalog(store, data_dir=data_dir), rid, sites, at)
        ruleset = next(iter(checkers.values())).ruleset
        origin = "store"
    else:
        dd = str(data_dir) if data_dir else None
        checker = _file_checker(dd, FileCatalog(None, dd).key())
        ev = checker.check(sites, at)
        ruleset = checker.ruleset
        origin = "file"
    row = ev.table.iloc[0]
    rule_ids = str(row.get("rule_ids") or "")
    by_id = {r.id: r for r in ruleset.rules}
    basis: list[str] = []
    for r in rule_ids.split(";"):
        rule = by_id.get(r.strip())
        if rule is not None:
            cites = "; ".join(b.cite() for b in rule.legal_basis)
            if cites not in basis:
                basis.append(cites)
    prov = ev.provenance or {}
    near = row.get("nearest_m")
    return Classification(
        verdict=str(row["verdict"]) if row.get("verdict") is not None else None, rule_ids=rule_ids,
        reasons_id=str(row.get("reasons_id") or ""), reasons_en=str(row.get("reasons_en") or ""),
        legal_basis=" | ".join(basis), kelurahan=str(row.get("kelurahan") or ""),
        kecamatan=str(row.get("kecamatan") or ""), kode_kemendagri=str(row.get("kode_kemendagri") or ""),
        nearest_name=(str(row["nearest_name"]) if isinstance(row.get("nearest_name"), str) else None),
        nearest_layer=(str(row["nearest_layer"]) if isinstance(row.get("nearest_layer"), str) else None),
        nearest_m=(float(near) if near is not None and np.isfinite(float(near)) else None),
        ruleset_id=str(prov.get("ruleset_id", ruleset.id)),
        ruleset_version=str(prov.get("versions", [prov.get("ruleset_version", ruleset.version)])[0]),
        origin=origin, data_digests=dict(prov.get("layers") or {}))


def _apply(report: Report, c: Classification, now: dt.datetime) -> None:
    report.suggested_verdict, report.suggested_rule_ids = c.verdict, c.rule_ids
    report.suggested_reasons_id, report.suggested_reasons_en = c.reasons_id, c.reasons_en
    report.legal_basis, report.kelurahan, report.kecamatan = c.legal_basis, c.kelurahan, c.kecamatan
    report.kode_kemendagri, report.nearest_name = c.kode_kemendagri, c.nearest_name
    report.nearest_layer, report.nearest_m = c.nearest_layer, c.nearest_m
    report.ruleset_id, report.ruleset_version, report.ruleset_origin = c.ruleset_id, c.ruleset_version, c.origin
    report.data_digests, report.classified_at = c.data_digests, now


def _check_place(lon: float | None, lat: float | None) -> None:
    if lon is None or lat is None:
        raise InputError("tempat belum diisi: beri --lon/--lat, pin di peta, atau foto dengan posisi EXIF / the "
                         "place is missing: give --lon/--lat, a pin on the map, or a photo with an EXIF position",
                         field="lon/lat")
    if not (np.isfinite(lon) and np.isfinite(lat)):
        raise InputError("koordinat tidak sah / invalid coordinates", field="lon/lat")
    x0, y0, x1, y1 = INDONESIA_BOUNDS
    if (lon, lat) == (0.0, 0.0) or not (x0 <= lon <= x1 and y0 <= lat <= y1):
        raise InputError(f"posisi ({lon}, {lat}) di luar Indonesia (lon/lat tertukar?) / position ({lon}, {lat}) "
                         "lies outside Indonesia (lon/lat swapped?)", field="lon/lat")


def read_photos(photos: Sequence[tuple[str, bytes]], now: dt.datetime) -> list[Photo]:
    """Read every photo first (all or nothing): one message lists every bad file."""
    out, problems = [], []
    for name, data in photos:
        try:
            out.append(read_photo(data, name, now=now))
        except InputError as exc:
            problems += exc.problems if hasattr(exc, "problems") else [Problem(str(exc), name)]
    if problems:
        raise InputError(problems)
    return out


def _store_photo(s, actor: Principal, role: str, report_id: int, p: Photo, now: dt.datetime,
                 kind: str = "report") -> None:
    if s.get(Media, p.sha256) is None:
        s.add(Media(sha256=p.sha256, size=p.size, mime=p.media_type, filename=p.name,
                    meta={"width": p.width, "height": p.height, "exif": p.has_exif}, data=p.data,
                    uploaded_by=actor.name, uploaded_at=now))
        s.flush()
        append_event(s, actor=actor.name, role=role, action="media.store", entity_type="media", entity_id=p.sha256,
                     after={"size": p.size, "mime": p.media_type, "filename": p.name}, at=now)
    s.add(ReportPhoto(report_id=report_id, media_sha256=p.sha256, role=kind, taken_at=p.taken_at, lon=p.lon,
                      lat=p.lat, notes=list(p.notes), added_at=now, added_by=actor.name))


def submit_report(store: Store, actor: Principal, report: ReportInput, *, now: dt.datetime,
                  data_dir: str | os.PathLike | None = None, policy=None,
                  classification: Classification | None = None) -> Submitted:
    """Take in one report: photos stored once, identity sealed, classified, its case opened (one transaction).

    Missing place or observed time are taken from the first photo's EXIF when it offers them.
    A laporan known more than 7 days before ``now`` is kept and marked late (it cannot be registered).

    Raises
    ------
    Forbidden
        The actor may not submit a report of this source (the public: informasi awal only).
    InputError
        Bad photos, no place, a place outside Indonesia, times in the future or known before observed.
    """
    prepared = _prepare(store, actor, report, now=now, data_dir=data_dir, policy=policy,
                        classification=classification)
    with store.write() as s:
        return _write(s, prepared)


def _prepare(store: Store, actor: Principal, report: ReportInput, *, now: dt.datetime,
             data_dir: str | os.PathLike | None = None, policy=None,
             classification: Classification | None = None) -> _Prepared:
    from geozones.cases import load_clock_policy, open_case
    from geozones.cases.states import Source

    now = _aware(now, "now")
    try:
        source = Source(str(report.source).strip().lower())
    except ValueError:
        raise InputError(f"sumber '{report.source}' tidak dikenal; pilih temuan, laporan atau informasi_awal / "
                         f"unknown source '{report.source}'; choose temuan, laporan or informasi_awal",
                         field="source") from None
    role = authorize(actor, Action.SUBMIT_INFORMASI_AWAL if source == Source.INFORMASI_AWAL else Action.CASEWORK)
    photos = read_photos(report.photos, now)
    notes: list[str] = [n for p in photos for n in p.notes]
    lon, lat = report.lon, report.lat
    if (lon is None or lat is None) and any(p.has_position for p in photos):
        first = next(p for p in photos if p.has_position)
        lon, lat = first.lon, first.lat
        notes.append(f"tempat diambil dari EXIF {first.name} / place taken from the EXIF of {first.name}")
    _check_place(lon, lat)
    observed = _aware(report.observed_at, "observed_at")
    if observed is None:
        taken = next((p for p in photos if p.taken_at is not None), None)
        if taken is not None:
            observed = taken.taken_at
            notes.append(f"waktu pengamatan dari EXIF {taken.name} / observed time from the EXIF of {taken.name}")
    known = _aware(report.known_at, "known_at") or observed or now
    observed = observed or known
    if observed > now or known > now:
        raise InputError("waktu pengamatan/diketahui di masa depan / the observed or known time lies in the future",
                         field="observed_at")
    if known < observed:
        raise InputError(f"waktu diketahui {known.isoformat()} sebelum waktu pengamatan {observed.isoformat()} / "
                         f"known_at {known.isoformat()} is before observed_at {observed.isoformat()}",
                         field="known_at")
    if classification is None:
        classification = classify(store, lon, lat, observed, apk_type=report.apk_type, paslon=report.paslon,
                                  data_dir=data_dir)
    policy = policy or load_clock_policy(os.environ.get("GEOZONES_CLOCK_POLICY", "pilkada-2024"))
    opened_by = actor.name if not actor.is_public else "publik"
    case = open_case(source, known_at=known, arrived_at=now, actor=opened_by, role=role, policy=policy,
                     fields={"description": report.description} if report.description else None)
    late = case.late() or (source == Source.LAPORAN and now - known > dt.timedelta(days=LAPORAN_WINDOW_DAYS))
    if late:
        notes.append(f"laporan diketahui {known.isoformat()}, lebih dari {LAPORAN_WINDOW_DAYS} hari sebelum diterima: "
                     f"terlambat, tidak dapat diregistrasi / report known {known.isoformat()}, more than "
                     f"{LAPORAN_WINDOW_DAYS} days before intake: late, it cannot be registered")
    return _Prepared(actor, role, opened_by, source.value, report, lon, lat, observed, known, notes, photos,
                     classification, case, late, now)


@dataclass
class _Prepared:
    actor: Principal
    role: str
    opened_by: str
    source: str
    report: ReportInput
    lon: float
    lat: float
    observed: dt.datetime
    known: dt.datetime
    notes: list[str]
    photos: list[Photo]
    classification: Classification
    case: Any
    late: bool
    now: dt.datetime


def _write(s, prep: _Prepared) -> Submitted:
    p = prep
    actor, role, opened_by, report, lon, lat = p.actor, p.role, p.opened_by, p.report, p.lon, p.lat
    observed, known, notes, photos, now, case = p.observed, p.known, p.notes, p.photos, p.now, p.case
    pt = shapely.Point(lon, lat)
    r = Report(source=p.source, apk_type=report.apk_type or None, paslon=report.paslon or None,
               description=report.description or None, address=report.address or None, lon=lon, lat=lat,
               geom=pt, minx=lon, miny=lat, maxx=lon, maxy=lat, observed_at=observed, known_at=known,
               intake_notes=notes, created_at=now, created_by=opened_by, updated_at=now, updated_by=opened_by)
    _apply(r, p.classification, now)
    s.add(r)
    s.flush()
    dups = _duplicates(s, r)
    if dups:
        r.intake_notes = [*notes, "kemungkinan duplikat dari laporan / likely duplicate of report(s) "
                          + ", ".join(f"#{d}" for d in dups)]
    for ph in photos:
        _store_photo(s, actor, role, r.id, ph, now)
    if report.reporter is not None:
        key = load_key()
        s.add(ReporterIdentity(report_id=r.id, sealed=seal_identity(report.reporter, context=f"report:{r.id}",
                                                                    key=key),
                               key_id=key_id(key), created_at=now, created_by=opened_by))
    from geozones.services.cases import write_new_case

    case_id = write_new_case(s, r.id, case, now=now, actor=opened_by)
    append_event(s, actor=opened_by, role=role, action="report.create", entity_type="report", entity_id=str(r.id),
                 after={"source": r.source, "lon": lon, "lat": lat, "observed_at": observed.isoformat(),
                        "known_at": known.isoformat(), "apk_type": r.apk_type, "paslon": r.paslon,
                        "photos": [ph.sha256 for ph in photos], "reporter_sealed": report.reporter is not None,
                        "suggested_verdict": r.suggested_verdict, "suggested_rule_ids": r.suggested_rule_ids,
                        "ruleset": f"{r.ruleset_id}@{r.ruleset_version}", "case_id": case_id}, at=now)
    return Submitted(r.id, case_id, tuple(r.intake_notes), tuple(dups), p.late)


def _metric_xy(lon: np.ndarray, lat: np.ndarray, ref: tuple[float, float]):
    from geozones.core.crs import metric_crs_for, project_lonlat

    crs = metric_crs_for((ref[0], ref[1], ref[0], ref[1]))
    return project_lonlat(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float), crs)


def _duplicates(s, r: Report, distance_m: float | None = None, window: dt.timedelta | None = None) -> list[int]:
    distance_m = DUPLICATE_DISTANCE_M if distance_m is None else distance_m
    window = DUPLICATE_WINDOW if window is None else window
    if not r.paslon or not r.apk_type:
        return []
    # a bounding box in degrees prefilters (1 degree ≥ 110 km at Indonesia's latitudes); dwithin decides in metres
    pad = distance_m / 100_000.0
    rows = s.execute(select(Report).where(
        Report.id != r.id, Report.paslon == r.paslon, Report.apk_type == r.apk_type, Report.duplicate_of.is_(None),
        Report.minx <= r.lon + pad, Report.maxx >= r.lon - pad, Report.miny <= r.lat + pad,
        Report.maxy >= r.lat - pad)).scalars().all()
    rows = [o for o in rows if abs(o.observed_at - r.observed_at) <= window]
    if not rows:
        return []
    x, y = _metric_xy(np.array([r.lon] + [o.lon for o in rows]), np.array([r.lat] + [o.lat for o in rows]),
                      (r.lon, r.lat))
    here = shapely.Point(x[0], y[0])
    others = shapely.points(x[1:], y[1:])
    near = shapely.dwithin(others, here, distance_m)
    return [o.id for o, hit in zip(rows, near, strict=True) if hit]


def find_duplicates(store: Store, actor: Principal, report_id: int, *, distance_m: float | None = None,
                    window: dt.timedelta | None = None) -> list[int]:
    """Reports of the same paslon and APK type within ``distance_m`` metres and ``window`` of ``report_id``."""
    authorize(actor, Action.CASEWORK)
    with store.read() as s:
        r = _get_report(s, report_id)
        return _duplicates(s, r, distance_m, window)


def _get_report(s, report_id: int) -> Report:
    r = s.get(Report, int(report_id))
    if r is None:
        raise InputError(f"laporan #{report_id} tidak ada / no report #{report_id}", field="report")
    return r


def merge_duplicate(store: Store, actor: Principal, report_id: int, into: int, *, reason: str,
                    now: dt.datetime) -> None:
    """Mark ``report_id`` a duplicate of ``into`` and dismiss its case (audited)."""
    from geozones.services.cases import advance_case

    role = authorize(actor, Action.CASEWORK)
    if int(report_id) == int(into):
        raise InputError("laporan tidak dapat digabung ke dirinya sendiri / a report cannot merge into itself",
                         field="into")
    with store.write() as s:
        r, target = _get_report(s, report_id), _get_report(s, into)
        if target.duplicate_of is not None:
            raise InputError(f"#{into} sendiri duplikat dari #{target.duplicate_of} / #{into} is itself a duplicate "
                             f"of #{target.duplicate_of}", field="into")
        r.duplicate_of, r.updated_at, r.updated_by = target.id, now, actor.name
        r.row_version += 1
        append_event(s, actor=actor.name, role=role, action="report.merge", entity_type="report",
                     entity_id=str(r.id), after={"duplicate_of": target.id}, reason=reason, at=now)
        case_id = s.execute(select(CaseRecord.id).where(CaseRecord.report_id == r.id)).scalar_one()
    advance_case(store, actor, case_id, "dismissed", {"reason": f"duplikat / duplicate of #{into}: {reason}"},
                 now=now)


def classify_report(store: Store, actor: Principal, report_id: int, *, now: dt.datetime,
                    data_dir: str | os.PathLike | None = None) -> Classification:
    """Classify a stored report again (e.g. after its place was corrected); audited."""
    role = authorize(actor, Action.CASEWORK)
    with store.read() as s:
        r = _get_report(s, report_id)
        lon, lat, at, apk, paslon = r.lon, r.lat, r.observed_at, r.apk_type, r.paslon
    c = classify(store, lon, lat, at, apk_type=apk, paslon=paslon, data_dir=data_dir)
    with store.write() as s:
        r = _get_report(s, report_id)
        before = {"verdict": r.suggested_verdict, "rule_ids": r.suggested_rule_ids,
                  "ruleset": f"{r.ruleset_id}@{r.ruleset_version}"}
        _apply(r, c, now)
        append_event(s, actor=actor.name, role=role, action="report.classify", entity_type="report",
                     entity_id=str(r.id), before=before,
                     after={"verdict": c.verdict, "rule_ids": c.rule_ids, "ruleset": f"{c.ruleset_id}@"
                            f"{c.ruleset_version}", "digests": c.data_digests}, at=now)
    return c


def decide(store: Store, actor: Principal, report_id: int, *, now: dt.datetime, verdict: str | None = None,
           rule_ids: str | None = None, reason: str | None = None) -> str:
    """Confirm the suggestion (no ``verdict``/``rule_ids``) or override it (a ``reason`` is required).

    Returns ``"confirmed"`` or ``"overridden"``.
    """
    from geozones.core.verdicts import Verdict

    role = authorize(actor, Action.CASEWORK)
    with store.write() as s:
        r = _get_report(s, report_id)
        if r.suggested_verdict is None and verdict is None:
            raise InputError("laporan belum diklasifikasi; beri verdict / the report is not classified; give a "
                             "verdict", field="verdict")
        if verdict is not None:
            try:
                verdict = Verdict(str(verdict).strip().upper()).value
            except ValueError:
                names = ", ".join(v.value for v in Verdict)
                raise InputError(f"verdict '{verdict}' tidak dikenal ({names}) / unknown verdict '{verdict}' "
                                 f"({names})", field="verdict") from None
        new_verdict = verdict or r.suggested_verdict
        new_rules = ";".join(x.strip() for x in rule_ids.replace(",", ";").split(";") if x.strip()) \
            if rule_ids is not None else (r.suggested_rule_ids or "")
        kind = ("confirmed" if new_verdict == r.suggested_verdict and new_rules == (r.suggested_rule_ids or "")
                else "overridden")
        if kind == "overridden" and not (reason and reason.strip()):
            raise InputError("mengubah saran mesin memerlukan alasan / overriding the engine's suggestion needs a "
                             "reason", field="reason")
        before = {"verdict": r.verdict, "rule_ids": r.rule_ids, "decision": r.decision}
        r.verdict, r.rule_ids, r.decision = new_verdict, new_rules, kind
        r.decided_by, r.decided_at, r.override_reason = actor.name, now, reason if kind == "overridden" else None
        r.updated_at, r.updated_by = now, actor.name
        r.row_version += 1
        append_event(s, actor=actor.name, role=role, action=f"report.{kind[:-1] if kind.endswith('d') else kind}",
                     entity_type="report", entity_id=str(r.id), before=before,
                     after={"verdict": new_verdict, "rule_ids": new_rules, "decision": kind}, reason=reason, at=now)
    return kind


def open_reporter(store: Store, actor: Principal, report_id: int, *, now: dt.datetime) -> Identity | None:
    """The reporter's identity (bawaslu only; the reading is audited)."""
    from geozones.io.sealing import open_identity

    role = authorize(actor, Action.CASEWORK)
    if "bawaslu" not in actor.roles:
        raise Forbidden("identitas pelapor hanya untuk Bawaslu / reporter identity is for Bawaslu only")
    with store.write() as s:
        row = s.get(ReporterIdentity, int(report_id))
        if row is None:
            return None
        ident = open_identity(row.sealed, context=f"report:{row.report_id}")
        append_event(s, actor=actor.name, role=role, action="reporter.read", entity_type="report",
                     entity_id=str(report_id), at=now)
        return ident


def photo_digest(data: bytes) -> str:
    """sha256 hex of bytes (as media are keyed)."""
    return hashlib.sha256(data).hexdigest()


def read_file_photos(paths: Sequence[str | os.PathLike]) -> list[tuple[str, bytes]]:
    """(name, bytes) for each path, naming an unreadable file."""
    out = []
    for p in paths:
        try:
            out.append((Path(p).name, Path(p).read_bytes()))
        except OSError as exc:
            raise InputError(f"berkas tidak dapat dibaca / cannot read the file ({exc.strerror})", source=str(p)) \
                from None
    return out


def _cell(row: Any, name: str) -> str | None:
    v = row.get(name)
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return None
    text = str(v).strip()
    return text or None


def import_reports(store: Store, actor: Principal, path: str | os.PathLike, *, now: dt.datetime,
                   source: str = "temuan", data_dir: str | os.PathLike | None = None) -> list[Submitted]:
    """Take in a table of reports (every format ``check`` reads) or a ZIP of geotagged photos, all or nothing.

    A table row gives ``lon``/``lat``, ``installed_at`` (the observed time), and optionally
    ``source``, ``known_at``, ``apk_type``, ``paslon``, ``description``; a ZIP gives one
    report per photo, placed and timed by its EXIF (a photo without position is refused).
    Every bad row or photo is named in one message and nothing is written.
    """
    from geozones.core.time import parse_time
    from geozones.io.photos import read_photo_zip

    authorize(actor, Action.CASEWORK)
    path = Path(path)
    inputs: list[tuple[str, ReportInput]] = []
    if path.suffix.lower() == ".zip" and _is_photo_zip(path):
        for p in read_photo_zip(path, now=now):
            inputs.append((p.name, ReportInput(source=source, photos=[(p.name, p.data)])))
    else:
        from geozones.io.sites import read_sites

        sites = read_sites(path)
        for i, row in enumerate(sites.drop(columns="geometry").to_dict("records")):
            geom = sites.geometry.iloc[i]
            where = f"baris / row {i + 1} ({row.get('site_id')})"
            try:
                known = _cell(row, "known_at")
                observed = row.get("installed_at")
                inputs.append((where, ReportInput(
                    source=_cell(row, "source") or source, lon=geom.x, lat=geom.y,
                    observed_at=(observed.to_pydatetime() if observed is not None and str(observed) != "NaT"
                                 else None),
                    known_at=parse_time(known).to_pydatetime() if known else None,
                    apk_type=_cell(row, "apk_type"), paslon=_cell(row, "paslon"),
                    description=_cell(row, "description"), address=_cell(row, "address"))))
            except InputError as exc:
                raise InputError(f"{where}: {exc}", source=str(path)) from None
    if not inputs:
        raise InputError("tidak ada laporan dalam berkas / no report in the file", source=str(path))
    prepared, problems = [], []
    for where, inp in inputs:
        try:
            prepared.append(_prepare(store, actor, inp, now=now, data_dir=data_dir))
        except Forbidden:
            raise
        except InputError as exc:
            problems.append(Problem(f"{where}: {exc}", str(path)))
    if problems:
        raise InputError(problems)
    with store.write() as s:
        return [_write(s, p) for p in prepared]


def _is_photo_zip(path: Path) -> bool:
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            names = [n.lower() for n in z.namelist() if not n.endswith("/")]
    except (zipfile.BadZipFile, OSError):
        return False
    # a zipped Shapefile or a KMZ is a table of sites; photos are JPEG/PNG/HEIC members
    return bool(names) and not any(n.endswith((".shp", ".kml", ".dbf", ".gpkg", ".geojson", ".csv"))
                                   for n in names)
