"""The LayerSet: every layer of an area, present with its data or absent with the reason.

A layer whose file is missing is *absent*, reported as such, and never silently
empty. Loading a LayerSet from files lives in :mod:`geozones.io.layers`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
from pyproj import CRS

from geozones.areas.manifest import AreaManifest, LayerSpec
from geozones.core.errors import InputError


@dataclass
class Layer:
    """A layer of a :class:`LayerSet`: present with data, or absent with a reason."""

    spec: LayerSpec
    path: Path
    gdf: gpd.GeoDataFrame | None = None
    problem: str | None = None
    warnings: list[str] = field(default_factory=list)
    #: ``sha256:<hex>`` of the layer's file content (None when absent).
    digest: str | None = None

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
        """Data of layer ``name``, or ``None`` when it is absent.

        Parameters
        ----------
        name : str
            Layer name of the manifest.

        Returns
        -------
        geopandas.GeoDataFrame or None
            EPSG:4326.
        """
        layer = self.layers.get(name)
        return None if layer is None else layer.gdf

    def by_role(self, role: str) -> list[Layer]:
        """Layers with the given role, in manifest order.

        Parameters
        ----------
        role : str
            A manifest role (``"kelurahan"``, ``"worship"``, ``"roads"``, ...).

        Returns
        -------
        list of Layer
            Present or absent.
        """
        return [lyr for lyr in self.layers.values() if lyr.spec.role == role]

    @property
    def absent(self) -> list[Layer]:
        """Layers whose data could not be loaded."""
        return [lyr for lyr in self.layers.values() if not lyr.present]

    @property
    def kelurahan(self) -> gpd.GeoDataFrame:
        """The kelurahan boundaries (required).

        Returns
        -------
        geopandas.GeoDataFrame
            Polygons in EPSG:4326 with the BPS/Kemendagri code columns
            (:data:`geozones.areas.manifest.KELURAHAN_COLUMNS`).

        Raises
        ------
        InputError
            When no kelurahan layer is present.
        """
        layers = [lyr for lyr in self.by_role("kelurahan") if lyr.present]
        if not layers:
            raise InputError("the kelurahan boundary layer is missing; run "
                             "'geozones data fetch' or point --data-dir at the data",
                             source=str(self.data_dir))
        return layers[0].gdf

    def metric(self, name: str) -> gpd.GeoSeries:
        """Geometry of layer ``name`` in the metric CRS (cached).

        Parameters
        ----------
        name : str
            Layer name of the manifest.

        Returns
        -------
        geopandas.GeoSeries
            In ``self.metric_crs`` (metres).

        Raises
        ------
        KeyError
            When the layer is absent.
        """
        if name not in self._metric_cache:
            gdf = self.get(name)
            if gdf is None:
                raise KeyError(f"layer {name} is absent")
            self._metric_cache[name] = gdf.geometry.to_crs(self.metric_crs)
        return self._metric_cache[name]

    def attributions(self) -> list[str]:
        """Distinct attribution lines of the present layers, to show with any map or export.

        Returns
        -------
        list of str
            In manifest order, e.g. ``"© OpenStreetMap contributors, ODbL"``.
        """
        seen: list[str] = []
        for lyr in self.layers.values():
            if lyr.present and lyr.spec.attribution not in seen:
                seen.append(lyr.spec.attribution)
        return seen


def where_mask(gdf: gpd.GeoDataFrame, where: dict[str, list[Any]], *, source: str,
               what: str = "the layer's filter") -> np.ndarray:
    """Rows of ``gdf`` whose columns hold one of the listed values (all columns must match).

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        A layer's features.
    where : dict of str to list
        Column name to accepted values.
    source : str
        File or layer name for messages.
    what : str
        What uses the filter, for messages (e.g. ``"rule R05"``).

    Returns
    -------
    ndarray of bool, shape (len(gdf),)

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
