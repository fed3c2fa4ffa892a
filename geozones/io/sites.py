"""Read candidate or reported APK sites from a CSV, Excel or vector file.

The result is a point GeoDataFrame in EPSG:4326 with the columns the engine
expects: ``site_id``, ``apk_type``, ``paslon``, ``installed_at`` and any extra
columns of the input, kept as they are.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geozones.core.errors import InputError, Problem
from geozones.engine.sites import normalize_sites, sites_frame
from geozones.io.tables import coordinates, read_table, table_to_points
from geozones.io.vector import read_vector

__all__ = ["TABLE_EXTENSIONS", "normalize_sites", "read_sites", "sites_frame"]

TABLE_EXTENSIONS = {".csv", ".txt", ".xlsx", ".xlsm"}


def read_sites(path: str | os.PathLike, *, source_name: str | None = None,
               layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a file of sites and validate it row by row.

    Parameters
    ----------
    path : path-like
        CSV/XLSX with ``id``, ``lon``, ``lat`` (or longitude/latitude/lng/x/y)
        and optional ``apk_type``, ``paslon``, ``installed_at``; or any vector file
        of points (GeoJSON, GeoPackage, KML, Shapefile, FlatGeobuf).
    source_name : str, optional
        Name used in messages instead of the path (uploads).
    layer : str, optional
        Layer of a multi-layer vector file.

    Returns
    -------
    geopandas.GeoDataFrame
        See :func:`normalize_sites`.

    Raises
    ------
    InputError
        Naming the file, row and field of every problem found.
    """
    path = Path(path)
    name = source_name or str(path)
    if path.suffix.lower() in TABLE_EXTENSIONS:
        df = read_table(path, source_name=name)
        gdf = table_to_points(df, source=name)
        gdf.attrs["encoding"] = df.attrs.get("encoding")
        labels = None
    else:
        dropped: list[str] = []
        gdf = read_vector(path, layer=layer, source_name=name, on_warning=dropped.append)
        missing = [m for m in dropped if "no geometry" in m]
        if missing:  # a site without a position is an error, not something to skip
            raise InputError([Problem(m.removeprefix(f"{name}: ").replace("; skipped", ""), name)
                              for m in missing])
        kinds = shapely.get_type_id(gdf.geometry.values)
        bad = np.flatnonzero(kinds != 0)
        if len(bad):
            raise InputError([Problem(f"geometry is {gdf.geometry.iloc[i].geom_type}, sites must be points",
                                      name, f"feature {i + 1}", "geometry") for i in bad[:20]])
        xy = pd.DataFrame({"lon": gdf.geometry.x.map(repr), "lat": gdf.geometry.y.map(repr)})
        try:
            coordinates(xy, source=name)
        except InputError as err:
            raise InputError([Problem(p.message, name, f"feature {p.row}", "geometry")
                              for p in err.problems]) from None
        labels = [f"feature {i + 1}" for i in range(len(gdf))]
    out = normalize_sites(gdf, source=name, labels=labels)
    out.attrs["encoding"] = gdf.attrs.get("encoding")
    return out


