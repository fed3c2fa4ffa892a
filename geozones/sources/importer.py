"""``geozones data import``: the user's own official files, checked feature by feature.

Files are read with fiona one feature at a time, so a broken record (no
geometry, a corrupt shape, an invalid polygon, a point outside the kota) is
named in the report while every good feature still loads. Nothing is
overwritten without ``replace``; a replaced file is kept in ``.previous/``.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import fiona
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from shapely.geometry import shape

from geozones.areas.manifest import KELURAHAN_COLUMNS, LayerSpec
from geozones.core.columns import LAT_NAMES, LON_NAMES, find_column
from geozones.core.crs import INDONESIA_LAT, INDONESIA_LON, STORAGE_CRS, metric_crs_for
from geozones.core.errors import InputError, Problem
from geozones.io.files import MAX_UNPACKED_BYTES, sha256_file, sniff
from geozones.io.layers import load_layers
from geozones.io.tables import coordinate_problems, read_table
from geozones.io.vector import VECTOR_EXTENSIONS, gdal_source
from geozones.rules.model import DEFAULT_RULES, load_ruleset
from geozones.sources.areas import manifest_for_data_dir
from geozones.sources.layerfiles import write_layers
from geozones.sources.provenance import now_utc, save_records

POLYGONAL = ("Polygon", "MultiPolygon")
PUNTAL = ("Point", "MultiPoint")
LINEAL = ("LineString", "MultiLineString")
#: Geometry types each layer role accepts; places accept parcels and points alike.
ROLE_GEOMETRY: dict[str, tuple[str, ...]] = {
    "kelurahan": POLYGONAL, "kecamatan": POLYGONAL, "kota": POLYGONAL, "kawasan": POLYGONAL,
    "parks": POLYGONAL + PUNTAL, "kpu_points": PUNTAL + LINEAL, "tps": PUNTAL,
    "roads": LINEAL, "worship": POLYGONAL + PUNTAL, "health": POLYGONAL + PUNTAL,
    "education": POLYGONAL + PUNTAL, "government": POLYGONAL + PUNTAL, "other": POLYGONAL + PUNTAL + LINEAL,
}
#: How far outside the kota boundary a feature may lie (boundary roads, edge parcels).
AREA_MARGIN_M = 1000.0
_NAME_COLUMNS = ("name", "nama", "namobj", "nama_tempat", "kelurahan", "desa", "title", "label")


@dataclass
class ImportResult:
    """The outcome of an import: what was written and each feature that was not clean."""

    path: Path
    status: str = ""
    loaded: int = 0
    skipped: list[Problem] = field(default_factory=list)
    repaired: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    previous: Path | None = None

    def report_lines(self) -> list[str]:
        """One line per skipped or repaired feature, then general notes."""
        return ([f"skipped: {p}" for p in self.skipped] + [f"repaired: {p}" for p in self.repaired]
                + [f"note: {n}" for n in self.notes])


def parse_mappings(items: list[str]) -> dict[str, str]:
    """``["name=NAMOBJ", ...]`` → ``{"name": "NAMOBJ"}`` (layer field ← file column)."""
    out: dict[str, str] = {}
    for item in items or []:
        target, sep, column = item.partition("=")
        if not sep or not target.strip() or not column.strip():
            raise InputError(f"'{item}' is not FIELD=COLUMN", field="--map")
        out[target.strip()] = column.strip()
    return out


class _GdalLog(logging.Handler):
    """Collects the GDAL messages fiona logs while one feature is read."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage().strip())


def _label(i: int, props: dict, name_col: str | None) -> str:
    name = props.get(name_col) if name_col else None
    return f"feature {i}" + (f" ('{name}')" if name not in (None, "") else "")


def _area_polygon(data_dir: Path, manifest, role: str):
    """The kota boundary (plus a margin) features must touch, or ``None`` for the Indonesia box."""
    if role in ("kelurahan", "kecamatan", "kota"):
        return None
    try:
        names = {s.name for s in manifest.layers if s.role in ("kota", "kelurahan")}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            layers = load_layers(manifest, data_dir, only=names)
    except InputError:
        return None
    for lyr in layers.by_role("kota") + layers.by_role("kelurahan"):
        if lyr.present and len(lyr.gdf):
            geom = shapely.union_all(lyr.gdf.geometry.values)
            crs = metric_crs_for(tuple(lyr.gdf.total_bounds))
            metric = gpd.GeoSeries([geom], crs=STORAGE_CRS).to_crs(crs).buffer(AREA_MARGIN_M)
            return metric.to_crs(STORAGE_CRS).iloc[0]
    return None


def _read_csv(path: Path, name_col_hint: str | None) -> tuple[list[tuple[int, dict, object]], list[Problem]]:
    df = read_table(path)
    lon_col, lat_col = find_column(df.columns, LON_NAMES), find_column(df.columns, LAT_NAMES)
    lon, lat, problems = coordinate_problems(df, source=str(path), lon_col=lon_col, lat_col=lat_col)
    bad = {p.row for p in problems}
    for p in problems:
        p.message += "; row skipped"
    props = df.drop(columns=[lon_col, lat_col]).to_dict("records")
    feats = [(i + 1, props[i], shapely.Point(lon[i], lat[i])) for i in range(len(df)) if i + 1 not in bad]
    return feats, problems


def import_file(file: str | Path, *, layer: str, data_dir: Path, area: str | None = None,
                source_layer: str | None = None, mapping: dict[str, str] | None = None,
                assume_crs: str | None = None, replace: bool = False, licence: str | None = None,
                source: str | None = None, rules: Path | None = None,
                max_unpacked: int = MAX_UNPACKED_BYTES) -> ImportResult:
    """Validate a file feature by feature and write the good features as a manifest layer.

    Parameters
    ----------
    file : path-like
        Zipped Shapefile, ``.shp``, GeoPackage, GeoJSON, KML/KMZ, FlatGeobuf or
        CSV with lon/lat columns.
    layer : str
        Manifest layer to fill (its file name comes from the area manifest).
    data_dir : pathlib.Path
        Where the layer file goes.
    area : str, optional
        Area manifest id or path (default: Jakarta Pusat).
    source_layer : str, optional
        Layer inside a multi-layer file (GeoPackage, KML folder, zip member).
    mapping : dict of str to str, optional
        ``{layer field: file column}``; the column's values are copied to the field.
    assume_crs : str, optional
        CRS for a file that declares none.
    replace : bool
        Replace an existing layer file (kept in ``.previous/``).
    licence, source : str, optional
        Recorded in the provenance and the layer's ``license``/``source`` columns.
    rules : pathlib.Path, optional
        Rule set whose attribute filters the imported columns are checked against.
    max_unpacked : int
        Largest unpacked size of an archive.

    Returns
    -------
    ImportResult
        What was written and a problem per skipped or repaired feature.

    Raises
    ------
    InputError
        For problems with the whole file (unreadable, no CRS, several layers
        and none chosen, archive refused, a mapped column missing, no usable feature).
    """
    path = Path(file)
    manifest = manifest_for_data_dir(area, data_dir)
    try:
        spec: LayerSpec = manifest.spec(layer)
    except KeyError:
        raise InputError(f"area '{manifest.id}' has no layer '{layer}'; layers are: "
                         + ", ".join(s.name for s in manifest.layers), field="--layer") from None
    ext = path.suffix.lower()
    if ext not in VECTOR_EXTENSIONS:
        raise InputError(f"unsupported file type '{ext}'; use one of " + ", ".join(sorted(VECTOR_EXTENSIONS)),
                         source=str(path))
    sniff(path)
    mapping = mapping or {}
    result = ImportResult(path=data_dir / spec.file)
    accepted = ROLE_GEOMETRY.get(spec.role, POLYGONAL + PUNTAL + LINEAL)
    src_crs = CRS.from_user_input(assume_crs) if assume_crs else None

    rows: list[tuple[str, dict, object]] = []  # (label, properties, geometry in file CRS)
    if ext == ".csv":
        feats, problems = _read_csv(path, None)
        result.skipped.extend(problems)
        name_col = next((c for c in (mapping.get(spec.name_field), spec.name_field, *_NAME_COLUMNS)
                         if feats and c in feats[0][1]), None)
        rows = [(f"row {i}" + (f" ('{p.get(name_col)}')" if name_col and p.get(name_col) else ""), p, g)
                for i, p, g in feats]
        file_crs = STORAGE_CRS
    else:
        gdal_path, _ = gdal_source(path, source_layer, assume_crs, limit=max_unpacked, layer_flag="--source-layer")
        try:
            names = fiona.listlayers(gdal_path)
        except Exception as exc:  # noqa: BLE001 - GDAL raises many types for unreadable data
            raise InputError(f"cannot be read: {str(exc).splitlines()[0][:200]}", source=str(path)) from None
        if source_layer and ext not in (".zip",):
            if source_layer not in names:
                raise InputError(f"no layer '{source_layer}'; layers are: {', '.join(names)}", source=str(path))
            names = [source_layer]
        elif len(names) > 1 and ext in (".gpkg", ".fgb"):
            raise InputError("file has several layers (" + ", ".join(names) + "); choose one with --source-layer",
                             source=str(path))
        file_crs = None
        handler = _GdalLog()
        fiona_log = logging.getLogger("fiona")
        fiona_log.addHandler(handler)
        try:
            for lname in names:
                with fiona.open(gdal_path, layer=lname, allow_unsupported_drivers=True) as src:
                    crs = CRS.from_user_input(src.crs_wkt) if src.crs_wkt else None
                    if crs is None and src_crs is None:
                        raise InputError("the file declares no CRS; pass --assume-crs if you know it",
                                         source=str(path))
                    if crs is None:
                        crs = src_crs
                    if file_crs is not None and not crs.equals(file_crs):
                        raise InputError("layers of the file use different CRSs; import them one at a "
                                         "time with --source-layer", source=str(path))
                    file_crs = crs
                    cols = list(src.schema["properties"])
                    name_col = next((c for c in (mapping.get(spec.name_field), spec.name_field, *cols)
                                     if c and (c in cols) and (c == mapping.get(spec.name_field)
                                                              or c.lower() in _NAME_COLUMNS)), None)
                    # Keys first: a random read inside the keys() iteration moves its cursor.
                    for n, fid in enumerate(list(src.keys()), start=1):
                        handler.messages.clear()
                        where = f"{lname}: " if len(names) > 1 else ""
                        try:
                            feat = src.get(fid)
                        except Exception as exc:  # noqa: BLE001 - a corrupt record must not stop the rest
                            result.skipped.append(Problem(f"unreadable record ({str(exc)[:150]}); skipped",
                                                          str(path), f"{where}feature {n}"))
                            continue
                        props = dict(feat.properties or {})
                        label = where + _label(n, props, name_col)
                        if feat.geometry is None:
                            why = f" (GDAL: {handler.messages[-1][:150]})" if handler.messages else ""
                            result.skipped.append(Problem(f"no geometry{why}; skipped", str(path), label))
                            continue
                        try:
                            geom = shape(feat.geometry)
                        except Exception as exc:  # noqa: BLE001 - shapely raises several types
                            result.skipped.append(Problem(f"unreadable geometry ({exc}); skipped", str(path), label))
                            continue
                        rows.append((label, props, geom))
        finally:
            fiona_log.removeHandler(handler)
        if file_crs is None:
            file_crs = src_crs or STORAGE_CRS

    # Mapped columns must exist in the file: a typo would silently give an empty field.
    present_cols = set().union(*(r[1].keys() for r in rows)) if rows else set()
    missing_map = [c for c in mapping.values() if rows and c not in present_cols]
    if missing_map:
        raise InputError(f"--map names column(s) {', '.join(missing_map)} that the file does not have; "
                         "its columns are: " + ", ".join(sorted(present_cols)), source=str(path), field="--map")

    good_props, good_geoms = [], []
    for label, props, geom in rows:
        if geom.is_empty:
            result.skipped.append(Problem("empty geometry; skipped", str(path), label))
            continue
        gtype = geom.geom_type
        if gtype == "GeometryCollection":
            parts = [g for g in shapely.get_parts(geom) if g.geom_type in accepted]
            if not parts:
                result.skipped.append(Problem(f"geometry collection without {'/'.join(accepted)} parts; "
                                              "skipped", str(path), label))
                continue
            geom = shapely.union_all(parts)
            gtype = geom.geom_type
        if gtype not in accepted:
            result.skipped.append(Problem(f"{gtype} does not fit layer '{layer}' (role {spec.role} takes "
                                          f"{', '.join(accepted)}); skipped", str(path), label))
            continue
        if not geom.is_valid:
            reason = shapely.is_valid_reason(geom)
            fixed = shapely.make_valid(geom)
            if fixed.geom_type == "GeometryCollection":
                dim = shapely.get_dimensions(geom)
                fixed = shapely.union_all([g for g in shapely.get_parts(fixed) if shapely.get_dimensions(g) == dim])
            if fixed.is_empty or fixed.geom_type not in accepted:
                result.skipped.append(Problem(f"invalid geometry ({reason}) that cannot be repaired; skipped",
                                              str(path), label))
                continue
            result.repaired.append(Problem(f"invalid geometry ({reason}); repaired", str(path), label))
            geom = fixed
        good_props.append({**props, **{t: props.get(c) for t, c in mapping.items()}, "_label": label})
        good_geoms.append(geom)

    gdf = gpd.GeoDataFrame(pd.DataFrame(good_props), geometry=good_geoms, crs=file_crs)
    if len(gdf):
        gdf = gdf.to_crs(STORAGE_CRS)
        area_geom = _area_polygon(data_dir, manifest, spec.role)
        reps = shapely.point_on_surface(gdf.geometry.values)
        if area_geom is not None:
            inside = shapely.intersects(gdf.geometry.values, area_geom)
            where = f"the {manifest.title.get('en', manifest.id)} boundary (+{AREA_MARGIN_M:.0f} m)"
        else:
            x, y = shapely.get_x(reps), shapely.get_y(reps)
            inside = ((x >= INDONESIA_LON[0]) & (x <= INDONESIA_LON[1])
                      & (y >= INDONESIA_LAT[0]) & (y <= INDONESIA_LAT[1]))
            where = "Indonesia"
        for i in np.flatnonzero(~inside):
            result.skipped.append(Problem(f"outside {where} (at {shapely.get_x(reps[i]):.5f}, "
                                          f"{shapely.get_y(reps[i]):.5f}); wrong CRS or wrong place? skipped",
                                          str(path), gdf["_label"].iloc[i]))
        gdf = gdf.loc[inside].reset_index(drop=True)
    if len(gdf) == 0:
        raise InputError(result.skipped or [Problem("holds no features", str(path))])

    gdf = gdf.drop(columns=["_label"])
    if spec.role == "kelurahan":
        missing = [c for c in KELURAHAN_COLUMNS if c not in gdf.columns]
        if missing:
            raise InputError(f"a kelurahan layer needs column(s) {', '.join(missing)}; map them with "
                             "--map FIELD=COLUMN (e.g. --map kode_kemendagri=KODE_KEMENDAGRI)", source=str(path))
    for col, rule_ids in load_ruleset(rules or DEFAULT_RULES).filter_columns(layer).items():
        if col not in gdf.columns:
            result.notes.append(f"rule(s) {', '.join(rule_ids)} filter on column '{col}', which the file lacks; "
                                f"those rules will match nothing in this layer (use --map {col}=COLUMN)")
    gdf["source"] = source or f"imported from {path.name}"
    gdf["license"] = licence or spec.licence
    written = write_layers({result.path: gdf}, replace=replace)
    result.status, result.previous = written[result.path]
    result.loaded = len(gdf)
    save_records(data_dir, {spec.file: {
        "how": "geozones data import", "imported_at": now_utc(), "layer": layer,
        "sources": [{"file": str(path.resolve()), "sha256": sha256_file(path), "source_layer": source_layer,
                     "licence": licence or spec.licence, "source": source}],
        "licence": licence or spec.licence, "features": len(gdf), "mapping": mapping,
        "report": [str(p) for p in result.skipped + result.repaired] + result.notes,
        "previous_version": str(result.previous) if result.previous else None}})
    return result
