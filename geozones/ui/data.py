"""Cached loaders: layers, rule set, prepared rules and per-view display data.

``st.cache_resource`` holds the read-only shared objects (one copy for every
session); ``st.cache_data`` holds serialisable per-input results. Unhashable
arguments are passed by a hashable key (the data directory, rule-file path) so
the caches key on what matters.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import streamlit as st

from geozones import mapview, zoning
from geozones.layers import LayerSet, load_rules_and_layers, resolve_data_dir
from geozones.ruleset import DEFAULT_RULES, RuleSet

RULES_ENV = "GEOZONES_RULES"
KEL_FIELDS = ("kelurahan", "kecamatan", "kode_kemendagri", "kode_bps")


@dataclass(frozen=True)
class Context:
    """Everything a page needs, loaded once per process."""

    layers: LayerSet
    ruleset: RuleSet
    prepared: object
    covers: dict

    @property
    def attributions(self) -> list[str]:
        """Attribution lines of the present layers (shown with every map and export)."""
        return self.layers.attributions()


def data_dir() -> str:
    """The data directory in use (``$GEOZONES_DATA_DIR`` or ``shapefiles/``)."""
    return str(resolve_data_dir(None).resolve())


def rules_path() -> str:
    """The rule-set file in use (``$GEOZONES_RULES`` or the Jakarta Pusat default)."""
    return str(Path(os.environ.get(RULES_ENV) or DEFAULT_RULES).resolve())


def stamp(data_dir_: str, rules_path_: str) -> str:
    """A fingerprint of the rule file, the area manifests and every file in the data directory.

    Part of every cache key below, so that an edited rule set, an imported,
    deleted or rolled-back layer shows up in maps and verdicts alike. Names,
    sizes and nanosecond mtimes are hashed: a file restored from ``.previous/``
    keeps an old mtime, and a deleted file changes no mtime at all.
    """
    import hashlib

    from geozones.layers import MANIFEST_DIR

    parts = []
    for path in [Path(rules_path_), *sorted(MANIFEST_DIR.glob("*.yaml"))]:
        st_ = path.stat()
        parts.append(f"{path}|{st_.st_size}|{st_.st_mtime_ns}")
    try:
        with os.scandir(data_dir_) as entries:
            for e in sorted(entries, key=lambda e: e.name):
                if e.is_file():
                    st_ = e.stat()
                    parts.append(f"{e.name}|{st_.st_size}|{st_.st_mtime_ns}")
    except OSError:
        parts.append("no data dir")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


@st.cache_resource(show_spinner=False, max_entries=4)
def _context(data_dir_: str, rules_path_: str, stamp_: str) -> Context:
    from geozones.engine import prepare

    ruleset, layers = load_rules_and_layers(rules_path_, data_dir_)
    prepared = prepare(layers, ruleset)
    return Context(layers=layers, ruleset=ruleset, prepared=prepared, covers=zoning.rule_covers(prepared))


def context() -> Context:
    """The shared layers, rule set and prepared rules (rebuilt when a rule or data file changes)."""
    return _context(*keys())


@st.cache_resource(show_spinner=False)
def kelurahan_display(data_dir_: str, rules_path_: str, stamp_: str) -> gpd.GeoDataFrame:
    """Kelurahan simplified (5 m) and rounded for drawing."""
    ctx = context()
    kel = ctx.layers.kelurahan
    return mapview.display_frame(kel, ctx.layers.metric_crs, tolerance_m=5.0, columns=KEL_FIELDS)


@st.cache_resource(show_spinner=False)
def restricted_display(data_dir_: str, rules_path_: str, stamp_: str) -> gpd.GeoDataFrame:
    """Restricted places (parcels, radii, corridors, kawasan) ready for drawing."""
    ctx = context()
    return zoning.restricted_display(ctx.prepared, ctx.covers)


@st.cache_resource(show_spinner=False)
def search_index(data_dir_: str, rules_path_: str, stamp_: str) -> pd.DataFrame:
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
def zone_split(data_dir_: str, rules_path_: str, stamp_: str, at: dt.datetime, apk_type: str | None):
    """Area classes for one instant and APK type (cached per date and type)."""
    ctx = context()
    return zoning.zone_split(ctx.prepared, ctx.covers, at=at, apk_type=apk_type)


@st.cache_resource(show_spinner=False, max_entries=16)
def zone_display(data_dir_: str, rules_path_: str, stamp_: str, at: dt.datetime,
                 apk_type: str | None) -> gpd.GeoDataFrame:
    """The area classes in EPSG:4326, simplified for drawing."""
    ctx = context()
    z = zone_split(data_dir_, rules_path_, stamp_, at, apk_type)
    frame = zoning.zones_frame(z)
    return mapview.display_frame(frame, ctx.layers.metric_crs, tolerance_m=3.0, columns=["zone"])


@st.cache_resource(show_spinner=False, max_entries=16)
def streets(data_dir_: str, rules_path_: str, stamp_: str, at: dt.datetime, apk_type: str | None):
    """Usable street segments and the per-kelurahan summary for one instant and type."""
    ctx = context()
    z = zone_split(data_dir_, rules_path_, stamp_, at, apk_type)
    gdf = ctx.layers.get("streets")
    if gdf is None:
        return None, None
    metric = ctx.layers.metric("streets")
    segs = zoning.usable_streets(z, ctx.prepared, metric, gdf["name"])
    summary = zoning.street_summary(segs, ctx.prepared, metric, gdf["name"])
    return segs, summary


@st.cache_data(show_spinner=False, max_entries=8)
def coverage_report(data_dir_: str, rules_path_: str, stamp_: str, today: dt.date):
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
    geozones.data.coverage.Coverage
    """
    from geozones.data import provenance
    from geozones.data.coverage import coverage_from_layers

    ctx = context()
    return coverage_from_layers(ctx.layers, records=provenance.load(data_dir_)["files"], rules=Path(rules_path_),
                                today=today)


def keys() -> tuple[str, str, str]:
    """Cache keys of the data in use: (data directory, rule file, latest change)."""
    d, r = data_dir(), rules_path()
    return d, r, stamp(d, r)
