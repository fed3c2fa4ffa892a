"""Decide every site: kelurahan, matching rules, grants, verdict, quotas, nearest forbidden place.

Modelled on ``geopandas.tools.sjoin``: :func:`judge` validates its inputs, then
calls one named step after another, each a small function over arrays. The
spatial index is an STRtree on the *sites*, queried in bulk with the restricted
features as inputs, so polygons are prepared once and every distance rule goes
through one ``dwithin`` call with a per-piece distance array. There is no
per-site Python loop.

All coordinates here are in the compiled rules' metric CRS (metres); sites
arrive in EPSG:4326 and are projected once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.geometry

from geozones.core.crs import STORAGE_CRS, transformer
from geozones.core.errors import InputError, Problem
from geozones.core.time import TIMEZONE, resolve_at
from geozones.core.verdicts import BY_RANK, RANK, Verdict
from geozones.engine.compile import APK_CODES, APK_UNKNOWN, PreparedRules, window_ns
from geozones.engine.quotas import over_quota
from geozones.engine.sitegrid import UNDECIDED
from geozones.engine.sites import normalize_sites
from geozones.rules.model import Grant

__all__ = ["GRID_MIN_SITES", "SITE_COLUMNS", "Judgement", "judge"]

SITE_COLUMNS = ("site_id", "apk_type", "paslon", "installed_at")
_NO_UNIT = np.iinfo(np.int64).max
#: From this many sites on, the site grid settles most of them without geometry tests.
GRID_MIN_SITES = 20_000


@dataclass
class Judgement:
    """What :func:`judge` decided, as arrays (one entry per site or per match).

    Matches are sorted by site, then rule, then feature. ``m_rule`` indexes
    ``prepared.rules``; ``m_feat`` indexes ``prepared.features`` (``-1`` for
    rules that apply everywhere); ``m_lift`` indexes ``grants`` (``-1`` when the
    match stands). Quota overruns are kept apart in ``q_site``/``q_quota``/``q_pos``.
    ``x``/``y`` are metres in ``prepared.crs``; ``lon``/``lat`` degrees in EPSG:4326.
    """

    sites: gpd.GeoDataFrame
    prepared: PreparedRules
    grants: list[Grant]
    lon: np.ndarray
    lat: np.ndarray
    x: np.ndarray
    y: np.ndarray
    judged: pd.Series  # tz-aware WIB time each site was judged at
    unit: np.ndarray  # index into prepared.admin, -1 outside the jurisdiction
    rank: np.ndarray  # verdict rank per site
    m_site: np.ndarray
    m_rule: np.ndarray
    m_feat: np.ndarray
    m_lift: np.ndarray
    q_site: np.ndarray
    q_quota: np.ndarray
    q_pos: np.ndarray
    near_feat: np.ndarray  # index into prepared.features, -1 for none within the bound
    near_dist: np.ndarray  # metres, NaN for none within the bound
    t_ns: np.ndarray  # time each site was judged at, ns since the epoch
    apk_code: np.ndarray  # index into APK_CODES, APK_UNKNOWN when not given
    #: per match: True where a rule limited to some APK types meets a site of unknown type
    #: (a conditional reason that never decides the verdict)
    m_cond: np.ndarray | None = None
    #: (n, len(APK_CODES)) verdict rank the site would get as each APK type; -1 where the
    #: type is given or no conditional match exists (every type gives ``rank``)
    type_rank: np.ndarray | None = None

    def stricter_unchecked(self) -> list[np.ndarray]:
        """Per not-checked rule (``prepared.not_checked`` order): the sites it could make stricter.

        A rule whose layer is absent (or partly unusable) that would apply to a site at its time
        and APK type, with a verdict above the site's, leaves that verdict unverified.

        Returns
        -------
        list of ndarray of bool, each shape (n,)
            One mask per rule of status ``"absent"`` or ``"partial"``, in ``prepared.rules`` order.
        """
        out = []
        in_area = self.in_area
        for c in self.prepared.rules:
            if c.status not in ("absent", "partial"):
                continue
            applies = (self.t_ns >= c.start_ns) & (self.t_ns < c.end_ns) & c.apk_mask[self.apk_code]
            if c.typed:  # it cannot decide for a site of unknown type, so it cannot make it stricter
                applies &= self.apk_code != APK_UNKNOWN
            out.append(in_area & applies & (c.rank > self.rank))
        return out

    @property
    def in_area(self) -> np.ndarray:
        """True for sites inside the rule set's jurisdiction."""
        return self.unit >= 0

    @property
    def verdicts(self) -> np.ndarray:
        """Verdict value per site (object array of str)."""
        return BY_RANK[self.rank]


@dataclass
class _Matches:
    """(site, rule, feature) matches, plus the raw (site, polygon) containment pairs."""

    site: np.ndarray
    rule: np.ndarray
    feat: np.ndarray
    c_site: np.ndarray  # containment pairs, reused by the nearest step
    c_feat: np.ndarray


# ----------------------------------------------------------------------------- validation
def check_sites(sites: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Validate the sites frame the way ``sjoin`` validates its inputs.

    Parameters
    ----------
    sites : geopandas.GeoDataFrame
        Points with a CRS; reprojected to EPSG:4326 when another.

    Returns
    -------
    geopandas.GeoDataFrame
        With the engine's site columns (:func:`geozones.engine.sites.normalize_sites`).

    Raises
    ------
    TypeError
        When ``sites`` is not a GeoDataFrame.
    InputError
        When it has no CRS, or a geometry that is not a non-empty point (naming the row).
    """
    if not isinstance(sites, gpd.GeoDataFrame):
        raise TypeError(f"sites must be a GeoDataFrame, not {type(sites).__name__}")
    if sites.crs is None:
        raise InputError("sites have no CRS; set it (e.g. EPSG:4326) before evaluating", field="geometry")
    if not sites.crs.equals(STORAGE_CRS):
        sites = sites.to_crs(STORAGE_CRS)
    geoms = sites.geometry.values
    bad = np.flatnonzero((shapely.get_type_id(geoms) != 0) | shapely.is_empty(geoms))
    if len(bad):
        raise InputError([Problem("site geometry must be a non-empty point "
                                  f"(got {geoms[i].geom_type if geoms[i] is not None else 'nothing'})",
                                  "<sites>", int(i) + 1, "geometry") for i in bad[:20]])
    return sites if _normalized(sites) else normalize_sites(sites)


def _normalized(sites: gpd.GeoDataFrame) -> bool:
    """True when the site columns already hold what normalize_sites produces (cheap check)."""
    if not all(c in sites.columns for c in SITE_COLUMNS):
        return False
    if not isinstance(sites["installed_at"].dtype, pd.DatetimeTZDtype):
        return False
    codes = {t.value for t in APK_CODES}
    present = pd.unique(sites["apk_type"].dropna())
    if not all(v in codes for v in present):
        return False
    ids = sites["site_id"]
    if ids.isna().any() or not ids.is_unique:
        return False  # normalize_sites reports empty and duplicate ids by row
    paslon = pd.unique(sites["paslon"].dropna())
    return all(isinstance(v, str) and v.strip() == v and v != "" and not v.endswith(".0") for v in paslon)


# ----------------------------------------------------------------------------- steps
def site_times(sites: gpd.GeoDataFrame, at: pd.Timestamp) -> tuple[np.ndarray, pd.Series]:
    """The time each site is judged at: its ``installed_at``, else ``at``.

    Parameters
    ----------
    sites : geopandas.GeoDataFrame, n rows
        Normalised sites (:func:`check_sites`); ``installed_at`` is ``datetime64[ns, tz]`` with NaT
        where not given.
    at : pandas.Timestamp
        Time-zone aware fallback time (:func:`geozones.core.time.resolve_at`).

    Returns
    -------
    t_ns : ndarray of int64, shape (n,)
        Nanoseconds since the epoch (UTC), the unit of compiled rule windows.
    judged : pandas.Series of datetime64[ns, Asia/Jakarta], length n
        The same times in WIB, as reported in the output table.

    Raises
    ------
    InputError
        When ``installed_at`` is not time-zone aware or holds a year outside 1900-2100.
    """
    inst = sites["installed_at"]
    if not isinstance(inst.dtype, pd.DatetimeTZDtype):
        raise InputError("installed_at must hold time-zone aware times; read sites with "
                         "geozones.io.sites.read_sites or normalize_sites", field="installed_at")
    years = inst.dt.year
    if (years.notna() & ((years < 1900) | (years > 2100))).any():
        raise InputError("installed_at holds a year outside 1900-2100; read sites with read_sites to find the row",
                         field="installed_at")
    inst = inst.dt.tz_convert("UTC")
    judged = inst.fillna(at.tz_convert("UTC")).dt.tz_convert(TIMEZONE).dt.as_unit("ns")
    # pandas may hold times in us or s; the rule windows are in ns since the epoch.
    return judged.astype("int64").to_numpy(), judged


def apk_codes(apk: np.ndarray) -> np.ndarray:
    """Index into ``APK_CODES`` per site (``APK_UNKNOWN`` where the type is not given).

    Parameters
    ----------
    apk : ndarray of object, shape (n,)
        Normalised APK type values (``"baliho"``, ``"spanduk"``, ...; None when not given).

    Returns
    -------
    ndarray of int64, shape (n,)
    """
    codes = np.full(len(apk), APK_UNKNOWN, dtype=np.int64)
    for i, t in enumerate(APK_CODES):
        codes[apk == t.value] = i
    return codes


def locate_units(prep: PreparedRules, x: np.ndarray, y: np.ndarray, unit: np.ndarray,
                 candidates: np.ndarray) -> np.ndarray:
    """The kelurahan of each candidate site (``covers``): index into ``prep.admin``, -1 outside.

    A site on an edge shared by two kelurahan belongs to the one with the lower
    Kemendagri code (``prep.admin`` is sorted by it).

    Parameters
    ----------
    prep : PreparedRules
        Compiled rules (:func:`geozones.engine.compile.prepare`); geometry in ``prep.crs`` (metric, metres).
    x, y : ndarray of float, shape (n,)
        Site coordinates in ``prep.crs`` (metres).
    unit : ndarray of int64, shape (n,)
        What is already known (from the site grid; -1 elsewhere); updated in place.
    candidates : ndarray of int64
        Indices of the sites to test geometrically.

    Returns
    -------
    ndarray of int64, shape (n,)
        ``unit``, updated: index into ``prep.admin``, -1 outside the jurisdiction.
    """
    if len(candidates):
        tree = shapely.STRtree(shapely.points(x[candidates], y[candidates]))
        a_unit, a_local = tree.query(prep.admin_geoms, predicate="covers")
        best = np.full(len(candidates), _NO_UNIT, dtype=np.int64)
        np.minimum.at(best, a_local, a_unit)
        unit[candidates] = np.where(best == _NO_UNIT, -1, best)
    return unit


def _join_rules_to_containment(prep: PreparedRules, c_site: np.ndarray, c_feat: np.ndarray):
    """Expand (site, polygon) containment pairs into (site, rule, feature) for inside rules."""
    order = np.argsort(prep.inside_feat, kind="stable")
    ifeat, irule = prep.inside_feat[order], prep.inside_rule[order]
    lo = np.searchsorted(ifeat, c_feat, "left")
    cnt = np.searchsorted(ifeat, c_feat, "right") - lo
    rep = np.repeat(np.arange(len(c_feat)), cnt)
    pos = np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt) + np.repeat(lo, cnt)
    return c_site[rep], irule[pos], c_feat[rep]


def match_rules(prep: PreparedRules, x: np.ndarray, y: np.ndarray, in_area: np.ndarray, t_ns: np.ndarray,
                apk_code: np.ndarray, candidates: np.ndarray) -> _Matches:
    """Every (site, rule, feature) match in force at the site's time for its APK type.

    Containment (``intersects`` with prepared polygons) serves ``inside`` rules;
    one ``dwithin`` query with a per-piece distance array (metres) serves every
    ``within`` and ``corridor`` rule; ``anywhere`` rules match every site of the
    area. Only ``candidates`` (sites the grid could not rule out) are tested
    geometrically.

    Parameters
    ----------
    prep : PreparedRules
        Compiled rules (:func:`geozones.engine.compile.prepare`); geometry in ``prep.crs`` (metric, metres).
    x, y : ndarray of float, shape (n,)
        Site coordinates in ``prep.crs`` (metres).
    in_area : ndarray of bool, shape (n,)
        Sites inside the jurisdiction (only these match).
    t_ns : ndarray of int64, shape (n,)
        Judged time per site, ns since the epoch (:func:`site_times`).
    apk_code : ndarray of int64, shape (n,)
        APK type per site (:func:`apk_codes`).
    candidates : ndarray of int64
        Indices of the sites to test geometrically.

    Returns
    -------
    _Matches
        ``site``, ``rule`` (index into ``prep.rules``), ``feat`` (index into ``prep.features``,
        -1 for ``anywhere`` rules), each shape (m,), sorted by site, rule, feature; plus the raw
        (site, polygon) containment pairs ``c_site``, ``c_feat`` for :func:`nearest_forbidden`.
    """
    rules = prep.rules
    ms, mr, mf = [], [], []
    c_site = c_feat = np.empty(0, dtype=np.int64)
    candidates = candidates[in_area[candidates]]
    tree = shapely.STRtree(shapely.points(x[candidates], y[candidates])) if len(candidates) else None
    if tree is not None and len(prep.poly_idx):
        c_poly, c_local = tree.query(prep.geoms[prep.poly_idx], predicate="intersects")
        c_site, c_feat = candidates[c_local], prep.poly_idx[c_poly]
        if len(prep.inside_rule):
            for arr, part in zip((ms, mr, mf), _join_rules_to_containment(prep, c_site, c_feat), strict=True):
                arr.append(part)
    if tree is not None and len(prep.piece_geoms):
        p_piece, p_local = tree.query(prep.piece_geoms, predicate="dwithin", distance=prep.piece_dist)
        p_site = candidates[p_local]
        # a road cut into pieces matches once per piece: keep one per (site, rule, feature)
        key = (p_site * len(rules) + prep.piece_rule[p_piece]) * (len(prep.features) + 1) + prep.piece_feat[p_piece]
        _, first = np.unique(key, return_index=True)
        ms.append(p_site[first])
        mr.append(prep.piece_rule[p_piece[first]])
        mf.append(prep.piece_feat[p_piece[first]])
    for c in rules:
        if c.status == "active" and c.rule.spatial.form == "anywhere":
            # filter here, not after concatenation: at a million sites each such rule
            # would otherwise add three arrays of a million entries
            hit = np.flatnonzero(in_area & (t_ns >= c.start_ns) & (t_ns < c.end_ns) & c.apk_mask[apk_code])
            ms.append(hit)
            mr.append(np.full(len(hit), c.index))
            mf.append(np.full(len(hit), -1))
    m_site = np.concatenate(ms).astype(np.int64) if ms else np.empty(0, np.int64)
    m_rule = np.concatenate(mr).astype(np.int64) if mr else np.empty(0, np.int64)
    m_feat = np.concatenate(mf).astype(np.int64) if mf else np.empty(0, np.int64)
    if len(m_site):
        keep = (in_area[m_site] & (t_ns[m_site] >= prep.rule_start_ns[m_rule])
                & (t_ns[m_site] < prep.rule_end_ns[m_rule]) & prep.rule_apk_mask[m_rule, apk_code[m_site]])
        m_site, m_rule, m_feat = m_site[keep], m_rule[keep], m_feat[keep]
        order = np.lexsort((m_feat, m_rule, m_site))
        m_site, m_rule, m_feat = m_site[order], m_rule[order], m_feat[order]
    return _Matches(m_site, m_rule, m_feat, c_site, c_feat)


def grant_sites(prep: PreparedRules, grants: list[Grant], windows: list[tuple[int, int]], x: np.ndarray,
                y: np.ndarray, site_ids: np.ndarray, t_ns: np.ndarray) -> list[np.ndarray]:
    """For each grant, the sites it covers: at its place (``dwithin`` its radius, metres) inside its window.

    Parameters
    ----------
    prep : PreparedRules
        Compiled rules; grant geometry (EPSG:4326) is projected to ``prep.crs``.
    grants : list of Grant
        The grants, in order.
    windows : list of (int, int)
        ``[start, end)`` of each grant in ns since the epoch (:func:`geozones.engine.compile.window_ns`).
    x, y : ndarray of float, shape (n,)
        Site coordinates in ``prep.crs`` (metres).
    site_ids : ndarray of object, shape (n,)
        Site ids (a grant may name one site by id).
    t_ns : ndarray of int64, shape (n,)
        Judged time per site, ns since the epoch.

    Returns
    -------
    list of ndarray of int64
        Per grant, the indices of the sites it covers.
    """
    tr = transformer(STORAGE_CRS, prep.crs)
    out = []
    for g, (start, end) in zip(grants, windows, strict=True):
        if g.place.site_id is not None:
            hit = np.flatnonzero(site_ids.astype(str) == g.place.site_id)
        else:
            geom = shapely.transform(shapely.geometry.shape(g.place.geometry),
                                     lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))
            minx, miny, maxx, maxy = geom.bounds
            r = g.place.radius
            cand = np.flatnonzero((x >= minx - r) & (x <= maxx + r) & (y >= miny - r) & (y <= maxy + r))
            hit = cand[shapely.dwithin(geom, shapely.points(x[cand], y[cand]), r)]
        out.append(hit[(t_ns[hit] >= start) & (t_ns[hit] < end)])
    return out


def lift_grants(prep: PreparedRules, grants: list[Grant], windows: list[tuple[int, int]], m: _Matches,
                x: np.ndarray, y: np.ndarray, site_ids: np.ndarray, t_ns: np.ndarray) -> np.ndarray:
    """Per match, the grant that lifts it (index into ``grants``), -1 where the match stands.

    A grant lifts only the rules it names, at its place, inside its window; the
    first grant in order wins.

    Parameters
    ----------
    prep, grants, windows, x, y, site_ids, t_ns
        As for :func:`grant_sites`.
    m : _Matches
        The matches of :func:`match_rules`.

    Returns
    -------
    ndarray of int64, shape (m,)
    """
    m_lift = np.full(len(m.site), -1, dtype=np.int64)
    rule_pos = {c.rule.id: c.index for c in prep.rules}
    for gi, hit in enumerate(grant_sites(prep, grants, windows, x, y, site_ids, t_ns)):
        lifted = np.array([rule_pos[r] for r in grants[gi].lifts if r in rule_pos], dtype=np.int64)
        mask = (m_lift < 0) & np.isin(m.site, hit) & np.isin(m.rule, lifted)
        m_lift[mask] = gi
    return m_lift


def conditional_matches(prep: PreparedRules, m: _Matches, apk_code: np.ndarray) -> np.ndarray:
    """Per match: True where a rule limited to some APK types meets a site whose type is not given.

    Such a match never decides the verdict: it appears as a conditional reason
    ("jika billboard/videotron: ...") and in the per-type verdicts.
    """
    if len(prep.rule_typed) == 0 or len(m.site) == 0:
        return np.zeros(len(m.site), dtype=bool)
    return prep.rule_typed[m.rule] & (apk_code[m.site] == APK_UNKNOWN)


def _settle(prep: PreparedRules, n: int, m: _Matches, m_lift: np.ndarray, use: np.ndarray) -> np.ndarray:
    """Verdict rank per site from the matches selected by ``use``."""
    rank = np.full(n, -1, dtype=np.int64)
    standing = use & (m_lift < 0)
    np.maximum.at(rank, m.site[standing], prep.rule_rank[m.rule[standing]])
    any_lift = np.zeros(n, dtype=bool)
    any_lift[m.site[use & (m_lift >= 0)]] = True
    return np.where(rank >= 0, rank, np.where(any_lift, RANK[Verdict.ALLOWED], prep.default_rank))


def rank_verdicts(prep: PreparedRules, n: int, m: _Matches, m_lift: np.ndarray,
                  m_cond: np.ndarray | None = None) -> np.ndarray:
    """The verdict rank of each site: the most restrictive standing match.

    A site with no match gets the rule set's default; a site whose every match a
    grant lifted is ALLOWED (R16). Conditional matches (``m_cond``: a rule limited
    to some APK types at a site of unknown type) are left out.

    Parameters
    ----------
    prep : PreparedRules
        Compiled rules (rank per rule, default rank).
    n : int
        Number of sites.
    m : _Matches
        The matches of :func:`match_rules`.
    m_lift : ndarray of int64, shape (m,)
        From :func:`lift_grants`.
    m_cond : ndarray of bool, shape (m,), optional
        Matches that only hold for some APK types at a site of unknown type.

    Returns
    -------
    ndarray of int64, shape (n,)
        Rank in :data:`geozones.core.verdicts.RANK` (higher is stricter).
    """
    use = np.ones(len(m.site), dtype=bool) if m_cond is None else ~m_cond
    return _settle(prep, n, m, m_lift, use)


def rank_by_type(prep: PreparedRules, n: int, m: _Matches, m_lift: np.ndarray, m_cond: np.ndarray) -> np.ndarray:
    """The verdict rank each site of unknown type would get as each APK type.

    Returns
    -------
    ndarray of int8, shape (n, len(APK_CODES))
        -1 for sites without a conditional match (all types agree with the site's rank).
    """
    out = np.full((n, len(APK_CODES)), -1, dtype=np.int8)
    if not m_cond.any():
        return out
    sites = np.unique(m.site[m_cond])
    for t in range(len(APK_CODES)):
        out[sites, t] = _settle(prep, n, m, m_lift, ~m_cond | prep.rule_apk_mask[m.rule, t])[sites]
    return out


def apply_quotas(prep: PreparedRules, unit: np.ndarray, paslon: np.ndarray, apk_code: np.ndarray,
                 t_ns: np.ndarray, site_ids: np.ndarray, rank: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Count APK per unit, paslon and type across the batch; sites past a cap are FORBIDDEN.

    Only sites that may lawfully stand count: a site whose place verdict (``rank``
    before any quota) is NEEDS_DISCRETION or milder counts, since it may stand once
    its condition is met; FORBIDDEN, OUT_OF_WINDOW and OUTSIDE_AREA sites do not
    (a prop that must come down cannot use up a lawful prop's share) and keep their
    own reasons. Every quota counts on the place verdicts, so one quota's overruns
    do not change another's count. Sites are counted in order of time, then site
    id, so the result does not depend on the order of the input.
    Caps and their legal basis come from the
    rule set's quotas (:attr:`geozones.rules.model.Quota.cap`, ``legal_basis``).

    Parameters
    ----------
    prep : PreparedRules
        Compiled rules (quotas, unit codes per admin level).
    unit : ndarray of int64, shape (n,)
        Kelurahan per site (index into ``prep.admin``, -1 outside).
    paslon : ndarray of object, shape (n,)
        Candidate pair per site (None when not given: not counted).
    apk_code : ndarray of int64, shape (n,)
        APK type per site (:func:`apk_codes`).
    t_ns : ndarray of int64, shape (n,)
        Judged time per site, ns since the epoch.
    site_ids : ndarray of object, shape (n,)
        Site ids (tie-break of the count order).
    rank : ndarray of int64, shape (n,)
        Verdict ranks so far; updated in place.

    Returns
    -------
    rank : ndarray of int64, shape (n,)
        Updated verdict ranks.
    q_site, q_quota, q_pos : ndarray of int64
        Per overrun: the site, the quota (index into ``ruleset.quotas``) and the
        site's position in its count.
    """
    q_site, q_quota, q_pos = [], [], []
    lawful = (rank <= RANK[Verdict.NEEDS_DISCRETION]) & (unit >= 0)
    for qi, q in enumerate(prep.ruleset.quotas):
        codes = prep.unit_codes[q.unit]
        units = np.where(unit >= 0, codes[np.maximum(unit, 0)] if len(codes) else -1, -1)
        rows, pos = over_quota(units, paslon, lawful & (apk_code == APK_CODES.index(q.apk_type)), t_ns,
                               site_ids, q.cap)
        q_site.append(rows)
        q_quota.append(np.full(len(rows), qi, dtype=np.int64))
        q_pos.append(pos)
    q_site_a = np.concatenate(q_site) if q_site else np.empty(0, np.int64)
    q_quota_a = np.concatenate(q_quota) if q_quota else np.empty(0, np.int64)
    q_pos_a = np.concatenate(q_pos) if q_pos else np.empty(0, np.int64)
    rank = rank.copy()
    np.maximum.at(rank, q_site_a, RANK[Verdict.FORBIDDEN])
    return rank, q_site_a, q_quota_a, q_pos_a


def nearest_forbidden(prep: PreparedRules, x: np.ndarray, y: np.ndarray, in_area: np.ndarray,
                      m: _Matches) -> tuple[np.ndarray, np.ndarray]:
    """The nearest feature of a FORBIDDEN rule to each site in the area, within ``prep.nearest_bound_m``.

    Parameters
    ----------
    prep : PreparedRules
        Compiled rules (:func:`geozones.engine.compile.prepare`); geometry in ``prep.crs`` (metric, metres).
    x, y : ndarray of float, shape (n,)
        Site coordinates in ``prep.crs`` (metres).
    in_area : ndarray of bool, shape (n,)
        Sites inside the jurisdiction (others get none).
    m : _Matches
        The matches of :func:`match_rules` (their containment pairs give distance 0).

    Returns
    -------
    near_feat : ndarray of int64, shape (n,)
        Index into ``prep.features``; -1 where none lies within the bound.
    near_dist : ndarray of float, shape (n,)
        Exact distance in metres; 0 inside a forbidden polygon; NaN for none.
    """
    n = len(x)
    near_feat = np.full(n, -1, dtype=np.int64)
    near_dist = np.full(n, np.nan)
    if len(prep.nearest_feat) and in_area.any():
        q = np.flatnonzero(in_area)
        f, d = prep.nearest_index.query(x[q], y[q])
        near_feat[q] = np.where(f >= 0, prep.nearest_feat[np.maximum(f, 0)], -1)
        near_dist[q] = d
        # inside a forbidden polygon: distance 0 (the lowest feature index on overlap)
        inside = np.isin(m.c_feat, prep.nearest_feat) & in_area[m.c_site]
        if inside.any():
            best = np.full(n, _NO_UNIT, dtype=np.int64)
            np.minimum.at(best, m.c_site[inside], m.c_feat[inside])
            hit = best != _NO_UNIT
            near_feat[hit] = best[hit]
            near_dist[hit] = 0.0
    return near_feat, near_dist


# ----------------------------------------------------------------------------- judge
def judge(sites: gpd.GeoDataFrame, compiled: PreparedRules, at: object | None = None, *,
          grants: Iterable[Grant] = (),
          progress: Callable[[str, float], None] | None = None) -> Judgement:
    """Decide every site: kelurahan, matches, grants, verdict, quotas, nearest forbidden place.

    Parameters
    ----------
    sites : geopandas.GeoDataFrame, n rows
        Points with a CRS (see :func:`check_sites`).
    compiled : PreparedRules
        A rule set compiled against its layers (:func:`geozones.engine.compile.prepare`).
    at : datetime, str or None
        Time for sites without ``installed_at`` (WIB if naive); resolved once. Default: now.
    grants : iterable of Grant
        Discretion grants on top of the rule set's own (e.g. from a grants register).
    progress : callable, optional
        Called as ``progress(step_name, fraction_done)`` between steps.

    Returns
    -------
    Judgement
        Arrays; :func:`geozones.engine.explain.explain` makes the table.

    Raises
    ------
    InputError
        For invalid sites or times (see :func:`check_sites`, :func:`site_times`).
    """
    report = progress or (lambda step, frac: None)
    sites = check_sites(sites)
    prep = compiled
    n = len(sites)
    at_ts = resolve_at(at)

    report("project", 0.05)
    lonlat = shapely.get_coordinates(sites.geometry.values)
    lon, lat = lonlat[:, 0], lonlat[:, 1]
    x, y = transformer(STORAGE_CRS, prep.crs).transform(lon, lat)
    t_ns, judged = site_times(sites, at_ts)
    apk_code = apk_codes(sites["apk_type"].to_numpy(dtype=object))
    site_ids = sites["site_id"].to_numpy(dtype=object)

    # For large batches the grid settles most sites exactly without geometry tests.
    if n >= GRID_MIN_SITES:
        cell_unit, near = prep.site_grid().lookup(x, y)
        check_unit = np.flatnonzero(cell_unit == UNDECIDED)
        check_rules = np.flatnonzero(near)
        unit = np.where(cell_unit >= 0, cell_unit, -1)
    else:
        check_unit = check_rules = np.arange(n)
        unit = np.full(n, -1, dtype=np.int64)

    report("kelurahan", 0.15)
    unit = locate_units(prep, x, y, unit, check_unit)
    in_area = unit >= 0
    report("rules", 0.3)
    m = match_rules(prep, x, y, in_area, t_ns, apk_code, check_rules)
    report("grants", 0.5)
    extra = list(grants)
    all_grants = list(prep.ruleset.grants) + extra
    windows = prep.grant_windows + [window_ns(prep.ruleset, g.window) for g in extra]
    m_lift = lift_grants(prep, all_grants, windows, m, x, y, site_ids, t_ns)
    m_cond = conditional_matches(prep, m, apk_code)
    rank = rank_verdicts(prep, n, m, m_lift, m_cond)
    type_rank = rank_by_type(prep, n, m, m_lift, m_cond)
    report("quotas", 0.6)
    rank, q_site, q_quota, q_pos = apply_quotas(prep, unit, sites["paslon"].to_numpy(dtype=object), apk_code,
                                                t_ns, site_ids, rank)
    rank[~in_area] = RANK[Verdict.OUTSIDE_AREA]
    report("nearest", 0.7)
    near_feat, near_dist = nearest_forbidden(prep, x, y, in_area, m)
    report("judged", 0.8)
    return Judgement(sites=sites, prepared=prep, grants=all_grants, lon=lon, lat=lat, x=x, y=y, judged=judged,
                     unit=unit, rank=rank, m_site=m.site, m_rule=m.rule, m_feat=m.feat, m_lift=m_lift,
                     q_site=q_site, q_quota=q_quota, q_pos=q_pos, near_feat=near_feat, near_dist=near_dist,
                     t_ns=t_ns, apk_code=apk_code, m_cond=m_cond, type_rank=type_rank)
