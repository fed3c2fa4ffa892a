"""The rule engine: one explained, time-aware verdict per site.

Modelled on ``geopandas.tools.sjoin``: a pure function that checks its inputs,
queries one spatial index in bulk and builds the frame. The index is an STRtree
on the *sites*, queried with the restricted features as inputs, so polygons are
prepared once and every distance rule goes through one ``dwithin`` call with a
per-feature distance array. There is no per-site Python loop.
"""

from __future__ import annotations

import datetime as dt
import warnings
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
from geozones.prepared import APK_CODES, APK_UNKNOWN, PreparedRules, prepare
from geozones.quotas import over_quota, quota_id
from geozones.reasons import cite, feature_label, join_per_site, rule_templates
from geozones.ruleset import Grant, RuleSet
from geozones.verdicts import BY_RANK, RANK, Verdict

__all__ = ["Evaluation", "evaluate", "evaluate_detailed", "prepare"]

SITE_COLUMNS = ("site_id", "apk_type", "paslon", "installed_at")
TIMEZONE = "Asia/Jakarta"
ADMIN_COLUMNS = ("kode_kemendagri", "kode_bps", "kelurahan", "kode_kemendagri_kec", "kode_bps_kec",
                 "kecamatan", "kode_kemendagri_kota", "kode_bps_kota", "kota")


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
    if at is None:
        return pd.Timestamp.now(tz=TIMEZONE)
    try:
        ts = pd.Timestamp(at)
    except (ValueError, TypeError):
        raise InputError(f"'{at}' is not a date/time (use ISO 8601, e.g. 2024-10-01T08:00)",
                         field="at") from None
    if ts is pd.NaT:
        raise InputError(f"'{at}' is not a date/time", field="at")
    return ts.tz_localize(TIMEZONE) if ts.tzinfo is None else ts.tz_convert(TIMEZONE)


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
    if not all(c in sites.columns for c in SITE_COLUMNS):
        from geozones.io.sites import normalize_sites

        sites = normalize_sites(sites)
    return sites


def _apk_codes(apk: np.ndarray) -> np.ndarray:
    codes = np.full(len(apk), APK_UNKNOWN, dtype=np.int64)
    for i, t in enumerate(APK_CODES):
        codes[apk == t.value] = i
    return codes


def _times(sites: gpd.GeoDataFrame, at: pd.Timestamp) -> tuple[np.ndarray, pd.Series]:
    inst = pd.to_datetime(sites["installed_at"], utc=True)
    judged = inst.fillna(at.tz_convert("UTC")).dt.tz_convert(TIMEZONE).dt.as_unit("ns")
    # pandas may hold times in us or s; the rule windows are in ns since the epoch.
    return judged.astype("int64").to_numpy(), judged


def _grant_sites(grants: list[Grant], ruleset: RuleSet, prep: PreparedRules, tree: shapely.STRtree,
                 site_ids: np.ndarray, t_ns: np.ndarray) -> list[np.ndarray]:
    """For each grant, the sites it covers (place and validity window)."""
    from geozones.prepared import _window_ns

    tr = transformer(STORAGE_CRS, prep.crs)
    out = []
    for g in grants:
        if g.place.site_id is not None:
            hit = np.flatnonzero(site_ids == g.place.site_id)
        else:
            geom = shapely.transform(shapely.geometry.shape(g.place.geometry),
                                     lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))
            hit = tree.query(geom, predicate="dwithin", distance=g.place.radius)
        start, end = _window_ns(ruleset, g.window)
        out.append(hit[(t_ns[hit] >= start) & (t_ns[hit] < end)])
    return out


def evaluate_detailed(sites: gpd.GeoDataFrame, layers: LayerSet, ruleset: RuleSet,
                      at: dt.datetime | str | None = None, *, prepared: PreparedRules | None = None,
                      grants: Iterable[Grant] = (),
                      progress: Callable[[str, float], None] | None = None) -> Evaluation:
    """Judge every site against every rule; see :func:`evaluate` for the table.

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
    n_rules = len(rules)

    # --- sites in the metric CRS, one tree --------------------------------------
    report("project", 0.05)
    lonlat = shapely.get_coordinates(sites.geometry.values)
    lon, lat = lonlat[:, 0], lonlat[:, 1]
    x, y = transformer(STORAGE_CRS, prep.crs).transform(lon, lat)
    pts = shapely.points(x, y)
    tree = shapely.STRtree(pts)
    t_ns, judged = _times(sites, at_ts)
    apk = sites["apk_type"].to_numpy(dtype=object)
    apk_code = _apk_codes(apk)
    site_ids = sites["site_id"].astype(str).to_numpy()

    # --- admin unit: lowest kode wins on a shared edge ---------------------------
    report("kelurahan", 0.15)
    a_unit, a_site = tree.query(prep.admin_geoms, predicate="covers")
    unit = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(unit, a_site, a_unit)
    in_area = unit != np.iinfo(np.int64).max
    unit[~in_area] = -1

    # --- rule matches ------------------------------------------------------------
    report("rules", 0.3)
    ms, mr, mf = [], [], []  # site, rule, feature
    contained_site = contained_feat = np.empty(0, dtype=np.int64)
    if len(prep.poly_idx):
        c_poly, c_site = tree.query(prep.geoms[prep.poly_idx], predicate="intersects")
        contained_site, contained_feat = c_site, prep.poly_idx[c_poly]
        if len(prep.inside_rule):
            # Join containment (site, feature) with the inside rules of each feature.
            order = np.argsort(prep.inside_feat, kind="stable")
            ifeat, irule = prep.inside_feat[order], prep.inside_rule[order]
            lo = np.searchsorted(ifeat, contained_feat, "left")
            hi = np.searchsorted(ifeat, contained_feat, "right")
            cnt = hi - lo
            rep = np.repeat(np.arange(len(contained_feat)), cnt)
            pos = np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt) + np.repeat(lo, cnt)
            ms.append(contained_site[rep])
            mr.append(irule[pos])
            mf.append(contained_feat[rep])
    if len(prep.piece_geoms):
        p_piece, p_site = tree.query(prep.piece_geoms, predicate="dwithin", distance=prep.piece_dist)
        ms.append(p_site)
        mr.append(prep.piece_rule[p_piece])
        mf.append(prep.piece_feat[p_piece])
    for c in rules:
        if c.status == "active" and c.rule.spatial.form == "anywhere":
            hit = np.flatnonzero(in_area)
            ms.append(hit)
            mr.append(np.full(len(hit), c.index))
            mf.append(np.full(len(hit), -1))
    m_site = np.concatenate(ms) if ms else np.empty(0, np.int64)
    m_rule = np.concatenate(mr).astype(np.int64) if mr else np.empty(0, np.int64)
    m_feat = np.concatenate(mf).astype(np.int64) if mf else np.empty(0, np.int64)
    # dedupe (pieces of one road), keep only sites in the area, in force, right type
    if len(m_site):
        key = (m_site * (n_rules + 1) + m_rule) * (len(prep.features) + 1) + (m_feat + 1)
        _, first = np.unique(key, return_index=True)
        m_site, m_rule, m_feat = m_site[first], m_rule[first], m_feat[first]
        r_start = np.array([c.start_ns for c in rules], dtype=np.int64)
        r_end = np.array([c.end_ns for c in rules], dtype=np.int64)
        r_apk = np.stack([c.apk_mask for c in rules])
        keep = (in_area[m_site] & (t_ns[m_site] >= r_start[m_rule]) & (t_ns[m_site] < r_end[m_rule])
                & r_apk[m_rule, apk_code[m_site]])
        m_site, m_rule, m_feat = m_site[keep], m_rule[keep], m_feat[keep]

    # --- discretion grants lift the rules they name -------------------------------
    report("grants", 0.5)
    all_grants = list(ruleset.grants) + list(grants)
    m_lift = np.full(len(m_site), -1, dtype=np.int64)
    rule_pos = {c.rule.id: c.index for c in rules}
    for gi, hit in enumerate(_grant_sites(all_grants, ruleset, prep, tree, site_ids, t_ns)):
        lifted = np.array([rule_pos[r] for r in all_grants[gi].lifts if r in rule_pos], dtype=np.int64)
        mask = (m_lift < 0) & np.isin(m_site, hit) & np.isin(m_rule, lifted)
        m_lift[mask] = gi

    # --- place verdict ---------------------------------------------------------------
    r_rank = np.array([c.rank for c in rules], dtype=np.int64)
    rank = np.full(n, -1, dtype=np.int64)
    active = m_lift < 0
    np.maximum.at(rank, m_site[active], r_rank[m_rule[active]])
    any_lift = np.zeros(n, dtype=bool)
    any_lift[m_site[~active]] = True
    default_rank = RANK[ruleset.default_verdict]
    rank = np.where(rank >= 0, rank, np.where(any_lift, RANK[Verdict.ALLOWED], default_rank))

    # --- admin columns -------------------------------------------------------------------
    table = pd.DataFrame({"site_id": site_ids, "lon": lon, "lat": lat,
                          "apk_type": apk, "paslon": sites["paslon"].to_numpy(dtype=object),
                          "judged_at": judged.to_numpy()})
    table["judged_at"] = pd.to_datetime(table["judged_at"], utc=True).dt.tz_convert(TIMEZONE)
    uidx = np.where(in_area, unit, 0)
    for col in ADMIN_COLUMNS:
        vals = prep.admin[col].to_numpy(dtype=object)[uidx] if len(prep.admin) else np.full(n, None)
        table[col] = np.where(in_area, vals, None)
    table["in_area"] = in_area

    # --- quotas across the batch ----------------------------------------------------------
    report("quotas", 0.6)
    q_site, q_idx, q_pos = [], [], []
    for qi, q in enumerate(ruleset.quotas):
        rows, pos = over_quota(table, q)
        q_site.append(rows)
        q_idx.append(np.full(len(rows), qi))
        q_pos.append(pos)
    q_site_a = np.concatenate(q_site) if q_site else np.empty(0, np.int64)
    q_idx_a = np.concatenate(q_idx).astype(np.int64) if q_idx else np.empty(0, np.int64)
    q_pos_a = np.concatenate(q_pos) if q_pos else np.empty(0, np.int64)
    np.maximum.at(rank, q_site_a, RANK[Verdict.FORBIDDEN])
    rank[~in_area] = RANK[Verdict.OUTSIDE_AREA]

    # --- nearest forbidden feature --------------------------------------------------------
    report("nearest", 0.7)
    near_feat = np.full(n, -1, dtype=np.int64)
    near_dist = np.full(n, np.nan)
    if len(prep.nearest_feat):
        q = np.flatnonzero(in_area)
        f, d = prep.nearest_index.query(x[q], y[q], prep.nearest_bound_m)
        near_feat[q] = np.where(f >= 0, prep.nearest_feat[np.maximum(f, 0)], -1)
        near_dist[q] = d
        # inside a forbidden polygon: distance 0 (lowest feature index on overlap)
        inside = np.isin(contained_feat, prep.nearest_feat) & in_area[contained_site]
        if inside.any():
            cs, cf = contained_site[inside], contained_feat[inside]
            best = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
            np.minimum.at(best, cs, cf)
            hit = best != np.iinfo(np.int64).max
            near_feat[hit] = best[hit]
            near_dist[hit] = 0.0

    # --- distances and reasons per match -----------------------------------------------------
    report("reasons", 0.85)
    m_dist = np.zeros(len(m_site))
    has_feat = m_feat >= 0
    if has_feat.any():
        m_dist[has_feat] = shapely.distance(pts[m_site[has_feat]], prep.geoms[m_feat[has_feat]])
    matches = _matches_frame(prep, ruleset, all_grants, site_ids, judged, m_site, m_rule, m_feat, m_dist,
                             m_lift, q_site_a, q_idx_a, q_pos_a)
    # One reason per (site, rule): its nearest feature; the matches frame keeps them all.
    firsts = matches.sort_values(["site", "rank", "rule_id", "distance_m"], ascending=[True, False, True, True],
                                 kind="stable").drop_duplicates(["site", "rule_id"])
    n_active = firsts[firsts["lifted_by"] == ""]
    default_id, default_en = _default_reasons(ruleset)
    lifted = firsts[firsts["lifted_by"] != ""]
    reasons_id = join_per_site(n, n_active["site"].to_numpy(), n_active["reason_id"].tolist(), default_id)
    reasons_en = join_per_site(n, n_active["site"].to_numpy(), n_active["reason_en"].tolist(), default_en)
    if len(lifted):
        lid = join_per_site(n, lifted["site"].to_numpy(), lifted["reason_id"].tolist(), "")
        len_ = join_per_site(n, lifted["site"].to_numpy(), lifted["reason_en"].tolist(), "")
        has = np.zeros(n, dtype=bool)
        has[lifted["site"].to_numpy()] = True
        only_lift = has & ~np.isin(np.arange(n), n_active["site"].to_numpy())
        reasons_id = np.where(only_lift, lid, np.where(has, reasons_id + " | " + lid, reasons_id))
        reasons_en = np.where(only_lift, len_, np.where(has, reasons_en + " | " + len_, reasons_en))
    out_id = "Di luar wilayah aturan ini (yurisdiksi: " + ", ".join(
        f"{k} {', '.join(v)}" for k, v in ruleset.jurisdiction.items()) + ")"
    out_en = "Outside the rule set's jurisdiction (" + ", ".join(
        f"{k} {', '.join(v)}" for k, v in ruleset.jurisdiction.items()) + ")"
    reasons_id = np.where(in_area, reasons_id, out_id)
    reasons_en = np.where(in_area, reasons_en, out_en)

    table["verdict"] = BY_RANK[rank]
    table["advisory"] = _advisory(n, n_active, rules, rank)
    table["rule_ids"] = join_per_site(n, n_active["site"].to_numpy(), n_active["rule_id"].tolist(), "")
    table["rule_ids"] = [s.replace(" | ", ";") for s in table["rule_ids"]]
    table["reasons_id"] = reasons_id
    table["reasons_en"] = reasons_en
    feats = prep.features
    nf = np.maximum(near_feat, 0)
    table["nearest_name"] = np.where(near_feat >= 0, feats["feature_name"].to_numpy(dtype=object)[nf]
                                     if len(feats) else None, None)
    table["nearest_layer"] = np.where(near_feat >= 0, feats["layer"].to_numpy(dtype=object)[nf]
                                      if len(feats) else None, None)
    table["nearest_m"] = np.round(near_dist, 1)
    not_checked = ";".join(c["rule_id"] for c in prep.not_checked)
    table["not_checked"] = np.where(in_area, not_checked, "")
    table["grant_ids"] = join_per_site(n, lifted["site"].to_numpy(), lifted["lifted_by"].tolist(), "") \
        if len(lifted) else ""
    table["grant_ids"] = [s.replace(" | ", ";") for s in np.broadcast_to(table["grant_ids"], n)]
    table = table.drop(columns=["in_area"])
    for c in sites.columns:
        if c not in SITE_COLUMNS and c != sites.geometry.name and c not in table.columns:
            table[c] = sites[c].to_numpy()
    gdf = gpd.GeoDataFrame(table, geometry=sites.geometry.values, crs=STORAGE_CRS)
    report("done", 1.0)
    return Evaluation(table=gdf, matches=matches.drop(columns=["rank"]), not_checked=prep.not_checked,
                      nearest_bound_m=prep.nearest_bound_m)


def _default_reasons(ruleset: RuleSet) -> tuple[str, str]:
    basis = cite(ruleset.default_legal_basis)
    tail = f". Dasar: {basis}" if basis else ""
    tail_en = f". Basis: {basis}" if basis else ""
    v = ruleset.default_verdict.value
    return f"{ruleset.default_reason.id}{tail} [{v}]", f"{ruleset.default_reason.en}{tail_en} [{v}]"


def _advisory(n: int, active: pd.DataFrame, rules, rank: np.ndarray) -> np.ndarray:
    """True where every match that sets the verdict rests on advisory geometry."""
    out = np.zeros(n, dtype=bool)
    if active.empty:
        return out
    top = active["rank"].to_numpy() == rank[active["site"].to_numpy()]
    sub = active[top]
    firm = np.zeros(n, dtype=bool)
    firm[sub.loc[~sub["advisory"], "site"].to_numpy()] = True
    out[sub["site"].to_numpy()] = True
    return out & ~firm


def _matches_frame(prep: PreparedRules, ruleset: RuleSet, grants: list[Grant], site_ids, judged,
                   m_site, m_rule, m_feat, m_dist, m_lift, q_site, q_idx, q_pos) -> pd.DataFrame:
    rules = prep.rules
    order = np.lexsort((m_feat, m_rule, m_site))
    m_site, m_rule, m_feat, m_dist, m_lift = (a[order] for a in (m_site, m_rule, m_feat, m_dist, m_lift))
    feats = prep.features
    fn = feats["feature_name"].to_numpy(dtype=object)
    fl = feats["layer"].to_numpy(dtype=object)
    fi = feats["feature_id"].to_numpy(dtype=object)
    templates = [rule_templates(c.rule) for c in rules]
    labels = np.array([feature_label(a, b, c) for a, b, c in zip(fl, fn, fi, strict=True)], dtype=object) \
        if len(feats) else np.empty(0, dtype=object)
    when = judged.dt.strftime("%d-%m-%Y %H:%M WIB").to_numpy(dtype=object)
    dist_txt = [f"{d:.0f}" for d in m_dist]
    rid, ren = [], []
    for s, r, f, d in zip(m_site.tolist(), m_rule.tolist(), m_feat.tolist(), dist_txt, strict=True):
        tid, ten = templates[r]
        if f >= 0:
            rid.append(tid.format(name=labels[f], m=d))
            ren.append(ten.format(name=labels[f], m=d))
        else:
            rid.append(tid.format(when=f"dinilai pada {when[s]}"))
            ren.append(ten.format(when=f"judged at {when[s]}"))
    lifted_by = np.array([g.id for g in grants] + [""], dtype=object)[m_lift]
    for i in np.flatnonzero(m_lift >= 0):
        g = grants[m_lift[i]]
        cond_id = f"; syarat: {g.conditions.id}" if g.conditions else ""
        cond_en = f"; conditions: {g.conditions.en}" if g.conditions else ""
        rid[i] = f"DISKRESI {g.id} ({g.reference}, {g.granted_by}{cond_id}) mengangkat: {rid[i]}"
        ren[i] = f"DISCRETION {g.id} ({g.reference}, {g.granted_by}{cond_en}) lifts: {ren[i]}"
    frame = pd.DataFrame({
        "site": m_site, "site_id": site_ids[m_site],
        "rule_id": [rules[r].rule.id for r in m_rule.tolist()],
        "verdict": [rules[r].rule.verdict.value for r in m_rule.tolist()],
        "rank": np.array([c.rank for c in rules], dtype=np.int64)[m_rule] if len(rules) else m_rule,
        "layer": np.where(m_feat >= 0, fl[np.maximum(m_feat, 0)] if len(fl) else None, ""),
        "feature_id": np.where(m_feat >= 0, fi[np.maximum(m_feat, 0)] if len(fi) else None, ""),
        "feature_name": np.where(m_feat >= 0, fn[np.maximum(m_feat, 0)] if len(fn) else None, ""),
        "distance_m": np.round(m_dist, 1),
        "advisory": np.array([c.rule.advisory for c in rules], dtype=bool)[m_rule] if len(rules) else
        np.zeros(0, bool),
        "lifted_by": lifted_by, "reason_id": rid, "reason_en": ren})
    if len(q_site):
        qs = ruleset.quotas
        qrows = []
        for s, qi, pos in zip(q_site.tolist(), q_idx.tolist(), q_pos.tolist(), strict=True):
            q = qs[qi]
            basis = cite(q.legal_basis)
            unit_id = {"kelurahan": "kelurahan", "kecamatan": "kecamatan", "kota": "kota"}[q.unit]
            qrows.append({
                "site": s, "site_id": site_ids[s], "rule_id": quota_id(q), "verdict": Verdict.FORBIDDEN.value,
                "rank": RANK[Verdict.FORBIDDEN], "layer": "", "feature_id": "", "feature_name": "",
                "distance_m": 0.0, "advisory": False, "lifted_by": "",
                "reason_id": (f"{quota_id(q)} Kuota {q.apk_type.value} per {unit_id} terlampaui: APK ke-{pos}, "
                              f"batas {q.cap} ({q.facilitated_max} difasilitasi + {q.extra_pct}%). "
                              f"Dasar: {basis} [FORBIDDEN]"),
                "reason_en": (f"{quota_id(q)} {q.apk_type.value} quota per {q.unit} exceeded: APK no. {pos}, "
                              f"cap {q.cap} ({q.facilitated_max} facilitated + {q.extra_pct}%). "
                              f"Basis: {basis} [FORBIDDEN]")})
        frame = pd.concat([frame, pd.DataFrame(qrows)], ignore_index=True)
        frame = frame.sort_values(["site", "rank"], ascending=[True, False], kind="stable",
                                  ignore_index=True)
    else:
        # most restrictive first within each site
        frame = frame.sort_values(["site", "rank"], ascending=[True, False], kind="stable",
                                  ignore_index=True)
    return frame


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
        verdict, advisory, rule_ids, reasons_id, reasons_en, nearest_name,
        nearest_layer, nearest_m, not_checked, grant_ids`` and the input's extra
        columns.

    Notes
    -----
    Verdict order: FORBIDDEN > OUT_OF_WINDOW > NEEDS_DISCRETION > NEEDS_PERMIT >
    NEEDS_OWNER_CONSENT > ALLOWED_ASSIGNED > ALLOWED. A site no rule matches gets
    the rule set's default verdict; a site outside the jurisdiction gets
    OUTSIDE_AREA. A site on an edge shared by two kelurahan belongs to the one
    with the lower Kemendagri code. ``nearest_m`` is the exact distance to the
    nearest feature of a FORBIDDEN rule, searched within ``nearest_bound_m``
    (1000 m by default; NaN beyond).

    Examples
    --------
    >>> from geozones.layers import load_layers  # doctest: +SKIP
    >>> table = evaluate(read_sites("sites.csv"), load_layers("jakarta-pusat"), rs)  # doctest: +SKIP
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return evaluate_detailed(sites, layers, ruleset, at, prepared=prepared, grants=grants).table

