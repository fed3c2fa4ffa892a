"""Area manifests and the layer sets loaded through them.

An area manifest (``shapefiles/<area>.yaml``) names each layer of an area, its
role, its file, source, licence and date. :func:`load_layers` reads the files it
finds in a data directory; a layer whose file is missing is *absent*, reported
as such, and never silently empty.
"""

from __future__ import annotations

import datetime as dt
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pyproj import CRS

from geozones.crs import STORAGE_CRS, metric_crs_for
from geozones.errors import InputError, Problem
from geozones.io.vector import read_vector

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MANIFEST_DIR = PROJECT_ROOT / "shapefiles"
DATA_DIR_ENV = "GEOZONES_DATA_DIR"

Role = Literal["kelurahan", "kecamatan", "kota", "worship", "health", "education", "government",
               "roads", "kawasan", "parks", "kpu_points", "tps", "other"]
ADMIN_ROLES = ("kelurahan", "kecamatan", "kota")

#: Columns the kelurahan layer must have (those of the BPS/HDX build).
KELURAHAN_COLUMNS = ("kode_bps", "kode_kemendagri", "kelurahan", "kode_bps_kec",
                     "kode_kemendagri_kec", "kecamatan", "kode_bps_kota", "kota")


class LayerSpec(BaseModel):
    """One layer of an area manifest."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    role: Role
    file: str = Field(min_length=1)
    title: dict[str, str] = Field(default_factory=dict)
    source: str = Field(min_length=1)
    licence: str = Field(min_length=1)
    attribution: str = Field(min_length=1)
    date: dt.date | None = Field(None, description="Date the data describes (survey/extract date)")
    where: dict[str, list[Any]] = Field(default_factory=dict, description="Rows to keep")
    name_field: str = "name"
    id_field: str | None = None


class AreaManifest(BaseModel):
    """The layers that make up one area (e.g. Kota Jakarta Pusat)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: dict[str, str]
    kota: dict[str, str] = Field(description="Codes of the kota: {'kemendagri': '31.71', 'bps': '3173'}")
    metric_crs: str | None = Field(None, description="EPSG code for distances; chosen from data if omitted")
    layers: list[LayerSpec] = Field(min_length=1)

    def spec(self, name: str) -> LayerSpec:
        """The layer spec called ``name``."""
        for s in self.layers:
            if s.name == name:
                return s
        raise KeyError(name)

    @property
    def layer_names(self) -> set[str]:
        """All layer names of the manifest."""
        return {s.name for s in self.layers}


def manifest_path(area: str) -> Path:
    """Path of the manifest for an area id."""
    return MANIFEST_DIR / f"{area}.yaml"


def load_manifest(area_or_path: str | os.PathLike) -> AreaManifest:
    """Load an area manifest by id (``"jakarta-pusat"``) or path."""
    path = Path(area_or_path)
    if path.suffix not in (".yaml", ".yml"):
        path = manifest_path(str(area_or_path))
    if not path.exists():
        raise InputError("area manifest not found", source=str(path))
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return AreaManifest.model_validate(data)
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML: {exc}", source=str(path)) from None
    except ValidationError as exc:
        raise InputError([Problem(e["msg"], str(path), None, ".".join(map(str, e["loc"])))
                          for e in exc.errors()]) from None


def resolve_data_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """``data_dir``, else ``$GEOZONES_DATA_DIR``, else ``shapefiles/``."""
    if data_dir:
        return Path(data_dir)
    env = os.environ.get(DATA_DIR_ENV)
    return Path(env) if env else MANIFEST_DIR


@dataclass
class Layer:
    """A layer of a :class:`LayerSet`: present with data, or absent with a reason."""

    spec: LayerSpec
    path: Path
    gdf: gpd.GeoDataFrame | None = None
    problem: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def present(self) -> bool:
        """True when the layer's data was loaded."""
        return self.gdf is not None

    @property
    def name(self) -> str:
        """The manifest name of the layer."""
        return self.spec.name

    def __len__(self) -> int:
        return 0 if self.gdf is None else len(self.gdf)


@dataclass
class LayerSet:
    """All layers of an area, loaded from one data directory.

    Attributes
    ----------
    manifest : AreaManifest
        What the area should hold.
    data_dir : pathlib.Path
        Where the files were looked for.
    layers : dict of str to Layer
        Every manifest layer, present or absent.
    metric_crs : pyproj.CRS
        The CRS distances are measured in.
    """

    manifest: AreaManifest
    data_dir: Path
    layers: dict[str, Layer]
    metric_crs: CRS
    _metric_cache: dict[str, gpd.GeoSeries] = field(default_factory=dict, repr=False)

    def __getitem__(self, name: str) -> Layer:
        return self.layers[name]

    def get(self, name: str) -> gpd.GeoDataFrame | None:
        """Data of layer ``name``, or ``None`` when it is absent."""
        layer = self.layers.get(name)
        return None if layer is None else layer.gdf

    def by_role(self, role: str) -> list[Layer]:
        """Layers with the given role, in manifest order."""
        return [lyr for lyr in self.layers.values() if lyr.spec.role == role]

    @property
    def absent(self) -> list[Layer]:
        """Layers whose data could not be loaded."""
        return [lyr for lyr in self.layers.values() if not lyr.present]

    @property
    def kelurahan(self) -> gpd.GeoDataFrame:
        """The kelurahan boundaries (required)."""
        layers = [lyr for lyr in self.by_role("kelurahan") if lyr.present]
        if not layers:
            raise InputError("the kelurahan boundary layer is missing; run "
                             "'geozones data fetch' or point --data-dir at the data",
                             source=str(self.data_dir))
        return layers[0].gdf

    def metric(self, name: str) -> gpd.GeoSeries:
        """Geometry of layer ``name`` in the metric CRS (cached)."""
        if name not in self._metric_cache:
            gdf = self.get(name)
            if gdf is None:
                raise KeyError(f"layer {name} is absent")
            self._metric_cache[name] = gdf.geometry.to_crs(self.metric_crs)
        return self._metric_cache[name]

    def attributions(self) -> list[str]:
        """Distinct attribution lines of the present layers, to show with any map or export."""
        seen: list[str] = []
        for lyr in self.layers.values():
            if lyr.present and lyr.spec.attribution not in seen:
                seen.append(lyr.spec.attribution)
        return seen


def where_mask(gdf: gpd.GeoDataFrame, where: dict[str, list[Any]], *, source: str,
               what: str = "the layer's filter") -> np.ndarray:
    """Rows of ``gdf`` whose columns hold one of the listed values (all columns must match).

    Raises
    ------
    InputError
        When a filtered column is missing, naming ``what`` uses it and the columns there are.
    """
    mask = np.ones(len(gdf), dtype=bool)
    for col, values in where.items():
        if col not in gdf.columns:
            raise InputError(f"column '{col}' (used by {what}) is missing; the columns are: "
                             + ", ".join(map(str, gdf.columns)), source=source, field=col)
        mask &= gdf[col].isin(values).to_numpy()
    return mask


def _check_kelurahan(gdf: gpd.GeoDataFrame, source: str) -> None:
    missing = [c for c in KELURAHAN_COLUMNS if c not in gdf.columns]
    if missing:
        raise InputError(f"kelurahan layer lacks column(s) {', '.join(missing)}", source=source)


def load_layers(manifest: AreaManifest | str, data_dir: str | os.PathLike | None = None, *,
                only: set[str] | None = None) -> LayerSet:
    """Load the layers of an area from a data directory.

    Parameters
    ----------
    manifest : AreaManifest or str
        The manifest, or an area id / manifest path.
    data_dir : path-like, optional
        Directory with the layer files (see :func:`resolve_data_dir`).
    only : set of str, optional
        Load just these layers (the others are reported absent: not requested).

    Returns
    -------
    LayerSet
        Every manifest layer, present (in EPSG:4326, geometry repaired) or absent
        with the reason.
    """
    if not isinstance(manifest, AreaManifest):
        manifest = load_manifest(manifest)
    root = resolve_data_dir(data_dir)
    layers: dict[str, Layer] = {}
    for spec in manifest.layers:
        path = root / spec.file
        layer = Layer(spec=spec, path=path)
        layers[spec.name] = layer
        if only is not None and spec.name not in only:
            layer.problem = "not requested"
            continue
        if not path.exists():
            layer.problem = f"file {spec.file} not found in {root}"
            continue
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            gdf = read_vector(path, on_warning=layer.warnings.append)
        layer.warnings.extend(str(w.message) for w in caught if "geometry" in str(w.message))
        gdf = gdf.loc[where_mask(gdf, spec.where, source=str(path))].reset_index(drop=True)
        if spec.role == "kelurahan":
            _check_kelurahan(gdf, str(path))
            if "is_water_body" in gdf.columns:
                gdf = gdf.loc[~gdf["is_water_body"].fillna(False).astype(bool)].reset_index(drop=True)
            gdf = gdf.sort_values("kode_kemendagri", kind="stable").reset_index(drop=True)
        layer.gdf = gdf
    present = [lyr.gdf for lyr in layers.values() if lyr.present and len(lyr.gdf)]
    if manifest.metric_crs:
        crs = CRS.from_user_input(manifest.metric_crs)
    elif present:
        bounds = np.array([g.total_bounds for g in present])
        crs = metric_crs_for((bounds[:, 0].min(), bounds[:, 1].min(), bounds[:, 2].max(), bounds[:, 3].max()))
    else:
        crs = STORAGE_CRS
    return LayerSet(manifest=manifest, data_dir=root, layers=layers, metric_crs=crs)


def load_rules_and_layers(rules_path: str | os.PathLike, data_dir: str | os.PathLike | None = None):
    """Load a rule set and the layers of its area, validated against each other.

    The rule file is validated alone first, so its own errors come before any
    about the manifest; then again with the manifest's layer names.

    Returns
    -------
    tuple of (RuleSet, LayerSet)
    """
    from geozones.ruleset import load_ruleset

    ruleset = load_ruleset(rules_path)
    manifest = load_manifest(ruleset.area)
    ruleset = load_ruleset(rules_path, known_layers=manifest.layer_names)
    return ruleset, load_layers(manifest, data_dir)
