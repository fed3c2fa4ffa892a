"""The rule engine: one explained, time-aware verdict per site.

Modelled on ``geopandas.tools.sjoin``: a pure function that checks its inputs,
queries one spatial index in bulk and builds the frame. The index is an STRtree
on the *sites*, queried with the restricted features as inputs, so polygons are
prepared once and every distance rule goes through one ``dwithin`` call with a
per-piece distance array. There is no per-site Python loop.

The work is split in two: :func:`judge` decides (kelurahan, every match,
grants, quotas, verdict, nearest forbidden feature) and keeps the result as
arrays; :func:`explain` turns a judgement into the table with reasons in
Bahasa Indonesia and English. :func:`evaluate` does both.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.geometry

from geozones.crs import STORAGE_CRS, transformer
from geozones.errors import InputError, Problem
from geozones.layers import LayerSet
from geozones.prepared import APK_CODES, APK_UNKNOWN, PreparedRules, _window_ns, prepare
from geozones.quotas import UNIT_COLUMNS, over_quota, quota_id
from geozones.reasons import cite, feature_label, join_per_site, rule_templates
from geozones.ruleset import Grant, RuleSet
from geozones.sitegrid import UNDECIDED
from geozones.verdicts import BY_RANK, RANK, Verdict
from geozones.wib import TIMEZONE, parse_time

__all__ = ["Evaluation", "Judgement", "evaluate", "evaluate_detailed", "explain", "judge", "prepare"]

SITE_COLUMNS = ("site_id", "apk_type", "paslon", "installed_at")
ADMIN_COLUMNS = ("kode_kemendagri", "kode_bps", "kelurahan", "kode_kemendagri_kec", "kode_bps_kec",
                 "kecamatan", "kode_kemendagri_kota", "kode_bps_kota", "kota")
_NO_UNIT = np.iinfo(np.int64).max
#: From this many sites on, the site grid settles most of them without geometry tests.
GRID_MIN_SITES = 20_000


def _obj(values) -> pd.Series:
    """Keep a text column as Python objects.

    pandas' inference to Arrow strings costs more than the rest of the table at
    a million rows.
    """
    return pd.Series(np.asarray(values, dtype=object), dtype=object, copy=False)


@dataclass
class Judgement:
    """What :func:`judge` decided, as arrays (one entry per site or per match).

    Matches are sorted by site, then rule, then feature. ``m_rule`` indexes
    ``prepared.rules``; ``m_feat`` indexes ``prepared.features`` (``-1`` for
    rules that apply everywhere); ``m_lift`` indexes ``grants`` (``-1`` when the
    match stands). Quota overruns are kept apart in ``q_site``/``q_quota``/``q_pos``.
    """

    sites: gpd.GeoDataFrame
    prepared: PreparedRules
    grants: list[Grant]
    lon: np.ndarray
    lat: np.ndarray
    x: np.ndarray  # metric coordinates
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
    near_dist: np.ndarray
    t_ns: np.ndarray  # time each site was judged at, ns since the epoch
    apk_code: np.ndarray  # index into APK_CODES, APK_UNKNOWN when not given

    def stricter_unchecked(self) -> list[np.ndarray]:
        """Per not-checked rule (``prepared.not_checked`` order): the sites it could make stricter.

        A rule whose layer is absent (or partly unusable) that would apply to a site at its time
        and APK type, with a verdict above the site's, leaves that verdict unverified.
        """
        out = []
        in_area = self.in_area
        for c in self.prepared.rules:
            if c.status not in ("absent", "partial"):
                continue
            applies = (self.t_ns >= c.start_ns) & (self.t_ns < c.end_ns) & c.apk_mask[self.apk_code]
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
class Evaluation:
    """Everything the engine found.

    Attributes
    ----------
    table : geopandas.GeoDataFrame
        One row per site, in input order (see :func:`evaluate`).
    matches : pandas.DataFrame
        One row per (site, rule, feature) match, including matches lifted by a
        grant (``lifted_by`` set) and quota overruns.
    not_checked : list of dict
        Rules whose layer is absent: ``rule_id``, ``layer``, ``reason``.
    nearest_bound_m : float
        How far the nearest forbidden feature was searched for.
    """

    table: gpd.GeoDataFrame
    matches: pd.DataFrame
    not_checked: list[dict]
    nearest_bound_m: float


def _resolve_at(at: dt.datetime | str | pd.Timestamp | None) -> pd.Timestamp:
    if at is None or (isinstance(at, str) and at.strip().lower() in ("now", "sekarang")):
        return pd.Timestamp.now(tz=TIMEZONE)
    try:
        return parse_time(at)
    except ValueError as exc:
        raise InputError(str(exc), field="at") from None


def _check_sites(sites: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Validate the sites frame the way ``sjoin`` validates its inputs."""
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
    if not _normalized(sites):
        from geozones.io.sites import normalize_sites

        sites = normalize_sites(sites)
    return sites


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


def _apk_codes(apk: np.ndarray) -> np.ndarray:
    codes = np.full(len(apk), APK_UNKNOWN, dtype=np.int64)
    for i, t in enumerate(APK_CODES):
        codes[apk == t.value] = i
    return codes


def _times(sites: gpd.GeoDataFrame, at: pd.Timestamp) -> tuple[np.ndarray, pd.Series]:
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


def _grant_sites(grants: list[Grant], ruleset: RuleSet, prep: PreparedRules, x: np.ndarray, y: np.ndarray,
                 site_ids: np.ndarray, t_ns: np.ndarray) -> list[np.ndarray]:
    """For each grant, the sites it covers (place and validity window)."""
    tr = transformer(STORAGE_CRS, prep.crs)
    out = []
    for g in grants:
        if g.place.site_id is not None:
            hit = np.flatnonzero(site_ids.astype(str) == g.place.site_id)
        else:
            geom = shapely.transform(shapely.geometry.shape(g.place.geometry),
                                     lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))
            minx, miny, maxx, maxy = geom.bounds
            r = g.place.radius
            cand = np.flatnonzero((x >= minx - r) & (x <= maxx + r) & (y >= miny - r) & (y <= maxy + r))
            hit = cand[shapely.dwithin(geom, shapely.points(x[cand], y[cand]), r)]
        start, end = _window_ns(ruleset, g.window)
        out.append(hit[(t_ns[hit] >= start) & (t_ns[hit] < end)])
    return out


def _join_rules_to_containment(prep: PreparedRules, c_site: np.ndarray, c_feat: np.ndarray):
    """Expand (site, polygon) containment pairs into (site, rule, feature) for inside rules."""
    order = np.argsort(prep.inside_feat, kind="stable")
    ifeat, irule = prep.inside_feat[order], prep.inside_rule[order]
    lo = np.searchsorted(ifeat, c_feat, "left")
    cnt = np.searchsorted(ifeat, c_feat, "right") - lo
    rep = np.repeat(np.arange(len(c_feat)), cnt)
    pos = np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt) + np.repeat(lo, cnt)
    return c_site[rep], irule[pos], c_feat[rep]


def judge(sites: gpd.GeoDataFrame, layers: LayerSet, ruleset: RuleSet,
          at: dt.datetime | str | None = None, *, prepared: PreparedRules | None = None,
          grants: Iterable[Grant] = (),
          progress: Callable[[str, float], None] | None = None) -> Judgement:
    """Decide every site: kelurahan, matches, grants, quotas, verdict, nearest.

    Parameters are those of :func:`evaluate`; ``progress(step, fraction)`` is
    called between steps. Returns arrays; :func:`explain` makes the table.
    """
    report = progress or (lambda step, frac: None)
    sites = _check_sites(sites)
    if ruleset.area != layers.manifest.id:
        raise InputError(f"rule set {ruleset.id} is for area '{ruleset.area}', but the layers are "
                         f"for '{layers.manifest.id}'", field="area")
    if prepared is None:
        report("prepare", 0.0)
        prepared = prepare(layers, ruleset)
    elif prepared.ruleset is not ruleset or prepared.layers is not layers:
        raise ValueError("prepared rules were built for another rule set or layer set")
    prep = prepared
    n = len(sites)
    at_ts = _resolve_at(at)
    rules = prep.rules

    # --- sites in the metric CRS -----------------------------------------------------
    report("project", 0.05)
    lonlat = shapely.get_coordinates(sites.geometry.values)
    lon, lat = lonlat[:, 0], lonlat[:, 1]
    x, y = transformer(STORAGE_CRS, prep.crs).transform(lon, lat)
    t_ns, judged = _times(sites, at_ts)
    apk_code = _apk_codes(sites["apk_type"].to_numpy(dtype=object))
    site_ids = sites["site_id"].to_numpy(dtype=object)

    # --- which sites need geometry tests: for large batches the grid settles most ------
    if n >= GRID_MIN_SITES:
        cell_unit, near = prep.site_grid().lookup(x, y)
        check_unit = np.flatnonzero(cell_unit == UNDECIDED)
        check_rules = np.flatnonzero(near)
        unit = np.where(cell_unit >= 0, cell_unit, -1)
    else:
        check_unit = check_rules = np.arange(n)
        unit = np.full(n, -1, dtype=np.int64)

    # --- admin unit: on an edge shared by two kelurahan the lower kode wins -------------
    report("kelurahan", 0.15)
    if len(check_unit):
        tree = shapely.STRtree(shapely.points(x[check_unit], y[check_unit]))
        a_unit, a_local = tree.query(prep.admin_geoms, predicate="covers")
        best = np.full(len(check_unit), _NO_UNIT, dtype=np.int64)
        np.minimum.at(best, a_local, a_unit)
        unit[check_unit] = np.where(best == _NO_UNIT, -1, best)
    in_area = unit >= 0

    # --- rule matches: containment, distances, and rules for everywhere ------------------
    report("rules", 0.3)
    ms, mr, mf = [], [], []
    c_site = c_feat = np.empty(0, dtype=np.int64)
    check_rules = check_rules[in_area[check_rules]]
    tree = shapely.STRtree(shapely.points(x[check_rules], y[check_rules])) if len(check_rules) else None
    if tree is not None and len(prep.poly_idx):
        c_poly, c_local = tree.query(prep.geoms[prep.poly_idx], predicate="intersects")
        c_site, c_feat = check_rules[c_local], prep.poly_idx[c_poly]
        if len(prep.inside_rule):
            for arr, part in zip((ms, mr, mf), _join_rules_to_containment(prep, c_site, c_feat), strict=True):
                arr.append(part)
    if tree is not None and len(prep.piece_geoms):
        p_piece, p_local = tree.query(prep.piece_geoms, predicate="dwithin", distance=prep.piece_dist)
        p_site = check_rules[p_local]
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
        r_start = np.array([c.start_ns for c in rules], dtype=np.int64)
        r_end = np.array([c.end_ns for c in rules], dtype=np.int64)
        r_apk = np.stack([c.apk_mask for c in rules])
        keep = (in_area[m_site] & (t_ns[m_site] >= r_start[m_rule]) & (t_ns[m_site] < r_end[m_rule])
                & r_apk[m_rule, apk_code[m_site]])
        m_site, m_rule, m_feat = m_site[keep], m_rule[keep], m_feat[keep]
        order = np.lexsort((m_feat, m_rule, m_site))
        m_site, m_rule, m_feat = m_site[order], m_rule[order], m_feat[order]

    # --- discretion grants lift the rules they name ------------------------------------
    report("grants", 0.5)
    all_grants = list(ruleset.grants) + list(grants)
    m_lift = np.full(len(m_site), -1, dtype=np.int64)
    rule_pos = {c.rule.id: c.index for c in rules}
    for gi, hit in enumerate(_grant_sites(all_grants, ruleset, prep, x, y, site_ids, t_ns)):
        lifted = np.array([rule_pos[r] for r in all_grants[gi].lifts if r in rule_pos], dtype=np.int64)
        mask = (m_lift < 0) & np.isin(m_site, hit) & np.isin(m_rule, lifted)
        m_lift[mask] = gi

    # --- place verdict: the most restrictive standing match ------------------------------
    r_rank = np.array([c.rank for c in rules], dtype=np.int64)
    rank = np.full(n, -1, dtype=np.int64)
    standing = m_lift < 0
    np.maximum.at(rank, m_site[standing], r_rank[m_rule[standing]])
    any_lift = np.zeros(n, dtype=bool)
    any_lift[m_site[~standing]] = True
    # a site whose every match was lifted by a grant is allowed (R16), else the default
    rank = np.where(rank >= 0, rank, np.where(any_lift, RANK[Verdict.ALLOWED], RANK[ruleset.default_verdict]))

    # --- quotas across the batch -----------------------------------------------------------
    report("quotas", 0.6)
    q_site, q_quota, q_pos = [], [], []
    if ruleset.quotas:
        paslon = sites["paslon"].to_numpy(dtype=object)
        for qi, q in enumerate(ruleset.quotas):
            units = _unit_codes(prep, unit, q.unit)
            rows, pos = over_quota(units, paslon, apk_code == APK_CODES.index(q.apk_type), t_ns, site_ids,
                                   q.cap)
            q_site.append(rows)
            q_quota.append(np.full(len(rows), qi, dtype=np.int64))
            q_pos.append(pos)
    q_site_a = np.concatenate(q_site) if q_site else np.empty(0, np.int64)
    q_quota_a = np.concatenate(q_quota) if q_quota else np.empty(0, np.int64)
    q_pos_a = np.concatenate(q_pos) if q_pos else np.empty(0, np.int64)
    np.maximum.at(rank, q_site_a, RANK[Verdict.FORBIDDEN])
    rank[~in_area] = RANK[Verdict.OUTSIDE_AREA]

    # --- nearest forbidden feature (exact, within the bound) ----------------------------------
    report("nearest", 0.7)
    near_feat = np.full(n, -1, dtype=np.int64)
    near_dist = np.full(n, np.nan)
    if len(prep.nearest_feat) and in_area.any():
        q = np.flatnonzero(in_area)
        f, d = prep.nearest_index.query(x[q], y[q])
        near_feat[q] = np.where(f >= 0, prep.nearest_feat[np.maximum(f, 0)], -1)
        near_dist[q] = d
        # inside a forbidden polygon: distance 0 (the lowest feature index on overlap)
        inside = np.isin(c_feat, prep.nearest_feat) & in_area[c_site]
        if inside.any():
            best = np.full(n, _NO_UNIT, dtype=np.int64)
            np.minimum.at(best, c_site[inside], c_feat[inside])
            hit = best != _NO_UNIT
            near_feat[hit] = best[hit]
            near_dist[hit] = 0.0
    report("judged", 0.8)
    return Judgement(sites=sites, prepared=prep, grants=all_grants, lon=lon, lat=lat, x=x, y=y, judged=judged,
                     unit=unit, rank=rank, m_site=m_site, m_rule=m_rule, m_feat=m_feat, m_lift=m_lift,
                     q_site=q_site_a, q_quota=q_quota_a, q_pos=q_pos_a, near_feat=near_feat, near_dist=near_dist,
                     t_ns=t_ns, apk_code=apk_code)


def _unit_codes(prep: PreparedRules, unit: np.ndarray, level: str) -> np.ndarray:
    """Integer code of each site's admin unit at ``level`` (-1 outside the area)."""
    col = UNIT_COLUMNS[level][0]
    codes, _ = pd.factorize(prep.admin[col]) if len(prep.admin) else (np.empty(0, np.int64), None)
    return np.where(unit >= 0, np.asarray(codes)[np.maximum(unit, 0)] if len(codes) else -1, -1)


# ----------------------------------------------------------------------------- explain
def _default_reasons(ruleset: RuleSet) -> tuple[str, str]:
    basis = cite(ruleset.default_legal_basis)
    v = ruleset.default_verdict.value
    return (f"{ruleset.default_reason.id}" + (f". Dasar: {basis}" if basis else "") + f" [{v}]",
            f"{ruleset.default_reason.en}" + (f". Basis: {basis}" if basis else "") + f" [{v}]")


def _matches_frame(j: Judgement) -> pd.DataFrame:
    """One row per match (rules and quotas), most restrictive first within a site."""
    prep, rules, ruleset = j.prepared, j.prepared.rules, j.prepared.ruleset
    m_site, m_rule, m_feat, m_lift = j.m_site, j.m_rule, j.m_feat, j.m_lift
    site_ids = j.sites["site_id"].astype(str).to_numpy()
    dist = np.zeros(len(m_site))
    has = m_feat >= 0
    if has.any():
        sh = m_site[has]
        dist[has] = shapely.distance(shapely.points(j.x[sh], j.y[sh]), prep.geoms[m_feat[has]])
    feats = prep.features
    fn = feats["feature_name"].to_numpy(dtype=object)
    fl = feats["layer"].to_numpy(dtype=object)
    fi = feats["feature_id"].to_numpy(dtype=object)
    labels = np.array([feature_label(a, b, c) for a, b, c in zip(fl, fn, fi, strict=True)] + [""], dtype=object)
    templates = [rule_templates(c.rule) for c in rules]
    # Most sites share one judging time: format each distinct time once.
    t_codes, t_unique = pd.factorize(j.judged)
    when_id = np.asarray(t_unique.strftime("dinilai pada %d-%m-%Y %H:%M WIB"), dtype=object)[t_codes]
    when_en = np.asarray(t_unique.strftime("judged at %d-%m-%Y %H:%M WIB"), dtype=object)[t_codes]
    # Distances are shown in whole metres, so one text serves every (rule, feature, metre) triple.
    metres = np.rint(dist).astype(np.int64)
    key = np.where(has, (m_rule * (len(feats) + 1) + m_feat) * 100_000 + np.minimum(metres, 99_999), -1)
    rid = np.empty(len(m_site), dtype=object)
    ren = np.empty(len(m_site), dtype=object)
    if has.any():
        _, first, inv = np.unique(key[has], return_index=True, return_inverse=True)
        hidx = np.flatnonzero(has)
        u_id, u_en = [], []
        for i in hidx[first]:
            tid, ten = templates[m_rule[i]]
            lab, m = labels[m_feat[i]], metres[i]
            u_id.append(tid.format(name=lab, m=m))
            u_en.append(ten.format(name=lab, m=m))
        rid[hidx] = np.asarray(u_id, dtype=object)[inv]
        ren[hidx] = np.asarray(u_en, dtype=object)[inv]
    for r in np.unique(m_rule[~has]):
        sel = np.flatnonzero(~has & (m_rule == r))
        tid, ten = templates[r]
        pre_id, post_id = tid.split("{when}")
        pre_en, post_en = ten.split("{when}")
        rid[sel] = pre_id + when_id[m_site[sel]] + post_id
        ren[sel] = pre_en + when_en[m_site[sel]] + post_en
    lifted_by = np.array([g.id for g in j.grants] + [""], dtype=object)[m_lift]
    for i in np.flatnonzero(m_lift >= 0):
        g = j.grants[m_lift[i]]
        cond_id = f"; syarat: {g.conditions.id}" if g.conditions else ""
        cond_en = f"; conditions: {g.conditions.en}" if g.conditions else ""
        rid[i] = f"DISKRESI {g.id} ({g.reference}, {g.granted_by}{cond_id}) mengangkat: {rid[i]}"
        ren[i] = f"DISCRETION {g.id} ({g.reference}, {g.granted_by}{cond_en}) lifts: {ren[i]}"
    rule_ids = np.array([c.rule.id for c in rules], dtype=object)
    r_verdict = np.array([c.rule.verdict.value for c in rules], dtype=object)
    r_rank = np.array([c.rank for c in rules], dtype=np.int64)
    r_adv = np.array([c.rule.advisory for c in rules], dtype=bool)
    fidx = np.where(has, m_feat, len(feats))
    frame = pd.DataFrame({
        "site": m_site, "site_id": _obj(site_ids[m_site]), "rule_id": _obj(rule_ids[m_rule]),
        "verdict": _obj(r_verdict[m_rule]), "rank": r_rank[m_rule], "layer": _obj(np.append(fl, "")[fidx]),
        "feature_id": _obj(np.append(fi, "")[fidx]), "feature_name": _obj(np.append(fn, "")[fidx]),
        "distance_m": np.round(dist, 1), "advisory": r_adv[m_rule], "lifted_by": _obj(lifted_by),
        "reason_id": _obj(rid), "reason_en": _obj(ren)})
    if len(j.q_site):
        qs = ruleset.quotas
        texts = []
        for q in qs:
            basis = cite(q.legal_basis)
            head = f"{quota_id(q)} "
            texts.append((head + f"Kuota {q.apk_type.value} per {q.unit} terlampaui: APK ke-{{pos}}, batas {q.cap} "
                           f"({q.facilitated_max} difasilitasi + {q.extra_pct}%). Dasar: {basis} [FORBIDDEN]",
                           head + f"{q.apk_type.value} quota per {q.unit} exceeded: APK no. {{pos}}, cap {q.cap} "
                           f"({q.facilitated_max} facilitated + {q.extra_pct}%). Basis: {basis} [FORBIDDEN]"))
        qkey = j.q_quota * 10_000_000 + j.q_pos
        _, first, inv = np.unique(qkey, return_index=True, return_inverse=True)
        u_id = np.array([texts[j.q_quota[i]][0].format(pos=j.q_pos[i]) for i in first], dtype=object)
        u_en = np.array([texts[j.q_quota[i]][1].format(pos=j.q_pos[i]) for i in first], dtype=object)
        nq = len(j.q_site)
        qframe = pd.DataFrame({
            "site": j.q_site, "site_id": _obj(site_ids[j.q_site]),
            "rule_id": _obj(np.array([quota_id(q) for q in qs], dtype=object)[j.q_quota]),
            "verdict": _obj(np.full(nq, Verdict.FORBIDDEN.value, dtype=object)),
            "rank": np.full(nq, RANK[Verdict.FORBIDDEN]), "layer": _obj(np.full(nq, "", dtype=object)),
            "feature_id": _obj(np.full(nq, "", dtype=object)), "feature_name": _obj(np.full(nq, "", dtype=object)),
            "distance_m": np.zeros(nq), "advisory": np.zeros(nq, dtype=bool),
            "lifted_by": _obj(np.full(nq, "", dtype=object)), "reason_id": _obj(u_id[inv]),
            "reason_en": _obj(u_en[inv])})
        frame = pd.concat([frame, qframe], ignore_index=True)
    rid_code, _ = pd.factorize(frame["rule_id"].to_numpy(dtype=object), sort=True)
    order = np.lexsort((frame["distance_m"].to_numpy(), rid_code, -frame["rank"].to_numpy(),
                        frame["site"].to_numpy()))
    return frame.take(order).reset_index(drop=True)


def explain(j: Judgement) -> Evaluation:
    """Build the verdict table (with bilingual reasons) and the matches frame."""
    prep, ruleset = j.prepared, j.prepared.ruleset
    n = len(j.rank)
    in_area = j.in_area
    matches = _matches_frame(j)
    # One reason per (site, rule): its nearest feature (matches are sorted so it comes first).
    site_a = matches["site"].to_numpy()
    rule_a = matches["rule_id"].to_numpy()
    first = np.ones(len(matches), dtype=bool)
    first[1:] = (site_a[1:] != site_a[:-1]) | (rule_a[1:] != rule_a[:-1])
    lifted_a = matches["lifted_by"].to_numpy() != ""
    act = first & ~lifted_a
    lif = first & lifted_a
    default_id, default_en = _default_reasons(ruleset)
    rid = matches["reason_id"].to_numpy()
    ren = matches["reason_en"].to_numpy()
    reasons_id = join_per_site(n, site_a[act], rid[act].tolist(), default_id)
    reasons_en = join_per_site(n, site_a[act], ren[act].tolist(), default_en)
    if lif.any():
        has_act = np.zeros(n, dtype=bool)
        has_act[site_a[act]] = True
        for arr, texts in ((reasons_id, rid), (reasons_en, ren)):
            extra = join_per_site(n, site_a[lif], texts[lif].tolist(), "")
            s = np.unique(site_a[lif])
            arr[s] = np.where(has_act[s], arr[s] + " | " + extra[s], extra[s])
    # "Unknown" is an answer: say which missing layers could have made the verdict stricter.
    unverified = np.zeros(n, dtype=bool)
    missing = [(c, hit) for c, hit in zip(prep.not_checked, j.stricter_unchecked(), strict=True) if hit.any()]
    if missing:
        ids = np.empty(n, dtype=object)
        ids[:] = ""
        for c, hit in missing:
            unverified |= hit
            ids[hit] = ids[hit] + f"{c['rule_id']} ({c['layer']}), "
        tail = np.array([s.rstrip(", ") for s in ids], dtype=object)
        sel = np.flatnonzero(unverified)
        reasons_id[sel] = reasons_id[sel] + " | BELUM PASTI: aturan " + tail[sel] + \
            " tidak diperiksa karena lapisannya tidak ada, dan dapat memperketat putusan ini"
        reasons_en[sel] = reasons_en[sel] + " | UNVERIFIED: rules " + tail[sel] + \
            " were not checked (layer absent) and could make this verdict stricter"
    juris = ", ".join(f"{k} {', '.join(v)}" for k, v in ruleset.jurisdiction.items())
    reasons_id = np.where(in_area, reasons_id, f"Di luar wilayah aturan ini (yurisdiksi: {juris})")
    reasons_en = np.where(in_area, reasons_en, f"Outside the rule set's jurisdiction ({juris})")

    sites = j.sites
    cols = {"site_id": _obj(sites["site_id"].astype(str).to_numpy(dtype=object)), "lon": j.lon, "lat": j.lat,
            "apk_type": _obj(sites["apk_type"].to_numpy(dtype=object)),
            "paslon": _obj(sites["paslon"].to_numpy(dtype=object)),
            "judged_at": pd.Series(j.judged.array, copy=False)}
    uidx = np.maximum(j.unit, 0)
    for col in ADMIN_COLUMNS:
        vals = prep.admin[col].to_numpy(dtype=object)[uidx] if len(prep.admin) else np.full(n, None)
        cols[col] = _obj(np.where(in_area, vals, None))
    cols["verdict"] = _obj(j.verdicts)
    cols["advisory"] = _advisory(n, matches[act], j.rank)
    cols["unverified"] = unverified
    cols["rule_ids"] = _obj(join_per_site(n, site_a[act], rule_a[act].tolist(), "", sep=";"))
    cols["reasons_id"] = _obj(reasons_id)
    cols["reasons_en"] = _obj(reasons_en)
    fn = np.append(prep.features["feature_name"].to_numpy(dtype=object), None)
    fl = np.append(prep.features["layer"].to_numpy(dtype=object), None)
    nf = np.where(j.near_feat >= 0, j.near_feat, len(fn) - 1)
    cols["nearest_name"] = _obj(fn[nf])
    cols["nearest_layer"] = _obj(fl[nf])
    cols["nearest_m"] = np.round(j.near_dist, 1)
    cols["not_checked"] = _obj(np.where(in_area, ";".join(c["rule_id"] for c in prep.not_checked), ""))
    cols["grant_ids"] = _obj(join_per_site(n, site_a[lif], matches["lifted_by"].to_numpy()[lif].tolist(), "",
                                           sep=";", unique=True))
    table = pd.DataFrame(cols)
    for c in sites.columns:
        if c not in SITE_COLUMNS and c != sites.geometry.name and c not in table.columns:
            table[c] = sites[c].to_numpy()
    gdf = gpd.GeoDataFrame(table, geometry=sites.geometry.values, crs=STORAGE_CRS)
    return Evaluation(table=gdf, matches=matches.drop(columns=["rank"]), not_checked=prep.not_checked,
                      nearest_bound_m=prep.nearest_bound_m)


def _advisory(n: int, active: pd.DataFrame, rank: np.ndarray) -> np.ndarray:
    """True where every match that sets the verdict rests on advisory geometry."""
    out = np.zeros(n, dtype=bool)
    if active.empty:
        return out
    site = active["site"].to_numpy()
    top = active["rank"].to_numpy() == rank[site]
    adv = active["advisory"].to_numpy()
    firm = np.zeros(n, dtype=bool)
    firm[site[top & ~adv]] = True
    out[site[top]] = True
    return out & ~firm


def evaluate_detailed(sites: gpd.GeoDataFrame, layers: LayerSet, ruleset: RuleSet,
                      at: dt.datetime | str | None = None, *, prepared: PreparedRules | None = None,
                      grants: Iterable[Grant] = (),
                      progress: Callable[[str, float], None] | None = None) -> Evaluation:
    """Judge every site and explain the verdicts; see :func:`evaluate` for the table.

    Parameters
    ----------
    sites, layers, ruleset, at
        As in :func:`evaluate`.
    prepared : PreparedRules, optional
        From :func:`geozones.prepared.prepare` for the same layers and rule set;
        built here when omitted (cache it when judging many batches).
    grants : iterable of Grant
        Extra discretion grants on top of the rule set's own.
    progress : callable, optional
        Called as ``progress(step_name, fraction_done)``.

    Returns
    -------
    Evaluation
    """
    j = judge(sites, layers, ruleset, at, prepared=prepared, grants=grants, progress=progress)
    result = explain(j)
    if progress:
        progress("done", 1.0)
    return result


def evaluate(sites: gpd.GeoDataFrame, layers: LayerSet, ruleset: RuleSet,
             at: dt.datetime | str | None = None, *, prepared: PreparedRules | None = None,
             grants: Iterable[Grant] = ()) -> gpd.GeoDataFrame:
    """Give every site a verdict with reasons that cite the legal basis.

    Parameters
    ----------
    sites : geopandas.GeoDataFrame
        Points, normally from :func:`geozones.io.sites.read_sites`. Columns
        ``site_id``, ``apk_type``, ``paslon``, ``installed_at`` are used when
        present (other spellings are normalised). A site's ``installed_at`` is
        the time it is judged at; otherwise ``at``.
    layers : LayerSet
        Kelurahan boundaries and restricted layers of the rule set's area.
    ruleset : RuleSet
        The rules, schedule, quotas and grants.
    at : datetime or str, optional
        Time to judge sites without ``installed_at`` (WIB if naive). Default: now.
    prepared : PreparedRules, optional
        Reuse compiled rules across calls.
    grants : iterable of Grant
        Extra discretion grants.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per site, in input order: ``site_id, lon, lat, apk_type, paslon,
        judged_at, kode_kemendagri, kode_bps, kelurahan, kode_kemendagri_kec,
        kode_bps_kec, kecamatan, kode_kemendagri_kota, kode_bps_kota, kota,
        verdict, advisory, unverified, rule_ids, reasons_id, reasons_en,
        nearest_name, nearest_layer, nearest_m, not_checked, grant_ids`` and the
        input's extra columns. ``unverified`` is True where a rule that was not
        checked (its layer is absent) would apply and could make the verdict
        stricter; the reasons then say which.

    Notes
    -----
    Verdict order: FORBIDDEN > OUT_OF_WINDOW > NEEDS_DISCRETION > NEEDS_PERMIT >
    NEEDS_OWNER_CONSENT > ALLOWED_ASSIGNED > ALLOWED. A site no rule matches gets
    the rule set's default verdict; a site outside the jurisdiction gets
    OUTSIDE_AREA; a site whose every match a grant lifted is ALLOWED. A site on
    an edge shared by two kelurahan belongs to the one with the lower Kemendagri
    code. ``nearest_m`` is the exact distance to the nearest feature of a
    FORBIDDEN rule, searched within ``nearest_bound_m`` (1000 m by default; NaN
    beyond). Quotas count every site of a paslon and type in a unit, ordered by
    time then site id, across the batch.

    Examples
    --------
    >>> from geozones.layers import load_layers  # doctest: +SKIP
    >>> table = evaluate(read_sites("sites.csv"), load_layers("jakarta-pusat"), rs)  # doctest: +SKIP
    """
    return evaluate_detailed(sites, layers, ruleset, at, prepared=prepared, grants=grants).table
