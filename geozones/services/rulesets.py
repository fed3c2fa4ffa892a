"""Rule-set versions in the store: import, drafts, review, publication, withdrawal, history.

The validated YAML text is the source of truth; each version keeps its sha256,
its decree (number, signing date, PDF hash), valid time (``effective_from`` /
``effective_to``) and transaction time (``published_at`` / ``superseded_at``).
Every call takes the acting :class:`~geozones.services.authz.Principal`, is
authorized here, and writes its audit event in the same transaction as the
change. Edits and publication are optimistic: the caller passes the row version
it read and a concurrent change gives a :class:`~geozones.services.concurrency.Conflict`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

import shapely.geometry
import yaml
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from geozones.areas.manifest import load_manifest
from geozones.core.errors import InputError, Problem
from geozones.core.time import format_wib
from geozones.rules.model import RULES_DIR, RuleSet, parse_ruleset
from geozones.rules.model import check_layers as check_rule_layers
from geozones.rules.stack import flatten
from geozones.services.authz import Action, Forbidden, Principal, authorize, can
from geozones.services.concurrency import checked_update, conflict_for, now_utc
from geozones.store.audit import append_event
from geozones.store.database import Store
from geozones.store.models import RuleSetRecord, RuleSetVersion, ZoneFeature

__all__ = [
    "PUBLIC_STATUSES", "RuleSetInfo", "VersionInfo", "as_published_on", "create_draft", "get_version", "import_ruleset",
    "in_force_on", "list_rulesets", "list_versions", "parse_yaml_text", "publish", "stack_rows", "stored_level",
    "submit", "update_draft", "withdraw",
]

#: Statuses anyone may read; drafts and versions in review only rule editors see.
PUBLIC_STATUSES = ("published", "superseded", "withdrawn")
_WIB = dt.timezone(dt.timedelta(hours=7), "WIB")


@dataclass(frozen=True)
class VersionInfo:
    """A rule-set version as listed (without its YAML text unless asked)."""

    id: int
    ruleset_id: str
    version: str
    status: str
    sha256: str
    decree_no: str | None
    decree_signed_on: dt.date | None
    effective_from: dt.datetime | None
    effective_to: dt.datetime | None
    published_at: dt.datetime | None
    superseded_at: dt.datetime | None
    author: str
    publisher: str | None
    updated_by: str
    row_version: int
    yaml_text: str | None = None

    @classmethod
    def of(cls, v: RuleSetVersion, *, with_text: bool = False) -> VersionInfo:
        """From a row."""
        return cls(v.id, v.ruleset_id, v.version, v.status, v.sha256, v.decree_no, v.decree_signed_on,
                   v.effective_from, v.effective_to, v.published_at, v.superseded_at, v.author, v.publisher,
                   v.updated_by, v.row_version, v.yaml_text if with_text else None)


def parse_yaml_text(text: str, *, source: str = "<rules>", check_layers: bool = True) -> RuleSet:
    """Validate a rule-set YAML text (and its layer names against the area manifest).

    Raises
    ------
    InputError
        Not YAML, or not a valid rule set; messages name ``source``, rule and field.
    """
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(f"bukan YAML yang sah / not valid YAML: {getattr(exc, 'problem', exc)}", source=source,
                         row=f"line {mark.line + 1}" if mark else None) from None
    known = None
    area = data.get("area") if isinstance(data, dict) else None
    if check_layers and isinstance(area, str):
        try:
            known = load_manifest(area).layer_names
        except InputError:
            known = None  # the rule set's own errors first; the manifest's below
    # One validation pass: a 5,000-zone rule set takes seconds to validate (bench/store.py).
    rs = parse_ruleset(data, source=source, known_layers=known)
    if check_layers and known is None and rs.area:
        load_manifest(rs.area)
    return rs


#: Stored levels parsed once per text (by sha256): a published version's text never changes.
_PARSED: dict[str, RuleSet] = {}
_PARSED_MAX = 256


def stored_level(v: RuleSetVersion) -> RuleSet:
    """One stored version as a level of a stack: its validated text, ``extends`` unresolved.

    ``effective_from`` is the store's (the decree's date of force, which the import or
    publication set), so :func:`geozones.rules.model.in_force` and the batch checker
    choose versions by the same dates the store does.

    Raises
    ------
    InputError
        When the stored text no longer validates (a format change; named ``ID@VERSION (store)``).
    """
    rs = _PARSED.get(v.sha256)
    if rs is None:
        rs = parse_yaml_text(v.yaml_text, source=f"{v.ruleset_id}@{v.version} (store)", check_layers=False)
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.pop(next(iter(_PARSED)))
        _PARSED[v.sha256] = rs
    update: dict[str, object] = {}
    if v.effective_from is not None:
        update["effective_from"] = v.effective_from
    if v.status in ("draft", "published", "superseded"):
        update["status"] = v.status
    return rs.model_copy(update=update) if update else rs


def _remember(text: str, rs: RuleSet) -> None:
    """Keep a text just validated for :func:`stored_level` (publication re-reads it; YAML parsing dominates)."""
    sha = _sha(text)
    if sha not in _PARSED:
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.pop(next(iter(_PARSED)))
        _PARSED[sha] = rs


def _missing_parent(s: Session, child: str, parent: str, source: str) -> InputError:
    """The refusal for a level whose parent is not in the store, naming the commands that import it.

    Every missing level above ``child`` is named, root first, each with the packaged file
    that holds it (shown relative to the working directory when it lies inside it, so the
    command runs as printed), and with the decree options an import records.
    """
    missing, cmds = import_commands(s, parent)
    chain = " <- ".join([*missing, child])
    return InputError(f"aturan '{child}' memperluas '{parent}', yang belum ada di basis data; impor induknya dulu, "
                      f"dari akar ({chain}), masing-masing dengan --decree/--signed keputusannya: {cmds} / rule set "
                      f"'{child}' extends '{parent}', which is not in the store; import its parents first, root first "
                      f"({chain}), each with its decree's --decree/--signed: {cmds}", source=source, field="extends")


def import_commands(s: Session, ruleset_id: str) -> tuple[list[str], str]:
    """The levels missing from the store up to ``ruleset_id``, root first, and the commands importing them.

    Each command names the packaged rule file of its level (relative to the working
    directory when it lies inside it, so it runs as printed; ``<berkas/file>`` when no
    packaged file holds that id).

    Returns
    -------
    tuple of (list of str, str)
        The missing ids, root first, and the commands joined with ``"; "``.
    """
    missing: list[tuple[str, Path | None]] = []
    pid: str | None = ruleset_id
    while pid and s.get(RuleSetRecord, pid) is None and pid not in [m for m, _ in missing]:
        path = _packaged_file(pid)
        missing.insert(0, (pid, path))
        pid = _file_extends(path) if path is not None else None
    cmds = "; ".join(f"geozones rules import {_shown(path) if path else '<berkas/file>'}" for _, path in missing)
    return [m for m, _ in missing], cmds


def _packaged_file(ruleset_id: str) -> Path | None:
    """The packaged rule file of ``ruleset_id`` (``rules/ID.yaml``, else the file whose ``id`` it is)."""
    path = RULES_DIR / f"{ruleset_id}.yaml"
    if path.is_file():
        return path
    return next((f for f in sorted(RULES_DIR.glob("*.yaml")) if _file_field(f, "id") == ruleset_id), None)


def _file_extends(path: Path) -> str | None:
    value = _file_field(path, "extends")
    return value if isinstance(value, str) else None


def _shown(path: Path) -> str:
    """``path`` relative to the working directory when inside it, else absolute (where the package keeps it)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path.resolve())


def _file_field(path: Path, field: str):
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    return data.get(field) if isinstance(data, dict) else None


def parent_rows(s: Session, level: RuleSet, *, at: dt.datetime | None = None, as_published: dt.datetime | None = None,
                source: str = "<rules>", earliest_if_none: bool = False) -> list[RuleSetVersion]:
    """The stored versions of the levels ``level`` extends, root first.

    Each parent is the version in force at ``at`` (valid time; default now), or the one
    the tool served at ``as_published`` (transaction time).

    Parameters
    ----------
    earliest_if_none : bool
        For validation only: a parent with no version in force then stands in with its
        earliest published one (the one that will apply once it is in force).

    Raises
    ------
    InputError
        A parent not in the store (naming the command that imports it), none in force
        then, or levels extending each other in a circle.
    """
    chain: list[RuleSetVersion] = []
    seen = [level.id]
    cur = level
    while cur.extends:
        pid = cur.extends
        if pid in seen:
            raise InputError(f"aturan saling memperluas / rule sets extend each other in a circle: "
                             f"{' -> '.join([*seen, pid])}", source=source, field="extends")
        seen.append(pid)
        if s.get(RuleSetRecord, pid) is None:
            raise _missing_parent(s, cur.id, pid, source)
        if as_published is not None:
            row = as_published_on(s, pid, as_published)
            when = as_published
        else:
            when = at or now_utc()
            row = in_force_on(s, pid, when)
        if row is None and earliest_if_none:
            row = s.execute(select(RuleSetVersion).where(
                RuleSetVersion.ruleset_id == pid, RuleSetVersion.status.in_(("published", "superseded")))
                .order_by(RuleSetVersion.effective_from)).scalars().first()
        if row is None:
            verb = ("terbit / published" if as_published is not None else "berlaku / in force")
            raise InputError(f"induk '{pid}' dari '{cur.id}' tidak punya versi yang {verb.split(' / ')[0]} pada "
                             f"{when.isoformat()} / parent '{pid}' of '{cur.id}' has no version "
                             f"{verb.split(' / ')[1]} on {when.isoformat()}", source=source, field="extends")
        chain.append(row)
        cur = stored_level(row)
    return chain[::-1]


def stack_rows(s: Session, leaf: RuleSetVersion, *, at: dt.datetime | None = None,
               as_published: dt.datetime | None = None) -> list[RuleSetVersion]:
    """``leaf`` with the stored versions of every level above it, root first (see :func:`parent_rows`)."""
    return [*parent_rows(s, stored_level(leaf), at=at, as_published=as_published,
                         source=f"{leaf.ruleset_id}@{leaf.version} (store)"), leaf]


def _flat(levels: list[RuleSet], source: str) -> RuleSet:
    return flatten(levels, source=source) if len(levels) > 1 else levels[0]


def _check_stack(s: Session, rs: RuleSet, at: dt.datetime | None, source: str) -> list[str]:
    """Validate level ``rs`` stacked on the stored levels above it, and under the stored levels below it.

    The flattened stack is checked against its kota area's layer names
    (:mod:`geozones.areas.manifest`); so is each stored stack that would use ``rs`` (a
    province's new version under every stored level below it, see :func:`_stacks_below`):
    a parent version that drops or loosens a rule a level below it amends is refused here.

    Returns
    -------
    list of str
        ``ID@VERSION`` of the levels ``rs`` was stacked on, root first (for the audit).

    Raises
    ------
    InputError
        A missing parent, a broken stack (naming the level below and its ``ID@VERSION`` when
        the break is there), or a rule naming a layer the area lacks.
    """
    rows = parent_rows(s, rs, at=at, source=source, earliest_if_none=True)
    above = [stored_level(r) for r in rows]
    flat = _flat([*above, rs], source)
    if flat.area:
        check_rule_layers(flat, load_manifest(flat.area).layer_names, source)
    for top, between in _stacks_below(s, rs.id, at or now_utc()):
        where = f"{source} (di bawahnya / under it: {top.ruleset_id}@{top.version})"
        try:
            below = _flat([*above, rs, *(stored_level(r) for r in between), stored_level(top)], where)
            if below.area:
                check_rule_layers(below, load_manifest(below.area).layer_names, where)
        except InputError as exc:
            # Flattening names only the level's id: say which stored version below breaks, and why it was checked.
            lead = Problem.bi(f"{rs.id}@{rs.version} merusak tumpukan tersimpan di bawahnya: "
                              f"{top.ruleset_id}@{top.version} (berlaku bersamanya)",
                              f"{rs.id}@{rs.version} breaks a stored stack below it: {top.ruleset_id}@{top.version} "
                              f"(in force with it)", source=source, field="extends")
            raise InputError([lead, *exc.problems]) from None
    return [f"{r.ruleset_id}@{r.version}" for r in rows]


def _stacks_below(s: Session, ruleset_id: str, at: dt.datetime) -> list[tuple[RuleSetVersion, list[RuleSetVersion]]]:
    """The stored stacks a new version of ``ruleset_id`` would sit in: ``(lowest version, levels between)``.

    Found by the ``ruleset.extends`` column (a rule set keeps its parent across versions,
    :func:`_keeps_place`), not by parsing every stored text. For each rule set below
    ``ruleset_id`` (children, their children...), the lowest level is each distinct version
    of it in force at ``at`` or published now (a later decree may already be published);
    the levels between are each in force at ``at``, else their current published version,
    nearest ``ruleset_id`` first. A stack with a level between that has no published
    version is not in force and is skipped.
    """
    parent_of = dict(s.execute(select(RuleSetRecord.id, RuleSetRecord.extends)).all())
    out: list[tuple[RuleSetVersion, list[RuleSetVersion]]] = []
    for rec_id in sorted(parent_of):
        path: list[str] = []  # rule sets between rec_id and ruleset_id, nearest ruleset_id first
        cur = parent_of.get(rec_id)
        while cur is not None and cur != ruleset_id and cur not in path and len(path) < 8:
            path.insert(0, cur)
            cur = parent_of.get(cur)
        if cur != ruleset_id or rec_id == ruleset_id:
            continue
        between = [in_force_on(s, pid, at) or _current_published(s, pid) for pid in path]
        if any(r is None for r in between):
            continue
        tops = {r.id: r for r in (in_force_on(s, rec_id, at), _current_published(s, rec_id)) if r is not None}
        out.extend((top, between) for top in tops.values())
    return out


def _keeps_place(s: Session, rs: RuleSet, source: str) -> None:
    """Refuse a version whose level or parent differs from its stored rule set's.

    A rule set's place in the stack (its ``level`` and the rule set it ``extends``) is fixed:
    a kota moving to another province, or a level changing kind, is a different legal
    instrument and goes under a new id. This keeps ``ruleset.level`` / ``ruleset.extends``
    true of every version, so the stack can be walked by those columns.

    Raises
    ------
    InputError
        Naming the stored and the new level or parent (field ``extends`` or ``level``).
    """
    rec = s.get(RuleSetRecord, rs.id)
    if rec is None:
        return
    for name, stored, new in (("level", rec.level, rs.level), ("extends", rec.extends, rs.extends)):
        if stored != new:
            raise InputError(
                f"aturan '{rs.id}' tersimpan dengan {name}: {stored or '-'}; versi ini menyatakan {name}: "
                f"{new or '-'}. Level dan induk suatu aturan tetap antarversi; simpan sebagai aturan dengan id "
                f"baru / rule set '{rs.id}' is stored with {name}: {stored or '-'}; this version says {name}: "
                f"{new or '-'}. A rule set keeps its level and parent across versions; store it under a new id",
                source=source, field=name)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _target(rs_row: RuleSetRecord | None) -> dict[str, object]:
    if rs_row is None:
        return {}
    return {"kota": list((rs_row.jurisdiction or {}).get("kemendagri", []))}


def _zones(s: Session, version_id: int, rs: RuleSet) -> None:
    seen: set[str] = set()
    for rule in rs.rules:
        for z in rule.zones:
            if z.id in seen:
                continue
            seen.add(z.id)
            geom = shapely.geometry.shape(z.geometry)
            minx, miny, maxx, maxy = geom.bounds
            s.add(ZoneFeature(version_id=version_id, zone_id=z.id, rule_id=rule.id, name=z.name, source=z.source,
                              props={}, geom=geom, minx=minx, miny=miny, maxx=maxx, maxy=maxy))
    s.flush()


def _ensure_ruleset(s: Session, rs: RuleSet, actor: str, now: dt.datetime) -> RuleSetRecord:
    """The stored rule set of ``rs``, created with its area (None for a level judging none), level and parent."""
    rec = s.get(RuleSetRecord, rs.id)
    if rec is None:
        rec = RuleSetRecord(id=rs.id, area=rs.area or None, level=rs.level, extends=rs.extends,
                            title_id=rs.title.id, title_en=rs.title.en,
                            jurisdiction={k: list(v) for k, v in rs.jurisdiction.items()}, created_at=now,
                            created_by=actor)
        s.add(rec)
        s.flush()
    return rec


def _current_published(s: Session, ruleset_id: str) -> RuleSetVersion | None:
    return s.execute(select(RuleSetVersion).where(RuleSetVersion.ruleset_id == ruleset_id,
                                                  RuleSetVersion.status == "published")
                     .order_by(RuleSetVersion.published_at.desc())).scalars().first()


def _midnight_wib(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=_WIB)


def _go_live(s: Session, v: RuleSetVersion, start: dt.datetime | None, actor: str, role: str, now: dt.datetime,
             reason: str | None) -> None:
    """Supersede the version published before ``v`` (valid time ends where ``v``'s begins)."""
    prev = _current_published(s, v.ruleset_id)
    if prev is None or prev.id == v.id:
        return
    values = {"status": "superseded", "superseded_at": now}
    if prev.effective_to is None and start is not None and (
            prev.effective_from is None or prev.effective_from < start):
        values["effective_to"] = start
    checked_update(s, RuleSetVersion, prev.id, prev.row_version, actor, f"rule set {prev.ruleset_id}@{prev.version}",
                   **values)
    append_event(s, actor=actor, role=role, action="ruleset.supersede", entity_type="ruleset_version",
                 entity_id=f"{prev.ruleset_id}@{prev.version}", before={"status": "published"},
                 after={"status": "superseded", "by": v.version}, reason=reason, at=now)


def import_ruleset(store: Store, actor: Principal, yaml_text: str, *, source: str = "<rules>",
                   decree_no: str | None = None, signed_on: dt.date | None = None,
                   effective_from: dt.datetime | None = None, effective_to: dt.datetime | None = None,
                   decree_pdf_sha256: str | None = None, reason: str | None = None) -> VersionInfo:
    """Store one level of a rule stack, its YAML text as written, as a published version.

    For first loading and migration. Each level (national base, province, kota) is
    stored and versioned on its own, under its own decree. A level that ``extends`` a
    parent not yet in the store is refused, naming the parent and the command that
    imports it: the parents are never imported implicitly, because each level is a
    separate decree (its own number, signing date and date of force) that the person
    importing must state and the audit trail must attribute.

    The level is validated stacked on the stored levels above it (each in force at this
    version's ``effective_from``, else its earliest published) and the flattened stack
    against the kota area's layer names; a province or national version is also checked
    under every stored level below it. ``effective_from`` defaults to the file's own
    ``effective_from``, else 00:00 WIB of the decree's signing date, else the start of the
    stack's campaign. The version published before it is superseded; its valid time
    ends where this one's begins. The audit event records the level, its parent and the
    ``ID@VERSION`` of each level it was stacked on.

    Raises
    ------
    Forbidden
        Unless ``actor`` is an admin or a ``kpu_publisher`` (scoped to the rule set's kota;
        a national or province level needs an unscoped grant).
    InputError
        Invalid YAML or rule set; the version already stored; a parent missing from the
        store; a broken stack; a rule naming a layer the kota area lacks.
    """
    rs = parse_yaml_text(yaml_text, source=source)
    target = {"kota": list(rs.jurisdiction.get("kemendagri", []))}
    if effective_from is None:
        effective_from = rs.effective_from or (_midnight_wib(signed_on) if signed_on else None)
    if effective_to is not None and effective_from is not None and effective_to <= effective_from:
        raise InputError("effective_to harus setelah effective_from / effective_to must be after effective_from",
                         source=source, field="effective_to")
    with store.write() as s:
        role = authorize(actor, Action.IMPORT_RULESET, target)
        _keeps_place(s, rs, source)
        now = now_utc()
        if effective_from is None:
            # No date of force given: the start of the campaign the (flattened) stack schedules.
            rows = parent_rows(s, rs, source=source, earliest_if_none=True)
            effective_from = _flat([*(stored_level(r) for r in rows), rs], source).schedule.campaign.start
            if effective_to is not None and effective_to <= effective_from:
                raise InputError("effective_to harus setelah effective_from / effective_to must be after "
                                 "effective_from", source=source, field="effective_to")
        stacked_on = _check_stack(s, rs, effective_from, source)
        existing = s.execute(select(RuleSetVersion).where(RuleSetVersion.ruleset_id == rs.id,
                                                          RuleSetVersion.version == rs.version)).scalars().first()
        if existing is not None:
            same = "sama / identical" if existing.sha256 == _sha(yaml_text) else "berbeda / different"
            raise InputError(f"versi {rs.id}@{rs.version} sudah tersimpan ({existing.status}, isi {same}) / "
                             f"version {rs.id}@{rs.version} is already stored; give the file a new version",
                             source=source, field="version")
        _ensure_ruleset(s, rs, actor.name, now)
        parent = _current_published(s, rs.id)
        v = RuleSetVersion(ruleset_id=rs.id, version=rs.version, status="draft", yaml_text=yaml_text,
                           sha256=_sha(yaml_text), parent_id=parent.id if parent else None, decree_no=decree_no,
                           decree_signed_on=signed_on, decree_pdf_sha256=decree_pdf_sha256,
                           effective_from=effective_from, effective_to=effective_to, author=actor.name,
                           created_at=now, updated_at=now, updated_by=actor.name, row_version=1)
        s.add(v)
        s.flush()
        _zones(s, v.id, rs)
        _remember(yaml_text, rs)
        _go_live(s, v, effective_from, actor.name, role, now, reason)
        checked_update(s, RuleSetVersion, v.id, 1, actor.name, f"rule set {rs.id}@{rs.version}", status="published",
                       published_at=now, publisher=actor.name)
        v = s.get(RuleSetVersion, v.id, populate_existing=True)
        append_event(s, actor=actor.name, role=role, action="ruleset.import", entity_type="ruleset_version",
                     entity_id=f"{rs.id}@{rs.version}", reason=reason, at=now,
                     after={"sha256": v.sha256, "decree_no": decree_no, "signed_on": signed_on,
                            "effective_from": effective_from, "effective_to": effective_to, "source": source,
                            "level": rs.level, "extends": rs.extends, "stacked_on": stacked_on})
        return VersionInfo.of(v)


def create_draft(store: Store, actor: Principal, yaml_text: str, *, source: str = "<draft>",
                 reason: str | None = None) -> VersionInfo:
    """Start a draft version from a YAML text (rule editors; its parent is the version published now).

    Validated as :func:`import_ruleset` validates: stacked on the stored levels it extends.
    """
    rs = parse_yaml_text(yaml_text, source=source)
    with store.write() as s:
        role = authorize(actor, Action.EDIT_RULES, {"kota": list(rs.jurisdiction.get("kemendagri", []))})
        now = now_utc()
        _keeps_place(s, rs, source)
        _check_stack(s, rs, rs.effective_from, source)
        if s.execute(select(RuleSetVersion.id).where(RuleSetVersion.ruleset_id == rs.id,
                                                     RuleSetVersion.version == rs.version)).first():
            raise InputError(f"versi {rs.id}@{rs.version} sudah ada / version {rs.id}@{rs.version} already exists",
                             source=source, field="version")
        _ensure_ruleset(s, rs, actor.name, now)
        parent = _current_published(s, rs.id)
        v = RuleSetVersion(ruleset_id=rs.id, version=rs.version, status="draft", yaml_text=yaml_text,
                           sha256=_sha(yaml_text), parent_id=parent.id if parent else None, author=actor.name,
                           created_at=now, updated_at=now, updated_by=actor.name, row_version=1)
        s.add(v)
        s.flush()
        _zones(s, v.id, rs)
        _remember(yaml_text, rs)
        append_event(s, actor=actor.name, role=role, action="draft.create", entity_type="ruleset_version",
                     entity_id=f"{rs.id}@{rs.version}", after={"sha256": v.sha256}, reason=reason, at=now)
        return VersionInfo.of(v)


def _version_row(s: Session, version_id: int) -> RuleSetVersion:
    v = s.get(RuleSetVersion, version_id, populate_existing=True)
    if v is None:
        raise InputError(f"versi #{version_id} tidak ada / no rule-set version #{version_id}")
    return v


def _fresh(v: RuleSetVersion, expected: int) -> None:
    if v.row_version != expected:
        raise conflict_for(f"rule set {v.ruleset_id}@{v.version}", v, expected)


def update_draft(store: Store, actor: Principal, version_id: int, yaml_text: str, expected_row_version: int, *,
                 reason: str | None = None) -> VersionInfo:
    """Replace a draft's YAML (rule editors); ``expected_row_version`` is the version the editor read."""
    rs = parse_yaml_text(yaml_text, source=f"<draft #{version_id}>")
    with store.write() as s:
        v = _version_row(s, version_id)
        role = authorize(actor, Action.EDIT_RULES, _target(s.get(RuleSetRecord, v.ruleset_id)))
        _fresh(v, expected_row_version)
        if v.status != "draft":
            raise InputError(f"{v.ruleset_id}@{v.version} bukan draf ({v.status}) / is not a draft ({v.status})")
        if rs.id != v.ruleset_id or rs.version != v.version:
            raise InputError("id dan versi draf tidak boleh berubah / a draft keeps its id and version",
                             field="version")
        _keeps_place(s, rs, f"<draft #{version_id}>")
        _check_stack(s, rs, rs.effective_from, f"<draft #{version_id}>")
        before = {"sha256": v.sha256}
        checked_update(s, RuleSetVersion, v.id, expected_row_version, actor.name,
                       f"rule set {v.ruleset_id}@{v.version}", yaml_text=yaml_text, sha256=_sha(yaml_text))
        for z in s.execute(select(ZoneFeature).where(ZoneFeature.version_id == v.id)).scalars():
            if not (z.props or {}).get("layer"):  # KPU overlay features stay with the draft
                s.delete(z)
        s.flush()
        _zones(s, v.id, rs)
        _remember(yaml_text, rs)
        append_event(s, actor=actor.name, role=role, action="draft.update", entity_type="ruleset_version",
                     entity_id=f"{v.ruleset_id}@{v.version}", before=before, after={"sha256": _sha(yaml_text)},
                     reason=reason)
        return VersionInfo.of(_version_row(s, version_id))


def submit(store: Store, actor: Principal, version_id: int, expected_row_version: int, *,
           reason: str | None = None) -> VersionInfo:
    """Send a draft for review (rule editors)."""
    with store.write() as s:
        v = _version_row(s, version_id)
        role = authorize(actor, Action.EDIT_RULES, _target(s.get(RuleSetRecord, v.ruleset_id)))
        _fresh(v, expected_row_version)
        if v.status != "draft":
            raise InputError(f"hanya draf yang dapat diajukan / only a draft can be submitted ({v.status})")
        checked_update(s, RuleSetVersion, v.id, expected_row_version, actor.name,
                       f"rule set {v.ruleset_id}@{v.version}", status="in_review")
        append_event(s, actor=actor.name, role=role, action="draft.submit", entity_type="ruleset_version",
                     entity_id=f"{v.ruleset_id}@{v.version}", before={"status": "draft"},
                     after={"status": "in_review"}, reason=reason)
        return VersionInfo.of(_version_row(s, version_id))


def publish(store: Store, actor: Principal, version_id: int, expected_row_version: int, *, decree_no: str,
            signed_on: dt.date, effective_from: dt.datetime | None = None, effective_to: dt.datetime | None = None,
            decree_pdf_sha256: str | None = None, reason: str | None = None) -> VersionInfo:
    """Publish a draft or a version in review under a decree (``kpu_publisher``; never one's own draft).

    Raises
    ------
    Forbidden
        Not a publisher, or the publisher wrote or last edited the draft (four eyes).
    Conflict
        The version changed (or was published) since ``expected_row_version`` was read.
    InputError
        The stack no longer holds: checked again as :func:`import_ruleset` checks it, on the
        parents in force at ``effective_from`` and under every stored level below (a
        province version dropping a rule that a stored kota level amends is refused, naming
        that kota's ``ID@VERSION`` and the amendment); nothing is changed.
    """
    if not decree_no:
        raise InputError("nomor keputusan wajib / a decree number is required", field="decree_no")
    with store.write() as s:
        v = _version_row(s, version_id)
        role = authorize(actor, Action.PUBLISH, _target(s.get(RuleSetRecord, v.ruleset_id)))
        _fresh(v, expected_row_version)
        if actor.name in (v.author, v.updated_by):
            raise Forbidden(f"'{actor.name}' menulis draf ini; penerbit harus orang lain / wrote this draft; "
                            "another publisher must publish it (four eyes)")
        if v.status not in ("draft", "in_review"):
            raise InputError(f"{v.ruleset_id}@{v.version} sudah {v.status} / is already {v.status}")
        now = now_utc()
        start = effective_from or _midnight_wib(signed_on)
        _check_window(s, v, start, effective_to)
        # The stack may have moved since the draft was checked: its parents' versions in force
        # at ``start``, and every stored level below it (a kota amending a rule this version drops).
        stacked_on = _check_stack(s, stored_level(v), start, f"{v.ruleset_id}@{v.version}")
        _go_live(s, v, start, actor.name, role, now, reason)
        checked_update(s, RuleSetVersion, v.id, expected_row_version, actor.name,
                       f"rule set {v.ruleset_id}@{v.version}", status="published", published_at=now,
                       publisher=actor.name, decree_no=decree_no, decree_signed_on=signed_on,
                       decree_pdf_sha256=decree_pdf_sha256, effective_from=start, effective_to=effective_to)
        append_event(s, actor=actor.name, role=role, action="ruleset.publish", entity_type="ruleset_version",
                     entity_id=f"{v.ruleset_id}@{v.version}", before={"status": v.status},
                     after={"status": "published", "decree_no": decree_no, "signed_on": signed_on,
                            "effective_from": start, "stacked_on": stacked_on}, reason=reason, at=now)
        return VersionInfo.of(_version_row(s, version_id))


def _check_window(s: Session, v: RuleSetVersion, start: dt.datetime, end: dt.datetime | None) -> None:
    """Refuse an empty window, one that overlaps a later decree, or a draft overtaken by another publication."""
    if end is not None and end <= start:
        raise InputError(f"masa berlaku kosong: sampai {format_wib(end)} tidak setelah sejak {format_wib(start)} / "
                         f"empty effective window: effective-to {format_wib(end)} is not after effective-from "
                         f"{format_wib(start)}", field="--effective-to")
    later = s.execute(select(RuleSetVersion).where(
        RuleSetVersion.ruleset_id == v.ruleset_id, RuleSetVersion.id != v.id,
        RuleSetVersion.status.in_(("published", "superseded")), RuleSetVersion.effective_from >= start)
        .order_by(RuleSetVersion.effective_from)).scalars().first()
    if later is not None:
        raise InputError(f"masa berlaku tumpang tindih: {later.ruleset_id}@{later.version} "
                         f"({later.decree_no or 'tanpa keputusan / no decree'}) "
                         f"sudah berlaku sejak {format_wib(later.effective_from)}, tidak sebelum {format_wib(start)} / "
                         f"overlapping effective window: {later.ruleset_id}@{later.version} is in force from "
                         f"{format_wib(later.effective_from)}, not before {format_wib(start)}",
                         field="--effective-from")
    current = _current_published(s, v.ruleset_id)
    if current is not None and v.parent_id is not None and current.id != v.parent_id:
        raise InputError(f"{current.ruleset_id}@{current.version} baru saja diterbitkan oleh '{current.publisher}' "
                         f"setelah draf ini dibuat; buat draf baru darinya / was just published by "
                         f"'{current.publisher}' after this draft was started; start a new draft from it",
                         field="draft")


def withdraw(store: Store, actor: Principal, version_id: int, expected_row_version: int, *, reason: str) -> VersionInfo:
    """Withdraw a published version (``kpu_publisher``; a reason is required; it leaves force now)."""
    if not reason:
        raise InputError("alasan wajib / a reason is required", field="reason")
    with store.write() as s:
        v = _version_row(s, version_id)
        role = authorize(actor, Action.PUBLISH, _target(s.get(RuleSetRecord, v.ruleset_id)))
        _fresh(v, expected_row_version)
        if v.status not in ("published", "superseded"):
            raise InputError(f"hanya versi terbit yang dapat ditarik / only a published version can be withdrawn "
                             f"({v.status})")
        now = now_utc()
        checked_update(s, RuleSetVersion, v.id, expected_row_version, actor.name,
                       f"rule set {v.ruleset_id}@{v.version}", status="withdrawn",
                       superseded_at=v.superseded_at or now)
        append_event(s, actor=actor.name, role=role, action="ruleset.withdraw", entity_type="ruleset_version",
                     entity_id=f"{v.ruleset_id}@{v.version}", before={"status": v.status},
                     after={"status": "withdrawn"}, reason=reason, at=now)
        return VersionInfo.of(_version_row(s, version_id))


def _visible(actor: Principal, rec: RuleSetRecord | None) -> tuple[str, ...]:
    if can(actor, Action.EDIT_RULES, _target(rec)):
        return ("draft", "in_review", *PUBLIC_STATUSES)
    return PUBLIC_STATUSES


@dataclass(frozen=True)
class RuleSetInfo:
    """A rule set as listed.

    ``area`` is None for a level judging no area of its own (the national base); ``level`` is
    ``nasional``, ``provinsi`` or ``kota``; ``extends`` the parent rule set's id (None for a root).
    """

    id: str
    area: str | None
    title: str
    jurisdiction: dict
    level: str
    extends: str | None


def list_rulesets(store: Store, actor: Principal) -> list[tuple[RuleSetInfo, list[VersionInfo]]]:
    """Every rule set with the versions ``actor`` may see (public: published, superseded, withdrawn)."""
    authorize(actor, Action.VIEW_PUBLIC)
    with store.read() as s:
        out = []
        for rec in s.execute(select(RuleSetRecord).order_by(RuleSetRecord.id)).scalars():
            vs = s.execute(select(RuleSetVersion).where(RuleSetVersion.ruleset_id == rec.id,
                                                        RuleSetVersion.status.in_(_visible(actor, rec)))
                           .order_by(RuleSetVersion.id)).scalars().all()
            info = RuleSetInfo(rec.id, rec.area, rec.title_id, dict(rec.jurisdiction or {}), rec.level, rec.extends)
            out.append((info, [VersionInfo.of(v) for v in vs]))
        return out


def list_versions(store: Store, actor: Principal, ruleset_id: str) -> list[VersionInfo]:
    """The history of one rule set, oldest first."""
    authorize(actor, Action.VIEW_PUBLIC)
    with store.read() as s:
        rec = s.get(RuleSetRecord, ruleset_id)
        if rec is None:
            raise InputError(f"aturan '{ruleset_id}' tidak ada di basis data / no rule set '{ruleset_id}' in the store")
        vs = s.execute(select(RuleSetVersion).where(RuleSetVersion.ruleset_id == ruleset_id,
                                                    RuleSetVersion.status.in_(_visible(actor, rec)))
                       .order_by(RuleSetVersion.id)).scalars().all()
        return [VersionInfo.of(v) for v in vs]


def in_force_on(s: Session, ruleset_id: str, at: dt.datetime) -> RuleSetVersion | None:
    """The version legally in force at ``at`` (valid time); the latest published wins on overlap."""
    return s.execute(select(RuleSetVersion).where(
        RuleSetVersion.ruleset_id == ruleset_id, RuleSetVersion.status.in_(("published", "superseded")),
        RuleSetVersion.effective_from <= at,
        or_(RuleSetVersion.effective_to.is_(None), RuleSetVersion.effective_to > at))
        .order_by(RuleSetVersion.effective_from.desc(), RuleSetVersion.published_at.desc())).scalars().first()


def as_published_on(s: Session, ruleset_id: str, at: dt.datetime) -> RuleSetVersion | None:
    """The version the tool served at ``at`` (transaction time: published, not yet superseded or withdrawn)."""
    return s.execute(select(RuleSetVersion).where(
        RuleSetVersion.ruleset_id == ruleset_id, RuleSetVersion.published_at.is_not(None),
        RuleSetVersion.published_at <= at,
        or_(RuleSetVersion.superseded_at.is_(None), RuleSetVersion.superseded_at > at))
        .order_by(RuleSetVersion.published_at.desc())).scalars().first()


def get_version(store: Store, actor: Principal, ruleset_id: str, version: str | None = None, *,
                at: dt.datetime | None = None, as_published: dt.datetime | None = None) -> VersionInfo:
    """One version with its YAML text: by number, else in force at ``at`` (default now), else as published.

    Raises
    ------
    InputError
        No such rule set or version, or none in force then.
    Forbidden
        A draft asked for by someone who may not edit rules.
    """
    authorize(actor, Action.VIEW_PUBLIC)
    with store.read() as s:
        rec = s.get(RuleSetRecord, ruleset_id)
        if rec is None:
            raise InputError(f"aturan '{ruleset_id}' tidak ada di basis data / no rule set '{ruleset_id}' in the store",
                             field="ruleset")
        if version is not None:
            v = s.execute(select(RuleSetVersion).where(and_(RuleSetVersion.ruleset_id == ruleset_id,
                                                            RuleSetVersion.version == version))).scalars().first()
            if v is None:
                raise InputError(f"versi '{version}' dari '{ruleset_id}' tidak ada / no version '{version}' of "
                                 f"'{ruleset_id}'", field="ruleset")
            if v.status not in _visible(actor, rec):
                raise Forbidden(f"{ruleset_id}@{version} adalah {v.status}; hanya editor aturan yang dapat "
                                f"melihatnya / is a {v.status}; only rule editors may read it")
        elif as_published is not None:
            v = as_published_on(s, ruleset_id, as_published)
            if v is None:
                raise InputError(f"belum ada versi '{ruleset_id}' yang terbit pada {as_published.isoformat()} / "
                                 f"no version of '{ruleset_id}' was published by {as_published.isoformat()}")
        else:
            when = at or now_utc()
            v = in_force_on(s, ruleset_id, when)
            if v is None:
                raise InputError(f"tidak ada versi '{ruleset_id}' yang berlaku pada {when.isoformat()} / "
                                 f"no version of '{ruleset_id}' is in force on {when.isoformat()}")
        return VersionInfo.of(v, with_text=True)
