"""Judge each site with the rule-set version in force at its own time.

A site's time is its ``installed_at``, else the batch's ``at``, else now. Sites
are grouped by the version in force at that time (valid time), each group is
judged by that version's checker, and the tables are put back in input order.
Quotas are counted within each group: sites judged under different decrees do
not share a quota.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from geozones.core.errors import InputError
from geozones.core.time import resolve_at
from geozones.engine import Evaluation
from geozones.engine.sites import normalize_sites
from geozones.services.checking import Checker, open_checker
from geozones.services.store_catalog import StoreCatalog

__all__ = ["check_by_version"]


def check_by_version(catalog: StoreCatalog, ruleset_id: str, sites: gpd.GeoDataFrame,
                     at: object | None = None, *, reasons: str = "full",
                     lang: str = "both") -> tuple[Evaluation, dict[str, Checker]]:
    """Judge ``sites`` with the version of ``ruleset_id`` in force at each site's time.

    Returns
    -------
    (Evaluation, dict)
        The evaluation in input order (``provenance["versions"]`` lists the versions
        used) and the checker per version.

    Raises
    ------
    InputError
        When a site's time falls where no version is in force (naming the rows).
    """
    sites = normalize_sites(sites)
    when = resolve_at(at)
    times = sites["installed_at"].dt.tz_convert("UTC").fillna(when.tz_convert("UTC"))
    versions: dict[str, list[int]] = {}
    missing: list[int] = []
    cache: dict[pd.Timestamp, str | None] = {}
    for i, t in enumerate(times):
        if t not in cache:
            cache[t] = catalog.version_in_force(ruleset_id, t.to_pydatetime())
        v = cache[t]
        if v is None:
            missing.append(i)
        else:
            versions.setdefault(v, []).append(i)
    if missing:
        rows = ", ".join(str(i + 1) for i in missing[:10])
        raise InputError(f"tidak ada versi '{ruleset_id}' yang berlaku pada waktu titik baris {rows} / no version "
                         f"of '{ruleset_id}' is in force at the time of row(s) {rows}", field="installed_at")
    checkers: dict[str, Checker] = {}
    parts: list[Evaluation] = []
    order: list[int] = []
    for version, idx in versions.items():
        checker = open_checker(catalog, ruleset_id, version)
        checkers[version] = checker
        parts.append(checker.check(sites.iloc[idx], when, reasons=reasons, lang=lang))
        order += idx
    if len(parts) == 1:
        ev = parts[0]
        ev.provenance = {**(ev.provenance or {}), "versions": list(versions)}
        return ev, checkers
    table = pd.concat([p.table for p in parts])
    pos = pd.Series(range(len(order)), index=order).sort_index().to_numpy()
    table = gpd.GeoDataFrame(table.iloc[pos].reset_index(drop=True), geometry="geometry", crs=parts[0].table.crs)
    matches = pd.concat([p.matches for p in parts], ignore_index=True)
    prov = {**(parts[0].provenance or {}), "versions": list(versions)}
    ev = Evaluation(table=table, matches=matches,
                    not_checked=[c for p in parts for c in p.not_checked],
                    nearest_bound_m=max(p.nearest_bound_m for p in parts), provenance=prov)
    return ev, checkers
