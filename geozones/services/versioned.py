"""Judge each site with each level's version in force at its own time.

A site's time is its ``installed_at``, else the batch's ``at``, else now. Rule sets
stack (national -> province -> kota), and each level is versioned on its own: sites
are grouped by the *stack* in force at their time (every level's version, valid
time), each group is judged by that stack's checker, and the tables are put back in
input order. Quotas are counted within each group: sites judged under different
decrees do not share a quota.
"""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import pandas as pd

from geozones.core.errors import InputError
from geozones.core.time import resolve_at
from geozones.engine import Evaluation
from geozones.engine.explain import unique_not_checked
from geozones.engine.sites import normalize_sites
from geozones.services.checking import Checker, open_checker
from geozones.services.store_catalog import StoreCatalog

__all__ = ["check_by_version", "stack_name"]


def stack_name(stack: tuple[tuple[str, str], ...]) -> str:
    """``(("nasional-pilkada-2024", "2024.1"), ...)`` → ``"nasional-pilkada-2024@2024.1 > ..."``."""
    return " > ".join(f"{rid}@{v}" for rid, v in stack)


def check_by_version(catalog: StoreCatalog, ruleset_id: str, sites: gpd.GeoDataFrame,
                     at: object | None = None, *, reasons: str = "full",
                     lang: str = "both") -> tuple[Evaluation, dict[str, Checker]]:
    """Judge ``sites`` with ``ruleset_id``'s stack, each level in its version in force at each site's time.

    Parameters
    ----------
    catalog : StoreCatalog
    ruleset_id : str
        The lowest level (e.g. the kota's).
    sites : geopandas.GeoDataFrame
        Points, EPSG:4326; ``installed_at`` optional.
    at : datetime or str, optional
        Time for sites without ``installed_at`` (WIB if naive); default now.
    reasons, lang
        ``full``/``compact``/``none`` and ``id``/``en``/``both``: see :func:`geozones.engine.explain`.

    Returns
    -------
    (Evaluation, dict)
        The evaluation in input order, and the checker per stack, keyed by
        :func:`stack_name` (``"nasional-pilkada-2024@2024.1 > ... > dki-jakarta-pusat-pilkada-2024@2024.2"``).
        ``provenance["versions"]`` lists the versions of ``ruleset_id`` used and
        ``provenance["stacks"]`` every stack used, each a list of ``{"ruleset_id", "version"}``
        root first; with one stack, ``provenance["levels"]`` is its checker's.

    Raises
    ------
    InputError
        When a site's time falls where no version of the level is in force (naming the rows),
        or a parent is missing or not in force then.
    """
    sites = normalize_sites(sites)
    when = resolve_at(at)
    times = sites["installed_at"].dt.tz_convert("UTC").fillna(when.tz_convert("UTC"))
    groups: dict[tuple, list[int]] = {}
    first_time: dict[tuple, pd.Timestamp] = {}
    missing: list[int] = []
    cache: dict[pd.Timestamp, tuple | None] = {}
    for i, t in enumerate(times):
        if t not in cache:
            cache[t] = catalog.stack_in_force(ruleset_id, t.to_pydatetime())
        key = cache[t]
        if key is None:
            missing.append(i)
        else:
            groups.setdefault(key, []).append(i)
            first_time.setdefault(key, t)
    if missing:
        rows = ", ".join(str(i + 1) for i in missing[:10])
        raise InputError(f"tidak ada versi '{ruleset_id}' yang berlaku pada waktu titik baris {rows} / no version "
                         f"of '{ruleset_id}' is in force at the time of row(s) {rows}", field="installed_at")
    checkers: dict[str, Checker] = {}
    parts: list[Evaluation] = []
    order: list[int] = []
    for key, idx in groups.items():
        # Every level as in force at a time of this group (all its times give the same stack).
        at_group = dataclasses.replace(catalog, at=first_time[key].to_pydatetime(), as_published=None)
        at_group._files = catalog._files  # its manifests are read once per batch
        checker = open_checker(at_group, ruleset_id)
        checkers[stack_name(key)] = checker
        parts.append(checker.check(sites.iloc[idx], when, reasons=reasons, lang=lang))
        order += idx
    leaf_versions = list(dict.fromkeys(key[-1][1] for key in groups))
    stacks = [[{"ruleset_id": rid, "version": v} for rid, v in key] for key in groups]
    if len(parts) == 1:
        ev = parts[0]
        ev.provenance = {**(ev.provenance or {}), "versions": leaf_versions, "stacks": stacks}
        return ev, checkers
    table = pd.concat([p.table for p in parts])
    pos = pd.Series(range(len(order)), index=order).sort_index().to_numpy()
    table = gpd.GeoDataFrame(table.iloc[pos].reset_index(drop=True), geometry="geometry", crs=parts[0].table.crs)
    matches = pd.concat([p.matches for p in parts], ignore_index=True)
    prov = {**(parts[0].provenance or {}), "versions": leaf_versions, "stacks": stacks}
    prov.pop("levels", None)  # several stacks: "stacks" lists them all
    ev = Evaluation(table=table, matches=matches,
                    not_checked=unique_not_checked([c for p in parts for c in p.not_checked]),
                    nearest_bound_m=max(p.nearest_bound_m for p in parts), provenance=prov)
    return ev, checkers
