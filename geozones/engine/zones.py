"""Zones drawn or imported by KPU staff: geometry checks and where a zone lands.

A zone arrives as a GeoJSON geometry in EPSG:4326 (drawn on the map with
leaflet-draw, or one feature of an imported file). :func:`check_zone` makes it
safe to store, following issue 10 and workflows-research §2.2:

* a self-intersecting outline (a "bow-tie") is repaired with shapely's
  ``make_valid`` and a warning naming the zone;
* an empty or degenerate zone (no area, no length, too few points) is refused;
* a zone with more than :data:`MAX_VERTICES` vertices is refused (simplify it first);
* a zone outside the jurisdiction (the union of the rule set's kelurahan, see
  :func:`jurisdiction_area`) is refused, naming the zone and how much lies outside;
* an optional buffer written with its unit (``"10 m"``) is parsed like rule
  distances and, on request, materialised into the outline in the metric CRS.

:func:`place_zone` then maps the checked zone to where the engine will find it: a
rule that reads a layer (R08 reads ``parks``) gets the zone as a feature of a
KPU-maintained overlay of that layer (:class:`OverlayFeature`; :func:`apply_overlay`
merges such features into the layer so the rule's filter selects them); a rule
that holds its own zones gets a new :class:`~geozones.rules.model.Zone` in its
``zones`` list, returned as a new RuleSet.

Every message is in Bahasa Indonesia first, English beside. Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.geometry
from pydantic import TypeAdapter, ValidationError
from shapely.geometry.base import BaseGeometry

from geozones.areas.layers import LayerSet
from geozones.areas.manifest import LayerSpec
from geozones.core.crs import STORAGE_CRS, metric_crs_for, transformer
from geozones.core.errors import DataWarning, InputError, Problem
from geozones.rules.model import Distance, Rule, RuleSet, Zone

#: Most vertices a zone may have. A kelurahan outline has a few hundred; a zone
#: with more is almost surely an unsimplified import and would slow every check.
MAX_VERTICES = 5000
#: Smallest polygon area (m²) and line length (m) that count as a zone.
MIN_AREA_M2 = 1.0
MIN_LENGTH_M = 1.0
#: How much of a zone may lie outside the jurisdiction (m² of area, m of length or
#: m of distance for points) before it is refused: boundary slivers from rounding.
OUTSIDE_TOLERANCE = 1.0
#: Marks the features KPU staff added to a layer (property ``overlay``).
OVERLAY_MARK = "kpu"

_DISTANCE = TypeAdapter(Distance)
_POLYGONAL = ("Polygon", "MultiPolygon")
_DIMENSION = {"Point": 0, "MultiPoint": 0, "LineString": 1, "LinearRing": 1, "MultiLineString": 1,
              "Polygon": 2, "MultiPolygon": 2}


def _both(id_text: str, en_text: str) -> str:
    return f"{id_text} / {en_text}"


def _problem(name: str, id_text: str, en_text: str, *, source: str | None, fieldname: str = "geometry") -> Problem:
    return Problem(_both(id_text, en_text), source, f"zona '{name}'", fieldname)


def parse_buffer(value: Any, *, name: str = "?", source: str | None = None) -> float:
    """A buffer written with its unit (``"10 m"``, ``"0.05 km"``), in metres.

    Parsed exactly like rule distances (:data:`geozones.rules.model.Distance`).

    Raises
    ------
    InputError
        If the value has no unit, is not a number, or is negative.
    """
    try:
        metres = float(_DISTANCE.validate_python(value))
    except ValidationError as exc:
        msg = exc.errors()[0]["msg"].removeprefix("Value error, ")
        raise InputError(_problem(name, f"buffer {value!r} tidak dapat dibaca (tulis mis. '10 m')", msg,
                                  source=source, fieldname="buffer")) from None
    return metres


def jurisdiction_area(layers: LayerSet, ruleset: RuleSet) -> BaseGeometry:
    """The union of the kelurahan of the rule set's jurisdiction, in EPSG:4326.

    Kelurahan are selected by the kota codes of ``ruleset.jurisdiction`` as in
    :func:`geozones.engine.compile.prepare` (``kode_kemendagri_kota`` /
    ``kode_bps_kota``, or the first 5 characters of ``kode_kemendagri``).

    Raises
    ------
    InputError
        If no kelurahan belongs to the jurisdiction.
    """
    kel = layers.kelurahan
    kota_kemendagri = (kel["kode_kemendagri_kota"] if "kode_kemendagri_kota" in kel
                       else kel["kode_kemendagri"].astype(str).str.slice(0, 5))
    keep = np.zeros(len(kel), dtype=bool)
    if "kemendagri" in ruleset.jurisdiction:
        keep |= kota_kemendagri.astype(str).isin(ruleset.jurisdiction["kemendagri"]).to_numpy()
    if "bps" in ruleset.jurisdiction and "kode_bps_kota" in kel:
        keep |= kel["kode_bps_kota"].astype(str).isin(ruleset.jurisdiction["bps"]).to_numpy()
    if not keep.any():
        raise InputError(_both(f"tidak ada kelurahan dalam wilayah {ruleset.jurisdiction}",
                               f"no kelurahan in the jurisdiction {ruleset.jurisdiction}"),
                         source=ruleset.id, field="jurisdiction")
    return shapely.union_all(kel.geometry.values[keep])


@dataclass(frozen=True)
class CheckedZone:
    """A zone geometry that passed :func:`check_zone`.

    Attributes
    ----------
    name : str
        The zone's name, as used in messages.
    geometry : dict
        GeoJSON geometry in EPSG:4326 (2-D, valid, repaired where needed), without the buffer.
    buffer_m : float
        The buffer in metres (0 when none).
    outline : dict
        ``geometry`` grown by ``buffer_m`` (the same as ``geometry`` when there is no buffer).
    warnings : list of str
        Bilingual notes about repairs.
    """

    name: str
    geometry: dict[str, Any]
    buffer_m: float = 0.0
    outline: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _metric(geom: BaseGeometry, crs) -> BaseGeometry:
    tr = transformer(STORAGE_CRS, crs)
    return shapely.transform(geom, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))


def _lonlat(geom: BaseGeometry, crs) -> BaseGeometry:
    tr = transformer(crs, STORAGE_CRS)
    return shapely.transform(geom, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))


def _size(geom: BaseGeometry) -> tuple[str, float]:
    """('area', m²), ('length', m) or ('point', 0) of a metric geometry by its highest dimension."""
    dim = shapely.get_dimensions(geom)
    if dim == 2:
        return "area", float(geom.area)
    if dim == 1:
        return "length", float(geom.length)
    return "point", 0.0


def check_zone(geometry: Mapping[str, Any] | BaseGeometry, *, name: str, jurisdiction: BaseGeometry | None = None,
               buffer: Any = None, max_vertices: int = MAX_VERTICES, metric_crs=None,
               source: str | None = None) -> CheckedZone:
    """Check and repair one drawn or imported zone.

    Parameters
    ----------
    geometry : GeoJSON mapping or shapely geometry
        In EPSG:4326 (lon/lat degrees).
    name : str
        The zone's name, used in every message.
    jurisdiction : shapely geometry, optional
        Area the zone must lie in (EPSG:4326), usually :func:`jurisdiction_area`.
    buffer : str, optional
        A distance with unit (``"10 m"``); the outline is grown by it in the metric CRS.
    max_vertices : int
        Most vertices allowed.
    metric_crs : pyproj.CRS, optional
        CRS for areas, lengths and the buffer; by default the UTM zone of the zone.
    source : str, optional
        File name (or ``"<peta>"`` for a drawing) for messages.

    Returns
    -------
    CheckedZone

    Raises
    ------
    InputError
        Not GeoJSON, not lon/lat, empty, degenerate, too many vertices, outside the
        jurisdiction or a bad buffer; the message names the zone.

    Warns
    -----
    DataWarning
        When a self-intersecting outline was repaired (also listed in ``warnings``).
    """
    def refuse(id_text: str, en_text: str, fieldname: str = "geometry") -> InputError:
        return InputError(_problem(name, id_text, en_text, source=source, fieldname=fieldname))

    try:
        geom = geometry if isinstance(geometry, BaseGeometry) else shapely.geometry.shape(geometry)
    except Exception as exc:  # noqa: BLE001 - shapely raises many types for bad GeoJSON
        raise refuse("bukan geometri GeoJSON", f"not a GeoJSON geometry ({exc})") from None
    if geom.is_empty:
        raise refuse("geometri kosong", "the geometry is empty")
    geom = shapely.force_2d(geom)
    coords = shapely.get_coordinates(geom)
    if not np.isfinite(coords).all():
        raise refuse("koordinat tidak valid (NaN/tak hingga)", "coordinates are not finite")
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise refuse("koordinat bukan derajat bujur/lintang (EPSG:4326)",
                     "coordinates are not lon/lat degrees (EPSG:4326)")
    if len(coords) > max_vertices:
        raise refuse(f"terlalu banyak titik sudut ({len(coords)} > {max_vertices}); sederhanakan dulu",
                     f"too many vertices ({len(coords)} > {max_vertices}); simplify it first")
    notes: list[str] = []
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        # a zone keeps the dimension it was drawn with: make_valid may leave the crossing point
        # of a bow-tie, or a collapsed polygon, as points or lines, which are not what was meant
        dim = _DIMENSION.get(geom.geom_type, 2)
        parts = [p for p in shapely.get_parts(shapely.make_valid(geom)) if _DIMENSION.get(p.geom_type) == dim]
        if not parts:
            what = ("poligon tanpa luas", "degenerate polygon (no area)") if dim == 2 else (
                "garis tanpa panjang", "degenerate line (no length)")
            raise refuse(f"{what[0]} ({reason})", f"{what[1]} ({reason})")
        geom = shapely.union_all(parts)
        crossing = "self-intersection" in reason.lower()
        note = _both(f"zona '{name}': garis batas "
                     + ("berpotongan sendiri" if crossing else "tidak valid")
                     + f" ({reason}); diperbaiki otomatis, periksa hasilnya",
                     f"zone '{name}': " + ("self-intersecting" if crossing else "invalid")
                     + f" outline ({reason}); repaired, check the result")
        notes.append(note)
        warnings.warn(note, DataWarning, stacklevel=2)
    if metric_crs is None:
        metric_crs = metric_crs_for(geom.bounds)
    gm = _metric(geom, metric_crs)
    kind, size = _size(gm)
    if kind == "area" and size < MIN_AREA_M2:
        raise refuse(f"poligon tanpa luas ({size:.2f} m²)", f"degenerate polygon (area {size:.2f} m²)")
    if kind == "length" and size < MIN_LENGTH_M:
        raise refuse(f"garis tanpa panjang ({size:.2f} m)", f"degenerate line (length {size:.2f} m)")
    if jurisdiction is not None:
        jm = _metric(jurisdiction, metric_crs)
        if kind == "point":
            outside = float(jm.distance(gm)) if not jm.covers(gm) else 0.0
            unit = "m"
        else:
            outside = _size(gm.difference(jm))[1] if not jm.covers(gm) else 0.0
            unit = "m²" if kind == "area" else "m"
        if outside > OUTSIDE_TOLERANCE:
            if not gm.intersects(jm):
                raise refuse("berada di luar wilayah kota rule set ini", "lies outside the rule set's kota")
            raise refuse(f"sebagian berada di luar wilayah kota ({outside:,.0f} {unit} di luar)",
                         f"lies partly outside the kota ({outside:,.0f} {unit} outside)")
    buffer_m = parse_buffer(buffer, name=name, source=source) if buffer not in (None, "") else 0.0
    mapping = shapely.geometry.mapping(geom)
    outline = mapping
    if buffer_m > 0:
        outline = shapely.geometry.mapping(_lonlat(gm.buffer(buffer_m), metric_crs))
    return CheckedZone(name=name, geometry=_plain(mapping), buffer_m=buffer_m, outline=_plain(outline),
                       warnings=notes)


def _plain(value: Any) -> Any:
    """GeoJSON with lists instead of tuples (what YAML and JSON round trips give back)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class OverlayFeature:
    """A zone that becomes a feature of a KPU-maintained overlay of a layer.

    Attributes
    ----------
    layer : str
        The manifest layer the rule reads (``parks`` for R08).
    rule_id : str
        The rule the zone was drawn for.
    feature : dict
        A GeoJSON Feature (EPSG:4326) whose properties pass the rule's ``where``
        filter and carry ``zone_id``, the layer's name (and id) field, ``source``
        and ``overlay = "kpu"``.
    """

    layer: str
    rule_id: str
    feature: dict[str, Any]


@dataclass(frozen=True)
class Placement:
    """Where a zone landed: a new rule set (rule with zones) or an overlay feature (rule with a layer)."""

    ruleset: RuleSet
    overlay: OverlayFeature | None = None


def place_zone(ruleset: RuleSet, rule_id: str, zone: CheckedZone, *, zone_id: str, source: str,
               properties: Mapping[str, Any] | None = None, spec: LayerSpec | None = None) -> Placement:
    """Put a checked zone where the rule ``rule_id`` will find it.

    Parameters
    ----------
    ruleset : RuleSet
        The draft being edited (not changed; a new one is returned).
    rule_id : str
        The rule the zone is drawn for.
    zone : CheckedZone
        From :func:`check_zone`; its ``outline`` (with any buffer) is what is stored.
    zone_id : str
        Stable id of the zone (kept across versions; the diff matches on it).
    source : str
        Provenance: who drew it, or which file it came from.
    properties : mapping, optional
        Extra attributes for an overlay feature (category, legal basis ...).
    spec : LayerSpec, optional
        The layer's manifest entry, to fill its name and id fields.

    Returns
    -------
    Placement
        For a rule with ``zones``: ``ruleset`` is a copy whose rule has the new zone
        appended and ``overlay`` is None. For a rule with a ``layer``: ``ruleset`` is
        the unchanged input and ``overlay`` the feature to add to the layer's overlay.

    Raises
    ------
    InputError
        Unknown rule, a rule that applies everywhere, a zone id already used by the
        rule, or a geometry the rule's form cannot use (``inside`` needs polygons).
    """
    where = f"zona '{zone.name}'"
    try:
        rule = ruleset.rule(rule_id)
    except KeyError:
        raise InputError(Problem(_both(f"aturan '{rule_id}' tidak ada dalam rule set ini",
                                       f"rule '{rule_id}' is not in this rule set; it has: "
                                       + ", ".join(r.id for r in ruleset.rules)),
                                 ruleset.id, where, "rule")) from None
    if rule.spatial.form == "anywhere":
        raise InputError(Problem(_both(f"aturan {rule_id} berlaku di mana saja dan tidak memakai zona",
                                       f"rule {rule_id} applies everywhere and takes no zones"),
                                 ruleset.id, where, "rule"))
    gtype = shapely.geometry.shape(zone.outline).geom_type
    if rule.spatial.form == "inside" and gtype not in _POLYGONAL:
        raise InputError(Problem(_both(f"aturan {rule_id} berlaku di dalam area; gambar poligon atau beri buffer "
                                       f"(bukan {gtype})", f"rule {rule_id} applies inside areas; draw a polygon or "
                                       f"give a buffer (not a {gtype})"), ruleset.id, where, "geometry"))
    if rule.layer:
        props: dict[str, Any] = {k: v for k, v in (properties or {}).items() if v is not None}
        for col, allowed in rule.where.items():
            if props.get(col) not in allowed:
                # the rule must select the feature: take the first value its filter allows
                props[col] = allowed[0]
        props.update({"zone_id": zone_id, "source": source, "overlay": OVERLAY_MARK, "rule_id": rule_id})
        props[spec.name_field if spec else "name"] = zone.name
        if spec and spec.id_field:
            props[spec.id_field] = zone_id
        if zone.buffer_m:
            props["buffer_m"] = zone.buffer_m
        feature = {"type": "Feature", "properties": props, "geometry": zone.outline}
        return Placement(ruleset, OverlayFeature(rule.layer, rule_id, feature))
    if any(z.id == zone_id for z in rule.zones):
        raise InputError(Problem(_both(f"id zona '{zone_id}' sudah dipakai aturan {rule_id}",
                                       f"zone id '{zone_id}' is already used by rule {rule_id}"),
                                 ruleset.id, where, "id"))
    try:
        new_zone = Zone(id=zone_id, name=zone.name, source=source, geometry=zone.outline)
        new_rule = Rule.model_validate({**rule.model_dump(), "zones": [*rule.zones, new_zone]})
    except ValidationError as exc:
        msg = exc.errors()[0]["msg"].removeprefix("Value error, ")
        raise InputError(Problem(_both(f"zona tidak dapat dipakai aturan {rule_id}: {msg}",
                                       f"zone cannot be used by rule {rule_id}: {msg}"),
                                 ruleset.id, where, "geometry")) from None
    rules = [new_rule if r.id == rule_id else r for r in ruleset.rules]
    return Placement(ruleset.model_copy(update={"rules": rules}))


def apply_overlay(gdf: gpd.GeoDataFrame | None, features: Sequence[OverlayFeature],
                  layer: str) -> gpd.GeoDataFrame | None:
    """A layer's features with the KPU overlay features for it appended.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame or None
        The layer as loaded (EPSG:4326); None when the layer is absent.
    features : sequence of OverlayFeature
        Overlay features; those of other layers are ignored.
    layer : str
        The layer's name.

    Returns
    -------
    geopandas.GeoDataFrame or None
        A new frame (EPSG:4326); overlay rows carry ``overlay = "kpu"`` and ``zone_id``.
        An absent layer with overlay features becomes those features alone.
    """
    mine = [f.feature for f in features if f.layer == layer]
    if not mine:
        return gdf
    extra = gpd.GeoDataFrame.from_features(mine, crs=STORAGE_CRS)
    if gdf is None:
        return extra
    base = gdf.to_crs(STORAGE_CRS) if gdf.crs is not None else gdf.set_crs(STORAGE_CRS)
    if extra.geometry.name != base.geometry.name:
        extra = extra.rename_geometry(base.geometry.name)
    return gpd.GeoDataFrame(pd.concat([base, extra], ignore_index=True), geometry=base.geometry.name,
                            crs=STORAGE_CRS)


def with_overlay(layers: LayerSet, features: Sequence[OverlayFeature]) -> LayerSet:
    """A copy of ``layers`` with every overlay feature merged into its layer.

    A layer that gains features gets a new ``digest`` (``sha256:`` of its old digest
    and the overlay features as canonical JSON), so verdict provenance shows that the
    overlay was part of the data; an absent layer with overlay features becomes present.

    Raises
    ------
    InputError
        If a feature names a layer the area manifest does not have.
    """
    unknown = sorted({f.layer for f in features} - set(layers.layers))
    if unknown:
        raise InputError(_both(f"lapisan tidak dikenal: {', '.join(unknown)}",
                               f"unknown layer(s): {', '.join(unknown)}"), source=layers.manifest.id, field="layer")
    out = {}
    for name, lyr in layers.layers.items():
        mine = [f for f in features if f.layer == name]
        if not mine:
            out[name] = lyr
            continue
        blob = json.dumps([lyr.digest, *(f.feature for f in mine)], sort_keys=True, ensure_ascii=False,
                          default=str).encode()
        out[name] = replace(lyr, gdf=apply_overlay(lyr.gdf, mine, name), problem=None,
                            digest="sha256:" + hashlib.sha256(blob).hexdigest())
    return LayerSet(layers.manifest, layers.data_dir, out, layers.metric_crs)


__all__ = ["MAX_VERTICES", "OVERLAY_MARK", "CheckedZone", "OverlayFeature", "Placement", "apply_overlay",
           "check_zone", "jurisdiction_area", "parse_buffer", "place_zone", "with_overlay"]
