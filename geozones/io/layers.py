"""Load the layers of an area from a data directory into a :class:`~geozones.areas.layers.LayerSet`."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
from pyproj import CRS

from geozones.areas.layers import Layer, LayerSet, where_mask
from geozones.areas.manifest import KELURAHAN_COLUMNS, MANIFEST_DIR, AreaManifest, LayerSpec, load_manifest
from geozones.core.crs import STORAGE_CRS, metric_crs_for
from geozones.core.errors import InputError
from geozones.io.files import file_digest
from geozones.io.vector import read_vector

DATA_DIR_ENV = "GEOZONES_DATA_DIR"


def resolve_data_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """``data_dir``, else ``$GEOZONES_DATA_DIR``, else ``shapefiles/``."""
    if data_dir:
        return Path(data_dir)
    env = os.environ.get(DATA_DIR_ENV)
    return Path(env) if env else MANIFEST_DIR


def _check_kelurahan(gdf: gpd.GeoDataFrame, source: str) -> None:
    missing = [c for c in KELURAHAN_COLUMNS if c not in gdf.columns]
    if missing:
        raise InputError(f"kelurahan layer lacks column(s) {', '.join(missing)}", source=source)


def _text(value: object) -> str:
    """A provenance field as one line: lists joined with ``; ``, blanks dropped."""
    if isinstance(value, (list, tuple)):
        return "; ".join(dict.fromkeys(" ".join(str(v).split()) for v in value if v and str(v).strip()))
    return " ".join(str(value).split()) if value else ""


def spec_from_record(spec: LayerSpec, record: dict) -> LayerSpec:
    """The manifest's layer spec with source, licence and attribution taken from a provenance record.

    The record is what ``geozones data fetch``, ``fetch-osm`` or ``data import`` wrote
    for the file (:mod:`geozones.sources.provenance`). Its ``attribution`` wins; else
    the attribution is built from the recorded source and licence (an import's
    ``--source`` and ``--licence``). Fields the record lacks keep the manifest's value.
    """
    sources = record.get("sources") or []
    source = _text([s.get("source") for s in sources if isinstance(s, dict)]) or _text(record.get("source"))
    licence = _text(record.get("licence")) or _text([s.get("licence") for s in sources if isinstance(s, dict)])
    attribution = _text(record.get("attribution"))
    if not attribution:
        if not source:
            files = [Path(str(s["file"])).name for s in sources if isinstance(s, dict) and s.get("file")]
            source = _text([f"{record.get('how') or 'imported'}: {f}" for f in files]) if files else ""
        attribution = ", ".join(x for x in (source, licence) if x)
    update = {k: v for k, v in (("source", source), ("licence", licence), ("attribution", attribution)) if v}
    return spec.model_copy(update=update) if update else spec


def _provenance_records(root: Path) -> tuple[dict, str | None]:
    """The data directory's provenance records by file name (read-only), and a problem if unreadable."""
    from geozones.sources.provenance import load

    try:
        return load(root).get("files", {}), None
    except (InputError, OSError) as exc:
        return {}, f"provenance.json not used: {exc}"


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
        with the reason. A present layer's ``spec`` carries the source, licence and
        attribution of its file's record in the data directory's ``provenance.json``
        (see :func:`spec_from_record`), else the manifest's.
    """
    if not isinstance(manifest, AreaManifest):
        manifest = load_manifest(manifest)
    root = resolve_data_dir(data_dir)
    records, records_problem = _provenance_records(root)
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
        layer.digest = file_digest(path)
        # Attribution follows the file actually used: its provenance record, when the record
        # describes this very content (a file replaced by hand keeps the manifest's text).
        record = records.get(spec.file)
        if isinstance(record, dict) and record.get("file_sha256") and \
                f"sha256:{record['file_sha256']}" == layer.digest:
            layer.spec = spec_from_record(spec, record)
        elif records_problem:
            layer.warnings.append(records_problem)
    present = [lyr.gdf for lyr in layers.values() if lyr.present and len(lyr.gdf)]
    if manifest.metric_crs:
        crs = CRS.from_user_input(manifest.metric_crs)
    elif present:
        bounds = np.array([g.total_bounds for g in present])
        crs = metric_crs_for((bounds[:, 0].min(), bounds[:, 1].min(), bounds[:, 2].max(), bounds[:, 3].max()))
    else:
        crs = STORAGE_CRS
    return LayerSet(manifest=manifest, data_dir=root, layers=layers, metric_crs=crs)
