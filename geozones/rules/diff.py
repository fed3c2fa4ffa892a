"""What changed between two versions of a rule set, as records, a table and a map.

The diff compares two validated :class:`~geozones.rules.model.RuleSet` objects (the
YAML texts of two versions, parsed), following workflows-research §1.3:

* rule-set fields (title, jurisdiction, defaults), the schedule, and every rule,
  quota and grant **field by field** (matched by rule id, ``apk_type/unit`` and grant
  id): ``added`` / ``removed`` / ``changed`` with the old and the new value;
* zones matched by their **stable zone id** (``rule id/zone id``): added, removed or
  changed, with the changed area in m² (the area of the symmetric difference of old
  and new outline) measured in the UTM zone chosen from where the zones are
  (:func:`geozones.core.crs.metric_crs_for`), never in degrees.

:func:`diff_zones` is the zone half on its own, for zones kept outside the rule set
(the KPU-maintained overlay of a layer). :func:`diff_frame` turns the records into a
table and :func:`diff_map_frame` into a GeoDataFrame for the diff map (added green,
removed red, changed amber; :data:`DIFF_COLORS`).

Pure: no I/O; imports only :mod:`geozones.core`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.geometry
from shapely.geometry.base import BaseGeometry

from geozones.core.crs import STORAGE_CRS, metric_crs_for, transformer
from geozones.rules.model import RuleSet

Kind = Literal["ruleset", "schedule", "rule", "quota", "grant", "zone"]
ChangeKind = Literal["added", "removed", "changed"]

#: Colours of the diff map (same greens/reds as the verdict palette; amber for changes).
DIFF_COLORS = {"added": "#1a9850", "removed": "#d73027", "changed": "#f59e0b"}
#: Labels of the change kinds, Bahasa Indonesia first.
CHANGE_LABELS = {"added": "ditambah / added", "removed": "dihapus / removed", "changed": "diubah / changed"}
#: Rule-set fields that describe the version rather than its content; never reported.
VERSION_FIELDS = frozenset({"version", "status", "supersedes"})
_MIRROR = {"added": "removed", "removed": "added", "changed": "changed"}


@dataclass(frozen=True)
class Change:
    """One difference between an old and a new rule-set version.

    Attributes
    ----------
    kind : str
        ``ruleset``, ``schedule``, ``rule``, ``quota``, ``grant`` or ``zone``.
    key : str
        What changed: a rule id, ``apk_type/unit`` for a quota, a grant id,
        ``rule id/zone id`` for a zone, ``""`` for rule-set and schedule fields.
    change : str
        ``added``, ``removed`` or ``changed``.
    field : str or None
        Dotted field path for ``changed`` (``spatial.distance``, ``window.end``);
        ``None`` when the whole item was added or removed.
    old, new : object
        JSON-ready values (``None`` on the side where the item does not exist).
    area_m2 : float or None
        Zones only: for ``added``/``removed`` the zone's area, for a changed outline
        the area of the symmetric difference of old and new, in m² in the metric CRS.
    old_geometry, new_geometry : shapely geometry or None
        Zones only, in EPSG:4326.
    label : str
        Zones only: the zone's name (on the new side; the old side for a removed zone).
    """

    kind: Kind
    key: str
    change: ChangeKind
    field: str | None = None
    old: Any = None
    new: Any = None
    area_m2: float | None = None
    old_geometry: BaseGeometry | None = None
    new_geometry: BaseGeometry | None = None
    label: str = ""

    def mirrored(self) -> Change:
        """The same change seen from the other side (old and new swapped)."""
        return Change(self.kind, self.key, _MIRROR[self.change], self.field, self.new, self.old,
                      self.area_m2, self.new_geometry, self.old_geometry, self.label)


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Dicts become dotted paths; lists and scalars are leaves compared whole."""
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix: value}


def _field_changes(kind: Kind, key: str, old: dict, new: dict) -> list[Change]:
    a, b = _flatten(old), _flatten(new)
    out = []
    for path in sorted(set(a) | set(b)):
        va, vb = a.get(path), b.get(path)
        if va != vb:
            out.append(Change(kind, key, "changed", path, va, vb))
    return out


def _keyed(kind: Kind, old: Mapping[str, dict], new: Mapping[str, dict]) -> list[Change]:
    out: list[Change] = []
    for key in [*old, *(k for k in new if k not in old)]:
        if key not in new:
            out.append(Change(kind, key, "removed", None, old[key], None))
        elif key not in old:
            out.append(Change(kind, key, "added", None, None, new[key]))
        else:
            out.extend(_field_changes(kind, key, old[key], new[key]))
    return out


def _geom(value: BaseGeometry | Mapping[str, Any]) -> BaseGeometry:
    return value if isinstance(value, BaseGeometry) else shapely.geometry.shape(value)


def _zone_entries(rs: RuleSet) -> dict[str, dict]:
    return {f"{r.id}/{z.id}": z.model_dump(mode="json") for r in rs.rules for z in r.zones}


def diff_zones(old: Mapping[str, Mapping[str, Any]], new: Mapping[str, Mapping[str, Any]], *,
               metric_crs=None) -> list[Change]:
    """Zones added, removed and changed, matched by stable zone id.

    Parameters
    ----------
    old, new : mapping of str to mapping
        Zone id to its record: ``geometry`` (GeoJSON mapping or shapely geometry, in
        EPSG:4326) and any other fields (name, source, category ...), compared one by one.
    metric_crs : pyproj.CRS, optional
        CRS the areas are measured in; by default the UTM zone of all the zones' bounds.

    Returns
    -------
    list of Change
        ``kind="zone"``. A zone whose outline moved gives one ``changed`` record with
        ``field="geometry"`` and ``area_m2`` the symmetric-difference area; other
        fields give their own ``changed`` records.

    Raises
    ------
    ValueError
        If the zones span more than one UTM zone width (see ``metric_crs_for``).
    """
    geoms = {("old", k): _geom(v["geometry"]) for k, v in old.items()}
    geoms.update({("new", k): _geom(v["geometry"]) for k, v in new.items()})
    if not geoms:
        return []
    if metric_crs is None:
        metric_crs = metric_crs_for(tuple(shapely.total_bounds(np.array(list(geoms.values()), dtype=object))))
    tr = transformer(STORAGE_CRS, metric_crs)

    def metric(g: BaseGeometry) -> BaseGeometry:
        return shapely.transform(g, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))

    out: list[Change] = []
    for key in [*old, *(k for k in new if k not in old)]:
        if key not in new:
            g = geoms[("old", key)]
            out.append(Change("zone", key, "removed", None, _json_record(old[key]), None,
                              float(metric(g).area), old_geometry=g, label=str(old[key].get("name") or "")))
        elif key not in old:
            g = geoms[("new", key)]
            out.append(Change("zone", key, "added", None, None, _json_record(new[key]),
                              float(metric(g).area), new_geometry=g, label=str(new[key].get("name") or "")))
        else:
            ga, gb = geoms[("old", key)], geoms[("new", key)]
            label = str(new[key].get("name") or "")
            rest_a = {k: v for k, v in _json_record(old[key]).items() if k != "geometry"}
            rest_b = {k: v for k, v in _json_record(new[key]).items() if k != "geometry"}
            if not ga.equals(gb):
                area = float(metric(ga).symmetric_difference(metric(gb)).area)
                out.append(Change("zone", key, "changed", "geometry", shapely.geometry.mapping(ga),
                                  shapely.geometry.mapping(gb), area, ga, gb, label))
            for c in _field_changes("zone", key, rest_a, rest_b):
                out.append(Change("zone", key, "changed", c.field, c.old, c.new,
                                  old_geometry=ga, new_geometry=gb, label=label))
    return out


def _json_record(record: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(record)
    if isinstance(out.get("geometry"), BaseGeometry):
        out["geometry"] = shapely.geometry.mapping(out["geometry"])
    return json.loads(json.dumps(out, default=str))


def diff_rulesets(old: RuleSet, new: RuleSet, *, metric_crs=None) -> list[Change]:
    """Every difference from ``old`` to ``new``, in a stable order.

    Parameters
    ----------
    old, new : RuleSet
        Two versions (usually of the same rule-set id).
    metric_crs : pyproj.CRS, optional
        Passed to :func:`diff_zones`.

    Returns
    -------
    list of Change
        Rule-set fields, schedule, rules (without their zones), quotas, grants, then
        zones. ``diff_rulesets(a, a)`` is empty, and ``diff_rulesets(b, a)`` holds the
        :meth:`Change.mirrored` records of ``diff_rulesets(a, b)``.
    """
    da, db = old.model_dump(mode="json"), new.model_dump(mode="json")
    skip = VERSION_FIELDS | {"schedule", "rules", "quotas", "grants"}
    out = _field_changes("ruleset", "", {k: v for k, v in da.items() if k not in skip},
                         {k: v for k, v in db.items() if k not in skip})
    out += _field_changes("schedule", "", da["schedule"], db["schedule"])

    def rules(d: dict) -> dict[str, dict]:
        return {r["id"]: {k: v for k, v in r.items() if k != "zones"} for r in d["rules"]}

    out += _keyed("rule", rules(da), rules(db))
    out += _keyed("quota", {f"{q['apk_type']}/{q['unit']}": q for q in da["quotas"]},
                  {f"{q['apk_type']}/{q['unit']}": q for q in db["quotas"]})
    out += _keyed("grant", {g["id"]: g for g in da["grants"]}, {g["id"]: g for g in db["grants"]})
    out += diff_zones(_zone_entries(old), _zone_entries(new), metric_crs=metric_crs)
    return out


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)


def diff_frame(changes: Iterable[Change]) -> pd.DataFrame:
    """The diff as a table, one row per change.

    Returns
    -------
    pandas.DataFrame
        Columns ``kind``, ``key``, ``name`` (zones), ``change``, ``change_label`` (bilingual), ``field``,
        ``old``, ``new`` (text: strings as they are, other values as JSON) and
        ``area_m2`` (zones; NaN otherwise).
    """
    rows = [{"kind": c.kind, "key": c.key, "name": c.label, "change": c.change, "change_label": CHANGE_LABELS[c.change],
             "field": c.field or "", "old": _cell(c.old), "new": _cell(c.new),
             "area_m2": np.nan if c.area_m2 is None else round(c.area_m2, 1)} for c in changes]
    return pd.DataFrame(rows, columns=["kind", "key", "name", "change", "change_label", "field", "old", "new",
                                       "area_m2"])


def diff_map_frame(changes: Iterable[Change]) -> gpd.GeoDataFrame:
    """Zone changes as map features (EPSG:4326), one per zone.

    Added zones carry their new outline, removed zones their old one, changed zones
    the new outline (with ``area_m2`` the symmetric-difference area when the outline
    moved). ``color`` follows :data:`DIFF_COLORS`.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``key``, ``change``, ``change_label``, ``name``, ``fields`` (the
        changed fields, comma separated), ``area_m2``, ``color``, ``geometry``.
    """
    rows: dict[str, dict] = {}
    for c in changes:
        if c.kind != "zone":
            continue
        row = rows.setdefault(c.key, {"key": c.key, "change": c.change, "change_label": CHANGE_LABELS[c.change],
                                      "name": "", "fields": [], "area_m2": np.nan,
                                      "geometry": c.old_geometry if c.change == "removed" else c.new_geometry})
        row["name"] = row["name"] or c.label
        if c.field:
            row["fields"].append(c.field)
        if c.area_m2 is not None:
            row["area_m2"] = round(c.area_m2, 1)
    for row in rows.values():
        row["fields"] = ", ".join(row["fields"])
        row["color"] = DIFF_COLORS[row["change"]]
    cols = ["key", "change", "change_label", "name", "fields", "area_m2", "color", "geometry"]
    return gpd.GeoDataFrame(list(rows.values()), columns=cols, geometry="geometry", crs=STORAGE_CRS)


__all__ = ["CHANGE_LABELS", "DIFF_COLORS", "Change", "diff_frame", "diff_map_frame", "diff_rulesets", "diff_zones"]
