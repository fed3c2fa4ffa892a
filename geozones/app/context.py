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


#: Session key of the instant the page's context was built for ("in force on date D").
AT_KEY = "geozones_context_at"
#: Prefix of the rule-set slot of :func:`keys` when the rules come from the store.
STORE_PREFIX = "store:"


def catalog() -> FileCatalog:
    """The file catalog: ``$GEOZONES_RULES`` (else the Jakarta Pusat rule set) and ``$GEOZONES_DATA_DIR``."""
    return FileCatalog()


def _store_version(at: dt.datetime) -> tuple[str, str, str] | None:
    """The store's rule set for the default area in force at ``at``: ``(id, version, store digest)``.

    None to fall back to the files: no store, nothing published for the area, none in force then.
    """
    from geozones.app.login import _store_or_none

    store = _store_or_none()
    if store is None:
        return None
    from sqlalchemy import select

    from geozones.services.store_catalog import StoreCatalog
    from geozones.store.models import RuleSetRecord

    files = catalog()
    try:
        area = files.ruleset().area
    except Exception:  # noqa: BLE001 - a broken rule file must not hide a good store
        area = None
    try:
        with store.read() as s:
            q = select(RuleSetRecord.id).order_by(RuleSetRecord.id)
            ids = list(s.execute(q.where(RuleSetRecord.area == area) if area else q).scalars())
        cat = StoreCatalog(store, data_dir=files.data_dir)
        for rid in ids:
            version = cat.version_in_force(rid, at)
            if version is not None:
                return rid, version, cat.key()
    except Exception:  # an unmigrated or unreachable store: the files still serve the public
        import logging

        logging.getLogger("geozones.app").exception("store not usable; serving the rule files")
    return None


@st.cache_resource(show_spinner=False, max_entries=4)
def _context(data_dir_: str, rules_path_: str, key_: str) -> Context:
    if rules_path_.startswith(STORE_PREFIX):
        from geozones.app.login import _store
        from geozones.services.store_catalog import StoreCatalog

        rid, _, version = rules_path_.removeprefix(STORE_PREFIX).partition("@")
        checker = open_checker(StoreCatalog(_store(), data_dir=Path(data_dir_)), rid, version)
    else:
        checker = open_checker(FileCatalog(Path(rules_path_), Path(data_dir_)))
    return Context(checker=checker, covers=zoning.rule_covers(checker.prepared))


def context(at: dt.datetime | None = None) -> Context:
    """The shared layers, rule set and prepared rules in force at ``at`` (default: the page's date, else now).

    From the store when it publishes a rule set for the area (the version in force
    then, with its KPU overlay and the grants register), else from the files; the
    cache follows the content (store digest, file digests), so a publication shows
    on the next run.
    """
    if at is not None:
        st.session_state[AT_KEY] = at
    return _context(*keys())


def page_instant(date_key: str) -> dt.datetime | None:
    """The instant a page's date field (``{date_key}_date``, DD/MM/YYYY) holds, at noon WIB; None if unset."""
    from geozones.app import state

    text = st.session_state.get(f"{date_key}_date")
    day = state.parse_date(text) if text else None
    if day is None:
        return None
    clock = st.session_state.get(f"{date_key}_time") or dt.time(12, 0)
    return dt.datetime.combine(day, clock, tzinfo=state.WIB)


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
    """The data-coverage report of the layers and rule set in use (cached per data, rule set and day).

    The rules an absent layer leaves unchecked are named from the rule set the page's
    context serves (:attr:`Context.ruleset`): from the rule file, or from the store when
    it publishes one (``rules_path_`` is then ``store:ID@VERSION``, a cache key, not a file).

    Parameters
    ----------
    data_dir_ : str
        Data directory (cache key; provenance records are read from it).
    rules_path_ : str
        Rule file or ``store:ID@VERSION`` (cache key of the rule set in use).
    key_ : str
        Content digest of the catalog (cache key).
    today : datetime.date
        Reference day for data ages, so a long-running server does not show stale ages.

    Returns
    -------
    geozones.sources.coverage.Coverage
    """
    from geozones.sources import provenance
    from geozones.sources.coverage import coverage_from_layers

    ctx = _context(data_dir_, rules_path_, key_)
    return coverage_from_layers(ctx.layers, records=provenance.load(data_dir_)["files"], rules=ctx.ruleset,
                                today=today)


def keys() -> tuple[str, str, str]:
    """Cache keys of the data in use: (data directory, rule file or ``store:ID@VERSION``, content digest)."""
    from geozones.app import state

    cat = catalog()
    at = st.session_state.get(AT_KEY) or state.now_wib()
    stored = _store_version(at)
    if stored is not None:
        rid, version, key = stored
        return str(cat.data_dir.resolve()), f"{STORE_PREFIX}{rid}@{version}", key
    return str(cat.data_dir.resolve()), str(cat.rules_path.resolve()), cat.key()
