"""``geozones data import``: the user's own official files, checked feature by feature.

Files are read with fiona one feature at a time, so a broken record (no
geometry, a corrupt shape, an invalid polygon, a point outside the kota) is
named in the report while every good feature still loads. Nothing is
overwritten without ``replace``; a replaced file is kept in ``.previous/``.
"""

from __future__ import annotations

import logging
import re
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
from geozones.core.columns import coordinate_columns
from geozones.core.crs import INDONESIA_LAT, INDONESIA_LON, STORAGE_CRS, metric_crs_for
from geozones.core.errors import InputError, Problem
from geozones.io.dbf import dbf_encoding
from geozones.io.files import sha256_file, sniff
from geozones.io.layers import load_layers
from geozones.io.limits import Limits, current_limits, limit_error
from geozones.io.limits import check as check_limit
from geozones.io.tables import coordinate_problems, read_table
from geozones.io.vector import VECTOR_EXTENSIONS, gdal_source, read_vector
from geozones.rules.model import DEFAULT_RULES, load_ruleset
from geozones.sources.areas import manifest_for_data_dir
from geozones.sources.layerfiles import layer_lock, write_layers
from geozones.sources.provenance import now_utc

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
            raise InputError.bi(f"'{item}' bukan KOLOM_LAPISAN=KOLOM_BERKAS", f"'{item}' is not FIELD=COLUMN",
                                field="--map")
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


def _read_csv(path: Path, limits: Limits) -> tuple[list[tuple[int, dict, object]], list[Problem]]:
    df = read_table(path, limits=limits)
    lon_col, lat_col = coordinate_columns(df.columns, source=str(path))
    lon, lat, problems = coordinate_problems(df, source=str(path), lon_col=lon_col, lat_col=lat_col)
    bad = {p.row for p in problems}
    for p in problems:
        p.message += "; row skipped"
        if p.message_id:
            p.message_id += "; baris dilewati"
    props = df.drop(columns=[lon_col, lat_col]).to_dict("records")
    feats = [(i + 1, props[i], shapely.Point(lon[i], lat[i])) for i in range(len(df)) if i + 1 not in bad]
    return feats, problems


#: Code fields of boundary layers: BPS codes are digits of a fixed length, Kemendagri codes dotted groups
#: (Permendagri 58/2021 kode wilayah: 31.71 kota, 31.71.07 kecamatan, 31.71.07.1001 kelurahan).
CODE_FIELDS: dict[str, tuple[str, tuple[int, ...]]] = {
    "kode_bps": ("bps", (10,)), "kode_bps_kec": ("bps", (7,)), "kode_bps_kota": ("bps", (4,)),
    "kode_kemendagri": ("kemendagri", (2, 2, 2, 4)), "kode_kemendagri_kec": ("kemendagri", (2, 2, 2)),
    "kode_kemendagri_kota": ("kemendagri", (2, 2)),
}


def _code_text(value: object) -> str | None:
    """A code cell as text: integers and integral floats lose nothing (3171071001.0 -> "3171071001")."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    text = str(value).strip()
    if re.fullmatch(r"\d+\.0", text):
        text = text[:-2]
    return text or None


def normalise_code(value: object, field: str) -> str | None:
    """One code in the form the engine needs, or ``ValueError`` saying what is wrong.

    BPS codes are digits of the level's length; Kemendagri codes are dotted
    (``31.71.07.1001``), and an undotted run of the right number of digits is
    dotted. A float that lost a trailing zero (``31.7``) cannot be repaired.
    """
    kind, groups = CODE_FIELDS[field]
    text = _code_text(value)
    if text is None:
        return None
    digits = sum(groups)
    if kind == "bps":
        if not re.fullmatch(rf"\d{{{digits}}}", text):
            raise ValueError(f"'{text}' is not a BPS code of {digits} digits")
        return text
    if re.fullmatch(rf"\d{{{digits}}}", text):
        out, i = [], 0
        for g in groups:
            out.append(text[i:i + g])
            i += g
        return ".".join(out)
    if not re.fullmatch(r"\.".join(rf"\d{{{g}}}" for g in groups), text):
        form = ".".join("9" * g for g in groups)
        raise ValueError(f"'{text}' is not a Kemendagri code of the form {form}")
    return text


def normalise_codes(gdf: gpd.GeoDataFrame, *, source: str) -> gpd.GeoDataFrame:
    """Codes of a boundary layer as checked text (see :func:`normalise_code`); names as text.

    Portal shapefiles store codes as integers or floats; a layer written so made
    every later ``check`` fail. Here they become text in the engine's form, and a
    value that cannot be normalised is refused, naming the field and the features.

    Raises
    ------
    InputError
        Naming each field with values that are not a code of its level (first 5 features each).
    """
    out = gdf.copy()
    problems: list[Problem] = []
    for field_name in [c for c in CODE_FIELDS if c in out.columns]:
        values, bad = [], []
        for i, v in enumerate(out[field_name].tolist()):
            try:
                values.append(normalise_code(v, field_name))
            except ValueError as exc:
                values.append(None)
                bad.append((i, str(exc)))
        for i, why in bad[:5]:
            kind = "BPS" if CODE_FIELDS[field_name][0] == "bps" else "Kemendagri"
            problems.append(Problem.bi(f"{why.split(' is not')[0]} bukan kode {kind} yang sah untuk kolom ini; "
                                       "perbaiki atau petakan kolom lain dengan --map",
                                       f"{why}; correct it or map another column with --map", source,
                                       f"feature {i + 1}", field_name))
        if len(bad) > 5:
            problems.append(Problem.bi(f"... dan {len(bad) - 5} fitur lain", f"... and {len(bad) - 5} more features",
                                       source, None, field_name))
        out[field_name] = pd.Series(values, index=out.index, dtype=object)
    for name_field in ("kelurahan", "kecamatan", "kota"):
        if name_field in out.columns:
            out[name_field] = out[name_field].map(lambda v: None if v is None or (isinstance(v, float) and
                                                                                   np.isnan(v)) else str(v))
    if problems:
        raise InputError(problems)
    return out


def import_file(file: str | Path, *, layer: str, data_dir: Path, area: str | None = None,
                source_layer: str | None = None, mapping: dict[str, str] | None = None,
                assume_crs: str | None = None, replace: bool = False, licence: str | None = None,
                source: str | None = None, rules: Path | None = None,
                max_unpacked: int | None = None, encoding: str | None = None,
                limits: Limits | None = None) -> ImportResult:
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
    max_unpacked : int, optional
        Largest unpacked size of an archive (default ``limits.max_unpacked_bytes``).
    encoding : str, optional
        Text encoding of a Shapefile's DBF (``--encoding``); by default detected
        (:func:`~geozones.io.dbf.dbf_encoding`).
    limits : Limits, optional
        Reading limits (default :func:`~geozones.io.limits.current_limits`).

    The layer is locked for the whole import (:func:`~geozones.sources.layerfiles.layer_lock`):
    a second import into the same layer waits, then is refused naming the holder.
    The layer file and its provenance record are replaced together or not at all.
    Code fields of boundary layers are normalised and checked (:func:`normalise_codes`).

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
        names = ", ".join(s.name for s in manifest.layers)
        raise InputError.bi(f"area '{manifest.id}' tidak punya lapisan '{layer}'; lapisannya: {names}",
                            f"area '{manifest.id}' has no layer '{layer}'; layers are: {names}",
                            field="--layer") from None
    limits = limits or current_limits()
    with layer_lock(Path(data_dir) / spec.file):
        return _import(path, manifest, spec, layer=layer, data_dir=Path(data_dir), source_layer=source_layer,
                       mapping=mapping, assume_crs=assume_crs, replace=replace, licence=licence, source=source,
                       rules=rules, max_unpacked=max_unpacked, encoding=encoding, limits=limits)


def _import(path: Path, manifest, spec: LayerSpec, *, layer: str, data_dir: Path, source_layer: str | None,
            mapping: dict[str, str] | None, assume_crs: str | None, replace: bool, licence: str | None,
            source: str | None, rules: Path | None, max_unpacked: int | None, encoding: str | None,
            limits: Limits) -> ImportResult:
    ext = path.suffix.lower()
    if ext not in VECTOR_EXTENSIONS:
        kinds = ", ".join(sorted(VECTOR_EXTENSIONS))
        raise InputError.bi(f"jenis berkas '{ext}' tidak didukung; pakai salah satu dari {kinds}",
                            f"unsupported file type '{ext}'; use one of {kinds}", source=str(path))
    sniff(path, limits=limits)
    mapping = mapping or {}
    result = ImportResult(path=data_dir / spec.file)
    accepted = ROLE_GEOMETRY.get(spec.role, POLYGONAL + PUNTAL + LINEAL)
    src_crs = CRS.from_user_input(assume_crs) if assume_crs else None

    rows: list[tuple[str, dict, object]] = []  # (label, properties, geometry in file CRS)
    if ext == ".csv":
        feats, problems = _read_csv(path, limits)
        result.skipped.extend(problems)
        name_col = next((c for c in (mapping.get(spec.name_field), spec.name_field, *_NAME_COLUMNS)
                         if feats and c in feats[0][1]), None)
        rows = [(f"row {i}" + (f" ('{p.get(name_col)}')" if name_col and p.get(name_col) else ""), p, g)
                for i, p, g in feats]
        file_crs = STORAGE_CRS
    elif ext in (".kml", ".kmz", ".gpx"):
        # The same reader as `check`: ExtendedData fields as columns, folders in `folder`, GPX waypoints.
        notes: list[str] = []
        gdf_in = read_vector(path, layer=source_layer, on_warning=notes.append, limits=limits)
        for msg in notes:
            (result.skipped if "skipped" in msg else result.repaired).append(Problem(msg.removeprefix(f"{path}: ")))
        names_in = [c for c in gdf_in.columns if c != gdf_in.geometry.name]
        name_col = next((c for c in (mapping.get(spec.name_field), spec.name_field, *names_in)
                         if c and c in names_in and (c == mapping.get(spec.name_field) or c == spec.name_field
                                                     or c.lower() in _NAME_COLUMNS)), None)
        records = gdf_in.drop(columns=gdf_in.geometry.name).astype(object).where(gdf_in.notna(), None)
        for n, (props, geom) in enumerate(zip(records.to_dict("records"), gdf_in.geometry.values, strict=True),
                                          start=1):
            rows.append((_label(n, props, name_col), props, shapely.force_2d(geom)))
        file_crs = STORAGE_CRS
    else:
        gdal_path, _ = gdal_source(path, source_layer, assume_crs, limit=max_unpacked, layer_flag="--source-layer",
                                   limits=limits)
        if gdal_path.lower().endswith(".shp"):
            member = gdal_path.split(f"/vsizip/{path}/", 1)[1] if gdal_path.startswith("/vsizip/") else None
            encoding = dbf_encoding(path, member, explicit=encoding, source=str(path),
                                    on_warning=result.notes.append)
        try:
            names = fiona.listlayers(gdal_path)
        except Exception as exc:  # noqa: BLE001 - GDAL raises many types for unreadable data
            detail = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            raise InputError.bi(f"tidak dapat dibaca: {detail}", f"cannot be read: {detail}",
                                source=str(path)) from None
        if source_layer and ext not in (".zip",):
            if source_layer not in names:
                raise InputError.bi(f"tidak ada lapisan '{source_layer}'; lapisannya: {', '.join(names)}",
                                    f"no layer '{source_layer}'; layers are: {', '.join(names)}", source=str(path))
            names = [source_layer]
        elif len(names) > 1 and ext in (".gpkg", ".fgb"):
            raise InputError.bi("berkas berisi beberapa lapisan (" + ", ".join(names) + "); pilih satu dengan "
                                "--source-layer",
                                "file has several layers (" + ", ".join(names) + "); choose one with --source-layer",
                             source=str(path))
        file_crs = None
        vertices = 0
        handler = _GdalLog()
        fiona_log = logging.getLogger("fiona")
        fiona_log.addHandler(handler)
        try:
            for lname in names:
                kw = {"encoding": encoding} if encoding else {}
                with fiona.open(gdal_path, layer=lname, allow_unsupported_drivers=True, **kw) as src:
                    crs = CRS.from_user_input(src.crs_wkt) if src.crs_wkt else None
                    if crs is None and src_crs is None:
                        raise InputError.bi("berkas tidak menyatakan CRS; beri --assume-crs bila Anda tahu",
                                            "the file declares no CRS; pass --assume-crs if you know it",
                                         source=str(path))
                    if crs is None:
                        crs = src_crs
                    if file_crs is not None and not crs.equals(file_crs):
                        raise InputError.bi("lapisan berkas memakai CRS berbeda; impor satu per satu dengan "
                                            "--source-layer", "layers of the file use different CRSs; import them "
                                            "one at a time with --source-layer", source=str(path))
                    file_crs = crs
                    cols = list(src.schema["properties"])
                    if len(cols) > limits.max_columns:
                        raise limit_error("max_columns", len(cols), limits.max_columns, source=str(path))
                    check_limit("max_features", len(src), limits, source=str(path))
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
                            result.skipped.append(Problem.bi(f"rekaman tidak terbaca ({str(exc)[:150]}); dilewati",
                                                             f"unreadable record ({str(exc)[:150]}); skipped",
                                                          str(path), f"{where}feature {n}"))
                            continue
                        props = dict(feat.properties or {})
                        label = where + _label(n, props, name_col)
                        if feat.geometry is None:
                            why = f" (GDAL: {handler.messages[-1][:150]})" if handler.messages else ""
                            result.skipped.append(Problem.bi(f"tanpa geometri{why}; dilewati",
                                                             f"no geometry{why}; skipped", str(path), label))
                            continue
                        try:
                            geom = shape(feat.geometry)
                        except Exception as exc:  # noqa: BLE001 - shapely raises several types
                            result.skipped.append(Problem.bi(f"geometri tidak terbaca ({exc}); dilewati",
                                                             f"unreadable geometry ({exc}); skipped", str(path), label))
                            continue
                        rows.append((label, props, geom))
                        vertices += int(shapely.get_num_coordinates(geom))
                        if vertices > limits.max_vertices:
                            raise limit_error("max_vertices", vertices, limits.max_vertices, source=str(path),
                                              at_least=True)
        finally:
            fiona_log.removeHandler(handler)
        if file_crs is None:
            file_crs = src_crs or STORAGE_CRS

    # Mapped columns must exist in the file: a typo would silently give an empty field.
    present_cols = set().union(*(r[1].keys() for r in rows)) if rows else set()
    missing_map = [c for c in mapping.values() if rows and c not in present_cols]
    if missing_map:
        cols = ", ".join(sorted(present_cols))
        raise InputError.bi(f"--map menyebut kolom {', '.join(missing_map)} yang tidak ada di berkas; kolomnya: {cols}",
                            f"--map names column(s) {', '.join(missing_map)} that the file does not have; "
                            f"its columns are: {cols}", source=str(path), field="--map")

    good_props, good_geoms = [], []
    for label, props, geom in rows:
        if geom.is_empty:
            result.skipped.append(Problem.bi("geometri kosong; dilewati", "empty geometry; skipped", str(path), label))
            continue
        gtype = geom.geom_type
        if gtype == "GeometryCollection":
            parts = [g for g in shapely.get_parts(geom) if g.geom_type in accepted]
            if not parts:
                result.skipped.append(Problem.bi(f"kumpulan geometri tanpa bagian {'/'.join(accepted)}; dilewati",
                                                 f"geometry collection without {'/'.join(accepted)} parts; "
                                              "skipped", str(path), label))
                continue
            geom = shapely.union_all(parts)
            gtype = geom.geom_type
        if gtype not in accepted:
            result.skipped.append(Problem.bi(f"{gtype} tidak cocok untuk lapisan '{layer}' (peran {spec.role} menerima "
                                             f"{', '.join(accepted)}); dilewati",
                                             f"{gtype} does not fit layer '{layer}' (role {spec.role} takes "
                                          f"{', '.join(accepted)}); skipped", str(path), label))
            continue
        if not geom.is_valid:
            reason = shapely.is_valid_reason(geom)
            fixed = shapely.make_valid(geom)
            if fixed.geom_type == "GeometryCollection":
                dim = shapely.get_dimensions(geom)
                fixed = shapely.union_all([g for g in shapely.get_parts(fixed) if shapely.get_dimensions(g) == dim])
            if fixed.is_empty or fixed.geom_type not in accepted:
                result.skipped.append(Problem.bi(f"geometri tidak sah ({reason}) yang tidak dapat diperbaiki; dilewati",
                                                 f"invalid geometry ({reason}) that cannot be repaired; skipped",
                                              str(path), label))
                continue
            result.repaired.append(Problem.bi(f"geometri tidak sah ({reason}); diperbaiki",
                                             f"invalid geometry ({reason}); repaired", str(path), label))
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
            where_id = f"batas {manifest.title.get('id', manifest.id)} (+{AREA_MARGIN_M:.0f} m)"
        else:
            x, y = shapely.get_x(reps), shapely.get_y(reps)
            inside = ((x >= INDONESIA_LON[0]) & (x <= INDONESIA_LON[1])
                      & (y >= INDONESIA_LAT[0]) & (y <= INDONESIA_LAT[1]))
            where = where_id = "Indonesia"
        for i in np.flatnonzero(~inside):
            at = f"{shapely.get_x(reps[i]):.5f}, {shapely.get_y(reps[i]):.5f}"
            result.skipped.append(Problem.bi(f"di luar {where_id} (di {at}); CRS atau tempat salah? dilewati",
                                             f"outside {where} (at {at}); wrong CRS or wrong place? skipped",
                                             str(path), gdf["_label"].iloc[i]))
        gdf = gdf.loc[inside].reset_index(drop=True)
    if len(gdf) == 0:
        raise InputError(result.skipped or [Problem.bi("tidak berisi fitur", "holds no features", str(path))])

    gdf = gdf.drop(columns=["_label"])
    if spec.role == "kelurahan":
        missing = [c for c in KELURAHAN_COLUMNS if c not in gdf.columns]
        if missing:
            raise InputError.bi(f"lapisan kelurahan memerlukan kolom {', '.join(missing)}; petakan dengan "
                                "--map KOLOM=KOLOM_BERKAS (mis. --map kode_kemendagri=KODE_KEMENDAGRI)",
                                f"a kelurahan layer needs column(s) {', '.join(missing)}; map them with "
                                "--map FIELD=COLUMN (e.g. --map kode_kemendagri=KODE_KEMENDAGRI)", source=str(path))
    gdf = normalise_codes(gdf, source=str(path))
    for col, rule_ids in load_ruleset(rules or DEFAULT_RULES).filter_columns(layer).items():
        if col not in gdf.columns:
            result.notes.append(f"rule(s) {', '.join(rule_ids)} filter on column '{col}', which the file lacks; "
                                f"those rules will match nothing in this layer (use --map {col}=COLUMN)")
    gdf["source"] = source or f"imported from {path.name}"
    gdf["license"] = licence or spec.licence
    record = {
        "how": "geozones data import", "imported_at": now_utc(), "layer": layer,
        "sources": [{"file": str(path.resolve()), "sha256": sha256_file(path), "source_layer": source_layer,
                     "licence": licence or spec.licence, "source": source}],
        "licence": licence or spec.licence, "features": len(gdf), "mapping": mapping,
        "report": [str(p) for p in result.skipped + result.repaired] + result.notes}
    written = write_layers({result.path: gdf}, replace=replace, provenance={spec.file: record}, lock_held=True)
    result.status, result.previous = written[result.path]
    result.loaded = len(gdf)
    return result
