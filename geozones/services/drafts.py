"""The KPU workspace on a draft: new drafts, zones drawn or imported, rule edits, review, diffs.

A draft starts as a copy of the version in force now (its YAML text, with the
version number moved on and ``status: draft``) together with the KPU overlay
features of that version. Zones are checked with
:func:`geozones.engine.zones.check_zone` (bow-ties repaired with a warning, zones
outside the kota refused) and placed with :func:`~geozones.engine.zones.place_zone`:
a zone for a rule that reads a layer (R08 reads ``parks``) becomes a feature of
the KPU overlay of that layer, stored as a :class:`~geozones.store.models.ZoneFeature`
row of the draft whose ``props`` name the layer, so it is versioned with the draft
and frozen with it on publication; a zone for a rule that holds its own zones goes
into the draft's YAML. :class:`~geozones.services.store_catalog.StoreCatalog`
merges the overlay of the version it serves into the layers
(:func:`~geozones.engine.zones.with_overlay`). Issue 10, workflows-research §1.3, §2.

Every call is authorized here and audited with its reason in the same transaction
as the change; every change to a draft bumps its row version (optimistic concurrency).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
import shapely.geometry
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from geozones.core.crs import STORAGE_CRS, metric_crs_for, transformer
from geozones.core.errors import DataWarning, InputError
from geozones.engine.zones import OverlayFeature, check_zone, jurisdiction_area, place_zone
from geozones.rules.diff import Change, diff_rulesets, diff_zones
from geozones.rules.model import RuleSet
from geozones.services.authz import Action, Forbidden, Principal, authorize
from geozones.services.catalog import FileCatalog
from geozones.services.concurrency import checked_update, now_utc
from geozones.services.rulesets import (
    VersionInfo,
    _current_published,
    _sha,
    _target,
    _version_row,
    _zones,
    import_commands,
    in_force_on,
    parse_yaml_text,
)
from geozones.store.audit import append_event
from geozones.store.database import Store
from geozones.store.models import RuleSetRecord, RuleSetVersion, ZoneFeature

__all__ = [
    "ZoneInput",
    "ZoneReshape",
    "add_zones",
    "diff_versions",
    "draft_schedule",
    "draft_yaml",
    "draft_zones",
    "new_draft",
    "overlay_features",
    "remove_zone",
    "reshape_zone",
    "reshape_zones",
    "return_draft",
    "set_quotas",
    "set_rule",
    "set_schedule",
    "withdraw_draft",
    "zone_rules",
]

_TOP_VERSION = re.compile(r"^version:.*$", re.M)
_TOP_STATUS = re.compile(r"^status:.*$", re.M)


@dataclass(frozen=True)
class ZoneInput:
    """One zone to add: a GeoJSON geometry (EPSG:4326) with its attributes.

    ``category``, ``legal_basis`` and ``advisory`` are kept with the zone
    (overlay properties); ``buffer`` is a distance with its unit (``"10 m"``).
    """

    geometry: Mapping[str, Any]
    name: str
    category: str | None = None
    legal_basis: str | None = None
    buffer: str | None = None
    advisory: bool = False


def _next_version(s: Session, ruleset_id: str, current: str) -> str:
    taken = set(s.execute(select(RuleSetVersion.version).where(RuleSetVersion.ruleset_id == ruleset_id)).scalars())
    m = re.match(r"^(.*?)(\d+)$", current)
    stem, n = (m.group(1), int(m.group(2))) if m else (current + ".", 0)
    while True:
        n += 1
        cand = f"{stem}{n}"
        if cand not in taken:
            return cand


def _draft_row(s: Session, actor: Principal, version_id: int, expected: int | None,
               statuses: tuple[str, ...] = ("draft",), action: Action = Action.EDIT_RULES) -> tuple[RuleSetVersion,
                                                                                                      str, int]:
    v = _version_row(s, version_id)
    role = authorize(actor, action, _target(s.get(RuleSetRecord, v.ruleset_id)))
    if v.status not in statuses:
        raise InputError(f"{v.ruleset_id}@{v.version} berstatus {v.status}, bukan {' / '.join(statuses)} / "
                         f"is {v.status}, not {' / '.join(statuses)}", field="draft")
    expected = v.row_version if expected is None else expected
    if v.row_version != expected:
        from geozones.services.concurrency import conflict_for

        raise conflict_for(f"rule set {v.ruleset_id}@{v.version}", v, expected)
    return v, role, expected


def _overlay_rows(s: Session, version_id: int) -> list[ZoneFeature]:
    rows = s.execute(select(ZoneFeature).where(ZoneFeature.version_id == version_id)
                     .order_by(ZoneFeature.id)).scalars().all()
    return [z for z in rows if (z.props or {}).get("layer")]


def _overlay_of(z: ZoneFeature) -> OverlayFeature:
    props = dict((z.props or {}).get("feature") or {})
    return OverlayFeature(z.props["layer"], z.rule_id or "", {
        "type": "Feature", "properties": props, "geometry": shapely.geometry.mapping(z.geom)})


def overlay_features(store: Store, version_id: int) -> list[OverlayFeature]:
    """The KPU overlay features stored with a version (for :func:`~geozones.engine.zones.with_overlay`)."""
    with store.read() as s:
        return [_overlay_of(z) for z in _overlay_rows(s, version_id)]


def new_draft(store: Store, actor: Principal, ruleset_id: str, *, reason: str | None = None) -> VersionInfo:
    """Start a draft from the version of ``ruleset_id`` in force now (else the latest published).

    The YAML text is copied with the next version number (``2024.1`` → ``2024.2``)
    and ``status: draft``; the parent's overlay features are copied with it.

    Raises
    ------
    InputError
        No such rule set, or nothing published to start from.
    Forbidden
        Unless ``actor`` may edit rules of the rule set's kota.
    """
    with store.write() as s:
        rec = s.get(RuleSetRecord, ruleset_id)
        if rec is None:
            _, cmds = import_commands(s, ruleset_id)
            raise InputError(f"aturan '{ruleset_id}' tidak ada di basis data; impor dulu, dari akar: {cmds} / no rule "
                             f"set '{ruleset_id}' in the store; import it first, root first: {cmds}", field="ruleset")
        role = authorize(actor, Action.EDIT_RULES, _target(rec))
        now = now_utc()
        parent = in_force_on(s, ruleset_id, now) or _current_published(s, ruleset_id)
        if parent is None:
            raise InputError(f"belum ada versi terbit '{ruleset_id}' sebagai dasar draf / no published version of "
                             f"'{ruleset_id}' to start a draft from", field="ruleset")
        version = _next_version(s, ruleset_id, parent.version)
        text = _TOP_VERSION.sub(f'version: "{version}"', parent.yaml_text, count=1)
        text = _TOP_STATUS.sub("status: draft", text, count=1) if _TOP_STATUS.search(text) else text
        rs = parse_yaml_text(text, source=f"{ruleset_id}@{version}")
        v = RuleSetVersion(ruleset_id=ruleset_id, version=rs.version, status="draft", yaml_text=text,
                           sha256=_sha(text), parent_id=parent.id, author=actor.name, created_at=now,
                           updated_at=now, updated_by=actor.name, row_version=1)
        s.add(v)
        s.flush()
        _zones(s, v.id, rs)
        for z in _overlay_rows(s, parent.id):
            s.add(ZoneFeature(version_id=v.id, zone_id=z.zone_id, rule_id=z.rule_id, name=z.name, source=z.source,
                              props=dict(z.props), geom=z.geom, minx=z.minx, miny=z.miny, maxx=z.maxx, maxy=z.maxy))
        s.flush()
        append_event(s, actor=actor.name, role=role, action="draft.create", entity_type="ruleset_version",
                     entity_id=f"{ruleset_id}@{version}", after={"parent": parent.version, "sha256": v.sha256},
                     reason=reason, at=now)
        return VersionInfo.of(v)


def _reason(reason: str | None) -> str:
    if not reason or not reason.strip():
        raise InputError("alasan wajib untuk setiap perubahan / every change needs a reason", field="--reason")
    return reason.strip()


def _dump(rs: RuleSet) -> str:
    return yaml.safe_dump(rs.model_dump(mode="json", exclude_none=True), sort_keys=False, allow_unicode=True)


def add_zones(store: Store, actor: Principal, version_id: int, zones: Sequence[ZoneInput], rule_id: str, *,
              source: str, reason: str | None, expected_row_version: int | None = None,
              data_dir=None) -> tuple[VersionInfo, list[str], list[str]]:
    """Add zones to a draft for ``rule_id`` (all or none).

    Parameters
    ----------
    zones : sequence of ZoneInput
        Geometries in EPSG:4326.
    source : str
        Provenance: ``"digambar oleh NAME / drawn by NAME"`` or the imported file's name.
    data_dir : path-like, optional
        Layer files (the kelurahan give the jurisdiction; the manifest the layer's fields).

    Returns
    -------
    (VersionInfo, list of str, list of str)
        The draft after the change, the new zone ids, and the repair warnings (bilingual).

    Raises
    ------
    InputError
        Any zone refused (every bad one named; nothing written), unknown rule, no reason,
        not a draft, a conflict.
    """
    reason = _reason(reason)
    if not zones:
        raise InputError("tidak ada zona untuk ditambahkan / no zone to add", source=source)
    with store.write() as s:
        v, role, expected = _draft_row(s, actor, version_id, expected_row_version)
        rs = parse_yaml_text(v.yaml_text, source=f"{v.ruleset_id}@{v.version}")
        cat = FileCatalog(None, data_dir)
        layers = cat.layers(rs.area)
        area = jurisdiction_area(layers, rs)
        problems: list[str] = []
        notes: list[str] = []
        checked = []
        for i, z in enumerate(zones, 1):
            name = z.name or f"zona {i}"
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DataWarning)
                    cz = check_zone(z.geometry, name=name, jurisdiction=area, buffer=z.buffer, source=source)
            except InputError as exc:
                problems.append(f"fitur {i} / feature {i}: {exc}")
                continue
            notes += cz.warnings
            checked.append((z, cz))
        if problems:
            raise InputError("\n".join(problems))
        ids = []
        current = rs
        rows: list[ZoneFeature] = []
        spec_by = {sp.name: sp for sp in layers.manifest.layers}
        # A rule may come from a level above (R08 parks is DKI's): its layer takes KPU overlay features, but
        # its own zones belong to that level's decree, so only this level's rules take typed zones.
        flat = _flattened(s, rs)
        for z, cz in checked:
            zid = _next_free(ids, s, v.id)
            own = any(r.id == rule_id for r in current.rules)
            rule = _rule(current if own else flat, rule_id, cz.name)
            if not own and not rule.layer:
                raise InputError(f"aturan '{rule_id}' milik tingkat {rule.origin.ruleset_id if rule.origin else '?'};"
                                 f" zonanya diubah lewat keputusan tingkat itu / rule '{rule_id}' belongs to level "
                                 f"{rule.origin.ruleset_id if rule.origin else '?'}; its zones change through that "
                                 "level's decree", source=f"zona '{cz.name}'", field="--rule")
            props = {"category": z.category, "legal_basis": z.legal_basis, "advisory": z.advisory or None}
            placed = place_zone(current if own else flat, rule_id, cz, zone_id=zid, source=source, properties=props,
                                spec=spec_by.get(rule.layer) if rule.layer else None)
            if not own:
                placed = dataclasses.replace(placed, ruleset=current)  # the level itself is unchanged
            if placed.overlay is not None:
                if placed.overlay.layer not in layers.layers:
                    raise InputError(f"aturan {rule_id} membaca lapisan '{placed.overlay.layer}' yang tidak ada di "
                                     f"manifest / rule {rule_id} reads layer '{placed.overlay.layer}', not in the "
                                     "area manifest", field="layer")
                geom = shapely.geometry.shape(placed.overlay.feature["geometry"])
                minx, miny, maxx, maxy = geom.bounds
                rows.append(ZoneFeature(version_id=v.id, zone_id=zid, rule_id=rule_id, name=cz.name, source=source,
                                        props={"layer": placed.overlay.layer,
                                               "feature": placed.overlay.feature["properties"]},
                                        geom=geom, minx=minx, miny=miny, maxx=maxx, maxy=maxy))
            current = placed.ruleset
            ids.append(zid)
        values: dict[str, Any] = {}
        if current is not rs:
            text = _dump(current)
            parse_yaml_text(text, source=f"{v.ruleset_id}@{v.version}")
            values = {"yaml_text": text, "sha256": _sha(text)}
        checked_update(s, RuleSetVersion, v.id, expected, actor.name, f"rule set {v.ruleset_id}@{v.version}",
                       **values)
        if values:
            for old in s.execute(select(ZoneFeature).where(ZoneFeature.version_id == v.id)).scalars():
                if not (old.props or {}).get("layer"):
                    s.delete(old)
            s.flush()
            _zones(s, v.id, current)
        for row in rows:
            s.add(row)
        s.flush()
        append_event(s, actor=actor.name, role=role, action="draft.add_zone", entity_type="ruleset_version",
                     entity_id=f"{v.ruleset_id}@{v.version}", after={"rule": rule_id, "zones": ids, "source": source,
                                                                     "warnings": notes}, reason=reason)
        return VersionInfo.of(_version_row(s, version_id)), ids, notes


def _flattened(s: Session, rs: RuleSet) -> RuleSet:
    """Level ``rs`` stacked on the stored levels above it (their versions in force now, else the earliest)."""
    if not rs.extends:
        return rs
    from geozones.rules.stack import flatten
    from geozones.services.rulesets import parent_rows, stored_level

    parents = [stored_level(r) for r in parent_rows(s, rs, earliest_if_none=True, source=f"{rs.id}@{rs.version}")]
    return flatten([*parents, rs], source=f"{rs.id}@{rs.version}")


def _next_free(ids: list[str], s: Session, version_id: int) -> str:
    taken = set(s.execute(select(ZoneFeature.zone_id).where(ZoneFeature.version_id == version_id)).scalars())
    taken |= set(ids)
    n = 1
    while f"kpu-{n}" in taken:
        n += 1
    return f"kpu-{n}"


def _rule(rs: RuleSet, rule_id: str, name: str):
    try:
        return rs.rule(rule_id)
    except KeyError:
        raise InputError(f"aturan '{rule_id}' tidak ada dalam {rs.id}@{rs.version} / rule '{rule_id}' is not in "
                         f"{rs.id}@{rs.version} ({', '.join(r.id for r in rs.rules)})", source=f"zona '{name}'",
                         field="--rule") from None


def remove_zone(store: Store, actor: Principal, version_id: int, zone_id: str, *, reason: str | None,
                expected_row_version: int | None = None) -> VersionInfo:
    """Remove a zone (overlay feature or YAML zone) from a draft."""
    reason = _reason(reason)
    with store.write() as s:
        v, role, expected = _draft_row(s, actor, version_id, expected_row_version)
        rs = parse_yaml_text(v.yaml_text, source=f"{v.ruleset_id}@{v.version}")
        row = s.execute(select(ZoneFeature).where(ZoneFeature.version_id == v.id,
                                                  ZoneFeature.zone_id == zone_id)).scalars().first()
        if row is None:
            raise InputError(f"zona '{zone_id}' tidak ada dalam draf / no zone '{zone_id}' in the draft", field="zone")
        values: dict[str, Any] = {}
        if not (row.props or {}).get("layer"):
            rules = [r.model_copy(update={"zones": [z for z in r.zones if z.id != zone_id]}) for r in rs.rules]
            text = _dump(rs.model_copy(update={"rules": rules}))
            parse_yaml_text(text, source=f"{v.ruleset_id}@{v.version}")
            values = {"yaml_text": text, "sha256": _sha(text)}
        checked_update(s, RuleSetVersion, v.id, expected, actor.name, f"rule set {v.ruleset_id}@{v.version}",
                       **values)
        s.delete(row)
        s.flush()
        append_event(s, actor=actor.name, role=role, action="draft.remove_zone", entity_type="ruleset_version",
                     entity_id=f"{v.ruleset_id}@{v.version}", before={"zone": zone_id, "rule": row.rule_id},
                     reason=reason)
        return VersionInfo.of(_version_row(s, version_id))


@dataclass(frozen=True)
class ZoneReshape:
    """One stored zone whose outline was changed by :func:`reshape_zones`.

    Attributes
    ----------
    zone_id, rule_id : str
        The zone and the rule it belongs to.
    layer : str or None
        The overlay layer for a zone of a rule that reads a layer; None for a zone held by the rule.
    changed_m2 : float
        Area of the symmetric difference of the old and new outline, in m², measured in
        ``metric_crs`` (0 for lines and points, whose change has no area).
    metric_crs : str
        The UTM CRS chosen from where the zone lies (:func:`geozones.core.crs.metric_crs_for`).
    before_sha256, after_sha256 : str
        SHA-256 of the 2-D WKB of the old and new geometry (EPSG:4326), as audited.
    """

    zone_id: str
    rule_id: str
    layer: str | None
    changed_m2: float
    metric_crs: str
    before_sha256: str
    after_sha256: str


def _geom_sha(geom) -> str:
    """SHA-256 of a geometry's 2-D WKB: a short, reproducible stand-in for the outline in the audit log."""
    return hashlib.sha256(shapely.to_wkb(geom, output_dimension=2)).hexdigest()


def _changed_area(old, new) -> tuple[float, str]:
    """Symmetric-difference area (m²) of two EPSG:4326 geometries, in the UTM zone of both."""
    crs = metric_crs_for(tuple(shapely.total_bounds(np.array([old, new], dtype=object))))
    tr = transformer(STORAGE_CRS, crs)

    def metric(g):
        return shapely.transform(g, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))

    area = float(metric(old).symmetric_difference(metric(new)).area)
    return area, f"EPSG:{crs.to_epsg()}"


def reshape_zones(store: Store, actor: Principal, version_id: int, shapes: Mapping[str, Mapping[str, Any]], *,
                  reason: str | None, expected_row_version: int | None = None, data_dir=None,
                  source: str | None = None) -> tuple[VersionInfo, list[ZoneReshape], list[str]]:
    """Change the outline of stored zones of a draft (all or none), keeping their ids and attributes.

    A zone held by the rule itself is changed in the draft's YAML; a feature of a
    KPU-maintained layer overlay (R08 ``parks``) is changed in its stored row. Each new
    outline is checked like a new zone (:func:`geozones.engine.zones.check_zone`):
    a self-intersecting outline is repaired with a warning, one outside the
    jurisdiction is refused naming the zone. The outline keeps its kind (an area stays
    an area, a line a line, a point a point), so the rule's form still fits it.

    Parameters
    ----------
    shapes : mapping of str to GeoJSON geometry
        Zone id to its new geometry (EPSG:4326), e.g. ``DrawnChanges.changed`` geometries.
    reason : str
        Why (required; audited).
    expected_row_version : int, optional
        The draft's row version the change was made on (optimistic concurrency).
    data_dir : path-like, optional
        Layer files (the kelurahan give the jurisdiction).
    source : str, optional
        Where the new outlines come from (a file name), for messages.

    Returns
    -------
    (VersionInfo, list of ZoneReshape, list of str)
        The draft after the change, what changed per zone (area in m² in the local UTM
        CRS), and the repair warnings (bilingual).

    Raises
    ------
    InputError
        No zone given, a zone not in the draft, a geometry refused (every bad one named;
        nothing written), no reason, not a draft.
    Conflict
        The draft changed since ``expected_row_version``.
    Forbidden
        Unless ``actor`` may edit rules of the rule set's kota.
    """
    reason = _reason(reason)
    if not shapes:
        raise InputError("tidak ada zona untuk diubah / no zone to reshape", field="zone")
    with store.write() as s:
        v, role, expected = _draft_row(s, actor, version_id, expected_row_version)
        rs = parse_yaml_text(v.yaml_text, source=f"{v.ruleset_id}@{v.version}")
        rows = {z.zone_id: z for z in s.execute(select(ZoneFeature).where(ZoneFeature.version_id == v.id)
                                                 .order_by(ZoneFeature.id)).scalars()}
        problems = [f"zona '{zid}' tidak ada dalam draf / no zone '{zid}' in the draft"
                    for zid in shapes if zid not in rows]
        area = jurisdiction_area(FileCatalog(None, data_dir).layers(rs.area), rs)
        notes: list[str] = []
        checked: dict[str, tuple[Any, Any]] = {}
        for zid, geometry in shapes.items():
            row = rows.get(zid)
            if row is None:
                continue
            name = row.name or zid
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DataWarning)
                    cz = check_zone(geometry, name=name, jurisdiction=area, source=source)
            except InputError as exc:
                problems.append(f"{zid}: {exc}")
                continue
            old, new = row.geom, shapely.geometry.shape(cz.geometry)
            if shapely.get_dimensions(old) != shapely.get_dimensions(new):
                problems.append(f"zona '{zid}' ('{name}'): bentuknya harus tetap {old.geom_type}, bukan "
                                f"{new.geom_type} / zone '{zid}' ('{name}'): must stay a {old.geom_type}, not a "
                                f"{new.geom_type}; delete it and draw a new one instead")
                continue
            notes += cz.warnings
            checked[zid] = (old, new)
        if problems:
            raise InputError("\n".join(problems))
        yaml_ids = {zid for zid in checked if not (rows[zid].props or {}).get("layer")}
        values: dict[str, Any] = {}
        if yaml_ids:
            rules = [r.model_copy(update={"zones": [
                z.model_copy(update={"geometry": shapely.geometry.mapping(checked[z.id][1])})
                if z.id in yaml_ids else z for z in r.zones]}) for r in rs.rules]
            text = _dump(rs.model_copy(update={"rules": rules}))
            parse_yaml_text(text, source=f"{v.ruleset_id}@{v.version}")  # the rule's own checks (forms)
            values = {"yaml_text": text, "sha256": _sha(text)}
        out: list[ZoneReshape] = []
        for zid, (old, new) in checked.items():
            changed, crs = _changed_area(old, new)
            row = rows[zid]
            out.append(ZoneReshape(zid, row.rule_id or "", (row.props or {}).get("layer"), changed, crs,
                                   _geom_sha(old), _geom_sha(new)))
        checked_update(s, RuleSetVersion, v.id, expected, actor.name, f"rule set {v.ruleset_id}@{v.version}",
                       **values)
        for zid, (_, new) in checked.items():
            row = s.get(ZoneFeature, rows[zid].id)
            row.geom = new
            row.minx, row.miny, row.maxx, row.maxy = new.bounds
        s.flush()
        for r in out:
            append_event(s, actor=actor.name, role=role, action="draft.reshape_zone", entity_type="ruleset_version",
                         entity_id=f"{v.ruleset_id}@{v.version}",
                         before={"zone": r.zone_id, "rule": r.rule_id, "layer": r.layer, "sha256": r.before_sha256},
                         after={"zone": r.zone_id, "rule": r.rule_id, "layer": r.layer, "sha256": r.after_sha256,
                                "changed_m2": round(r.changed_m2, 2), "metric_crs": r.metric_crs,
                                "warnings": [n for n in notes if f"'{rows[r.zone_id].name or r.zone_id}'" in n]},
                         reason=reason)
        return VersionInfo.of(_version_row(s, version_id)), out, notes


def reshape_zone(store: Store, actor: Principal, version_id: int, zone_id: str, geometry: Mapping[str, Any], *,
                 reason: str | None, expected_row_version: int | None = None, data_dir=None,
                 source: str | None = None) -> tuple[VersionInfo, ZoneReshape, list[str]]:
    """Change the outline of one stored zone of a draft (see :func:`reshape_zones`)."""
    v, out, notes = reshape_zones(store, actor, version_id, {zone_id: geometry}, reason=reason,
                                  expected_row_version=expected_row_version, data_dir=data_dir, source=source)
    return v, out[0], notes


def set_rule(store: Store, actor: Principal, version_id: int, rule_id: str, values: Mapping[str, Any], *,
             reason: str | None, expected_row_version: int | None = None) -> VersionInfo:
    """Change fields of one rule of a draft (``values`` as in the YAML; ``None`` removes a field).

    A new rule id adds the rule. The whole draft is validated (layer names against
    the area manifest) before anything is written.

    Raises
    ------
    InputError
        Validation errors naming the rule and field; nothing written.
    """
    reason = _reason(reason)
    with store.write() as s:
        v, role, expected = _draft_row(s, actor, version_id, expected_row_version)
        data = yaml.safe_load(v.yaml_text)
        rules = data.setdefault("rules", [])
        target = next((r for r in rules if isinstance(r, dict) and r.get("id") == rule_id), None)
        before = dict(target) if target else None
        if target is None:
            target = {"id": rule_id}
            rules.append(target)
        for k, val in values.items():
            if val is None:
                target.pop(k, None)
            else:
                target[k] = val
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        parse_yaml_text(text, source=f"{v.ruleset_id}@{v.version}")
        checked_update(s, RuleSetVersion, v.id, expected, actor.name, f"rule set {v.ruleset_id}@{v.version}",
                       yaml_text=text, sha256=_sha(text))
        append_event(s, actor=actor.name, role=role, action="draft.set_rule", entity_type="ruleset_version",
                     entity_id=f"{v.ruleset_id}@{v.version}",
                     before={"rule": rule_id, "fields": {k: (before or {}).get(k) for k in values}},
                     after={"rule": rule_id, "fields": dict(values)}, reason=reason)
        return VersionInfo.of(_version_row(s, version_id))


def _field_problems(errors: Mapping, what: str) -> InputError:
    from geozones.core.errors import Problem

    # a quota error is keyed (row index, field); a schedule error by its dotted field
    return InputError([Problem(msg, what, key[0] + 1, key[1] or None) if isinstance(key, tuple) else
                       Problem(msg, what, None, key or None) for key, msg in errors.items()])


def set_quotas(store: Store, actor: Principal, version_id: int, quotas: Sequence[Mapping[str, Any]], *,
               reason: str | None, expected_row_version: int | None = None) -> VersionInfo:
    """Replace the draft level's own quotas (rows as the editor's table gives them).

    Parameters
    ----------
    quotas : sequence of mapping
        ``apk_type``, ``unit``, ``facilitated_max``, ``extra_pct`` and ``legal_basis`` (a list
        of legal-basis mappings, or citations as text, see
        :func:`geozones.rules.editing.parse_legal_basis`). Quotas are per paslon per unit
        (PKPU 13/2024); an empty list leaves the level without quotas of its own (its
        parents' apply).

    Raises
    ------
    InputError
        Every bad field named by row and field (:func:`geozones.rules.editing.quota_errors`),
        or the whole draft not validating; nothing written.
    """
    from geozones.rules.editing import QUOTA_FIELDS, parse_legal_basis, quota_errors

    reason = _reason(reason)
    errors = quota_errors(quotas)
    if errors:
        raise _field_problems(errors, "quotas")
    rows = []
    for q in quotas:
        row = {k: q[k] for k in QUOTA_FIELDS if q.get(k) not in (None, "")}
        if isinstance(row.get("legal_basis"), str):
            row["legal_basis"] = parse_legal_basis(row["legal_basis"])
        row["facilitated_max"], row["extra_pct"] = int(row["facilitated_max"]), int(row.get("extra_pct", 200))
        rows.append(row)
    return _set_top(store, actor, version_id, "quotas", rows, "draft.set_quotas", reason, expected_row_version)


def set_schedule(store: Store, actor: Principal, version_id: int, schedule: Mapping[str, Any] | None, *,
                 reason: str | None, expected_row_version: int | None = None) -> VersionInfo:
    """Set the draft level's own election schedule (None: inherit its parent's again).

    Parameters
    ----------
    schedule : mapping or None
        ``campaign``, ``quiet_period``, ``voting_day`` (each ``{"start", "end"}``, ISO 8601,
        WIB when naive; ``end`` exclusive) and ``source`` (the legal instrument).

    Raises
    ------
    InputError
        Every bad field named (:func:`geozones.rules.editing.schedule_errors`: dates, empty
        periods, stages out of order), or a root level left without a schedule; nothing written.
    """
    from geozones.rules.editing import schedule_errors

    reason = _reason(reason)
    value = None
    if schedule is not None:
        errors = schedule_errors(schedule)
        if errors:
            raise _field_problems(errors, "schedule")
        from geozones.rules.model import Schedule

        value = Schedule.model_validate(dict(schedule)).model_dump(mode="json")
    return _set_top(store, actor, version_id, "schedule", value, "draft.set_schedule", reason, expected_row_version)


def draft_schedule(store: Store, actor: Principal, version_id: int) -> tuple[dict | None, dict | None, str | None]:
    """The schedule of a draft for the editor: its own, the one in effect, and the level that sets it.

    Returns
    -------
    (dict or None, dict or None, str or None)
        The level's own schedule (None when it inherits), the schedule in effect for the
        stack (JSON-ready, ISO 8601 instants) and the id of the level it comes from.
    """
    with store.read() as s:
        v = _version_row(s, version_id)
        authorize(actor, Action.EDIT_RULES, _target(s.get(RuleSetRecord, v.ruleset_id)))
        rs = parse_yaml_text(v.yaml_text, source=f"{v.ruleset_id}@{v.version}", check_layers=False)
        own = rs.schedule.model_dump(mode="json") if rs.schedule else None
        if own is not None:
            return own, own, rs.id
        from geozones.services.rulesets import parent_rows, stored_level

        try:
            parents = [stored_level(r) for r in parent_rows(s, rs, earliest_if_none=True,
                                                            source=f"{rs.id}@{rs.version}")]
        except InputError:
            return None, None, None
        # the lowest level that sets a schedule is the one in effect (rules.stack.flatten)
        setter = next((p for p in reversed(parents) if p.schedule is not None), None)
        return None, (setter.schedule.model_dump(mode="json") if setter else None), (setter.id if setter else None)


def _set_top(store: Store, actor: Principal, version_id: int, key: str, value: Any, action: str, reason: str,
             expected_row_version: int | None) -> VersionInfo:
    """Set (or, with None, remove) one top-level entry of a draft's YAML; validated whole, audited."""
    with store.write() as s:
        v, role, expected = _draft_row(s, actor, version_id, expected_row_version)
        data = yaml.safe_load(v.yaml_text)
        before = data.get(key)
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        parse_yaml_text(text, source=f"{v.ruleset_id}@{v.version}")
        checked_update(s, RuleSetVersion, v.id, expected, actor.name, f"rule set {v.ruleset_id}@{v.version}",
                       yaml_text=text, sha256=_sha(text))
        append_event(s, actor=actor.name, role=role, action=action, entity_type="ruleset_version",
                     entity_id=f"{v.ruleset_id}@{v.version}", before={key: before},
                     after={key: yaml.safe_load(yaml.safe_dump(value))}, reason=reason)
        return VersionInfo.of(_version_row(s, version_id))


def draft_yaml(store: Store, actor: Principal, version_id: int) -> str:
    """The YAML text of a draft (rule editors)."""
    with store.read() as s:
        v = _version_row(s, version_id)
        authorize(actor, Action.EDIT_RULES, _target(s.get(RuleSetRecord, v.ruleset_id)))
        return v.yaml_text


def withdraw_draft(store: Store, actor: Principal, version_id: int, *, reason: str | None,
                   expected_row_version: int | None = None) -> VersionInfo:
    """Abandon a draft or a version in review (rule editors; kept, marked ``withdrawn``)."""
    reason = _reason(reason)
    with store.write() as s:
        v, role, expected = _draft_row(s, actor, version_id, expected_row_version, ("draft", "in_review"))
        before = v.status
        checked_update(s, RuleSetVersion, v.id, expected, actor.name, f"rule set {v.ruleset_id}@{v.version}",
                       status="withdrawn", superseded_at=now_utc())
        append_event(s, actor=actor.name, role=role, action="draft.withdraw", entity_type="ruleset_version",
                     entity_id=f"{v.ruleset_id}@{v.version}", before={"status": before},
                     after={"status": "withdrawn"}, reason=reason)
        return VersionInfo.of(_version_row(s, version_id))


def return_draft(store: Store, actor: Principal, version_id: int, *, reason: str | None,
                 expected_row_version: int | None = None) -> VersionInfo:
    """Send a version in review back to draft with a comment (``kpu_publisher``, not its own author)."""
    reason = _reason(reason)
    with store.write() as s:
        v, role, expected = _draft_row(s, actor, version_id, expected_row_version, ("in_review",), Action.PUBLISH)
        if actor.name == v.updated_by:
            raise Forbidden(f"'{actor.name}' mengedit draf ini terakhir; peninjau harus orang lain / last edited this "
                            "draft; another account must review it (four eyes)")
        last_editor = v.updated_by
        checked_update(s, RuleSetVersion, v.id, expected, actor.name, f"rule set {v.ruleset_id}@{v.version}",
                       status="draft")
        # the reviewer did not edit the draft: its last editor stays who wrote it (four eyes later)
        s.execute(RuleSetVersion.__table__.update().where(RuleSetVersion.__table__.c.id == v.id)
                  .values(updated_by=last_editor))
        append_event(s, actor=actor.name, role=role, action="draft.return", entity_type="ruleset_version",
                     entity_id=f"{v.ruleset_id}@{v.version}", before={"status": "in_review"},
                     after={"status": "draft"}, reason=reason)
        return VersionInfo.of(_version_row(s, version_id))


def _find(s: Session, actor: Principal, ruleset_id: str, version: str) -> RuleSetVersion:
    from geozones.services.rulesets import _visible

    rec = s.get(RuleSetRecord, ruleset_id)
    if rec is None:
        raise InputError(f"aturan '{ruleset_id}' tidak ada di basis data / no rule set '{ruleset_id}' in the store")
    v = s.execute(select(RuleSetVersion).where(RuleSetVersion.ruleset_id == ruleset_id,
                                               RuleSetVersion.version == version)).scalars().first()
    if v is None:
        raise InputError(f"versi '{version}' dari '{ruleset_id}' tidak ada / no version '{version}' of '{ruleset_id}'")
    if v.status not in _visible(actor, rec):
        raise Forbidden(f"{ruleset_id}@{version} adalah {v.status}; hanya editor aturan yang dapat melihatnya / "
                        f"is a {v.status}; only rule editors may read it")
    return v


def _overlay_entries(s: Session, version_id: int) -> dict[str, dict]:
    out = {}
    for z in _overlay_rows(s, version_id):
        feat = dict((z.props or {}).get("feature") or {})
        out[f"{z.rule_id}/{z.zone_id}"] = {"geometry": z.geom, "name": z.name, "source": z.source,
                                           "layer": z.props["layer"],
                                           **{k: feat[k] for k in ("category", "legal_basis", "advisory") if k in feat}}
    return out


def diff_versions(store: Store, actor: Principal, ruleset_id: str, old: str, new: str) -> list[Change]:
    """Every difference between two versions: rules, quotas, grants, YAML zones and overlay zones.

    Overlay zones are keyed ``RULE/ZONE_ID`` like YAML zones, so a drawn park shows
    as an added zone with its area in m².
    """
    authorize(actor, Action.VIEW_PUBLIC)
    with store.read() as s:
        va, vb = _find(s, actor, ruleset_id, old), _find(s, actor, ruleset_id, new)
        ra = parse_yaml_text(va.yaml_text, source=f"{ruleset_id}@{old}", check_layers=False)
        rb = parse_yaml_text(vb.yaml_text, source=f"{ruleset_id}@{new}", check_layers=False)
        oa, ob = _overlay_entries(s, va.id), _overlay_entries(s, vb.id)
    return diff_rulesets(ra, rb) + diff_zones(oa, ob)


def parse_instant(value: dt.datetime | None) -> dt.datetime | None:
    """Aware instants pass; naive ones are WIB (as every date the KPU writes)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.timezone(dt.timedelta(hours=7), "WIB"))


def zone_rules(store: Store, actor: Principal, version_id: int) -> list[tuple[str, str, bool]]:
    """The rules a draft's editor may put a zone under, in stack order: the flattened stack's.

    The level's own rules that read a place take zones written in its YAML; a rule of a
    level above (R08 parks is DKI's) takes KPU overlay features of its layer, so only
    the inherited rules that read a layer are offered (as :func:`add_zones` accepts).

    Returns
    -------
    list of (str, str, bool)
        Rule id, the id of the level it comes from, and whether it is the draft's own.

    Raises
    ------
    Forbidden
        The actor may not edit rules.
    """
    with store.read() as s:
        v = _version_row(s, version_id)
        authorize(actor, Action.EDIT_RULES, _target(s.get(RuleSetRecord, v.ruleset_id)))
        rs = parse_yaml_text(v.yaml_text, source=f"{v.ruleset_id}@{v.version}", check_layers=False)
        own = {r.id for r in rs.rules}
        try:
            flat = _flattened(s, rs)
        except InputError:  # a parent missing from the store: the level's own rules still take zones
            flat = rs
        out = []
        for r in flat.rules:
            if r.spatial.form == "anywhere" or (r.id not in own and not r.layer):
                continue
            level = r.origin.ruleset_id if r.origin and r.id not in own else rs.id
            out.append((r.id, level, r.id in own))
        return out


def draft_zones(store: Store, actor: Principal, version_id: int) -> list[dict[str, Any]]:
    """The zones of a version for the editor.

    Each: ``zone_id``, ``name``, ``rule_id``, ``layer`` (overlay) and ``geometry``
    (GeoJSON, EPSG:4326). Drafts only for rule editors; published versions for everyone.
    """
    from geozones.services.rulesets import _visible

    with store.read() as s:
        v = _version_row(s, version_id)
        if v.status not in _visible(actor, s.get(RuleSetRecord, v.ruleset_id)):
            raise Forbidden(f"{v.ruleset_id}@{v.version} adalah {v.status} / is a {v.status}; only rule editors may "
                            "read it")
        rows = s.execute(select(ZoneFeature).where(ZoneFeature.version_id == version_id)
                         .order_by(ZoneFeature.id)).scalars().all()
        return [{"zone_id": z.zone_id, "name": z.name, "rule_id": z.rule_id, "source": z.source,
                 "layer": (z.props or {}).get("layer"), "geometry": shapely.geometry.mapping(z.geom)} for z in rows]
