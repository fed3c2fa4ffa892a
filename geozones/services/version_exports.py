"""Exports of a rule-set version for publication (issue 10 §7).

One call, :func:`export_version`, gives a stored version as

* ``yaml``: its YAML text as stored (byte for byte what was imported or published);
* ``geojson``: its zones (typed zones of its rules and the KPU overlay features drawn
  or imported with it) as a FeatureCollection in EPSG:4326, with a top-level
  ``metadata`` member (rule set, version, status, decree, dates) and ``attribution``;
  every feature also carries ``ruleset``, ``version`` and ``decree_no``;
* ``gpkg``: the same zones as layer ``zones`` of a GeoPackage, the metadata as GDAL
  dataset and layer metadata and as a plain table ``metadata`` (``key``, ``value``)
  that QGIS opens as a table layer;
* ``annex-xlsx`` / ``annex-pdf``: the decree annex per kelurahan
  (:mod:`geozones.io.annex`): forbidden places and streets, discretion points with
  their conditions, carrying version, decree and data attribution (a ``sumber``
  sheet; a footer on every PDF page).

Who may export: anyone may export a published, superseded or withdrawn version (they
are public); a draft or a version in review only a rule editor (``kpu_editor``,
``kpu_publisher``). The refusal is :func:`geozones.services.rulesets.get_version`'s, so
the CLI, the app and a direct call are refused alike.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy import select

from geozones.core.errors import InputError
from geozones.core.time import format_wib
from geozones.services.authz import Principal
from geozones.services.catalog import FileCatalog
from geozones.services.rulesets import VersionInfo, get_version
from geozones.store.database import Store
from geozones.store.models import ZoneFeature

__all__ = ["EXPORT_FORMATS", "VersionExport", "export_version", "version_metadata", "version_zones"]

#: Format name -> (file suffix, MIME type).
EXPORT_FORMATS: dict[str, tuple[str, str]] = {
    "yaml": (".yaml", "application/yaml"),
    "geojson": (".geojson", "application/geo+json"),
    "gpkg": (".gpkg", "application/geopackage+sqlite3"),
    "annex-xlsx": (".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "annex-pdf": (".pdf", "application/pdf"),
}
#: Columns of the zones layer, in order.
ZONE_COLUMNS = ("zone_id", "rule_id", "rule_title", "verdict", "name", "layer", "category", "legal_basis",
                "advisory", "source", "ruleset", "version", "decree_no")
#: Said instead of a decree number for a version not (yet) published.
NO_DECREE = "belum ditetapkan / not yet decreed"


@dataclass(frozen=True)
class VersionExport:
    """One export: its bytes, a file name, its MIME type and what it rests on.

    Attributes
    ----------
    data : bytes
    filename : str
        ``ID-VERSION-zones.geojson``, ``ID-VERSION-lampiran.pdf``, ...
    mime : str
    metadata : dict
        :func:`version_metadata` of the version (JSON-ready).
    attribution : list of str
        The attribution lines written into the file.
    """

    data: bytes
    filename: str
    mime: str
    metadata: dict
    attribution: list[str] = field(default_factory=list)


def version_metadata(v: VersionInfo) -> dict:
    """What an export rests on: rule set, version, status, decree and dates (ISO 8601 text, JSON-ready)."""
    def iso(x: dt.datetime | dt.date | None) -> str | None:
        return x.isoformat() if x is not None else None

    return {"ruleset": v.ruleset_id, "version": v.version, "status": v.status,
            "decree_no": v.decree_no or NO_DECREE, "decree_signed_on": iso(v.decree_signed_on),
            "effective_from": iso(v.effective_from), "effective_to": iso(v.effective_to),
            "published_at": iso(v.published_at), "publisher": v.publisher, "author": v.author,
            "sha256": v.sha256}


def _stem(v: VersionInfo) -> str:
    return f"{v.ruleset_id}-{v.version}"


def _flat_rules(store: Store, actor: Principal, v: VersionInfo, data_dir):
    """The version stacked on its parents (titles and verdicts of inherited rules); the level alone if that fails."""
    from geozones.services.rulesets import parse_yaml_text
    from geozones.services.store_catalog import StoreCatalog

    try:
        return StoreCatalog(store, data_dir, principal=actor).ruleset(v.ruleset_id, v.version)
    except InputError:
        # a parent missing or out of force: the level's own rules still name what they can
        return parse_yaml_text(v.yaml_text, source=f"{v.ruleset_id}@{v.version}", check_layers=False)


def version_zones(store: Store, actor: Principal, ruleset_id: str, version: str, *,
                  data_dir=None) -> tuple[VersionInfo, gpd.GeoDataFrame]:
    """The zones stored with a version, one row each, EPSG:4326.

    Parameters
    ----------
    store : Store
    actor : Principal
        Drafts and versions in review only for rule editors.
    ruleset_id, version : str
    data_dir : path-like, optional
        Layer files (for the area manifest; default as :class:`FileCatalog`).

    Returns
    -------
    (VersionInfo, geopandas.GeoDataFrame)
        The version (with its YAML text) and its zones: the columns of :data:`ZONE_COLUMNS`
        and ``geometry`` (EPSG:4326), in the order they were stored.

    Raises
    ------
    InputError
        No such rule set or version.
    Forbidden
        A draft asked for by someone who may not edit rules.
    """
    v = get_version(store, actor, ruleset_id, version)
    rs = _flat_rules(store, actor, v, data_dir)
    rules = {r.id: r for r in rs.rules}
    with store.read() as s:
        rows = s.execute(select(ZoneFeature).where(ZoneFeature.version_id == v.id)
                         .order_by(ZoneFeature.id)).scalars().all()
        recs = []
        for z in rows:
            props = z.props or {}
            feat = props.get("feature") or {}
            rule = rules.get(z.rule_id or "")
            recs.append({"zone_id": z.zone_id, "rule_id": z.rule_id or "",
                         "rule_title": rule.title.id if rule else "",
                         "verdict": str(rule.verdict.value) if rule else "", "name": z.name or "",
                         "layer": props.get("layer") or "", "category": feat.get("category") or "",
                         "legal_basis": feat.get("legal_basis") or "", "advisory": bool(feat.get("advisory")),
                         "source": z.source or "", "ruleset": v.ruleset_id, "version": v.version,
                         "decree_no": v.decree_no or NO_DECREE, "geometry": shapely.geometry.shape(
                             shapely.geometry.mapping(z.geom))})
    frame = pd.DataFrame(recs, columns=[*ZONE_COLUMNS, "geometry"])
    return v, gpd.GeoDataFrame(frame, geometry="geometry", crs=4326)


def _zone_attribution(v: VersionInfo, zones: gpd.GeoDataFrame, data_dir) -> list[str]:
    """Rule set and decree first, then the attribution of the layers the zones were drawn on or belong to."""
    lines = [f"Aturan / rule set: {v.ruleset_id} versi / version {v.version} ({v.status}); "
             f"SK / decree: {v.decree_no or NO_DECREE}"
             + (f", ditandatangani / signed {v.decree_signed_on.isoformat()}" if v.decree_signed_on else "")
             + (f"; berlaku sejak / in force from {format_wib(v.effective_from)}" if v.effective_from else ""),
             "Zona: digambar atau diimpor oleh KPU (kolom source) / zones drawn or imported by KPU (column source)"]
    import yaml

    area = (yaml.safe_load(v.yaml_text) or {}).get("area")
    if area:
        try:
            manifest = FileCatalog(None, data_dir).manifest(area)
        except InputError:
            return lines
        used = set(zones["layer"]) - {""}
        for spec in manifest.layers:
            # the kelurahan bound every zone (jurisdiction check); overlay zones extend their layer
            if (spec.role == "kelurahan" or spec.name in used) and spec.attribution not in lines:
                lines.append(spec.attribution)
    return lines


def _yaml(v: VersionInfo, attribution: list[str]) -> bytes:
    """The stored text under a comment header (decree, attribution): YAML readers skip it, people read it."""
    head = ["# geozones: ekspor untuk publikasi / export for publication",
            *(f"# {' '.join(line.split())}" for line in attribution),
            f"# sha256 teks di bawah / of the text below: {v.sha256}", ""]
    return ("\n".join(head) + "\n").encode("utf-8") + v.yaml_text.encode("utf-8")


def _geojson(zones: gpd.GeoDataFrame, meta: dict, attribution: list[str]) -> bytes:
    data = json.loads(zones.to_json(drop_id=True, na="null")) if len(zones) else {
        "type": "FeatureCollection", "features": []}
    data = {"type": "FeatureCollection", "metadata": meta, "attribution": attribution, "features": data["features"]}
    return json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")


def _gpkg(zones: gpd.GeoDataFrame, meta: dict, attribution: list[str]) -> bytes:
    import pyogrio

    flat = {k: "" if val is None else str(val) for k, val in meta.items()}
    flat["attribution"] = " | ".join(attribution)
    table = pd.DataFrame({"key": list(flat), "value": list(flat.values())})
    with tempfile.TemporaryDirectory(prefix="geozones-") as tmp:
        path = Path(tmp) / "zones.gpkg"
        pyogrio.write_dataframe(zones, path, driver="GPKG", layer="zones", dataset_metadata=flat,
                                layer_metadata=flat, geometry_type="Unknown" if zones.empty else None)
        # a plain attribute table: QGIS lists it beside the layer, no metadata viewer needed
        pyogrio.write_dataframe(table, path, driver="GPKG", layer="metadata", append=True)
        return path.read_bytes()


def _annex(store: Store, actor: Principal, v: VersionInfo, fmt: str, data_dir) -> tuple[bytes, list[str]]:
    from geozones.io.annex import AnnexMeta, annex_pdf, annex_rows, annex_xlsx
    from geozones.services.checking import open_checker
    from geozones.services.store_catalog import StoreCatalog

    catalog = StoreCatalog(store, data_dir, principal=actor)
    if not catalog.ruleset(v.ruleset_id, v.version).area:
        raise InputError(f"{v.ruleset_id}@{v.version} tidak menilai wilayah sendiri (tingkat nasional); lampiran per "
                         "kelurahan dibuat untuk tingkat yang punya wilayah, mis. tingkat kota / judges no area of "
                         "its own (national level); the annex per kelurahan is made for a level with an area, e.g. "
                         "the kota level", field="--format")
    checker = open_checker(catalog, v.ruleset_id, v.version)
    rows = annex_rows(checker.prepared, grants=checker.grants)
    title = "Lampiran: lokasi terlarang dan titik diskresi APK per kelurahan"
    if v.status != "published":
        title += f" ({v.status}; bukan versi yang berlaku / not the version in force)" if v.status != "superseded" \
            else " (digantikan / superseded)"
    attribution = checker.attribution()
    meta = AnnexMeta(v.ruleset_id, v.version, decree_no=v.decree_no, decree_signed=v.decree_signed_on,
                     attribution=attribution, title=title)
    return (annex_xlsx(rows, meta) if fmt == "annex-xlsx" else annex_pdf(rows, meta)), attribution


def export_version(store: Store, actor: Principal, ruleset_id: str, version: str | None, fmt: str, *,
                   data_dir=None) -> VersionExport:
    """Export a stored version for publication.

    Parameters
    ----------
    store : Store
    actor : Principal
        Published (and superseded, withdrawn) versions are public; drafts and versions
        in review only for ``kpu_editor`` / ``kpu_publisher``.
    ruleset_id : str
    version : str or None
        The version; None for the one in force now.
    fmt : str
        One of :data:`EXPORT_FORMATS`.
    data_dir : path-like, optional
        Layer files (the annex compiles the rules against them).

    Returns
    -------
    VersionExport

    Raises
    ------
    InputError
        Unknown format, no such rule set or version, or none in force now; an annex of a
        level with no area of its own (the national base).
    Forbidden
        A draft or a version in review asked for by someone who may not edit rules.
    """
    if fmt not in EXPORT_FORMATS:
        raise InputError(f"format '{fmt}' tidak dikenal / unknown format '{fmt}' (pilih / choose: "
                         f"{', '.join(EXPORT_FORMATS)})", field="--format")
    suffix, mime = EXPORT_FORMATS[fmt]
    v = get_version(store, actor, ruleset_id, version)
    meta = version_metadata(v)
    if fmt == "yaml":
        attribution = _zone_attribution(v, gpd.GeoDataFrame({"layer": []}), data_dir)
        attribution = [attribution[0], *attribution[2:]]
        return VersionExport(_yaml(v, attribution), f"{_stem(v)}{suffix}", mime, meta, attribution)
    if fmt in ("geojson", "gpkg"):
        v, zones = version_zones(store, actor, ruleset_id, v.version, data_dir=data_dir)
        attribution = _zone_attribution(v, zones, data_dir)
        data = _geojson(zones, meta, attribution) if fmt == "geojson" else _gpkg(zones, meta, attribution)
        return VersionExport(data, f"{_stem(v)}-zones{suffix}", mime, meta, attribution)
    data, attribution = _annex(store, actor, v, fmt, data_dir)
    return VersionExport(data, f"{_stem(v)}-lampiran{suffix}", mime, meta, attribution)
