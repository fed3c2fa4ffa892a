"""Read candidate or reported APK sites from a CSV, Excel or vector file.

The result is a point GeoDataFrame in EPSG:4326 with the columns the engine
expects: ``site_id``, ``apk_type``, ``paslon``, ``installed_at`` and any extra
columns of the input, kept as they are.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geozones.core.columns import ID_NAMES, find_column
from geozones.core.errors import DataWarning, InputError, Problem
from geozones.engine.sites import normalize_sites, sites_frame
from geozones.io.limits import Limits
from geozones.io.tables import coordinates, read_table, table_to_points
from geozones.io.vector import read_vector

__all__ = ["TABLE_EXTENSIONS", "normalize_sites", "read_sites", "sites_frame"]

TABLE_EXTENSIONS = {".csv", ".txt", ".tsv", ".xlsx", ".xlsm"}


def read_sites(path: str | os.PathLike, *, source_name: str | None = None,
               layer: str | None = None, lon_col: str | None = None, lat_col: str | None = None,
               id_col: str | None = None, date_order: str | None = None, skip_invalid: bool = False,
               encoding: str | None = None, limits: Limits | None = None) -> gpd.GeoDataFrame:
    """Read a file of sites and validate it row by row.

    Parameters
    ----------
    path : path-like
        CSV/TXT/XLSX with ``id``, ``lon``, ``lat`` (or longitude/latitude/lng/x/y,
        KoBo/ODK ``_lokasi_longitude``, EXIF ``GPSLongitude``+``Ref``) and optional
        ``apk_type``, ``paslon``, ``installed_at``; or any vector file of points
        (GeoJSON, GeoPackage, KML/KMZ, GPX waypoints, Shapefile, FlatGeobuf).
    source_name : str, optional
        Name used in messages instead of the path (uploads).
    layer : str, optional
        Layer of a multi-layer vector file, or the one sheet of a workbook.
    lon_col, lat_col, id_col : str, optional
        Columns named by the user (``--lon``, ``--lat``, ``--id``).
    date_order : {"dayfirst", "monthfirst"}, optional
        How the time column writes ``a/b/YYYY`` (default: decided from the column).
    skip_invalid : bool
        Leave out features that are not points (a route line in a KMZ) and
        true multi-part points, naming each in a :class:`DataWarning`, instead
        of refusing the file.
    encoding : str, optional
        DBF encoding of a Shapefile (default detected).
    limits : Limits, optional
        Reading limits (default :func:`~geozones.io.limits.current_limits`).

    Returns
    -------
    geopandas.GeoDataFrame
        See :func:`normalize_sites`. ``attrs["skipped"]`` lists what was left out.

    Raises
    ------
    InputError
        Naming the file, row and field of every problem found.
    """
    path = Path(path)
    name = source_name or str(path)
    ext = path.suffix.lower()
    skipped: list[str] = []
    if ext in TABLE_EXTENSIONS:
        df = read_table(path, source_name=name, sheet=layer, lon_col=lon_col, lat_col=lat_col, limits=limits,
                        numeric_coordinates=True)
        gdf = table_to_points(df, source=name, lon_col=lon_col, lat_col=lat_col)
        labels = df.attrs.get("row_labels")
        skipped += [f"sheet '{t}': {why}" for t, why in df.attrs.get("skipped_sheets", [])]
    else:
        dropped: list[str] = []
        gdf = read_vector(path, layer=layer, source_name=name, on_warning=dropped.append, encoding=encoding,
                          limits=limits, lon_col=lon_col, lat_col=lat_col)
        missing = [m for m in dropped if "no geometry" in m]
        for m in dropped:
            if m not in missing:
                warnings.warn(m, DataWarning, stacklevel=2)
        if missing:  # a site without a position is an error, not something to skip
            raise InputError([Problem(m.removeprefix(f"{name}: ").replace("; skipped", ""), name)
                              for m in missing])
        if ext == ".csv":
            labels = None
        else:
            gdf, labels, skipped_features = _points_only(gdf, name, ext, skip_invalid)
            skipped += skipped_features
            gdf = _feature_ids(gdf, ext, id_col)
            xy = pd.DataFrame({"lon": gdf.geometry.x.map(repr), "lat": gdf.geometry.y.map(repr)})
            try:
                coordinates(xy, source=name)
            except InputError as err:
                raise InputError([Problem(p.message, name, labels[p.row - 1] if isinstance(p.row, int) else p.row,
                                          "geometry", p.message_id) for p in err.problems]) from None
    out = normalize_sites(gdf, source=name, labels=labels, date_order=date_order, id_column=id_col)
    out.attrs["encoding"] = gdf.attrs.get("encoding")
    out.attrs["skipped"] = skipped
    return out


def _points_only(gdf: gpd.GeoDataFrame, name: str, ext: str,
                 skip_invalid: bool) -> tuple[gpd.GeoDataFrame, list[str], list[str]]:
    """Single-part MultiPoints become points; lines, polygons and true multi-points are refused or skipped."""
    gdf = gdf.reset_index(drop=True)
    geoms = shapely.force_2d(gdf.geometry.values)
    kinds = shapely.get_type_id(geoms)
    parts = shapely.get_num_geometries(geoms)
    single_multi = (kinds == 4) & (parts == 1)
    geoms = np.where(single_multi, shapely.get_geometry(geoms, 0), geoms)
    names = _feature_names(gdf)
    labels = [f"feature {i + 1}" + (f" ('{n}')" if n else "") for i, n in enumerate(names)]
    bad = np.flatnonzero(~((kinds == 0) | single_multi))
    problems = []
    for i in bad:
        g = gdf.geometry.iloc[i]
        if kinds[i] == 4:
            en = f"MultiPoint with {parts[i]} points; a site is one point (split it into single points)"
            idn = f"MultiPoint dengan {parts[i]} titik; satu titik APK adalah satu titik (pecah menjadi titik tunggal)"
        else:
            en = f"geometry is {g.geom_type}, sites must be points"
            idn = f"geometrinya {g.geom_type}, titik APK harus berupa titik (point)"
        problems.append(Problem.bi(idn, en, name, labels[i], "geometry"))
    gdf = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))
    if not len(bad):
        return gdf, labels, []
    if not skip_invalid or len(bad) == len(gdf):
        if not skip_invalid:
            problems.append(Problem.bi(f"{len(bad)} fitur bukan titik; hapus dari berkas, atau beri --skip-invalid "
                                       "untuk memeriksa sisanya", f"{len(bad)} feature(s) are not points; remove "
                                       "them, or pass --skip-invalid to judge the rest", name))
        raise InputError(problems)
    for p in problems:
        warnings.warn(f"{p.render()} (dilewati / skipped)", DataWarning, stacklevel=3)
    keep = np.ones(len(gdf), dtype=bool)
    keep[bad] = False
    kept = gdf.loc[keep].reset_index(drop=True)
    return kept, [lbl for lbl, k in zip(labels, keep, strict=True) if k], [str(labels[i]) for i in bad]


def _feature_names(gdf: gpd.GeoDataFrame) -> list[str | None]:
    col = next((c for c in gdf.columns if str(c).lower() == "name"), None)
    if col is None:
        return [None] * len(gdf)
    return [str(v).strip() if v is not None and not pd.isna(v) and str(v).strip() else None for v in gdf[col]]


def _feature_ids(gdf: gpd.GeoDataFrame, ext: str, id_col: str | None) -> gpd.GeoDataFrame:
    """KML and GPX name their points instead of giving ids: use the name, else the position; keep them unique."""
    if id_col is not None or ext not in (".kml", ".kmz", ".gpx"):
        return gdf
    current = find_column(gdf.columns, ID_NAMES)
    if current is not None:
        vals = gdf[current]
        if vals.notna().all() and (vals.astype(str).str.strip() != "").all() and vals.is_unique:
            return gdf
        gdf = gdf.drop(columns=[current]) if (vals.isna() | (vals.astype(str).str.strip() == "")).all() else gdf
    names = _feature_names(gdf)
    ids, seen = [], {}
    for i, n in enumerate(names):
        base = n or f"{'placemark' if ext != '.gpx' else 'waypoint'} {i + 1}"
        seen[base] = seen.get(base, 0) + 1
        ids.append(base if seen[base] == 1 else f"{base} ({seen[base]})")
    out = gdf.copy()
    out.insert(0, "site_id", ids)
    if ext == ".gpx" and "time" in out.columns:
        out = out.rename(columns={"time": "observed_at"})
    return out
