"""Issue 8.13: attribution comes from the provenance of the layer files actually used."""

from __future__ import annotations

import geopandas as gpd
from shapely.geometry import box

from geozones.areas.manifest import load_manifest
from geozones.cli import main
from geozones.io.layers import load_layers
from geozones.sources.importer import import_file
from geozones.sources.provenance import PROVENANCE_FILE, save_records
from tests.engine.conftest import _to4326, write_tiny_area

SOURCE = "SK KPU Kota Uji 12/2024 {lampiran}"
LICENCE = "CC BY 4.0"


def _import_worship(tmp_path):
    root = tmp_path / "data"
    root.mkdir()
    manifest = write_tiny_area(root)
    new = tmp_path / "masjid_kpu.geojson"
    gpd.GeoDataFrame({"osm_id": [9], "name": ["Masjid Baru"]}, geometry=_to4326([box(300, 300, 360, 360)]),
                     crs=4326).to_file(new, driver="GeoJSON")
    import_file(new, layer="worship", data_dir=root, area=str(manifest), replace=True, licence=LICENCE,
                source=SOURCE)
    return root, manifest


def test_imported_layer_carries_its_recorded_source(tmp_path):
    root, manifest = _import_worship(tmp_path)
    layers = load_layers(load_manifest(manifest), root)
    worship = layers.layers["worship"]
    assert worship.spec.source == SOURCE and worship.spec.licence == LICENCE
    assert worship.spec.attribution == f"{SOURCE}, {LICENCE}"
    assert f"{SOURCE}, {LICENCE}" in layers.attributions()
    # the other layers keep the manifest's text
    assert layers.layers["roads"].spec.attribution == "test fixture"
    assert "test fixture" in layers.attributions()


def test_data_info_shows_the_recorded_source(tmp_path, capsys):
    root, manifest = _import_worship(tmp_path)
    assert main(["data", "info", "--area", str(manifest), "--data-dir", str(root)]) == 0
    out = capsys.readouterr().out
    assert f"source: {SOURCE}; licence: {LICENCE}" in out
    assert f"{SOURCE}, {LICENCE}" in out.splitlines()[-1]


def test_a_record_of_other_content_is_not_used(tmp_path):
    root, manifest = _import_worship(tmp_path)
    # the file is replaced by hand after the import: the record no longer describes it
    gpd.GeoDataFrame({"osm_id": [1], "name": ["Masjid Lama"]}, geometry=_to4326([box(200, 200, 260, 260)]),
                     crs=4326).to_file(root / "worship.geojson", driver="GeoJSON")
    layers = load_layers(load_manifest(manifest), root)
    assert layers.layers["worship"].spec.attribution == "test fixture"
    assert all(SOURCE not in a for a in layers.attributions())


def test_recorded_attribution_wins_and_lists_are_joined(tmp_path):
    root = tmp_path / "data"
    root.mkdir()
    manifest = write_tiny_area(root)
    save_records(root, {"kel.geojson": {"how": "geozones data fetch", "licence": "CC BY-IGO 3.0",
                                        "attribution": ["BPS via HDX, CC BY-IGO", "cahyadsn/wilayah (MIT)"],
                                        "sources": [{"url": "https://example.org/a"}]}})
    layers = load_layers(load_manifest(manifest), root)
    assert layers.layers["kelurahan"].spec.attribution == "BPS via HDX, CC BY-IGO; cahyadsn/wilayah (MIT)"
    assert layers.layers["kelurahan"].spec.licence == "CC BY-IGO 3.0"


def test_unreadable_provenance_falls_back_with_a_warning(tmp_path):
    root = tmp_path / "data"
    root.mkdir()
    manifest = write_tiny_area(root)
    (root / PROVENANCE_FILE).write_text("{not json", encoding="utf-8")
    layers = load_layers(load_manifest(manifest), root)
    assert layers.layers["worship"].spec.attribution == "test fixture"
    assert any("provenance.json" in w for w in layers.layers["worship"].warnings)
