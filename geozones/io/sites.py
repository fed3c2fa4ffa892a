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

from geozones.apk import normalize_apk_type
from geozones.errors import InputError, Problem
from geozones.io.tables import LAT_NAMES, LON_NAMES, find_column, read_table, table_to_points
from geozones.io.vector import read_vector

TIMEZONE = "Asia/Jakarta"
ID_NAMES = ("site_id", "id", "kode", "no", "nomor", "fid")
APK_NAMES = ("apk_type", "apk", "jenis", "jenis_apk", "type", "tipe")
PASLON_NAMES = ("paslon", "nomor_urut", "candidate", "calon")
TIME_NAMES = ("installed_at", "waktu_pasang", "tanggal_pasang", "observed_at", "waktu")
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
    else:
        gdf = read_vector(path, layer=layer, source_name=name)
        kinds = set(shapely.get_type_id(gdf.geometry.values).tolist())
        if kinds - {0}:
            bad = np.flatnonzero(shapely.get_type_id(gdf.geometry.values) != 0)
            raise InputError([Problem(f"geometry is {gdf.geometry.iloc[i].geom_type}, sites must be points",
                                      name, f"feature {i + 1}", "geometry") for i in bad[:20]])
    out = normalize_sites(gdf, source=name)
    out.attrs["encoding"] = gdf.attrs.get("encoding")
    return out


def normalize_sites(gdf: gpd.GeoDataFrame, *, source: str = "<sites>") -> gpd.GeoDataFrame:
    """Give a point GeoDataFrame the engine's site columns, checking each row.

    Returns a copy with ``site_id`` (str, unique), ``apk_type`` (code or None),
    ``paslon`` (str or None) and ``installed_at`` (tz-aware WIB timestamp or NaT)
    first, then the remaining input columns.
    """
    if len(gdf) == 0:
        raise InputError("contains no sites", source=source)
    gdf = gdf.reset_index(drop=True).copy()
    problems: list[Problem] = []
    coord_cols = {find_column(gdf.columns, LON_NAMES), find_column(gdf.columns, LAT_NAMES)} - {None}

    id_col = find_column(gdf.columns, ID_NAMES)
    if id_col is None:
        ids = pd.Series([str(i + 1) for i in range(len(gdf))])
    else:
        ids = gdf[id_col].astype(str).str.strip()
        for i in np.flatnonzero((ids == "") | (ids.str.lower() == "nan")):
            problems.append(Problem("site id is empty", source, int(i) + 1, id_col))
        dup = ids.duplicated(keep=False) & (ids != "")
        first_seen: dict[str, int] = {}
        for i in np.flatnonzero(dup.to_numpy()):
            key = ids.iloc[i]
            if key in first_seen:
                problems.append(Problem(f"duplicate site id '{key}' (first used in row {first_seen[key]})",
                                        source, int(i) + 1, id_col))
            else:
                first_seen[key] = int(i) + 1

    apk_col = find_column(gdf.columns, APK_NAMES)
    apk = [None] * len(gdf)
    if apk_col is not None:
        for i, v in enumerate(gdf[apk_col].tolist()):
            try:
                t = normalize_apk_type(v)
                apk[i] = t.value if t else None
            except ValueError as exc:
                problems.append(Problem(str(exc), source, i + 1, apk_col))

    paslon_col = find_column(gdf.columns, PASLON_NAMES)
    paslon = (gdf[paslon_col].astype(str).str.strip().replace({"": None, "nan": None, "None": None})
              if paslon_col else pd.Series([None] * len(gdf)))

    time_col = find_column(gdf.columns, TIME_NAMES)
    installed = pd.Series(pd.NaT, index=gdf.index, dtype=f"datetime64[ns, {TIMEZONE}]")
    if time_col is not None:
        for i, v in enumerate(gdf[time_col].tolist()):
            if v is None or (isinstance(v, float) and np.isnan(v)) or str(v).strip() in ("", "NaT", "nan"):
                continue
            try:
                installed.iloc[i] = parse_time(v)
            except ValueError:
                problems.append(Problem(f"'{v}' is not a date/time (use ISO 8601, e.g. 2024-10-01T08:00)",
                                        source, i + 1, time_col))
    if problems:
        raise InputError(sorted(problems, key=lambda p: p.row if isinstance(p.row, int) else 0))

    used = {id_col, apk_col, paslon_col, time_col} | coord_cols
    extra = gdf[[c for c in gdf.columns if c not in used and c != gdf.geometry.name]]
    out = gpd.GeoDataFrame(
        {"site_id": ids.to_numpy(), "apk_type": apk, "paslon": paslon.to_numpy(),
         "installed_at": installed.to_numpy()},
        geometry=gdf.geometry.values, crs=gdf.crs)
    out["installed_at"] = pd.to_datetime(out["installed_at"], utc=True).dt.tz_convert(TIMEZONE)
    for c in extra.columns:
        if c not in out.columns:
            out[c] = extra[c].to_numpy()
    return out


def parse_time(value: object) -> pd.Timestamp:
    """Parse a date/time; naive values are taken as WIB (Asia/Jakarta)."""
    ts = pd.Timestamp(value) if not isinstance(value, pd.Timestamp) else value
    if ts is pd.NaT or pd.isna(ts):
        raise ValueError(f"not a time: {value!r}")
    if ts.tzinfo is None:
        ts = ts.tz_localize(TIMEZONE)
    return ts.tz_convert(TIMEZONE)


def sites_frame(lon, lat, site_id=None, apk_type=None, paslon=None,
                installed_at=None) -> gpd.GeoDataFrame:
    """Build a sites frame from coordinates (e.g. one map click), validated.

    Parameters
    ----------
    lon, lat : float or array-like
        Positions in EPSG:4326.
    site_id, apk_type, paslon, installed_at : scalar or array-like, optional
        Broadcast to the number of positions.

    Returns
    -------
    geopandas.GeoDataFrame
        As :func:`normalize_sites` returns.
    """
    lon = np.atleast_1d(np.asarray(lon, dtype=float))
    lat = np.atleast_1d(np.asarray(lat, dtype=float))
    n = len(lon)

    def col(v, default):
        if v is None:
            return [default(i) for i in range(n)]
        arr = np.atleast_1d(np.asarray(v, dtype=object))
        return list(np.broadcast_to(arr, n))

    df = pd.DataFrame({"site_id": col(site_id, lambda i: str(i + 1)),
                       "apk_type": col(apk_type, lambda i: None),
                       "paslon": col(paslon, lambda i: None),
                       "installed_at": col(installed_at, lambda i: None)})
    from geozones.crs import STORAGE_CRS

    return normalize_sites(gpd.GeoDataFrame(df, geometry=shapely.points(lon, lat), crs=STORAGE_CRS),
                           source="<points>")
