"""Validating a rule set as far as it will be used: load, compile against its layers, judge a sample.

``geozones rules validate`` (and, once KPU accounts import rule sets, the app) must
not accept a rule set that later breaks ``check`` or the app. :func:`validate_ruleset`
runs the same steps they run: the rule file (bounded, see
:mod:`geozones.core.yamlsafe`), its area manifest and layer names, the layers of
its area, :func:`geozones.engine.prepare`, and a judgement of sample sites placed
on a feature of every rule, for every APK type (and none), at the start of the
campaign, of the quiet period and of voting day, so every reason text is built.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geozones.core.apk import ApkType
from geozones.core.crs import STORAGE_CRS
from geozones.core.errors import InputError
from geozones.core.yamlsafe import bilingual
from geozones.io.exports import table_csv
from geozones.rules.model import RuleSet, load_ruleset
from geozones.services.catalog import FileCatalog
from geozones.services.checking import open_checker

__all__ = ["Validation", "validate_ruleset"]


@dataclass
class Validation:
    """What :func:`validate_ruleset` found for one valid rule file.

    Attributes
    ----------
    ruleset : RuleSet
        The validated rule set.
    compiled : bool
        True when its layers were there and it was compiled and tried on sample sites.
    sample_sites : int
        Sites judged (per instant).
    notes : list of str
        What could not be checked and why (e.g. no layer files), in both languages.
    """

    ruleset: RuleSet
    compiled: bool = False
    sample_sites: int = 0
    notes: list[str] = field(default_factory=list)


def _sample_sites(checker) -> gpd.GeoDataFrame:
    """A site on one feature of each rule (and in one kelurahan), once per APK type and once untyped."""
    prepared = checker.prepared
    points = [gpd.GeoSeries(prepared.admin_geoms[:1], crs=prepared.crs).representative_point()]
    for comp in prepared.rules:
        if comp.checked and len(comp.features):
            points.append(prepared.rule_features(comp.rule.id).geometry.iloc[:1].representative_point())
    pts = pd.concat(points, ignore_index=True).to_crs(STORAGE_CRS)
    types: list[str | None] = [None, *(t.value for t in ApkType)]
    rows = [{"id": f"s{i}-{j}", "apk_type": t, "paslon": "1", "geometry": p}
            for i, p in enumerate(pts) for j, t in enumerate(types)]
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=STORAGE_CRS)


def validate_ruleset(path: str | os.PathLike, data_dir: str | os.PathLike | None = None) -> Validation:
    """Validate a rule file as ``check`` and the app will use it.

    Parameters
    ----------
    path : path-like
        The rule-set YAML.
    data_dir : path-like, optional
        The layer files (default as :class:`~geozones.services.catalog.FileCatalog`).

    Returns
    -------
    Validation
        ``compiled`` is False (with a note) when the area's kelurahan layer is not there.

    Raises
    ------
    InputError
        Every problem found: in the file, against its manifest, against its layers
        (e.g. a ``where`` column the layer lacks, kota codes matching no kelurahan), or
        any failure while judging the sample sites (named as such: it is a bug to report
        and, until fixed, a rule set that cannot be used).
    """
    cat = FileCatalog(Path(path), Path(data_dir) if data_dir else None)
    area = load_ruleset(path).area  # the file's own errors first, then its manifest's
    try:
        cat.manifest(area)
    except InputError as err:
        raise InputError(bilingual(f"wilayah '{area}' tidak punya manifes ({err})",
                                   f"area '{area}' has no manifest ({err})"), source=str(path), field="area") from None
    rs = cat.ruleset()
    result = Validation(ruleset=rs)
    layers = cat.layers(rs.area)
    if not any(lyr.present for lyr in layers.by_role("kelurahan")):
        result.notes.append(bilingual(
            f"lapisan batas kelurahan wilayah '{rs.area}' tidak ada di {cat.data_dir}: aturan tidak dikompilasi",
            f"no kelurahan layer of area '{rs.area}' in {cat.data_dir}: the rules were not compiled"))
        return result
    checker = open_checker(cat)
    sites = _sample_sites(checker)
    sch = rs.schedule
    try:
        for at in (sch.campaign.start, sch.quiet_period.start, sch.voting_day.start,
                   sch.campaign.start - dt.timedelta(days=1)):
            table = checker.check(sites.copy(), at).table
            for lang in ("id", "en"):
                table_csv(table, attribution=checker.attribution(), lang=lang)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(bilingual(
            f"aturan ini membuat pemeriksaan gagal ({type(exc).__name__}: {exc}); laporkan sebagai bug",
            f"this rule set makes the check fail ({type(exc).__name__}: {exc}); please report it as a bug"),
            source=str(path)) from exc
    result.compiled, result.sample_sites = True, len(sites)
    return result
