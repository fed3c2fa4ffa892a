"""APK quotas per paslon and admin unit (PKPU 13/2024: facilitated maximum + 200 %).

Quotas are counted across the whole batch of sites: every site of a paslon and
APK type inside a unit counts, in the order they were installed (then by site
id), and those past the cap are over quota. Counting every site, whatever its
place verdict, keeps the check independent of the place rules: adding a place
rule can never free up quota for another site.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geozones.ruleset import Quota, RuleSet

UNIT_COLUMNS = {
    "kelurahan": ("kode_kemendagri", "kelurahan"),
    "kecamatan": ("kode_kemendagri_kec", "kecamatan"),
    "kota": ("kode_kemendagri_kota", "kota"),
}


def quota_id(q: Quota) -> str:
    """Identifier of a quota in verdict tables, e.g. ``Q-spanduk-kelurahan``."""
    return f"Q-{q.apk_type.value}-{q.unit}"


def over_quota(table: pd.DataFrame, quota: Quota) -> tuple[np.ndarray, np.ndarray]:
    """Positions of sites past ``quota`` and their place in the count (1-based).

    Parameters
    ----------
    table : pandas.DataFrame
        Needs ``apk_type``, ``paslon``, ``judged_at``, ``site_id``, ``in_area`` and
        the unit code column of :data:`UNIT_COLUMNS`.
    quota : Quota

    Returns
    -------
    rows : ndarray of int
        Row positions of the sites over the cap.
    position : ndarray of int
        Each one's number in its (unit, paslon, type) count.
    """
    code_col = UNIT_COLUMNS[quota.unit][0]
    mask = ((table["apk_type"] == quota.apk_type.value) & table["paslon"].notna()
            & table["in_area"]).to_numpy()
    if not mask.any():
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    sub = pd.DataFrame({"row": np.flatnonzero(mask),
                        "unit": table[code_col].to_numpy()[mask],
                        "paslon": table["paslon"].astype(str).to_numpy()[mask],
                        "t": table["judged_at"].to_numpy()[mask],
                        "sid": table["site_id"].astype(str).to_numpy()[mask]})
    sub = sub.sort_values(["unit", "paslon", "t", "sid"], kind="stable")
    sub["pos"] = sub.groupby(["unit", "paslon"], sort=False).cumcount() + 1
    over = sub[sub["pos"] > quota.cap]
    return over["row"].to_numpy(np.int64), over["pos"].to_numpy(np.int64)


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
    inside = table[(table["verdict"] != "OUTSIDE_AREA") & table["paslon"].notna()
                   & table["apk_type"].notna()]
    for q in ruleset.quotas:
        code_col, name_col = UNIT_COLUMNS[q.unit]
        sub = inside[inside["apk_type"] == q.apk_type.value]
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
