"""Cached loaders: layers, rule set, prepared rules and per-view display data.

``st.cache_resource`` holds the read-only shared objects (one copy for every
session); ``st.cache_data`` holds serialisable per-input results. Unhashable
arguments are passed by a hashable key (the data directory, rule-file path and
the catalog's content digest) so the caches key on what matters.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import streamlit as st

from geozones.app import mapview
from geozones.areas.layers import LayerSet
from geozones.engine import zoning
from geozones.engine.compile import PreparedRules
from geozones.rules.model import RuleSet
from geozones.services.catalog import FileCatalog
from geozones.services.checking import Checker, open_checker

KEL_FIELDS = ("kelurahan", "kecamatan", "kode_kemendagri", "kode_bps")


@dataclass(frozen=True)
class Context:
    """Everything a page needs, loaded once per process."""

    checker: Checker
    covers: dict

    @property
    def layers(self) -> LayerSet:
        """The layers of the rule set's area."""
        return self.checker.layers

    @property
    def ruleset(self) -> RuleSet:
        """The rule set in use."""
        return self.checker.ruleset

    @property
    def prepared(self) -> PreparedRules:
        """The rule set compiled against the layers."""
        return self.checker.prepared

    @property
    def attributions(self) -> list[str]:
        """Attribution lines of the present layers (shown with every map and export)."""
        return self.layers.attributions()


def catalog() -> FileCatalog:
    """The catalog in use: ``$GEOZONES_RULES`` (else the Jakarta Pusat rule set) and ``$GEOZONES_DATA_DIR``."""
    return FileCatalog()


@st.cache_resource(show_spinner=False, max_entries=4)
def _context(data_dir_: str, rules_path_: str, key_: str) -> Context:
    checker = open_checker(FileCatalog(Path(rules_path_), Path(data_dir_)))
    return Context(checker=checker, covers=zoning.rule_covers(checker.prepared))


def context() -> Context:
    """The shared layers, rule set and prepared rules (rebuilt when a rule or data file changes)."""
    return _context(*keys())


@st.cache_resource(show_spinner=False)
def kelurahan_display(data_dir_: str, rules_path_: str, key_: str) -> gpd.GeoDataFrame:
    """Kelurahan simplified (5 m) and rounded for drawing."""
    ctx = context()
    kel = ctx.layers.kelurahan
    return mapview.display_frame(kel, ctx.layers.metric_crs, tolerance_m=5.0, columns=KEL_FIELDS)


@st.cache_resource(show_spinner=False)
def restricted_display(data_dir_: str, rules_path_: str, key_: str) -> gpd.GeoDataFrame:
    """Restricted places (parcels, radii, corridors, kawasan) ready for drawing."""
    ctx = context()
    return zoning.restricted_display(ctx.prepared, ctx.covers)


@st.cache_resource(show_spinner=False)
def search_index(data_dir_: str, rules_path_: str, key_: str) -> pd.DataFrame:
    """Kelurahan and kecamatan names with codes and bounds, for the search box."""
    ctx = context()
    kel = ctx.layers.kelurahan
    rows = []
    for r, b in zip(kel.itertuples(index=False), kel.geometry.bounds.to_numpy(), strict=True):
        rows.append({"kind": "kel", "name": r.kelurahan, "code": r.kode_kemendagri, "bounds": tuple(b)})
    for (code, name), grp in kel.groupby(["kode_kemendagri_kec", "kecamatan"], sort=True):
        rows.append({"kind": "kec", "name": name, "code": code, "bounds": tuple(grp.total_bounds)})
    return pd.DataFrame(rows).sort_values(["kind", "name"], ascending=[False, True], ignore_index=True)


@st.cache_resource(show_spinner=False, max_entries=16)
def zone_split(data_dir_: str, rules_path_: str, key_: str, at: dt.datetime, apk_type: str | None):
    """Area classes for one instant and APK type (cached per date and type)."""
    ctx = context()
    return zoning.zone_split(ctx.prepared, ctx.covers, at=at, apk_type=apk_type)


@st.cache_resource(show_spinner=False, max_entries=16)
def zone_display(data_dir_: str, rules_path_: str, key_: str, at: dt.datetime,
                 apk_type: str | None) -> gpd.GeoDataFrame:
    """The area classes in EPSG:4326, simplified for drawing."""
    ctx = context()
    z = zone_split(data_dir_, rules_path_, key_, at, apk_type)
    frame = zoning.zones_frame(z)
    return mapview.display_frame(frame, ctx.layers.metric_crs, tolerance_m=3.0, columns=["zone"])


@st.cache_resource(show_spinner=False, max_entries=16)
def streets(data_dir_: str, rules_path_: str, key_: str, at: dt.datetime, apk_type: str | None):
    """Usable street segments and the per-kelurahan summary for one instant and type."""
    ctx = context()
    z = zone_split(data_dir_, rules_path_, key_, at, apk_type)
    gdf = ctx.layers.get("streets")
    if gdf is None:
        return None, None
    metric = ctx.layers.metric("streets")
    segs = zoning.usable_streets(z, ctx.prepared, metric, gdf["name"])
    summary = zoning.street_summary(segs, ctx.prepared, metric, gdf["name"])
    return segs, summary


@st.cache_data(show_spinner=False, max_entries=8)
def coverage_report(data_dir_: str, rules_path_: str, key_: str, today: dt.date):
    """The data-coverage report of the layers in use (cached per data directory, rule file and day).

    Parameters
    ----------
    data_dir_ : str
        Data directory (cache key; provenance records are read from it).
    rules_path_ : str
        Rule file (names the rules an absent layer leaves unchecked).
    today : datetime.date
        Reference day for data ages, so a long-running server does not show stale ages.

    Returns
    -------
    geozones.sources.coverage.Coverage
    """
    from geozones.sources import provenance
    from geozones.sources.coverage import coverage_from_layers

    ctx = context()
    return coverage_from_layers(ctx.layers, records=provenance.load(data_dir_)["files"], rules=Path(rules_path_),
                                today=today)


def keys() -> tuple[str, str, str]:
    """Cache keys of the data in use: (data directory, rule file, content digest of both)."""
    cat = catalog()
    return str(cat.data_dir.resolve()), str(cat.rules_path.resolve()), cat.key()
