"""Read vector files of any common format into EPSG:4326, and write them atomically.

Supported: GeoJSON, GeoPackage (pick a layer when there are several), Shapefile
(plain or zipped), FlatGeobuf, KML/KMZ, and CSV with lon/lat columns. The content
of a file is checked against what its extension claims before GDAL sees it, so a
renamed file gets a clear message instead of a driver error.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from pyproj import CRS

from geozones.core.crs import STORAGE_CRS
from geozones.core.errors import DataWarning, InputError
from geozones.io.dbf import dbf_encoding
from geozones.io.files import _FORMAT_NAMES, check_zip, sniff, write_atomic
from geozones.io.limits import Limits, current_limits
from geozones.io.limits import check as check_limit
from geozones.io.tables import read_table, table_to_points

VECTOR_EXTENSIONS = {".geojson", ".json", ".gpkg", ".shp", ".zip", ".fgb", ".kml", ".kmz", ".gpx", ".csv"}
#: Columns the KML drivers add to every placemark (style and time span), empty in field files.
KML_DRIVER_COLUMNS = ("timestamp", "begin", "end", "altitudeMode", "tessellate", "extrude", "visibility",
                      "drawOrder", "icon")

# Leading bytes each format must start with; text formats are checked separately.
def gdal_source(path: Path, layer: str | None = None, assume_crs: CRS | str | int | None = None, *,
                source_name: str | None = None, limit: int | None = None,
                layer_flag: str = "--layer", limits: Limits | None = None) -> tuple[str, str | None]:
    """The GDAL path to open for ``path`` (inside an archive if need be), and the layer.

    Checks archives before anything reads them (:func:`check_zip`), picks the one
    dataset of a zip (or the one named ``layer``), and refuses a Shapefile without
    a ``.prj`` unless ``assume_crs`` is given. Entries a macOS archiver adds
    (``__MACOSX/``, ``._*``) are not datasets.
    """
    name = source_name or str(path)
    ext = path.suffix.lower()
    no_prj = ("has no .prj, so its CRS is unknown; pass --assume-crs EPSG:4326 (or the right code) "
              "if you know it")
    no_prj_id = ("tidak punya .prj, jadi CRS-nya tidak diketahui; beri --assume-crs EPSG:4326 (atau kode yang "
                 "benar) bila Anda tahu")
    if ext == ".kmz":
        members = check_zip(path, limit=limit, source=name, limits=limits)
        docs = sorted((m for m in members if m.lower().endswith(".kml")), key=lambda m: (m != "doc.kml", m))
        if not docs:
            raise InputError.bi("KMZ tidak berisi berkas .kml", "the KMZ holds no .kml file", source=name)
        # The main document of a KMZ is doc.kml (else the first .kml); read it inside the archive.
        return f"/vsizip/{path}/{docs[0]}", layer
    if ext == ".zip":
        members = check_zip(path, limit=limit, source=name, limits=limits)
        sets = [m for m in members if m.lower().endswith(".shp")] or \
            [m for m in members if Path(m).suffix.lower() in (".geojson", ".gpkg", ".kml", ".fgb")]
        if not sets:
            raise InputError.bi("arsip tidak berisi berkas .shp (atau berkas vektor lain)",
                                "archive holds no .shp (or other vector) file", source=name)
        chosen = [s for s in sets if layer and Path(s).stem == layer] or (sets if len(sets) == 1 else [])
        if not chosen:
            raise InputError.bi("arsip berisi beberapa dataset (" + ", ".join(sets) + f"); pilih satu dengan "
                                f"{layer_flag}", "archive holds several datasets (" + ", ".join(sets)
                                + f"); choose one with {layer_flag}", source=name)
        member = chosen[0]
        if member.lower().endswith(".shp"):
            prj = member[:-4] + ".prj"
            if not any(m.lower() == prj.lower() for m in members) and assume_crs is None:
                raise InputError.bi(f"'{member}' {no_prj_id}", f"'{member}' {no_prj}", source=name)
        return f"/vsizip/{path}/{member}", None
    if ext == ".shp" and not any(path.with_suffix(x).exists() for x in (".prj", ".PRJ")) and assume_crs is None:
        raise InputError.bi(f"Shapefile {no_prj_id}", f"Shapefile {no_prj}", source=name)
    return str(path), layer


def read_vector(path: str | os.PathLike, *, layer: str | None = None,
                assume_crs: CRS | str | int | None = None,
                lon_col: str | None = None, lat_col: str | None = None,
                source_name: str | None = None,
                on_warning: Callable[[str], None] | None = None,
                encoding: str | None = None, limits: Limits | None = None) -> gpd.GeoDataFrame:
    """Read a vector file into a GeoDataFrame in EPSG:4326 with valid geometry.

    Parameters
    ----------
    path : path-like
        The file. Zipped Shapefiles and KMZ are read from inside the archive.
    layer : str, optional
        Layer to read from a multi-layer source. Required when there are several
        (except KML, whose folders are all read, and GPX, whose waypoints are read).
    assume_crs : CRS-like, optional
        CRS to use when the file declares none (a Shapefile without ``.prj``).
        Without it such a file is refused.
    lon_col, lat_col : str, optional
        Coordinate columns of a CSV (auto-detected when omitted).
    source_name : str, optional
        Name to use in messages instead of the path (for uploads).
    on_warning : callable, optional
        Receives a message for each repaired or dropped feature; by default
        a :class:`~geozones.core.errors.DataWarning` is issued.
    encoding : str, optional
        Text encoding of a Shapefile's DBF; by default detected
        (:func:`~geozones.io.dbf.dbf_encoding`).
    limits : Limits, optional
        Default :func:`~geozones.io.limits.current_limits`: bytes, unpacked size,
        features (counted before reading) and vertices.

    Returns
    -------
    geopandas.GeoDataFrame
        Features with valid geometry, in EPSG:4326. KML placemarks carry their
        ``ExtendedData`` fields as columns and their folder in ``folder``; the
        KML driver's empty style columns are dropped.

    Raises
    ------
    InputError
        If the file is missing, empty, not what its extension claims, has no
        CRS, several layers and none chosen, passes a limit, or no usable feature.
    """
    path = Path(path)
    name = source_name or str(path)
    ext = path.suffix.lower()
    limits = limits or current_limits()
    warn = on_warning or (lambda msg: warnings.warn(msg, DataWarning, stacklevel=3))
    if ext not in VECTOR_EXTENSIONS:
        raise InputError.bi("jenis berkas '" + ext + "' tidak didukung; pakai salah satu dari "
                            + ", ".join(sorted(VECTOR_EXTENSIONS)),
                            f"unsupported file type '{ext}'; use one of " + ", ".join(sorted(VECTOR_EXTENSIONS)),
                            source=name)
    sniff(path, name, limits=limits)
    if ext == ".csv":
        df = read_table(path, source_name=name, lon_col=lon_col, lat_col=lat_col, limits=limits)
        return table_to_points(df, source=name, lon_col=lon_col, lat_col=lat_col)

    gdal_path, layer = gdal_source(path, layer, assume_crs, source_name=name, limits=limits)
    if ext in (".shp", ".zip") and gdal_path.lower().endswith(".shp"):
        member = gdal_path.split(f"/vsizip/{path}/", 1)[1] if gdal_path.startswith("/vsizip/") else None
        encoding = dbf_encoding(path, member, explicit=encoding, source=name, on_warning=warn)
    try:
        layers = pyogrio.list_layers(gdal_path)
    except Exception as exc:  # noqa: BLE001 - GDAL raises many types for unreadable data
        what = _FORMAT_NAMES.get(ext, ext)
        raise InputError.bi(f"tidak dapat dibaca sebagai {what}: {_short(exc)}",
                            f"cannot be read as {what}: {_short(exc)}", source=name) from None
    names = [str(n) for n in layers[:, 0]]
    if layer is not None and layer not in names:
        raise InputError.bi(f"tidak ada lapisan '{layer}'; lapisannya: {', '.join(names)}",
                            f"no layer '{layer}'; layers are: {', '.join(names)}", source=name, field="--layer")
    if layer is None and ext == ".gpx":
        layer = "waypoints"
    if layer is None and len(names) > 1 and ext in (".gpkg", ".fgb"):
        raise InputError.bi("berkas berisi beberapa lapisan (" + ", ".join(names) + "); pilih satu dengan --layer",
                            "file has several layers (" + ", ".join(names) + "); choose one with --layer",
                            source=name, field="--layer")
    chosen = [layer] if layer is not None else names
    try:
        count = sum(int(pyogrio.read_info(gdal_path, layer=n).get("features") or 0) for n in chosen)
    except Exception:  # noqa: BLE001 - the count is a precaution; reading reports real errors
        count = 0
    check_limit("max_features", count, limits, source=name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            gdf = _read_all_layers(gdal_path, names, layer, ext, encoding)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001
        what = _FORMAT_NAMES.get(ext, ext)
        raise InputError.bi(f"tidak dapat dibaca sebagai {what}: {_short(exc)}",
                            f"cannot be read as {what}: {_short(exc)}", source=name) from None
    check_limit("max_features", len(gdf), limits, source=name)
    vertices = int(shapely.get_num_coordinates(gdf.geometry.values).sum()) if len(gdf) else 0
    check_limit("max_vertices", vertices, limits, source=name)
    if ext == ".gpx" and len(gdf) == 0:
        others = [n for n in names if n != "waypoints"
                  and int(pyogrio.read_info(gdal_path, layer=n).get("features") or 0)]
        raise InputError.bi("GPX tidak berisi titik (waypoint)" + (f"; lapisan berisi: {', '.join(others)} "
                            "(pilih dengan --layer)" if others else ""),
                            "the GPX holds no waypoints" + (f"; layers with features: {', '.join(others)} "
                            "(choose with --layer)" if others else ""), source=name)
    if ext in (".kml", ".kmz"):
        gdf = gdf.drop(columns=[c for c in KML_DRIVER_COLUMNS if c in gdf.columns])
    if ext == ".gpx":
        gdf = gdf.drop(columns=[c for c in gdf.columns if c != gdf.geometry.name and gdf[c].isna().all()])
    if encoding:
        gdf.attrs["encoding"] = encoding

    if gdf.crs is None:
        if assume_crs is None:
            raise InputError.bi("berkas tidak menyatakan CRS; beri --assume-crs bila Anda tahu",
                                "the file declares no CRS; pass --assume-crs if you know it", source=name)
        gdf = gdf.set_crs(assume_crs, allow_override=True)
    attrs = dict(gdf.attrs)
    out = clean_geometries(gdf.to_crs(STORAGE_CRS), source=name, on_warning=on_warning)
    out.attrs.update(attrs)
    return out


def _read_all_layers(gdal_path: str, names: list[str], layer: str | None, ext: str,
                     encoding: str | None = None) -> gpd.GeoDataFrame:
    import pandas as pd

    kw = {"encoding": encoding} if encoding else {}
    if layer is not None or len(names) == 1:
        gdf = pyogrio.read_dataframe(gdal_path, layer=layer or names[0], **kw)
        if ext in (".kml", ".kmz") and len(names) > 1:
            gdf = gdf.assign(folder=layer)
        return gdf
    # KML files put each folder in its own layer; a user means all of them.
    parts = [pyogrio.read_dataframe(gdal_path, layer=n, **kw) for n in names]
    parts = [p.assign(folder=n) for p, n in zip(parts, names, strict=True) if len(p)]
    if not parts:
        return pyogrio.read_dataframe(gdal_path, layer=names[0], **kw)
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=parts[0].crs)


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


def clean_geometries(gdf: gpd.GeoDataFrame, *, source: str,
                     on_warning: Callable[[str], None] | None = None,
                     id_column: str | None = None) -> gpd.GeoDataFrame:
    """Drop empty geometries and repair invalid ones, reporting each by feature.

    Invalid polygons (self-intersections, bow-ties) are repaired with
    :func:`shapely.make_valid`, keeping only the parts of the original dimension.
    """
    warn = on_warning or (lambda msg: warnings.warn(msg, DataWarning, stacklevel=3))
    geoms = gdf.geometry.values
    label = (gdf[id_column].astype(str).to_numpy() if id_column and id_column in gdf
             else np.array([f"feature {i + 1}" for i in range(len(gdf))]))
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    for i in np.flatnonzero(missing)[:20]:
        warn(f"{source}: {label[i]}: no geometry; skipped")
    if missing.sum() > 20:
        warn(f"{source}: {missing.sum() - 20} more features without geometry skipped")
    keep = ~missing
    gdf = gdf.loc[keep].copy()
    label = label[keep]
    geoms = gdf.geometry.values
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        fixed = geoms.copy()
        for i in np.flatnonzero(invalid):
            reason = shapely.is_valid_reason(geoms[i])
            repaired = shapely.make_valid(geoms[i])
            repaired = _same_dimension(repaired, shapely.get_dimensions(geoms[i]))
            fixed[i] = repaired
            warn(f"{source}: {label[i]}: invalid geometry ({reason}); repaired")
        gdf = gdf.set_geometry(gpd.GeoSeries(fixed, index=gdf.index, crs=gdf.crs))
    return gdf


def _same_dimension(geom, dim: int):
    """Keep the parts of a repaired geometry that have the original dimension."""
    if geom.geom_type != "GeometryCollection":
        return geom
    parts = [g for g in shapely.get_parts(geom) if shapely.get_dimensions(g) == dim]
    if not parts:
        return geom
    return shapely.union_all(parts)


def write_vector(gdf: gpd.GeoDataFrame, path: str | os.PathLike, *, layer: str | None = None) -> Path:
    """Write a GeoDataFrame atomically; the driver follows the extension."""
    path = Path(path)
    ext = path.suffix.lower()
    # Single-file formats only: a Shapefile's sidecars could not be renamed into place atomically.
    driver = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GPKG", ".fgb": "FlatGeobuf",
              ".kml": "KML"}.get(ext)
    if driver is None:
        raise InputError.bi(f"tidak dapat menulis berkas '{ext}'; pakai .gpkg, .geojson atau .fgb",
                            f"cannot write '{ext}' files; use .gpkg, .geojson or .fgb", source=str(path))
    return write_atomic(path, lambda tmp: pyogrio.write_dataframe(gdf, tmp, driver=driver, layer=layer))
