"""A batch check as the CLI and the app run it: rules and layers from a catalog, compiled once.

:func:`open_checker` loads the rule set and the layers of its area through a
:class:`~geozones.services.catalog.Catalog` and compiles them;
:meth:`Checker.check` judges a frame of sites with the grants in force and
returns an :class:`~geozones.engine.explain.Evaluation` that carries its
provenance (rule-set id and version, every level of its stack, layer digests).

:func:`check_batch` judges a batch that spans several kota: each site goes to the
kota whose polygon holds it, and each kota's sites are judged with that kota's own
stack (national -> province -> kota), each level in the version in force at the
site's time. A kota with no rule set of its own is judged with the levels above it,
over the province-wide area, and says so (``rule_stack`` column, provenance);
layers absent there are reported as not checked, never passed silently.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geozones.areas.layers import LayerSet
from geozones.core.errors import InputError
from geozones.core.time import resolve_at
from geozones.engine import Evaluation, PreparedRules, evaluate_detailed, prepare
from geozones.engine.explain import unique_not_checked
from geozones.engine.sites import normalize_sites
from geozones.io.exports import attribution_lines
from geozones.rules.model import Grant, RuleSet, in_force
from geozones.rules.stack import stack_label
from geozones.services.catalog import Catalog, StackCatalog, level_in_force, resolve_stack

__all__ = ["NO_LOCAL_LEVEL", "Checker", "check_batch", "kota_of", "kota_setup", "kota_stack", "open_checker"]

#: Said of a kota judged without a rule set of its own (id, en).
NO_LOCAL_LEVEL = ("tanpa aturan kota: dinilai dengan tingkat di atasnya",
                  "no kota rule set: judged with the levels above it")


@dataclass
class Checker:
    """A rule set compiled against its layers, with the grants in force, ready to judge batches."""

    ruleset: RuleSet
    layers: LayerSet
    prepared: PreparedRules
    grants: list[Grant] = field(default_factory=list)

    def check(self, sites: gpd.GeoDataFrame, at: object | None = None, *,
              progress: Callable[[str, float], None] | None = None, reasons: str = "full",
              lang: str = "both", categorical: bool = False) -> Evaluation:
        """Judge every site (see :func:`geozones.engine.evaluate`).

        Parameters
        ----------
        sites : geopandas.GeoDataFrame
            Points (EPSG:4326), e.g. from :func:`geozones.io.sites.read_sites`.
        at : datetime or str, optional
            Time for sites without ``installed_at`` (WIB if naive); default now.
        progress : callable, optional
            ``progress(step, fraction)``.
        reasons, lang
            ``full``/``compact``/``none`` and ``id``/``en``/``both``: see :func:`geozones.engine.explain`.
        categorical : bool
            Repeating text columns as pandas Categoricals, for the CSV writer (same values).

        Returns
        -------
        Evaluation
            With ``provenance`` set.
        """
        ev = evaluate_detailed(sites, self.layers, self.ruleset, at, prepared=self.prepared,
                               grants=self.grants, progress=progress, reasons=reasons, lang=lang,
                               categorical=categorical)
        ev.provenance = self.provenance
        return ev

    @property
    def provenance(self) -> dict:
        """Rule-set id and version, every level of its stack, area and layer digests the verdicts rest on.

        Returns
        -------
        dict
            :attr:`geozones.engine.PreparedRules.provenance` plus ``levels``: one record per
            level (``ruleset_id``, ``version``, ``level``, ``label``, ``status``), root first.
        """
        levels = self.ruleset.levels or [self.ruleset.level_ref]
        return {**self.prepared.provenance, "levels": [lv.model_dump(mode="json") for lv in levels]}

    def stack_label(self, lang: str = "id") -> str:
        """The levels judged with, e.g. ``nasional 2024.1 > DKI 2024.1 > Jakarta Pusat 2024.2``."""
        return stack_label(self.ruleset.levels or [self.ruleset.level_ref], lang)

    def attribution(self) -> list[str]:
        """Attribution lines for any output: the rule set (id, version, status, levels), layer digests, sources."""
        title = f"Rule set / aturan: {self.ruleset.id} v{self.ruleset.version} ({self.ruleset.status})"
        if self.ruleset.levels:
            title += f"; levels / tingkat: {self.stack_label('id')}"
        digests = "; ".join(f"{k} {v[:19]}" for k, v in self.provenance["layers"].items() if v)
        return attribution_lines(self.layers.attributions(), title=title, digests=digests)


def sign_hints(table: pd.DataFrame, layers: LayerSet) -> list[str]:
    """Hints for sites outside the area that would lie inside it with a sign flipped.

    Field teams often drop the minus of southern latitudes (``6.183`` for ``-6.183``) or of
    western longitudes; such sites are OUTSIDE_AREA, and nothing in the file alone shows it
    when every row lost its sign. A site counts when its mirrored position falls inside the
    area's kelurahan (``covers``, EPSG:4326).

    Returns
    -------
    list of str
        One bilingual message per kind of flip found (naming up to five site ids), else empty.
    """
    if "verdict" not in table or not len(table):
        return []
    out = table["verdict"].to_numpy() == "OUTSIDE_AREA"
    if not out.any():
        return []
    area = shapely.union_all(layers.kelurahan.geometry.values)
    shapely.prepare(area)  # two point-in-polygon tests per outside site
    lon = table["lon"].to_numpy(dtype=float)[out]
    lat = table["lat"].to_numpy(dtype=float)[out]
    ids = table["site_id"].to_numpy(dtype=object)[out].astype(str)  # only the outside sites' ids as text
    hints = []
    for name_id, name_en, x, y in (("lintang", "latitude", lon, -lat), ("bujur", "longitude", -lon, lat)):
        hit = shapely.covers(area, shapely.points(x, y))
        if hit.any():
            shown = ", ".join(ids[hit][:5]) + (" ..." if hit.sum() > 5 else "")
            hints.append(f"{int(hit.sum())} titik di luar wilayah akan berada di dalamnya jika tanda {name_id} "
                         f"dibalik (tanda minus hilang?): {shown} / {int(hit.sum())} sites outside the area would "
                         f"lie inside it with the sign of their {name_en} flipped (a missing minus?): {shown}")
    return hints


def open_checker(catalog: Catalog, ruleset_id: str | None = None, version: str | None = None) -> Checker:
    """Load and compile the rule set (and its area's layers) that ``catalog`` serves.

    Raises
    ------
    InputError
        When the rule set, its manifest or a layer file is invalid.
    """
    ruleset = catalog.ruleset(ruleset_id, version)
    layers = catalog.layers(ruleset.area)
    return Checker(ruleset=ruleset, layers=layers, prepared=prepare(layers, ruleset),
                   grants=catalog.grants(ruleset))


def _kota_polygons(catalog: Catalog, area: str) -> gpd.GeoDataFrame:
    """The kota polygons of a province-wide area (its ``kota`` layer), EPSG:4326."""
    layers = catalog.layers(area)
    kota = layers.by_role("kota")
    if not kota or not kota[0].present:
        why = kota[0].problem if kota else "the manifest has no layer with role 'kota'"
        raise InputError(f"area '{area}' has no kota boundaries to split the batch by: {why}", source=area,
                         field="kota")
    gdf = kota[0].gdf
    for col in ("kode_kemendagri_kota", "kode_bps_kota"):
        if col not in gdf:
            raise InputError(f"the kota layer has no column '{col}'", source=str(kota[0].path), field=col)
    return gdf.reset_index(drop=True)


def _local_levels(catalog: StackCatalog, province_id: str) -> dict[str, str]:
    """Kota code (Kemendagri) -> id of the kota level that extends ``province_id``."""
    out: dict[str, str] = {}
    for rid in catalog.level_ids():
        versions = catalog.versions(rid)
        newest = in_force(versions, None, rid) if versions else None
        if newest is not None and newest.level == "kota" and newest.extends == province_id:
            for code in newest.jurisdiction.get("kemendagri", []):
                out[code] = rid
    return out


def _breaks(catalog: StackCatalog, ids: list[str]) -> np.ndarray:
    """Instants (ns) at which a version of any of ``ids`` comes into force, sorted."""
    ts = {pd.Timestamp(v.effective_from).value for rid in ids for v in catalog.versions(rid) if v.effective_from}
    return np.array(sorted(ts), dtype=np.int64)


def kota_of(kota: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Index of the kota polygon covering each point (-1: none); on a shared edge the first by layer order.

    Parameters
    ----------
    kota : ndarray of shapely geometries
        Kota polygons (EPSG:4326, like the points); a handful, so each is prepared and tested against
        every point at once (a tree query against unprepared polygons took 0.9 s per 100,000 sites).
    points : ndarray of shapely.Point

    Returns
    -------
    ndarray of int64
    """
    which = np.full(len(points), -1, dtype=np.int64)
    for k in range(len(kota) - 1, -1, -1):  # the first kota by layer order is written last, so it wins
        poly = kota[k]
        shapely.prepare(poly)
        which[shapely.covers(poly, points)] = k
    return which


def kota_setup(catalog: StackCatalog, province: str | None = None
               ) -> tuple[Checker, str, RuleSet, gpd.GeoDataFrame, dict[str, str]]:
    """What a batch routed per kota needs: the catalog's own checker, the province level, kota polygons, kota levels.

    The catalog's own rule set may be a kota level (its province is found among its
    levels) or the province level itself (``--rules`` naming a province-wide rule set):
    then the own checker is the province stack over the province-wide area with every
    kota of the ``kota`` layer in its jurisdiction (it judges the sites in no kota, which
    come out ``OUTSIDE_AREA``).

    Returns
    -------
    own : Checker
    province : str
        Id of the province level.
    prov : RuleSet
        The province level in force now.
    kota : geopandas.GeoDataFrame
        Kota polygons (EPSG:4326) with ``kode_kemendagri_kota``, ``kode_bps_kota``, ``kota``.
    local : dict
        Kota code (Kemendagri) -> id of its own kota level.

    Raises
    ------
    InputError
        When no province level is found or named, or the province-wide area has no kota boundaries.
    """
    top = catalog.ruleset()
    if province is None and top.level == "provinsi":
        province = top.id
    if province is None:
        province = next((lv.ruleset_id for lv in top.levels if lv.level == "provinsi"), None)
        if province is None:
            raise InputError(f"rule set '{top.id}' stacks on no province level; name one",
                             source=top.id, field="extends")
    prov = level_in_force(catalog, province)
    if not prov.area:
        raise InputError(f"province rule set '{province}' names no province-wide area", source=province,
                         field="area")
    kota = _kota_polygons(catalog, prov.area)
    local = _local_levels(catalog, province)
    if top.level == "provinsi":
        rs = resolve_stack(catalog, province, area=prov.area,
                           kota={"kemendagri": kota["kode_kemendagri_kota"].astype(str).tolist(),
                                 "bps": kota["kode_bps_kota"].astype(str).tolist()})
        layers = catalog.layers(rs.area)
        own = Checker(ruleset=rs, layers=layers, prepared=prepare(layers, rs), grants=catalog.grants(rs))
    else:
        own = open_checker(catalog)
    return own, province, prov, kota, local


def kota_stack(catalog: StackCatalog, province: str, area: str, local: dict[str, str], row: pd.Series,
               when: dt.datetime | None) -> tuple[RuleSet, bool]:
    """The flattened stack of one kota (a row of the kota layer) in force at ``when``, and whether it is its own.

    A kota with a level of its own gets national -> province -> kota over its own area; a kota
    without one national -> province over the province-wide ``area``, its kelurahan picked by its codes.
    """
    code = str(row["kode_kemendagri_kota"])
    if code in local:
        return resolve_stack(catalog, local[code], when), True
    return resolve_stack(catalog, province, when, area=area,
                         kota={"kemendagri": [code], "bps": [str(row["kode_bps_kota"])]}), False


def check_batch(catalog: StackCatalog, sites: gpd.GeoDataFrame, at: object | None = None, *,
                province: str | None = None, reasons: str = "full", lang: str = "both") -> Evaluation:
    """Judge a batch spanning several kota, each kota with its own rule stack.

    Each site is placed in the kota polygon that covers it (the province-wide area's
    ``kota`` layer). A kota with a level of its own (a ``kota`` rule set extending the
    province) is judged with national -> province -> kota over its own area; a kota
    without one with national -> province over the province-wide area, its kelurahan
    picked by the kota's codes. Each level is used in the version in force at the site's
    ``installed_at`` (else ``at``). Sites in no kota are judged with the catalog's own rule
    set (and so come out ``OUTSIDE_AREA``).

    Parameters
    ----------
    catalog : StackCatalog
        Rule levels and layers (e.g. :class:`~geozones.services.catalog.FileCatalog`).
    sites : geopandas.GeoDataFrame
        Points, EPSG:4326 (the columns :func:`geozones.engine.evaluate` accepts).
    at : datetime or str, optional
        Time for sites without ``installed_at`` (WIB if naive); default now.
    province : str, optional
        Id of the province level (default: the catalog's own rule set when it is a province level,
        else the province level among its levels).
    reasons, lang
        ``full``/``compact``/``none`` and ``id``/``en``/``both``: see :func:`geozones.engine.explain`.

    Returns
    -------
    Evaluation
        ``table`` in input order with a ``rule_stack`` column (the levels and versions that
        judged the site; a kota without its own level says so); ``not_checked`` records carry
        ``kota``; ``provenance["stacks"]`` holds one record per (kota, versions) group:
        ``kode_kemendagri_kota``, ``kota``, ``local`` (bool), ``note``, ``n_sites`` and the
        group's provenance (rule set, every level's id and version, area, layer digests);
        ``provenance["attribution"]`` the attribution lines of every stack used; ``legend`` holds
        ``stacks``: each stack's legend (what its rules say once), keyed by ``rule_stack``.

    Raises
    ------
    InputError
        When the province level, its area or kota boundaries are missing, or a level is not in
        force at a site's time.
    """
    own, province, prov, kota, local = kota_setup(catalog, province)

    sites = sites.reset_index(drop=True)
    which = kota_of(np.asarray(kota.geometry.values, dtype=object), np.asarray(sites.geometry.values, dtype=object))

    chain_ids = [lv.ruleset_id for lv in own.ruleset.levels] + list(local.values()) + [province]
    breaks = _breaks(catalog, sorted(set(chain_ids)))
    default_ns = resolve_at(at).value
    if len(breaks):
        inst = normalize_sites(sites)["installed_at"]
        t_ns = np.where(inst.isna().to_numpy(), default_ns,
                        pd.to_datetime(inst, utc=True).fillna(pd.Timestamp(0, tz="UTC")).astype("int64"))
        bucket = np.searchsorted(breaks, t_ns, side="right")
    else:
        t_ns = np.full(len(sites), default_ns, dtype=np.int64)
        bucket = np.zeros(len(sites), dtype=np.int64)

    tables, matches, not_checked, stacks, attribution, legends = [], [], [], [], [], {}
    layer_sets: dict[str, LayerSet] = {own.ruleset.area: own.layers}
    for k, b in sorted({(int(a), int(c)) for a, c in zip(which, bucket, strict=True)}):
        idx = np.flatnonzero((which == k) & (bucket == b))
        when = dt.datetime.fromtimestamp(int(t_ns[idx[0]]) / 1e9, tz=dt.UTC) if len(breaks) else None
        if k < 0:
            checker, row, is_local = own, None, True
            label_note = ""
        else:
            row = kota.iloc[k]
            rs, is_local = kota_stack(catalog, province, prov.area, local, row, when)
            if rs == own.ruleset:  # the catalog's own kota at the same versions: compiled once already
                checker = own
            else:
                if rs.area not in layer_sets:
                    layer_sets[rs.area] = catalog.layers(rs.area)
                layers = layer_sets[rs.area]
                checker = Checker(ruleset=rs, layers=layers, prepared=prepare(layers, rs),
                                  grants=catalog.grants(rs))
            label_note = "" if is_local else f" ({NO_LOCAL_LEVEL[0]} / {NO_LOCAL_LEVEL[1]})"
        ev = checker.check(sites.iloc[idx], at, reasons=reasons, lang=lang)
        attribution += [line for line in checker.attribution() if line not in attribution]
        if ev.legend is not None:
            legends.setdefault(checker.stack_label("id"), ev.legend)
        t = ev.table.copy()
        t["rule_stack"] = checker.stack_label("id") + label_note
        t.index = idx
        tables.append(t)
        m = ev.matches.copy()
        if "site" in m:
            m["site"] = idx[m["site"].to_numpy()]
        matches.append(m)
        name = None if row is None else str(row.get("kota", ""))
        code = None if row is None else str(row["kode_kemendagri_kota"])
        not_checked += [{**c, "kota": name} for c in ev.not_checked]
        stacks.append({"kode_kemendagri_kota": code, "kota": name, "local": is_local,
                       "note": None if is_local else {"id": NO_LOCAL_LEVEL[0], "en": NO_LOCAL_LEVEL[1]},
                       "n_sites": len(idx), **ev.provenance})
    table = pd.concat(tables).sort_index()
    table = gpd.GeoDataFrame(table, geometry=table.geometry.name, crs=tables[0].crs).reset_index(drop=True)
    all_matches = pd.concat(matches, ignore_index=True) if matches else pd.DataFrame()
    if "site" in all_matches:
        all_matches = all_matches.sort_values("site", kind="stable").reset_index(drop=True)
    provenance = {"ruleset_id": "; ".join(dict.fromkeys(s["ruleset_id"] for s in stacks)),
                  "ruleset_version": "; ".join(dict.fromkeys(s["ruleset_version"] for s in stacks)),
                  "area": "; ".join(dict.fromkeys(s["area"] for s in stacks)),
                  "layers": {f"{s['area']}:{k}": v for s in stacks for k, v in s["layers"].items()},
                  "stacks": stacks, "attribution": attribution}
    return Evaluation(table=table, matches=all_matches, not_checked=unique_not_checked(not_checked),
                      nearest_bound_m=own.prepared.nearest_bound_m, provenance=provenance,
                      legend={"stacks": [{"rule_stack": k, **v} for k, v in legends.items()]})
