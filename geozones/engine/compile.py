"""Rules compiled against layers: projected features, query pieces and indexes.

:func:`prepare` turns a :class:`~geozones.rules.model.RuleSet` and a
:class:`~geozones.areas.layers.LayerSet` into arrays the engine can query in bulk. It
is pure (no file access) and worth caching: the app builds it once per rule-set
version and layer set.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.geometry

from geozones.areas.layers import LayerSet, where_mask
from geozones.core.apk import ApkType
from geozones.core.crs import STORAGE_CRS, assert_metric, transformer
from geozones.core.verdicts import RANK, Verdict
from geozones.engine.nearest import SegmentIndex
from geozones.engine.quotas import UNIT_COLUMNS
from geozones.engine.sitegrid import SiteGrid
from geozones.rules.model import Rule, RuleSet

#: Longest road piece queried at once: long lines have huge bounding boxes, which
#: make the site tree test far too many candidates (1.1 s vs 0.12 s per 1e6 sites).
PIECE_LENGTH_M = 50.0
APK_CODES = list(ApkType)
#: Column of the APK mask used for sites whose type is not given. Every rule *may* apply
#: there, so every rule is matched; a rule limited to some types (``CompiledRule.typed``)
#: then gives only a conditional reason and never decides the verdict (see judge).
APK_UNKNOWN = len(APK_CODES)
NS_MIN, NS_MAX = np.iinfo(np.int64).min, np.iinfo(np.int64).max


@dataclass
class CompiledRule:
    """A rule ready for the engine.

    ``status`` is ``"active"``, ``"absent"`` (its layer has no data: the rule is
    *not checked*), ``"partial"`` (some features cannot be checked, e.g. points
    under an ``inside`` rule) or ``"empty"`` (its filter selects no feature).
    """

    rule: Rule
    index: int
    rank: int
    status: str
    features: np.ndarray  # indices into PreparedRules.features
    start_ns: int
    end_ns: int
    apk_mask: np.ndarray  # bool per APK code + unknown
    reason: str | None = None

    @property
    def typed(self) -> bool:
        """True when the rule holds for some APK types only (it cannot decide for a site of unknown type)."""
        return self.rule.apk_types is not None and not bool(self.apk_mask[:APK_UNKNOWN].all())

    @property
    def checked(self) -> bool:
        """True when the engine tests this rule (its layer is present, fully or in part)."""
        return self.status in ("active", "partial")

    def applies(self, t_ns: int, apk_type: str | None) -> bool:
        """Whether the rule is in force at ``t_ns`` for an APK type.

        Parameters
        ----------
        t_ns : int
            Instant in ns since the epoch (UTC).
        apk_type : str or None
            APK type code (``"spanduk"``, ...); None for unknown, which the rule may cover, so True.

        Returns
        -------
        bool
            False for a rule that is not checked (its layer is absent or empty).
        """
        if not (self.checked and self.start_ns <= t_ns < self.end_ns):
            return False
        return apk_type is None or bool(self.apk_mask[APK_CODES.index(ApkType(apk_type))])


@dataclass
class PreparedRules:
    """The rule set and layers as arrays, in the layer set's metric CRS.

    Attributes
    ----------
    features : pandas.DataFrame
        Every restricted feature any rule refers to, once: ``layer``,
        ``feature_id``, ``feature_name``, ``dim`` (0 point, 1 line, 2 polygon).
    geoms : ndarray of shapely geometries
        Their geometry in the metric CRS (same order as ``features``).
    rules : list of CompiledRule
        One per rule, in rule-set order.
    """

    ruleset: RuleSet
    layers: LayerSet
    crs: object
    features: pd.DataFrame
    geoms: np.ndarray
    rules: list[CompiledRule]
    # admin units (kelurahan) in the metric CRS, sorted by kode_kemendagri
    admin: pd.DataFrame
    admin_geoms: np.ndarray
    # polygon features: indices into features, and their prepared geometry
    poly_idx: np.ndarray
    # inside-form rule membership: (rule index, feature index) pairs
    inside_rule: np.ndarray
    inside_feat: np.ndarray
    # distance queries: one piece per (rule, feature[, part]); pieces are short
    piece_geoms: np.ndarray
    piece_rule: np.ndarray
    piece_feat: np.ndarray
    piece_dist: np.ndarray
    # nearest forbidden feature
    nearest_index: SegmentIndex
    nearest_feat: np.ndarray  # index into features for each nearest_index geometry
    nearest_bound_m: float
    # per rule (rule-set order): window, rank and APK mask, for vectorised filtering
    rule_start_ns: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    rule_end_ns: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    rule_rank: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    rule_apk_mask: np.ndarray = field(default_factory=lambda: np.empty((0, len(APK_CODES) + 1), bool))
    #: per rule: True when it holds for some APK types only
    rule_typed: np.ndarray = field(default_factory=lambda: np.empty(0, bool))
    default_rank: int = 0
    # the rule set's own grants: window per grant, in ns
    grant_windows: list[tuple[int, int]] = field(default_factory=list)
    # integer code of each admin unit per quota level ("kelurahan", "kecamatan", "kota")
    unit_codes: dict[str, np.ndarray] = field(default_factory=dict)
    _grid: SiteGrid | None = field(default=None, repr=False)

    def site_grid(self) -> SiteGrid:
        """The grid that settles most sites of a large batch (built on first use, ~0.25-0.5 s for Jakarta Pusat).

        Returns
        -------
        geozones.engine.sitegrid.SiteGrid
            Cells in ``self.crs`` (metres).
        """
        if self._grid is None:
            self._grid = SiteGrid(self.admin_geoms, self.piece_geoms, self.piece_dist, self.geoms[self.poly_idx])
        return self._grid

    @property
    def provenance(self) -> dict:
        """What verdicts from these rules rest on: rule-set id and version, area, layer digests.

        Returns
        -------
        dict
            ``ruleset_id``, ``ruleset_version``, ``area`` and ``layers`` (layer name to the
            ``sha256:`` digest of its content, for every present layer), enough to re-judge a
            stored case on exactly the same data.
        """
        return {"ruleset_id": self.ruleset.id, "ruleset_version": self.ruleset.version,
                "area": self.layers.manifest.id,
                "layers": {name: lyr.digest for name, lyr in self.layers.layers.items() if lyr.present}}

    @property
    def not_checked(self) -> list[dict]:
        """Rules not (fully) checked: layer absent, or features an inside rule cannot use."""
        return [{"rule_id": c.rule.id, "layer": c.rule.layer, "reason": c.reason}
                for c in self.rules if c.status in ("absent", "partial")]

    def rule_features(self, rule_id: str) -> gpd.GeoDataFrame:
        """Features a rule refers to, in the metric CRS (for maps and area shares).

        Parameters
        ----------
        rule_id : str
            Id of a rule of the compiled rule set.

        Returns
        -------
        geopandas.GeoDataFrame
            The rule's features with their attributes, geometry in ``self.crs`` (metres).

        Raises
        ------
        KeyError
            When no rule has that id.
        """
        comp = next((c for c in self.rules if c.rule.id == rule_id), None)
        if comp is None:
            raise KeyError(rule_id)
        sub = self.features.iloc[comp.features]
        return gpd.GeoDataFrame(sub.reset_index(drop=True), geometry=self.geoms[comp.features],
                                crs=self.crs)


def _ns(ts) -> int:
    return int(pd.Timestamp(ts).value)


def window_ns(ruleset: RuleSet, window) -> tuple[int, int]:
    """A rule or grant window as half-open ``[start, end)`` in ns since the epoch.

    Parameters
    ----------
    ruleset : RuleSet
        Resolves schedule references such as ``"campaign.start"``.
    window : geozones.rules.model.Window
        Bounds as instants (WIB when written naive) or schedule references; None where open.

    Returns
    -------
    (int, int)
        Start and end in ns since the epoch (UTC); open ends are the int64 limits.
    """
    start = _ns(ruleset.instant(window.start)) if window.start is not None else NS_MIN
    end = _ns(ruleset.instant(window.end)) if window.end is not None else NS_MAX
    return start, end


def _apk_mask(rule: Rule) -> np.ndarray:
    mask = np.ones(len(APK_CODES) + 1, dtype=bool)
    if rule.apk_types is not None:
        mask[:] = False
        for t in rule.apk_types:
            mask[APK_CODES.index(t)] = True
        mask[APK_UNKNOWN] = True  # a site of unknown type: the rule may apply
    return mask


def prepare(layers: LayerSet, ruleset: RuleSet, *, nearest_bound_m: float = 1000.0) -> PreparedRules:
    """Compile a rule set against a layer set for bulk evaluation.

    Grant windows, unit codes per admin level and the default verdict's rank are
    compiled here once, so :func:`geozones.engine.judge.judge` only indexes arrays.

    Parameters
    ----------
    layers : LayerSet
        Loaded layers (EPSG:4326); distances use ``layers.metric_crs``.
    ruleset : RuleSet
        Validated rule set for the same area.
    nearest_bound_m : float
        How far (metres) the nearest forbidden feature is searched for.

    Returns
    -------
    PreparedRules
        Features and rule pieces as arrays in ``layers.metric_crs`` (metres).

    Raises
    ------
    ValueError
        When ``layers.metric_crs`` is not a projected CRS in metres (distances in degrees would be wrong;
        :func:`geozones.core.crs.assert_metric`).
    InputError
        When the kelurahan layer is missing.
    """
    crs = assert_metric(layers.metric_crs, f"layer set {layers.manifest.id}")
    kel = layers.kelurahan
    admin = pd.DataFrame(kel.drop(columns=kel.geometry.name)).reset_index(drop=True)
    if "kode_kemendagri_kota" not in admin:
        admin["kode_kemendagri_kota"] = admin["kode_kemendagri"].str.slice(0, 5)
    codes = ruleset.jurisdiction
    in_juris = np.zeros(len(admin), dtype=bool)
    for col, key in (("kode_kemendagri_kota", "kemendagri"), ("kode_bps_kota", "bps")):
        if key in codes:
            in_juris |= admin[col].astype(str).isin(codes[key]).to_numpy()
    keep = np.flatnonzero(in_juris)
    if len(keep) == 0:
        from geozones.core.errors import InputError

        raise InputError(f"no kelurahan of layer '{layers.manifest.id}' belongs to the rule set's jurisdiction "
                         f"{codes}; check the kota codes", source=ruleset.id, field="jurisdiction")
    admin = admin.iloc[keep].reset_index(drop=True)
    admin_geoms = kel.geometry.to_crs(crs).values[keep]
    shapely.prepare(admin_geoms)

    rows: list[dict] = []
    geoms: list = []
    feature_key: dict[tuple[str, int | str], int] = {}
    compiled: list[CompiledRule] = []
    for i, rule in enumerate(ruleset.rules):
        start, end = window_ns(ruleset, rule.window)
        feats: list[int] = []
        status, reason = "active", None
        if rule.layer:
            layer = layers.layers[rule.layer]
            if not layer.present:
                status, reason = "absent", layer.problem or "layer not loaded"
            else:
                gdf = layer.gdf
                metric = layers.metric(rule.layer).values
                name_col = layer.spec.name_field if layer.spec.name_field in gdf else None
                id_col = layer.spec.id_field if layer.spec.id_field and layer.spec.id_field in gdf else None
                for j in np.flatnonzero(where_mask(gdf, rule.where, source=str(layer.path),
                                                   what=f"rule {rule.id}")):
                    key = (rule.layer, int(j))
                    if key not in feature_key:
                        feature_key[key] = len(rows)
                        name = gdf[name_col].iloc[j] if name_col else None
                        rows.append({"layer": rule.layer,
                                     "feature_id": str(gdf[id_col].iloc[j]) if id_col else str(j + 1),
                                     "feature_name": "" if name is None or pd.isna(name) else str(name)})
                        geoms.append(metric[j])
                    feats.append(feature_key[key])
                if not feats:
                    status, reason = "empty", "the filter selects no feature"
        elif rule.zones:
            tr = transformer(STORAGE_CRS, crs)
            for z in rule.zones:
                key = (f"rule:{rule.id}", z.id)
                if key not in feature_key:
                    feature_key[key] = len(rows)
                    rows.append({"layer": f"zones:{rule.id}", "feature_id": z.id, "feature_name": z.name})
                    geoms.append(shapely.transform(shapely.geometry.shape(z.geometry),
                                                   lambda xy, tr=tr: np.column_stack(tr.transform(xy[:, 0], xy[:, 1]))))
                feats.append(feature_key[key])
        compiled.append(CompiledRule(rule=rule, index=i, rank=RANK[rule.verdict], status=status,
                                     features=np.asarray(feats, dtype=np.int64), start_ns=start, end_ns=end,
                                     apk_mask=_apk_mask(rule), reason=reason))

    features = pd.DataFrame(rows, columns=["layer", "feature_id", "feature_name"])
    garr = np.asarray(geoms, dtype=object) if geoms else np.empty(0, dtype=object)
    features["dim"] = shapely.get_dimensions(garr) if len(garr) else np.empty(0, dtype=int)
    poly_idx = np.flatnonzero(features["dim"].to_numpy() == 2)
    shapely.prepare(garr[poly_idx]) if len(poly_idx) else None

    inside_rule, inside_feat = [], []
    p_geoms, p_rule, p_feat, p_dist = [], [], [], []
    for c in compiled:
        if c.status not in ("active", "partial") or c.rule.spatial.form == "anywhere":
            continue
        if c.rule.spatial.form == "inside":
            is_poly = features["dim"].to_numpy()[c.features] == 2
            polys = c.features[is_poly]
            inside_rule.append(np.full(len(polys), c.index))
            inside_feat.append(polys)
            if (~is_poly).any():
                # A point or line cannot hold a site "inside" it: say so, never pass silently.
                c.reason = (f"{int((~is_poly).sum())} of {len(is_poly)} features are points or lines, not "
                            "parcels; an 'inside' rule cannot check them")
                c.status = "partial" if is_poly.any() else "absent"
            continue
        dist = c.rule.spatial.metres
        g = garr[c.features]
        # Cut lines (and polygon-free outlines) into short pieces for tight boxes.
        lines = shapely.get_dimensions(g) == 1
        pieces, owner = [], []
        if (~lines).any():
            pieces.append(g[~lines])
            owner.append(c.features[~lines])
        if lines.any():
            # Parts first: get_coordinates numbers points per geometry, so the parts of a
            # MultiLineString would otherwise be joined across their gap.
            parts, part_owner = shapely.get_parts(g[lines], return_index=True)
            seg = shapely.segmentize(parts, PIECE_LENGTH_M)
            xy, part = shapely.get_coordinates(seg, return_index=True)
            same = part[1:] == part[:-1]
            pieces.append(shapely.linestrings(np.stack([xy[:-1][same], xy[1:][same]], axis=1)))
            owner.append(c.features[lines][part_owner[part[:-1][same]]])
        if pieces:
            pg = np.concatenate(pieces)
            p_geoms.append(pg)
            p_feat.append(np.concatenate(owner))
            p_rule.append(np.full(len(pg), c.index))
            p_dist.append(np.full(len(pg), dist))

    def cat(parts, dtype):
        return np.concatenate(parts).astype(dtype) if parts else np.empty(0, dtype=dtype)

    forbidden = sorted({int(f) for c in compiled if c.status in ("active", "partial")
                        and c.rule.verdict == Verdict.FORBIDDEN and c.rule.spatial.form != "anywhere"
                        for f in c.features})
    nearest_feat = np.asarray(forbidden, dtype=np.int64)
    unit_codes = {level: np.asarray(pd.factorize(admin[cols[0]])[0], dtype=np.int64)
                  for level, cols in UNIT_COLUMNS.items()}
    return PreparedRules(
        ruleset=ruleset, layers=layers, crs=crs, features=features, geoms=garr, rules=compiled,
        admin=admin, admin_geoms=admin_geoms, poly_idx=poly_idx,
        inside_rule=cat(inside_rule, np.int64), inside_feat=cat(inside_feat, np.int64),
        piece_geoms=cat(p_geoms, object), piece_rule=cat(p_rule, np.int64),
        piece_feat=cat(p_feat, np.int64), piece_dist=cat(p_dist, float),
        nearest_index=SegmentIndex(garr[nearest_feat], bound=nearest_bound_m), nearest_feat=nearest_feat,
        nearest_bound_m=float(nearest_bound_m),
        rule_start_ns=np.array([c.start_ns for c in compiled], dtype=np.int64),
        rule_end_ns=np.array([c.end_ns for c in compiled], dtype=np.int64),
        rule_rank=np.array([c.rank for c in compiled], dtype=np.int64),
        rule_apk_mask=(np.stack([c.apk_mask for c in compiled]) if compiled
                       else np.empty((0, len(APK_CODES) + 1), bool)),
        rule_typed=np.array([c.typed for c in compiled], dtype=bool),
        default_rank=RANK[ruleset.default_verdict],
        grant_windows=[window_ns(ruleset, g.window) for g in ruleset.grants],
        unit_codes=unit_codes)
