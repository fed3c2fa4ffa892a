"""Where may APK go: area classes per kelurahan and usable street lengths.

Pure functions over a prepared rule set (:func:`geozones.engine.prepare`). Radii
and corridors are *buffered* here, which the engine never does: the results
are area shares and drawings, never verdicts. A test samples points and checks
that the class drawn here is the verdict the engine gives.

Classes, from most to least restrictive, follow the verdict order:
``forbidden`` > ``out_of_window`` > ``discretion`` > ``permit`` >
``owner_consent`` > ``allowed``. The area no rule covers takes the rule set's
default verdict. Discretion grants and quotas are not drawn: grants are
site-specific letters, quotas are counts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geozones.core.time import to_wib
from geozones.core.verdicts import Verdict

#: Zone class of each verdict.
ZONE_OF = {
    Verdict.FORBIDDEN: "forbidden",
    Verdict.OUT_OF_WINDOW: "out_of_window",
    Verdict.NEEDS_DISCRETION: "discretion",
    Verdict.NEEDS_PERMIT: "permit",
    Verdict.NEEDS_OWNER_CONSENT: "owner_consent",
    Verdict.ALLOWED_ASSIGNED: "allowed",
    Verdict.ALLOWED: "allowed",
}
#: Classes from most to least restrictive.
ZONES = ("forbidden", "out_of_window", "discretion", "permit", "owner_consent", "allowed")
#: Classes where an APK cannot go without a decision nobody has made yet.
UNUSABLE = ("forbidden", "out_of_window", "discretion")
#: Arc resolution of display buffers (a quarter circle in 4 segments: < 8 % area error at 10 m).
QUAD_SEGS = 4


@dataclass
class Zoning:
    """The area split of one APK type at one instant.

    Attributes
    ----------
    at : datetime
        Instant the rules were taken at (WIB).
    apk_type : str or None
        APK type code, or None for "not given".
    zones : dict of str to shapely geometry
        One (multi)polygon per class, in the metric CRS, clipped to the area.
    kelurahan : pandas.DataFrame
        Per kelurahan: codes, names, ``area_ha`` and the share (%) of each class.
    crs : pyproj.CRS
        The metric CRS of ``zones``.
    """

    at: dt.datetime
    apk_type: str | None
    zones: dict[str, object]
    kelurahan: pd.DataFrame
    crs: object


def _category(rule) -> str | None:
    form = rule.spatial.form
    if form == "anywhere":
        return None
    if rule.zones:
        return "kawasan"
    if form == "inside":
        return "kawasan" if rule.layer == "parks" else "parcel"
    return "advisory" if form == "within" else "corridor"


def rule_covers(prepared) -> dict[str, object]:
    """Area each spatial rule covers, in the metric CRS (buffered for distance rules).

    Parameters
    ----------
    prepared : PreparedRules
        From :func:`geozones.engine.prepare`.

    Returns
    -------
    dict of str to shapely geometry
        Rule id to the union of its features (``inside``: polygons only, as the
        engine tests containment in polygons) or of their buffers.
    """
    covers: dict[str, object] = {}
    for comp in prepared.rules:
        rule = comp.rule
        if not comp.checked or rule.spatial.form == "anywhere":
            continue
        geoms = prepared.rule_features(rule.id).geometry.values
        if rule.spatial.form == "inside":
            geoms = geoms[shapely.get_dimensions(geoms) == 2]
        else:
            geoms = shapely.buffer(geoms, rule.spatial.metres, quad_segs=QUAD_SEGS)
        covers[rule.id] = shapely.union_all(geoms) if len(geoms) else shapely.Polygon()
    return covers


def zone_split(prepared, covers: dict[str, object], *, at: dt.datetime,
               apk_type: str | None = None) -> Zoning:
    """Split the area into verdict classes for one APK type at one instant.

    Parameters
    ----------
    prepared : PreparedRules
        From :func:`geozones.engine.prepare`.
    covers : dict
        From :func:`rule_covers` (computed once, reused for every date and type).
    at : datetime
        Instant (naive = WIB).
    apk_type : str, optional
        APK type code (``"spanduk"`` ...), or None.

    Returns
    -------
    Zoning
    """
    ts = to_wib(at)
    at_ns = int(ts.value)
    kel_geoms = np.asarray(prepared.admin_geoms)
    area = shapely.union_all(kel_geoms)
    by_zone: dict[str, list] = {z: [] for z in ZONES}
    everywhere: list[str] = []
    for comp in prepared.rules:
        if not comp.applies(at_ns, apk_type):
            continue
        zone = ZONE_OF[comp.rule.verdict]
        if comp.rule.spatial.form == "anywhere":
            everywhere.append(zone)
        elif comp.rule.id in covers:
            by_zone[zone].append(covers[comp.rule.id])
    for zone in everywhere:
        by_zone[zone] = [area]
    default_zone = ZONE_OF[prepared.ruleset.default_verdict]
    zones: dict[str, object] = {}
    covered = shapely.Polygon()
    for zone in ZONES:
        parts = by_zone[zone]
        geom = shapely.intersection(shapely.union_all(parts), area) if parts else shapely.Polygon()
        geom = shapely.difference(geom, covered)
        covered = shapely.union(covered, geom)
        zones[zone] = geom
    rest = shapely.difference(area, covered)
    zones[default_zone] = shapely.union(zones[default_zone], rest)

    kel = prepared.admin.copy()
    kel_area = shapely.area(kel_geoms)
    out = kel[[c for c in ("kode_kemendagri", "kode_bps", "kelurahan", "kode_kemendagri_kec", "kecamatan")
               if c in kel.columns]].copy()
    out["area_ha"] = kel_area / 1e4
    for zone in ZONES:
        inter = shapely.area(shapely.intersection(kel_geoms, zones[zone]))
        out[zone] = np.where(kel_area > 0, 100.0 * inter / kel_area, 0.0)
    return Zoning(at=ts.to_pydatetime(), apk_type=apk_type, zones=zones, kelurahan=out,
                  crs=prepared.crs)


def kecamatan_shares(zoning: Zoning) -> pd.DataFrame:
    """Area-weighted class shares (%) per kecamatan, plus the whole area."""
    kel = zoning.kelurahan
    rows = []
    for (code, name), grp in kel.groupby(["kode_kemendagri_kec", "kecamatan"], sort=True):
        total = grp["area_ha"].sum()
        row = {"kode_kemendagri_kec": code, "kecamatan": name, "area_ha": total}
        for zone in ZONES:
            row[zone] = float((grp[zone] * grp["area_ha"]).sum() / total) if total else 0.0
        rows.append(row)
    return pd.DataFrame(rows)


def zones_frame(zoning: Zoning) -> gpd.GeoDataFrame:
    """The classes as a GeoDataFrame in EPSG:4326 (one row per non-empty class), for maps."""
    names = [z for z in ZONES if not shapely.is_empty(zoning.zones[z])]
    gdf = gpd.GeoDataFrame({"zone": names}, geometry=[zoning.zones[z] for z in names], crs=zoning.crs)
    return gdf.to_crs(4326)


#: Shortest usable piece listed in the annex (metres). Shorter pieces left after merging the
#: pieces of one street in one kelurahan and class are dropped: a few metres between two
#: restricted areas cannot hold a spanduk or baliho and only lengthen the annex.
MIN_SEGMENT_M = 20.0
#: OSM ``highway`` values of roads where no APK can stand: toll roads (jalan tol, access
#: controlled) and their ramps, bus-only ways, and ways not built or not for traffic.
NO_APK_HIGHWAY = frozenset({"motorway", "motorway_link", "busway", "bus_guideway", "construction", "proposed",
                            "raceway", "platform", "abandoned", "disused"})
#: Street names of such roads (the Transjakarta busway corridors are often mapped as
#: ``highway=service`` with a name only), matched case-insensitively.
NO_APK_NAME = r"\b(?:busway|transjakarta|jalan\s+tol|jln?\.?\s+tol|tol\s+(?:dalam|lingkar)|toll?\s+road)\b"


def apk_streets(street_names: pd.Series, highway: pd.Series | None = None) -> np.ndarray:
    """True for named streets where an APK may stand (the streets an annex may list).

    Parameters
    ----------
    street_names : pandas.Series
        Street names; unnamed streets are False (an annex lists streets by name).
    highway : pandas.Series, optional
        The OSM ``highway`` tag of each street (same order).

    Returns
    -------
    ndarray of bool
        False for unnamed streets, for :data:`NO_APK_HIGHWAY` kinds and for busway
        or toll-road names (:data:`NO_APK_NAME`).
    """
    names = street_names.astype("string").str.strip()
    keep = names.notna().to_numpy() & (names.fillna("") != "").to_numpy()
    keep &= ~names.fillna("").str.contains(NO_APK_NAME, case=False, regex=True).to_numpy(dtype=bool)
    if highway is not None:
        kind = pd.Series(np.asarray(highway, dtype=object)).astype("string").str.strip().str.lower()
        keep &= ~kind.isin(NO_APK_HIGHWAY).to_numpy(dtype=bool)
    return keep


def usable_streets(zoning: Zoning, prepared, streets_metric: gpd.GeoSeries,
                   street_names: pd.Series, *, highway: pd.Series | None = None,
                   min_length_m: float = MIN_SEGMENT_M) -> gpd.GeoDataFrame:
    """Named street pieces outside the unusable classes, per kelurahan.

    Parameters
    ----------
    zoning : Zoning
        From :func:`zone_split`.
    prepared : PreparedRules
        Supplies the kelurahan in the metric CRS.
    streets_metric : geopandas.GeoSeries
        Street centrelines in the metric CRS (the ``streets`` layer).
    street_names : pandas.Series
        Their names (same order); unnamed streets are left out, as an annex
        lists streets by name.
    highway : pandas.Series, optional
        Their OSM ``highway`` tag; toll roads and busways are left out
        (:func:`apk_streets`). Busway and toll-road *names* are left out always.
    min_length_m : float
        Pieces of one street in one kelurahan and class are merged where they
        touch; pieces still shorter than this (metres) are dropped.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per segment (a connected usable piece): ``kode_kemendagri``,
        ``kelurahan``, ``kecamatan``, ``street``, ``zone`` (the usable class it
        lies in), ``length_m`` and geometry in the metric CRS.
    """
    keep = apk_streets(street_names, highway)
    lines = np.asarray(streets_metric.values)[keep]
    names = street_names.astype("string").str.strip()[keep].to_numpy(dtype=object)
    kel_geoms = np.asarray(prepared.admin_geoms)
    tree = shapely.STRtree(lines)
    k_idx, l_idx = tree.query(kel_geoms, predicate="intersects")
    pieces = shapely.intersection(lines[l_idx], kel_geoms[k_idx])
    rows = []
    for zone in [z for z in ZONES if z not in UNUSABLE]:
        zgeom = zoning.zones[zone]
        if shapely.is_empty(zgeom):
            continue
        shapely.prepare(zgeom)
        part = shapely.intersection(pieces, zgeom)
        ok = ~(shapely.is_missing(part) | shapely.is_empty(part))
        if not ok.any():
            continue
        # One street is many OSM ways: merge the pieces of a (kelurahan, street) before measuring.
        groups = pd.DataFrame({"k": k_idx[ok], "name": names[l_idx[ok]]})
        for (k, name), idx in groups.groupby(["k", "name"], sort=False).indices.items():
            parts = shapely.get_parts(part[ok][idx])
            parts = parts[shapely.get_dimensions(parts) == 1]
            if not len(parts):
                continue
            merged = shapely.line_merge(shapely.union_all(parts))
            for seg in shapely.get_parts(merged):
                if seg.length >= min_length_m:
                    rows.append((int(k), name, zone, seg))
    admin = prepared.admin
    df = gpd.GeoDataFrame({
        "kode_kemendagri": [admin["kode_kemendagri"].iloc[k] for k, *_ in rows],
        "kelurahan": [admin["kelurahan"].iloc[k] for k, *_ in rows],
        "kecamatan": [admin["kecamatan"].iloc[k] for k, *_ in rows],
        "street": [r[1] for r in rows],
        "zone": [r[2] for r in rows],
    }, geometry=[r[3] for r in rows], crs=zoning.crs)
    df["length_m"] = df.geometry.length
    df.attrs["min_length_m"] = float(min_length_m)
    return df.sort_values(["kode_kemendagri", "street", "zone"], kind="stable").reset_index(drop=True)


def street_summary(segments: gpd.GeoDataFrame, prepared, streets_metric: gpd.GeoSeries,
                   street_names: pd.Series, *, highway: pd.Series | None = None) -> pd.DataFrame:
    """Usable and total length (metres) per kelurahan of the named streets where an APK may stand.

    Busways and toll roads (:func:`apk_streets`) count in neither.
    """
    keep = apk_streets(street_names, highway)
    lines = np.asarray(streets_metric.values)[keep]
    kel_geoms = np.asarray(prepared.admin_geoms)
    tree = shapely.STRtree(lines)
    k_idx, l_idx = tree.query(kel_geoms, predicate="intersects")
    lengths = shapely.length(shapely.intersection(lines[l_idx], kel_geoms[k_idx]))
    total = pd.Series(lengths).groupby(k_idx).sum()
    admin = prepared.admin
    out = admin[["kode_kemendagri", "kelurahan", "kecamatan"]].copy()
    out["total_m"] = [float(total.get(i, 0.0)) for i in range(len(admin))]
    used = segments.groupby("kode_kemendagri")["length_m"].sum() if len(segments) else pd.Series(dtype=float)
    out["usable_m"] = out["kode_kemendagri"].map(used).fillna(0.0).to_numpy()
    out["streets"] = out["kode_kemendagri"].map(
        segments.groupby("kode_kemendagri")["street"].nunique() if len(segments) else pd.Series(dtype=int)
    ).fillna(0).astype(int).to_numpy()
    return out


#: Indonesian labels of the classes, used in the annex (a KPU document is in Indonesian).
ZONE_LABEL_ID = {
    "forbidden": "dilarang", "out_of_window": "di luar jadwal", "discretion": "perlu diskresi",
    "permit": "perlu izin Pemda", "owner_consent": "perlu izin pemilik", "allowed": "boleh",
}


def annex_frame(segments: gpd.GeoDataFrame, *, zoning: Zoning, title: str) -> tuple[pd.DataFrame, list[str]]:
    """A KPU-decree-annex style table: kelurahan -> usable streets and their segments.

    Returns
    -------
    frame : pandas.DataFrame
        Columns ``no``, ``kecamatan``, ``kelurahan``, ``kode_kemendagri``,
        ``nama_jalan``, ``ruas_ke``, ``panjang_m`` (metres), ``dari_lat``, ``dari_lon``,
        ``sampai_lat``, ``sampai_lon`` (EPSG:4326 degrees), ``keterangan``.
    header : list of str
        The title, the instant, the APK type and what a segment is.
    """
    if len(segments):
        ends = gpd.GeoSeries(shapely.get_point(segments.geometry.values, 0), crs=zoning.crs).to_crs(4326)
        tails = gpd.GeoSeries(shapely.get_point(segments.geometry.values, -1), crs=zoning.crs).to_crs(4326)
    else:
        ends = tails = gpd.GeoSeries([], crs=4326)
    df = pd.DataFrame({
        "kecamatan": segments["kecamatan"].to_numpy(),
        "kelurahan": segments["kelurahan"].to_numpy(),
        "kode_kemendagri": segments["kode_kemendagri"].to_numpy(),
        "nama_jalan": segments["street"].to_numpy(),
        "panjang_m": np.round(segments["length_m"].to_numpy(dtype=float), 1),
        "dari_lat": np.round(ends.y.to_numpy(), 6), "dari_lon": np.round(ends.x.to_numpy(), 6),
        "sampai_lat": np.round(tails.y.to_numpy(), 6), "sampai_lon": np.round(tails.x.to_numpy(), 6),
        "keterangan": [ZONE_LABEL_ID[z] for z in segments["zone"]],
    })
    df.insert(4, "ruas_ke", df.groupby(["kode_kemendagri", "nama_jalan"]).cumcount() + 1)
    df.insert(0, "no", np.arange(1, len(df) + 1))
    when = zoning.at.strftime("%Y-%m-%d %H:%M WIB")
    minimum = segments.attrs.get("min_length_m", MIN_SEGMENT_M)
    header = [title, f"Berlaku untuk: {when}; jenis APK: {zoning.apk_type or '(semua)'}",
              "Ruas = bagian jalan bernama di luar area dilarang, perlu diskresi atau di luar jadwal "
              "(perkiraan dari as jalan; periksa di lapangan)",
              f"Ruas lebih pendek dari {minimum:g} m tidak dicantumkan; jalan tol dan jalur busway "
              "(Transjakarta) tidak dihitung karena APK tidak dapat dipasang di sana"]
    return df, header


def restricted_display(prepared, covers: dict[str, object], *, tolerance_m: float = 2.0) -> gpd.GeoDataFrame:
    """Restricted places for the map: one row per category, verdict and place name.

    Parameters
    ----------
    prepared : PreparedRules
        From :func:`geozones.engine.prepare`.
    covers : dict
        From :func:`rule_covers`; radii and corridors are drawn as these buffers.
    tolerance_m : float
        Simplification for display.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326 with ``category``, ``verdict``, ``rule_ids``, ``name``.
    """
    rows = []
    for comp in prepared.rules:
        rule = comp.rule
        cat = _category(rule)
        if cat is None or not comp.checked:
            continue
        feats = prepared.rule_features(rule.id)
        geoms = feats.geometry.values
        if rule.spatial.form == "inside":
            dims = shapely.get_dimensions(geoms)
            feats, geoms = feats.loc[dims == 2], geoms[dims == 2]
        else:
            geoms = shapely.buffer(geoms, rule.spatial.metres, quad_segs=QUAD_SEGS)
        names = feats["feature_name"].fillna("").astype(str).to_numpy()
        for name, geom in zip(names, geoms, strict=True):
            rows.append((cat, rule.verdict.value, rule.id, name or rule.title.id, geom))
    if not rows:
        return gpd.GeoDataFrame({"category": [], "verdict": [], "rule_ids": [], "name": []},
                                geometry=[], crs=4326)
    df = gpd.GeoDataFrame({"category": [r[0] for r in rows], "verdict": [r[1] for r in rows],
                           "rule_id": [r[2] for r in rows], "name": [r[3] for r in rows]},
                          geometry=[r[4] for r in rows], crs=prepared.crs)
    # One shape per (category, verdict, name): 500 road corridors of one name become one.
    grouped = df.groupby(["category", "verdict", "name"], sort=True)
    out = gpd.GeoDataFrame({
        "category": [k[0] for k in grouped.groups],
        "verdict": [k[1] for k in grouped.groups],
        "name": [k[2] for k in grouped.groups],
        "rule_ids": [";".join(sorted(set(df.loc[idx, "rule_id"]))) for idx in grouped.groups.values()],
    }, geometry=[shapely.union_all(df.geometry.values[df.index.get_indexer(idx)])
                 for idx in grouped.groups.values()], crs=prepared.crs)
    out["geometry"] = out.geometry.simplify(tolerance_m, preserve_topology=True)
    out = out.to_crs(4326)
    out["geometry"] = shapely.set_precision(out.geometry.values, 1e-5)
    return out.loc[~out.geometry.is_empty].reset_index(drop=True)
