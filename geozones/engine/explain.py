"""Explain a judgement: the verdict table with reasons in Bahasa Indonesia and English.

:func:`explain` turns the arrays of a :class:`~geozones.engine.judge.Judgement`
into one row per site and one row per match. Reason texts are built from
per-rule templates, so a million matches cost one string format per distinct
(rule, feature, metre) triple.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geozones.core.apk import ApkType
from geozones.core.crs import STORAGE_CRS
from geozones.core.verdicts import BY_RANK, RANK, Verdict
from geozones.engine.compile import APK_CODES
from geozones.engine.judge import SITE_COLUMNS, Judgement
from geozones.engine.quotas import quota_id
from geozones.engine.reasons import (
    COMPACT_WORDS,
    apk_condition,
    cite,
    compact_condition,
    compact_template,
    feature_label,
    join_per_site,
    rule_legend,
    rule_templates,
)
from geozones.rules.model import RuleSet

__all__ = ["ADMIN_COLUMNS", "LANGS", "REASON_MODES", "Evaluation", "explain", "legend"]

#: How much reason text a table carries (see :func:`explain`).
REASON_MODES = ("full", "compact", "none")
#: Languages of compact reasons: one, or both.
LANGS = ("id", "en", "both")

ADMIN_COLUMNS = ("kode_kemendagri", "kode_bps", "kelurahan", "kode_kemendagri_kec", "kode_bps_kec",
                 "kecamatan", "kode_kemendagri_kota", "kode_bps_kota", "kota")


def _obj(values) -> pd.Series:
    """Keep a text column as Python objects.

    pandas' inference to Arrow strings costs more than the rest of the table at
    a million rows.
    """
    return pd.Series(np.asarray(values, dtype=object), dtype=object, copy=False)


def _coded(codes: np.ndarray, values: np.ndarray) -> pd.Series:
    """``values[codes]`` as a pandas Categorical (code -1: missing), without a Python object per row.

    ``values`` may repeat (two kelurahan of one kecamatan): the categories are its distinct values.
    """
    inner, cats = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=True)
    inner = np.append(inner, -1)  # code -1 reads the appended -1: missing
    cat = pd.Categorical.from_codes(inner[codes], categories=pd.Index(cats, dtype=object))
    return pd.Series(cat, copy=False)


def _site_ids(sites: pd.DataFrame) -> np.ndarray:
    """The site ids as an object array of str, sharing the frame's strings where it holds them.

    ``astype(str)`` would build Arrow strings and then a new Python string per site.
    """
    col = sites["site_id"]
    if col.dtype == object:
        arr = col.to_numpy(dtype=object)
        if all(isinstance(v, str) for v in arr[:1000]) and pd.api.types.infer_dtype(arr, skipna=False) == "string":
            return arr
    return col.astype(str).to_numpy(dtype=object)


@dataclass
class Evaluation:
    """Everything the engine found.

    Attributes
    ----------
    table : geopandas.GeoDataFrame
        One row per site, in input order (see :func:`geozones.engine.evaluate.evaluate`), EPSG:4326.
    matches : pandas.DataFrame
        One row per (site, rule, feature) match, including matches lifted by a
        grant (``lifted_by`` set) and quota overruns; ``distance_m`` in metres.
    not_checked : list of dict
        Rules whose layer is absent: ``rule_id``, ``layer``, ``reason``.
    nearest_bound_m : float
        How far (metres) the nearest forbidden feature was searched for.
    provenance : dict
        What the verdicts rest on: ``ruleset_id``, ``ruleset_version``, ``area`` and
        ``layers`` (name to content digest) — enough to re-judge on the same data.
    legend : dict, optional
        What each rule, quota and grant says once (:func:`legend`), for the output's metadata.
    """

    table: gpd.GeoDataFrame
    matches: pd.DataFrame
    not_checked: list[dict]
    nearest_bound_m: float
    provenance: dict | None = None
    legend: dict | None = None


def unique_not_checked(records: list[dict]) -> list[dict]:
    """Not-checked records without repeats, in first-seen order.

    Several stacks judged in one batch (versions in force at different site times, or
    several kota) each report the layers they could not check; the same rule on the same
    layer in the same kota is one fact and is listed once.

    Parameters
    ----------
    records : list of dict
        Records with ``rule_id`` and ``layer`` (and optionally ``kota``), as
        :attr:`geozones.engine.compile.PreparedRules.not_checked` gives them.

    Returns
    -------
    list of dict
        The first record of each ``(rule_id, layer, kota)``.
    """
    seen: dict[tuple, dict] = {}
    for c in records:
        seen.setdefault((c.get("rule_id"), c.get("layer"), c.get("kota")), c)
    return list(seen.values())


def _default_reasons(ruleset: RuleSet) -> tuple[str, str]:
    basis = cite(ruleset.default_legal_basis)
    v = ruleset.default_verdict.value
    return (f"{ruleset.default_reason.id}" + (f". Dasar: {basis}" if basis else "") + f" [{v}]",
            f"{ruleset.default_reason.en}" + (f". Basis: {basis}" if basis else "") + f" [{v}]")


def _full_texts(j: Judgement, has: np.ndarray, metres: np.ndarray, key: np.ndarray,
                labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The full reason of every match (id, en): rule, feature, distance, legal basis, grade, advisory note."""
    rules = j.prepared.rules
    m_site, m_rule, m_feat, m_lift = j.m_site, j.m_rule, j.m_feat, j.m_lift
    templates = [rule_templates(c.rule) for c in rules]
    # Most sites share one judging time: format each distinct time once.
    t_codes, t_unique = pd.factorize(j.judged)
    when_id = np.asarray(t_unique.strftime("dinilai pada %d-%m-%Y %H:%M WIB"), dtype=object)[t_codes]
    when_en = np.asarray(t_unique.strftime("judged at %d-%m-%Y %H:%M WIB"), dtype=object)[t_codes]
    rid = np.empty(len(m_site), dtype=object)
    ren = np.empty(len(m_site), dtype=object)
    if has.any():
        _, first, inv = np.unique(key[has], return_index=True, return_inverse=True)
        hidx = np.flatnonzero(has)
        u_id, u_en = [], []
        for i in hidx[first]:
            tid, ten = templates[m_rule[i]]
            lab, m = labels[m_feat[i]], metres[i]
            u_id.append(tid.fill(name=lab, m=m))
            u_en.append(ten.fill(name=lab, m=m))
        rid[hidx] = np.asarray(u_id, dtype=object)[inv]
        ren[hidx] = np.asarray(u_en, dtype=object)[inv]
    for r in np.unique(m_rule[~has]):
        sel = np.flatnonzero(~has & (m_rule == r))
        tid, ten = templates[r]
        pre_id, post_id = tid.split("when")
        pre_en, post_en = ten.split("when")
        rid[sel] = pre_id + when_id[m_site[sel]] + post_id
        ren[sel] = pre_en + when_en[m_site[sel]] + post_en
    m_cond = j.m_cond if j.m_cond is not None else np.zeros(len(m_site), dtype=bool)
    for r in np.unique(m_rule[m_cond]):
        # a rule limited to some APK types, at a site of unknown type: a conditional reason
        sel = np.flatnonzero(m_cond & (m_rule == r))
        cid, cen = apk_condition(rules[r].rule.apk_types)
        rid[sel] = cid + rid[sel]
        ren[sel] = cen + ren[sel]
    for i in np.flatnonzero(m_lift >= 0):
        g = j.grants[m_lift[i]]
        cond_id = f"; syarat: {g.conditions.id}" if g.conditions else ""
        cond_en = f"; conditions: {g.conditions.en}" if g.conditions else ""
        rid[i] = f"DISKRESI {g.id} ({g.reference}, {g.granted_by}{cond_id}) mengangkat: {rid[i]}"
        ren[i] = f"DISCRETION {g.id} ({g.reference}, {g.granted_by}{cond_en}) lifts: {ren[i]}"
    return rid, ren


def _compact_texts(j: Judgement, has: np.ndarray, metres: np.ndarray, key: np.ndarray, labels: np.ndarray,
                   langs: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The compact reason of every match per language in ``langs``: rule id, feature, metres.

    One text per distinct (rule, feature, metre) triple, the rest by indexing.
    """
    rules = j.prepared.rules
    m_rule, m_feat, m_lift = j.m_rule, j.m_feat, j.m_lift
    m_cond = j.m_cond if j.m_cond is not None else np.zeros(len(m_rule), dtype=bool)
    out: dict[str, np.ndarray] = {}
    hidx = np.flatnonzero(has)
    if len(hidx):
        _, first, inv = np.unique(key[has], return_index=True, return_inverse=True)
    for lang in langs:
        tpl = [compact_template(c.rule, lang) for c in rules]
        texts = np.empty(len(m_rule), dtype=object)
        if len(hidx):
            texts[hidx] = np.array([tpl[m_rule[i]].fill(name=labels[m_feat[i]], m=metres[i]) for i in hidx[first]],
                                   dtype=object)[inv]
        bare = np.array([t.fill() if len(t.parts) == 1 else "" for t in tpl] or [""], dtype=object)
        texts[~has] = bare[m_rule[~has]]
        for r in np.unique(m_rule[m_cond]):
            sel = np.flatnonzero(m_cond & (m_rule == r))
            texts[sel] = compact_condition(rules[r].rule.apk_types, lang) + texts[sel]
        for g_i in np.unique(m_lift[m_lift >= 0]):
            sel = np.flatnonzero(m_lift == g_i)
            texts[sel] = f"{COMPACT_WORDS[lang]['grant']}{j.grants[g_i].id}: " + texts[sel]
        out[lang] = texts
    return out


def _matches_frame(j: Judgement, reasons: str = "full", langs: tuple[str, ...] = ("id", "en")) -> pd.DataFrame:
    """One row per match (rules and quotas), most restrictive first within a site.

    ``reasons`` (``full``, ``compact``, ``none``) and ``langs`` choose the
    ``reason_id`` / ``reason_en`` columns (absent when not asked for).
    """
    prep, rules, ruleset = j.prepared, j.prepared.rules, j.prepared.ruleset
    m_site, m_rule, m_feat, m_lift = j.m_site, j.m_rule, j.m_feat, j.m_lift
    site_ids = _site_ids(j.sites)
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
    metres = np.rint(dist).astype(np.int64)
    # Distances are shown in whole metres, so one text serves every (rule, feature, metre) triple.
    key = np.where(has, (m_rule * (len(feats) + 1) + m_feat) * 100_000 + np.minimum(metres, 99_999), -1)
    texts: dict[str, np.ndarray] = {}
    if reasons == "full":
        texts["id"], texts["en"] = _full_texts(j, has, metres, key, labels)
    elif reasons == "compact":
        texts = _compact_texts(j, has, metres, key, labels, langs)
    m_cond = j.m_cond if j.m_cond is not None else np.zeros(len(m_site), dtype=bool)
    lifted_by = np.array([g.id for g in j.grants] + [""], dtype=object)[m_lift]
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
        "conditional": m_cond, **{f"reason_{k}": _obj(v) for k, v in texts.items()}})
    if len(j.q_site):
        qs = ruleset.quotas
        qtexts = []
        for q in qs:
            # literal pieces around the position: legal-basis text is never a format string
            basis = cite(q.legal_basis)
            head = f"{quota_id(q)} "
            qtexts.append(((head + f"Kuota {q.apk_type.value} per {q.unit} terlampaui: APK ke-",
                           f", batas {q.cap} ({q.facilitated_max} difasilitasi + {q.extra_pct}%). "
                           f"Dasar: {basis} [FORBIDDEN]"),
                          (head + f"{q.apk_type.value} quota per {q.unit} exceeded: APK no. ",
                           f", cap {q.cap} ({q.facilitated_max} facilitated + {q.extra_pct}%). "
                           f"Basis: {basis} [FORBIDDEN]")))
        qkey = j.q_quota * 10_000_000 + j.q_pos
        _, first, inv = np.unique(qkey, return_index=True, return_inverse=True)
        if reasons == "compact":
            # the quota's cap and legal basis are in the legend; the row keeps its position
            qtexts = [((f"{quota_id(q)} APK ke-", ""), (f"{quota_id(q)} APK no. ", "")) for q in qs]
        u_id = np.array([str(j.q_pos[i]).join(qtexts[j.q_quota[i]][0]) for i in first], dtype=object)
        u_en = np.array([str(j.q_pos[i]).join(qtexts[j.q_quota[i]][1]) for i in first], dtype=object)
        qreasons = {k: _obj(v[inv]) for k, v in (("id", u_id), ("en", u_en)) if k in texts}
        nq = len(j.q_site)
        qframe = pd.DataFrame({
            "site": j.q_site, "site_id": _obj(site_ids[j.q_site]),
            "rule_id": _obj(np.array([quota_id(q) for q in qs], dtype=object)[j.q_quota]),
            "verdict": _obj(np.full(nq, Verdict.FORBIDDEN.value, dtype=object)),
            "rank": np.full(nq, RANK[Verdict.FORBIDDEN]), "layer": _obj(np.full(nq, "", dtype=object)),
            "feature_id": _obj(np.full(nq, "", dtype=object)), "feature_name": _obj(np.full(nq, "", dtype=object)),
            "distance_m": np.zeros(nq), "advisory": np.zeros(nq, dtype=bool),
            "lifted_by": _obj(np.full(nq, "", dtype=object)), "conditional": np.zeros(nq, dtype=bool),
            **{f"reason_{k}": v for k, v in qreasons.items()}})
        frame = pd.concat([frame, qframe], ignore_index=True)
    rid_code, _ = pd.factorize(frame["rule_id"].to_numpy(dtype=object), sort=True)
    # conditional reasons (a rule for other APK types) after those that decide the verdict
    order = np.lexsort((frame["distance_m"].to_numpy(), rid_code, -frame["rank"].to_numpy(),
                        frame["conditional"].to_numpy(), frame["site"].to_numpy()))
    return frame.take(order).reset_index(drop=True)


def _full_reasons(j: Judgement, matches: pd.DataFrame, first: np.ndarray,
                  act: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per site the full reasons (id, en): deciding rules, lifted ones, conditional ones, unverified rules."""
    prep, ruleset = j.prepared, j.prepared.ruleset
    n = len(j.rank)
    in_area = j.in_area
    site_a = matches["site"].to_numpy()
    lifted_a = matches["lifted_by"].to_numpy() != ""
    cond_a = matches["conditional"].to_numpy()
    lif = first & lifted_a & ~cond_a
    cnd = first & cond_a
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
    if cnd.any():
        # after the reasons that decide the verdict (or the default reason): "if it is a billboard: ..."
        s = np.unique(site_a[cnd])
        for arr, texts in ((reasons_id, rid), (reasons_en, ren)):
            extra = join_per_site(n, site_a[cnd], texts[cnd].tolist(), "")
            arr[s] = arr[s] + " | " + extra[s]
    # "Unknown" is an answer: say which missing layers could have made the verdict stricter.
    unverified = np.zeros(n, dtype=bool)
    missing = [(c, hit) for c, hit in zip(prep.not_checked, j.stricter_unchecked(), strict=True) if hit.any()]
    if missing:
        hits = np.stack([hit for _, hit in missing], axis=1)
        unverified = hits.any(axis=1)
        sel = np.flatnonzero(unverified)
        # one text per distinct set of unchecked rules, added to each reason once
        if hits.shape[1] <= 62:  # each set as one integer: sorting ints, not rows
            keys, inv = np.unique(hits[sel].astype(np.int64) @ (np.int64(1) << np.arange(hits.shape[1])),
                                  return_inverse=True)
            sets = ((keys[:, None] >> np.arange(hits.shape[1])) & 1).astype(bool)
        else:
            sets, inv = np.unique(hits[sel], axis=0, return_inverse=True)
        tails = [", ".join(f"{c['rule_id']} ({c['layer']})" for (c, _), on in zip(missing, row, strict=True) if on)
                 for row in sets]
        inv = np.asarray(inv).reshape(-1)
        reasons_id[sel] = reasons_id[sel] + np.array(
            [" | BELUM PASTI: aturan " + t + " tidak diperiksa karena lapisannya tidak ada, dan dapat memperketat "
             "putusan ini" for t in tails], dtype=object)[inv]
        reasons_en[sel] = reasons_en[sel] + np.array(
            [" | UNVERIFIED: rules " + t + " were not checked (layer absent) and could make this verdict stricter"
             for t in tails], dtype=object)[inv]
    juris = ", ".join(f"{k} {', '.join(v)}" for k, v in ruleset.jurisdiction.items())
    reasons_id = np.where(in_area, reasons_id, f"Di luar wilayah aturan ini (yurisdiksi: {juris})")
    reasons_en = np.where(in_area, reasons_en, f"Outside the rule set's jurisdiction ({juris})")

    return reasons_id, reasons_en


def explain(j: Judgement, *, reasons: str = "full", lang: str = "both", categorical: bool = False) -> Evaluation:
    """Build the verdict table (with reasons) and the matches frame.

    Parameters
    ----------
    j : Judgement
        From :func:`geozones.engine.judge.judge`.
    reasons : {"full", "compact", "none"}
        ``full`` (the app's panel, small batches): every reason names the rule, feature,
        distance, legal basis, evidence grade and advisory note, in both languages.
        ``compact`` (large batches): only what is specific to the site — rule id,
        feature, distance (``R01 35 m dari 'Masjid Istiqlal'``), joined with ``; ``;
        sites under the default verdict, outside the area or unverified get an empty
        reason (their verdict and ``unverified`` columns say it, the legend says why).
        ``none``: no reason texts. The verdicts, rule ids and distances are the same
        for every choice.
    lang : {"id", "en", "both"}
        Language(s) of compact reasons (``reasons_id`` / ``reasons_en`` columns);
        ``full`` always gives both.
    categorical : bool
        Give the columns that take one of a few values per kelurahan, verdict or feature
        (the admin names and codes, ``verdict``, ``nearest_name``, ``nearest_layer``) as
        pandas Categoricals, built from their codes: for a writer that formats each
        distinct value once (the CLI's CSV). Default: Python strings (object), as the app,
        GeoParquet and the other writers expect. The values are the same either way.

    Returns
    -------
    Evaluation
        ``table`` has one row per site in input order, ``matches`` one row per match;
        ``legend`` what every rule says once (:func:`legend`).

    Raises
    ------
    ValueError
        For an unknown ``reasons`` or ``lang``.
    """
    if reasons not in REASON_MODES or lang not in LANGS:
        raise ValueError(f"reasons must be one of {REASON_MODES} and lang one of {LANGS}")
    langs = () if reasons == "none" else ("id", "en") if reasons == "full" or lang == "both" else (lang,)
    prep = j.prepared
    n = len(j.rank)
    in_area = j.in_area
    matches = _matches_frame(j, reasons, langs)
    # One reason per (site, rule): its nearest feature (matches are sorted so it comes first).
    site_a = matches["site"].to_numpy()
    rule_a = matches["rule_id"].to_numpy()
    first = np.ones(len(matches), dtype=bool)
    first[1:] = (site_a[1:] != site_a[:-1]) | (rule_a[1:] != rule_a[:-1])
    lifted_a = matches["lifted_by"].to_numpy() != ""
    cond_a = matches["conditional"].to_numpy()
    act = first & ~lifted_a & ~cond_a
    texts: dict[str, np.ndarray] = {}
    if reasons == "full":
        texts["id"], texts["en"] = _full_reasons(j, matches, first, act)
    elif reasons == "compact":
        for code in langs:
            t = matches[f"reason_{code}"].to_numpy()
            texts[code] = join_per_site(n, site_a[first], t[first].tolist(), "", sep="; ")
    unverified = np.zeros(n, dtype=bool)
    for _c, hit in zip(prep.not_checked, j.stricter_unchecked(), strict=True):
        unverified |= hit
    sites = j.sites
    cols = {"site_id": _obj(_site_ids(sites)), "lon": j.lon, "lat": j.lat,
            "apk_type": _obj(sites["apk_type"].to_numpy(dtype=object)),
            "paslon": _obj(sites["paslon"].to_numpy(dtype=object)),
            "judged_at": pd.Series(j.judged.array, copy=False)}
    uidx = np.maximum(j.unit, 0)
    for col in ADMIN_COLUMNS:
        if categorical and len(prep.admin):
            cols[col] = _coded(np.where(in_area, uidx, -1), prep.admin[col].to_numpy(dtype=object))
            continue
        vals = prep.admin[col].to_numpy(dtype=object)[uidx] if len(prep.admin) else np.full(n, None)
        cols[col] = _obj(np.where(in_area, vals, None))
    cols["verdict"] = _coded(j.rank, np.asarray(BY_RANK, dtype=object)) if categorical else _obj(j.verdicts)
    cols["advisory"] = _advisory(n, matches[act], j.rank)
    cols["unverified"] = unverified
    cols["rule_ids"] = _obj(join_per_site(n, site_a[act], rule_a[act].tolist(), "", sep=";"))
    for code, arr in texts.items():
        cols[f"reasons_{code}"] = _obj(arr)
    fn = np.append(prep.features["feature_name"].to_numpy(dtype=object), None)
    fl = np.append(prep.features["layer"].to_numpy(dtype=object), None)
    nf = np.where(j.near_feat >= 0, j.near_feat, len(fn) - 1)
    if categorical:
        cols["nearest_name"] = _coded(nf, fn)
        cols["nearest_layer"] = _coded(nf, fl)
    else:
        cols["nearest_name"] = _obj(fn[nf])
        cols["nearest_layer"] = _obj(fl[nf])
    cols["nearest_m"] = np.round(j.near_dist, 1)
    # one shared text, not a million copies (np.where with a str would make a unicode array)
    not_checked = np.full(n, "", dtype=object)
    not_checked[in_area] = ";".join(c["rule_id"] for c in prep.not_checked)
    cols["not_checked"] = _obj(not_checked)
    glif = first & lifted_a
    cols["grant_ids"] = _obj(join_per_site(n, site_a[glif], matches["lifted_by"].to_numpy()[glif].tolist(), "",
                                           sep=";", unique=True))
    cols["verdict_by_type"] = _obj(verdict_by_type(j.type_rank, n))
    for c in sites.columns:
        if c not in SITE_COLUMNS and c != sites.geometry.name and c not in cols:
            cols[c] = sites[c].to_numpy()
    # built once from the columns: a DataFrame first, then a GeoDataFrame of it, copied every column twice
    gdf = gpd.GeoDataFrame(cols, geometry=sites.geometry.values, crs=STORAGE_CRS)
    return Evaluation(table=gdf, matches=matches.drop(columns=["rank"]), not_checked=prep.not_checked,
                      nearest_bound_m=prep.nearest_bound_m, provenance=prep.provenance, legend=legend(j))


def legend(j: Judgement) -> dict:
    """What every rule, quota and grant of a judgement says once: the legend of an output file.

    A compact table's rows carry rule ids, features and distances; the title, legal
    basis (with its evidence grade), verdict and advisory note of each rule live
    here, written once into the file's metadata (CSVW, an XLSX sheet, GeoJSON and
    GeoPackage metadata).

    Returns
    -------
    dict
        ``rules`` (list of :func:`geozones.engine.reasons.rule_legend`), ``quotas``,
        ``grants``, ``default`` (verdict and reason when no rule applies, ``{"id", "en"}``),
        ``outside`` (reason of sites outside the jurisdiction) and ``not_checked``
        (rules whose layer is absent: a site marked ``unverified`` could be stricter).
    """
    prep, ruleset = j.prepared, j.prepared.ruleset
    default_id, default_en = _default_reasons(ruleset)
    juris = ", ".join(f"{k} {', '.join(v)}" for k, v in ruleset.jurisdiction.items())
    return {
        "ruleset": {"id": ruleset.id, "version": str(ruleset.version)},
        "rules": [rule_legend(c.rule) for c in prep.rules],
        "quotas": [{"id": quota_id(q), "apk_type": q.apk_type.value, "unit": q.unit, "cap": q.cap,
                    "facilitated_max": q.facilitated_max, "extra_pct": q.extra_pct,
                    "legal_basis": [b.cite() for b in q.legal_basis]} for q in ruleset.quotas],
        "grants": [{"id": g.id, "reference": g.reference, "granted_by": g.granted_by,
                    "conditions": {"id": g.conditions.id, "en": g.conditions.en} if g.conditions else None}
                   for g in j.grants],
        "default": {"verdict": ruleset.default_verdict.value, "id": default_id, "en": default_en},
        "outside": {"id": f"Di luar wilayah aturan ini (yurisdiksi: {juris})",
                    "en": f"Outside the rule set's jurisdiction ({juris})"},
        "not_checked": [dict(c) for c in prep.not_checked],
    }


def verdict_by_type(type_rank: np.ndarray | None, n: int) -> np.ndarray:
    """Per site, the verdict per APK type where the types differ, e.g. ``billboard:NEEDS_PERMIT; spanduk:...``.

    Parameters
    ----------
    type_rank : ndarray of int, shape (n, len(APK_CODES)), or None
        From :func:`geozones.engine.judge.rank_by_type` (-1 rows: type given, or all types agree).
    n : int
        Number of sites.

    Returns
    -------
    ndarray of str (object), shape (n,)
        Empty where every APK type gets the same verdict.
    """
    out = np.full(n, "", dtype=object)
    if type_rank is None or not len(type_rank):
        return out
    differ = (type_rank[:, 0] >= 0) & (type_rank != type_rank[:, :1]).any(axis=1)
    if not differ.any():
        return out
    rows, inv = np.unique(type_rank[differ], axis=0, return_inverse=True)
    texts = np.array(["; ".join(f"{ApkType(t).value}:{BY_RANK[r]}" for t, r in zip(APK_CODES, row, strict=True))
                      for row in rows], dtype=object)
    out[differ] = texts[np.asarray(inv).reshape(-1)]
    return out


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
