"""The engine's face: judge every site and explain the verdicts in one call."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import geopandas as gpd

from geozones.areas.layers import LayerSet
from geozones.core.errors import InputError
from geozones.engine.compile import PreparedRules, prepare
from geozones.engine.explain import Evaluation, explain
from geozones.engine.judge import judge
from geozones.rules.model import Grant, RuleSet

__all__ = ["compiled_for", "evaluate", "evaluate_detailed"]


def compiled_for(layers: LayerSet, ruleset: RuleSet, prepared: PreparedRules | None) -> PreparedRules:
    """``prepared`` checked against the layers and rule set, or compiled from them.

    Parameters
    ----------
    layers : LayerSet
        The area's layers (EPSG:4326).
    ruleset : RuleSet
        A validated rule set for the same area.
    prepared : PreparedRules or None
        Compiled rules to reuse; compiled here (:func:`geozones.engine.compile.prepare`) when None.

    Returns
    -------
    PreparedRules

    Raises
    ------
    InputError
        When the rule set is for another area than the layers.
    ValueError
        When ``prepared`` was built for another rule set or layer set.
    """
    if ruleset.area != layers.manifest.id:
        raise InputError(f"rule set {ruleset.id} is for area '{ruleset.area}', but the layers are "
                         f"for '{layers.manifest.id}'", field="area")
    if prepared is None:
        return prepare(layers, ruleset)
    if prepared.ruleset is not ruleset or prepared.layers is not layers:
        raise ValueError("prepared rules were built for another rule set or layer set")
    return prepared


def evaluate_detailed(sites: gpd.GeoDataFrame, layers: LayerSet, ruleset: RuleSet,
                      at: object | None = None, *, prepared: PreparedRules | None = None,
                      grants: Iterable[Grant] = (),
                      progress: Callable[[str, float], None] | None = None, reasons: str = "full",
                      lang: str = "both", categorical: bool = False) -> Evaluation:
    """Judge every site and explain the verdicts; see :func:`evaluate` for the table.

    Parameters
    ----------
    sites, layers, ruleset, at
        As in :func:`evaluate`.
    prepared : PreparedRules, optional
        From :func:`geozones.engine.compile.prepare` for the same layers and rule set;
        built here when omitted (cache it when judging many batches).
    grants : iterable of Grant
        Extra discretion grants on top of the rule set's own.
    progress : callable, optional
        Called as ``progress(step_name, fraction_done)``.
    reasons, lang
        How much reason text, in which language(s): see :func:`geozones.engine.explain.explain`.
    categorical : bool
        Repeating text columns as pandas Categoricals (for a CSV writer): see
        :func:`geozones.engine.explain.explain`.

    Returns
    -------
    Evaluation
    """
    j = judge(sites, compiled_for(layers, ruleset, prepared), at, grants=grants, progress=progress)
    result = explain(j, reasons=reasons, lang=lang, categorical=categorical)
    if progress:
        progress("done", 1.0)
    return result


def evaluate(sites: gpd.GeoDataFrame, layers: LayerSet, ruleset: RuleSet,
             at: object | None = None, *, prepared: PreparedRules | None = None,
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
        verdict, advisory, unverified, rule_ids, reasons_id, reasons_en,
        nearest_name, nearest_layer, nearest_m, not_checked, grant_ids`` and the
        input's extra columns. ``unverified`` is True where a rule that was not
        checked (its layer is absent) would apply and could make the verdict
        stricter; the reasons then say which.

    Notes
    -----
    Verdict order: FORBIDDEN > OUT_OF_WINDOW > NEEDS_DISCRETION > NEEDS_PERMIT >
    NEEDS_OWNER_CONSENT > ALLOWED_ASSIGNED > ALLOWED. A site no rule matches gets
    the rule set's default verdict; a site outside the jurisdiction gets
    OUTSIDE_AREA; a site whose every match a grant lifted is ALLOWED. A site on
    an edge shared by two kelurahan belongs to the one with the lower Kemendagri
    code. ``nearest_m`` is the exact distance to the nearest feature of a
    FORBIDDEN rule, searched within ``nearest_bound_m`` (1000 m by default; NaN
    beyond). Quotas count every site of a paslon and type in a unit, ordered by
    time then site id, across the batch.

    Examples
    --------
    One kelurahan with one place of worship, one rule forbidding APK inside it, and
    three sites: on the mosque, about 500 m west of it, and outside the kota. Built in code;
    from files, use :func:`geozones.io.sites.read_sites` and :func:`geozones.io.layers.load_layers`.

    >>> from pathlib import Path
    >>> import geopandas as gpd
    >>> from pyproj import CRS
    >>> from shapely.geometry import box
    >>> from geozones.areas.layers import Layer, LayerSet
    >>> from geozones.areas.manifest import AreaManifest
    >>> from geozones.engine.sites import sites_frame
    >>> from geozones.rules.model import parse_ruleset
    >>> about = {"source": "example", "licence": "CC0", "attribution": "example"}
    >>> manifest = AreaManifest(
    ...     id="contoh", title={"id": "Contoh", "en": "Example"}, kota={"kemendagri": "31.71", "bps": "3171"},
    ...     layers=[{"name": "kelurahan", "role": "kelurahan", "file": "kel.geojson", **about},
    ...             {"name": "worship", "role": "worship", "file": "worship.geojson", **about}])
    >>> kel = gpd.GeoDataFrame(
    ...     {"kode_kemendagri": ["31.71.01.1001"], "kode_bps": ["3171010001"], "kelurahan": ["Contoh"],
    ...      "kode_kemendagri_kec": ["31.71.01"], "kode_bps_kec": ["3171010"], "kecamatan": ["Contoh"],
    ...      "kode_bps_kota": ["3171"], "kota": ["Kota Contoh"]},
    ...     geometry=[box(106.82, -6.18, 106.84, -6.16)], crs="EPSG:4326")
    >>> mosque = gpd.GeoDataFrame({"name": ["Masjid Contoh"]},
    ...                           geometry=[box(106.8300, -6.1705, 106.8310, -6.1695)], crs="EPSG:4326")
    >>> layers = LayerSet(manifest, Path("."), {
    ...     "kelurahan": Layer(manifest.spec("kelurahan"), Path("kel.geojson"), kel),
    ...     "worship": Layer(manifest.spec("worship"), Path("worship.geojson"), mosque)},
    ...     metric_crs=CRS.from_epsg(32748))  # UTM 48S: metres around Jakarta
    >>> period = lambda start, end: {"start": start, "end": end}
    >>> rules = parse_ruleset({
    ...     "schema_version": 1, "id": "contoh", "version": "1", "area": "contoh", "issued_by": "example",
    ...     "title": {"id": "Contoh", "en": "Example"}, "jurisdiction": {"kemendagri": ["31.71"]},
    ...     "schedule": {"source": "example", "campaign": period("2024-09-25", "2024-11-24"),
    ...                  "quiet_period": period("2024-11-24", "2024-11-27"),
    ...                  "voting_day": period("2024-11-27", "2024-11-28")},
    ...     "default_verdict": "NEEDS_OWNER_CONSENT",
    ...     "default_reason": {"id": "perlu izin pemilik", "en": "owner consent needed"},
    ...     "rules": [{"id": "R01", "title": {"id": "Tempat ibadah", "en": "Place of worship"},
    ...                "legal_basis": [{"instrument": "PKPU 13/2024", "grade": "S"}], "verdict": "FORBIDDEN",
    ...                "spatial": {"form": "inside"}, "layer": "worship"}]})
    >>> sites = sites_frame([106.8305, 106.8255, 106.9000], [-6.17, -6.17, -6.17],
    ...                     site_id=["a", "b", "c"], apk_type="spanduk")
    >>> table = evaluate(sites, layers, rules, at="2024-10-15T10:00")
    >>> table["verdict"].tolist()
    ['FORBIDDEN', 'NEEDS_OWNER_CONSENT', 'OUTSIDE_AREA']
    >>> table["reasons_en"].iloc[0]
    "R01 Place of worship: inside 'Masjid Contoh' (0 m). Basis: PKPU 13/2024 [S] [FORBIDDEN]"
    >>> round(float(table["nearest_m"].iloc[1]))  # metres to the mosque's edge, in UTM 48S
    498
    >>> str(table["judged_at"].iloc[0])
    '2024-10-15 10:00:00+07:00'
    """
    return evaluate_detailed(sites, layers, ruleset, at, prepared=prepared, grants=grants).table
