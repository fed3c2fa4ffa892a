"""APK quotas per paslon and admin unit (PKPU 13/2024: facilitated maximum + 200 %).

Quotas are counted across the whole batch of sites: every site of a paslon and
APK type inside a unit that may lawfully stand counts, in the order they were
installed (then by site id), and those past the cap are over quota. A site may
lawfully stand when its place verdict is NEEDS_DISCRETION or milder (it may
stand once its condition is met); FORBIDDEN, OUT_OF_WINDOW and OUTSIDE_AREA
sites must come down and do not use up the quota of lawful ones.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from geozones.rules.model import RuleSet

#: Verdicts of sites that may lawfully stand, and so count toward a quota.
LAWFUL = ("ALLOWED", "ALLOWED_ASSIGNED", "NEEDS_OWNER_CONSENT", "NEEDS_PERMIT", "NEEDS_DISCRETION")

UNIT_COLUMNS = {
    "kelurahan": ("kode_kemendagri", "kelurahan"),
    "kecamatan": ("kode_kemendagri_kec", "kecamatan"),
    "kota": ("kode_kemendagri_kota", "kota"),
}


def quota_id(q) -> str:
    """Identifier of a quota in verdict tables, e.g. ``Q-spanduk-kelurahan``."""
    return f"Q-{q.apk_type.value}-{q.unit}"


def over_quota(units: np.ndarray, paslon: np.ndarray, of_type: np.ndarray, t_ns: np.ndarray,
               site_ids: np.ndarray, cap: int) -> tuple[np.ndarray, np.ndarray]:
    """Sites past a quota's cap, and their number in their unit's count (1-based).

    Parameters
    ----------
    units : ndarray of int
        Admin unit code of each site at the quota's level (-1 outside the area).
    paslon : ndarray
        Paslon of each site (missing values do not count).
    of_type : ndarray of bool
        True for sites of the quota's APK type.
    t_ns : ndarray of int
        Time each site is judged at (installation time), ns since the epoch.
    site_ids : ndarray of str
        Breaks ties between sites installed at the same time.
    cap : int
        Allowed per paslon per unit.

    Returns
    -------
    rows : ndarray of int
        Positions of the sites over the cap.
    position : ndarray of int
        Each one's number in its (unit, paslon) count.
    """
    pas = pd.Series(paslon, dtype=object)
    mask = of_type & (units >= 0) & pas.notna().to_numpy()
    rows = np.flatnonzero(mask)
    if len(rows) <= cap:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    pcode, _ = pd.factorize(pas.iloc[rows].astype(str))
    sid = np.asarray(site_ids[rows]).astype(str)  # fixed-width text sorts in C
    order = np.lexsort((sid, t_ns[rows], pcode, units[rows]))
    u, p = units[rows][order], pcode[order]
    new_group = np.ones(len(order), dtype=bool)
    new_group[1:] = (u[1:] != u[:-1]) | (p[1:] != p[:-1])
    group_start = np.maximum.accumulate(np.where(new_group, np.arange(len(order)), 0))
    pos = np.arange(len(order)) - group_start + 1
    over = pos > cap
    return rows[order][over].astype(np.int64), pos[over].astype(np.int64)


def quota_usage(table: pd.DataFrame, ruleset: RuleSet) -> pd.DataFrame:
    """How much of each quota every paslon uses, per admin unit.

    Parameters
    ----------
    table : pandas.DataFrame
        A verdict table from :func:`geozones.engine.evaluate`.
    ruleset : RuleSet

    Returns
    -------
    pandas.DataFrame
        Columns ``unit``, ``unit_code``, ``unit_name``, ``paslon``, ``apk_type``,
        ``used``, ``facilitated_max``, ``cap``, ``over`` (sites past the cap).
    """
    out = []
    lawful = table["verdict"].isin(LAWFUL)
    inside = table[(table["verdict"] != "OUTSIDE_AREA") & table["paslon"].notna()
                   & table["apk_type"].notna()]
    rule_ids = inside["rule_ids"].fillna("").astype(str) if "rule_ids" in inside else pd.Series("", index=inside.index)
    for q in ruleset.quotas:
        code_col, name_col = UNIT_COLUMNS[q.unit]
        # counted: lawful sites, and those the quota itself made FORBIDDEN
        counted = lawful.loc[inside.index] | rule_ids.str.contains(rf"(?:^|;){re.escape(quota_id(q))}(?:;|$)")
        sub = inside[(inside["apk_type"] == q.apk_type.value) & counted]
        if sub.empty:
            continue
        g = sub.groupby([code_col, name_col, "paslon"], dropna=False).size().reset_index(name="used")
        for row in g.itertuples(index=False):
            used = int(row.used)
            out.append({"unit": q.unit, "unit_code": row[0], "unit_name": row[1], "paslon": row.paslon,
                        "apk_type": q.apk_type.value, "used": used, "facilitated_max": q.facilitated_max,
                        "cap": q.cap, "over": max(0, used - q.cap)})
    cols = ["unit", "unit_code", "unit_name", "paslon", "apk_type", "used", "facilitated_max", "cap", "over"]
    return pd.DataFrame(out, columns=cols).sort_values(["unit", "unit_code", "paslon", "apk_type"],
                                                       ignore_index=True)
