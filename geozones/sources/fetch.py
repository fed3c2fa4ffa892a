"""``geozones data fetch``: official boundaries for a kota or a whole province."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from geozones.sources import download
from geozones.sources.areas import find_manifest, generate_manifest, province_prefix
from geozones.sources.boundaries import Boundaries, build_boundaries, find_kota, province_of, read_province_file
from geozones.sources.layerfiles import write_layers
from geozones.sources.provenance import now_utc, save_records
from geozones.sources.upstream import WILAYAH, boundary_source
from geozones.sources.wilayah import read_wilayah


@dataclass
class FetchResult:
    """What a boundary fetch wrote and what it found."""

    files: dict[str, str] = field(default_factory=dict)  # file name -> created/replaced/unchanged
    manifest: Path | None = None
    manifest_generated: bool = False
    boundaries: Boundaries | None = None
    report_lines: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def fetch_boundaries(*, data_dir: Path, kota: str | None = None, province: str | None = None,
                     mirror: str | None = None, cache_dir: Path | None = None, replace: bool = False,
                     allow_unpinned: bool = False, timeout: float = 60.0, retries: int = 3,
                     backoff: float = 1.0) -> FetchResult:
    """Download the pinned sources and write the boundary layers of a kota (or province).

    Parameters
    ----------
    data_dir : pathlib.Path
        Where the layer files and ``provenance.json`` go.
    kota : str, optional
        BPS code (``3173``), Kemendagri code (``31.71``) or name (``"Jakarta Pusat"``).
        Its layers are named as its area manifest says; a manifest is generated
        when the kota has none.
    province : str, optional
        Province code or name: write province-wide ``<prefix>_kelurahan``,
        ``_kecamatan`` and ``_kota`` layers as well (or instead, without ``kota``).
    mirror, cache_dir, allow_unpinned, timeout, retries, backoff
        Passed to :func:`geozones.sources.download.fetch`.
    replace : bool
        Replace existing files whose content differs (kept in ``.previous/``).
    """
    if not kota and not province:
        from geozones.core.errors import InputError
        raise InputError("say which area to fetch: --kota CODE|NAME or --province CODE|NAME", field="--kota")
    data_dir.mkdir(parents=True, exist_ok=True)
    opts = dict(cache_dir=cache_dir, mirror=mirror, timeout=(min(10.0, timeout), timeout), retries=retries,
                backoff=backoff, allow_unpinned=allow_unpinned)
    wil_file = download.fetch(WILAYAH, **opts)
    wilayah = read_wilayah(wil_file.path)
    prov_code = province_of(kota or province, wilayah)
    bnd_file = download.fetch(boundary_source(prov_code), **opts)
    prov_gdf = read_province_file(bnd_file.path, source_name=bnd_file.source.filename)
    b = build_boundaries(prov_gdf, wilayah)

    result = FetchResult(boundaries=b, report_lines=b.report.lines())
    sources = [wil_file.record(), bnd_file.record()]
    base = {"how": "geozones data fetch", "sources": sources, "fetched_at": now_utc(),
            "data_date": "2020-04-01", "licence": bnd_file.source.licence,
            "attribution": [bnd_file.source.attribution, wil_file.source.attribution],
            "match_report": b.report.as_dict()}
    outputs: dict[str, object] = {}
    if province:
        prefix = province_prefix(b.province_code, b.province_name)
        outputs[f"{prefix}_kelurahan.geojson"] = b.kelurahan
        outputs[f"{prefix}_kecamatan.geojson"] = b.kecamatan
        outputs[f"{prefix}_kota.geojson"] = b.kota
    if kota:
        bps_kota = find_kota(b, kota)
        row = b.kota.loc[b.kota["kode_bps_kota"] == bps_kota].iloc[0]
        found = find_manifest(bps_kota, data_dir)
        if found is None:
            manifest, path = generate_manifest(
                data_dir, kode_bps_kota=bps_kota, kode_kemendagri_kota=str(row["kode_kemendagri_kota"]),
                kota_name=str(row["kota"]), province_code=b.province_code, province_name=b.province_name)
            result.manifest_generated = True
        else:
            manifest, path = found
        result.manifest = path
        sub = b.select_kota(bps_kota)
        for spec in manifest.layers:
            if spec.role == "kelurahan":
                outputs[spec.file] = sub.kelurahan
            elif spec.role == "kecamatan":
                outputs[spec.file] = sub.kecamatan
            elif spec.role == "kota":
                outputs[spec.file] = b.kota
    records = {}
    written = write_layers({data_dir / name: gdf for name, gdf in outputs.items()}, replace=replace)
    for name, gdf in outputs.items():
        status, previous = written[data_dir / name]
        result.files[name] = status
        result.counts[name] = len(gdf)
        records[name] = {**base, "features": len(gdf),
                         "previous_version": str(previous) if previous else None}
    save_records(data_dir, records)
    return result
