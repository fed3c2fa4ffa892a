"""`geozones data import`: every format, built in code, and broken files named feature by feature."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely
from shapely.geometry import LineString, Point, Polygon

from geozones.cli import main
from geozones.core.errors import InputError
from geozones.sources.importer import import_file

# Places inside Kota Jakarta Pusat (Istiqlal, Katedral, a small parcel near Monas).
PLACES = gpd.GeoDataFrame(
    {"name": ["Masjid Istiqlal", "Gereja Katedral", "Musala Monas"], "religion": ["muslim", "christian", "muslim"]},
    geometry=[Point(106.8313, -6.1702), Point(106.8333, -6.1694),
              Polygon([(106.8250, -6.1760), (106.8254, -6.1760), (106.8254, -6.1764), (106.8250, -6.1764)])],
    crs=4326)
FAR_AWAY = Point(140.7, -2.55)  # Jayapura: right CRS, wrong place


def _write(gdf: gpd.GeoDataFrame, folder: Path, fmt: str) -> Path:
    """Write ``gdf`` as ``fmt`` the way a user's office would hand it over."""
    folder.mkdir(parents=True, exist_ok=True)
    if fmt == "geojson":
        path = folder / "places.geojson"
        pyogrio.write_dataframe(gdf, path, driver="GeoJSON")
    elif fmt == "gpkg":
        path = folder / "places.gpkg"
        pyogrio.write_dataframe(gdf, path, driver="GPKG", layer="places")
    elif fmt == "fgb":
        path = folder / "places.fgb"
        pyogrio.write_dataframe(gdf, path, driver="FlatGeobuf")
    elif fmt in ("shp", "zip"):
        # A shapefile holds one geometry type; points are what registries usually give.
        shp_dir = folder / "shp"
        shp_dir.mkdir()
        pts = gdf.assign(geometry=shapely.point_on_surface(gdf.geometry.values))
        pyogrio.write_dataframe(pts, shp_dir / "places.shp", driver="ESRI Shapefile")
        if fmt == "shp":
            return shp_dir / "places.shp"
        path = folder / "places.zip"
        with zipfile.ZipFile(path, "w") as zf:
            for f in shp_dir.iterdir():
                zf.write(f, f"places/{f.name}")
    elif fmt in ("kml", "kmz"):
        kml = folder / "doc.kml"
        pyogrio.write_dataframe(gdf.rename(columns={"name": "Name"}), kml, driver="KML")
        if fmt == "kml":
            return kml
        path = folder / "places.kmz"
        with zipfile.ZipFile(path, "w") as zf:
            zf.write(kml, "doc.kml")
    elif fmt == "csv":
        path = folder / "places.csv"
        pts = shapely.point_on_surface(gdf.geometry.values)
        gdf.drop(columns="geometry").assign(lon=shapely.get_x(pts), lat=shapely.get_y(pts)).to_csv(path, index=False)
    else:
        raise ValueError(fmt)
    return path


FORMATS = ["geojson", "gpkg", "fgb", "shp", "zip", "kml", "kmz", "csv"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_import_every_format(fmt, tmp_path, data_dir):
    src = _write(PLACES, tmp_path / "in", fmt)
    res = import_file(src, layer="worship", data_dir=data_dir)
    assert res.loaded == 3 and res.skipped == [] and res.status == "created"
    out = gpd.read_file(data_dir / "jakpus_worship.geojson")
    names = out["Name"] if "Name" in out else out["name"]
    assert sorted(names) == sorted(PLACES["name"])
    assert out.crs.to_epsg() == 4326
    assert set(out["license"]) == {"ODbL 1.0"}
    from geozones.sources.provenance import record_for

    rec = record_for(data_dir, "jakpus_worship.geojson")
    assert rec["how"] == "geozones data import" and len(rec["sources"][0]["sha256"]) == 64


def test_imported_layer_is_loaded_by_the_manifest(tmp_path, data_dir):
    from geozones.io.layers import load_layers

    import_file(_write(PLACES, tmp_path / "in", "gpkg"), layer="worship", data_dir=data_dir)
    layers = load_layers("jakarta-pusat", data_dir, only={"worship", "kelurahan"})
    assert len(layers["worship"]) == 3


def _corrupt_shape_type(shp: Path, record: int) -> None:
    """Overwrite the shape type of one record with a value no reader knows."""
    data = bytearray(shp.read_bytes())
    off = 100
    for _ in range(record):
        off += 8 + int.from_bytes(data[off + 4:off + 8], "big") * 2
    data[off + 8:off + 12] = (99).to_bytes(4, "little")
    shp.write_bytes(bytes(data))


def test_shapefile_with_broken_features_reports_each(tmp_path, data_dir, capsys):
    bowtie = Polygon([(106.840, -6.180), (106.842, -6.182), (106.842, -6.180), (106.840, -6.182)])
    square = Polygon([(106.845, -6.185), (106.846, -6.185), (106.846, -6.186), (106.845, -6.186)])
    corrupt = square.buffer(0.0002)
    gdf = gpd.GeoDataFrame(
        {"nama": ["Kantor Lurah Kenari", "Masjid Bowtie", "Tanpa Geometri", "Rusak", "Di Papua", "Gereja Baik"]},
        geometry=[square, bowtie, None, corrupt, FAR_AWAY.buffer(0.001), square.buffer(0.001)], crs=4326)
    folder = tmp_path / "shp"
    folder.mkdir()
    pyogrio.write_dataframe(gdf, folder / "gedung.shp", driver="ESRI Shapefile")
    _corrupt_shape_type(folder / "gedung.shp", 3)
    archive = tmp_path / "gedung.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in folder.iterdir():
            zf.write(f, f.name)
    code = main(["data", "import", str(archive), "--layer", "government", "--data-dir", str(data_dir)])
    out = capsys.readouterr().out
    assert code == 0
    assert "3 feature(s) loaded, 3 skipped, 1 repaired" in out
    lines = out.splitlines()

    def line_for(name):
        return next(line for line in lines if f"('{name}')" in line)

    assert "skipped" in line_for("Tanpa Geometri") and "no geometry" in line_for("Tanpa Geometri")
    assert "skipped" in line_for("Rusak") and "feature 4" in line_for("Rusak")
    assert "outside" in line_for("Di Papua")
    assert "repaired" in line_for("Masjid Bowtie") and "Self-intersection" in line_for("Masjid Bowtie")
    written = gpd.read_file(data_dir / "jakpus_government.geojson")
    assert sorted(written["nama"]) == ["Gereja Baik", "Kantor Lurah Kenari", "Masjid Bowtie"]
    assert written.geometry.is_valid.all()
    # The rule set filters government on category_detail; the file lacks it, and the report says so.
    assert "category_detail" in out and "R04" in out


def test_zip_without_prj_is_refused_unless_crs_assumed(tmp_path, data_dir):
    src = _write(PLACES, tmp_path / "in", "zip")
    stripped = tmp_path / "noprj.zip"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(stripped, "w") as zout:
        for info in zin.infolist():
            if not info.filename.endswith(".prj"):
                zout.writestr(info, zin.read(info))
    with pytest.raises(InputError, match=r"no \.prj"):
        import_file(stripped, layer="worship", data_dir=data_dir)
    assert not (data_dir / "jakpus_worship.geojson").exists()
    res = import_file(stripped, layer="worship", data_dir=data_dir, assume_crs="EPSG:4326")
    assert res.loaded == 3


def test_zip_entry_escaping_the_folder_is_refused(tmp_path, data_dir, capsys):
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("places/places.shp", b"\x00\x00\x27\x0a" + b"\x00" * 96)
        zf.writestr("../../outside.txt", b"gotcha")
    code = main(["data", "import", str(evil), "--layer", "worship", "--data-dir", str(data_dir)])
    assert code == 2
    assert "points outside the archive" in capsys.readouterr().err
    assert not (tmp_path.parent / "outside.txt").exists()


def test_archive_over_unpacked_limit_is_refused(tmp_path, data_dir):
    src = _write(PLACES, tmp_path / "in", "zip")
    big = tmp_path / "big.zip"
    shutil.copy(src, big)
    with zipfile.ZipFile(big, "a", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("places/padding.txt", b"0" * 200_000)  # compresses to a few hundred bytes
    assert big.stat().st_size < 20_000
    with pytest.raises(InputError, match=r"unpacked size limit \(max_unpacked_bytes"):
        import_file(big, layer="worship", data_dir=data_dir, max_unpacked=100_000)
    assert import_file(big, layer="worship", data_dir=data_dir).loaded == 3


def test_geopackage_with_two_layers_needs_a_choice(tmp_path, data_dir):
    path = tmp_path / "two.gpkg"
    pyogrio.write_dataframe(PLACES, path, layer="ibadah", driver="GPKG")
    pyogrio.write_dataframe(PLACES.iloc[:1], path, layer="lainnya", driver="GPKG", append=False)
    with pytest.raises(InputError, match=r"several layers \(ibadah, lainnya\)"):
        import_file(path, layer="worship", data_dir=data_dir)
    assert import_file(path, layer="worship", data_dir=data_dir, source_layer="lainnya").loaded == 1
    with pytest.raises(InputError, match="no layer 'nope'"):
        import_file(path, layer="worship", data_dir=data_dir, source_layer="nope", replace=True)


def _mixed_kml(tmp_path: Path) -> Path:
    gdf = gpd.GeoDataFrame(
        {"Name": ["Titik A", "Persil B", "Garis C"]},
        geometry=[Point(106.8300, -6.1800), Polygon([(106.83, -6.18), (106.831, -6.18), (106.831, -6.181)]),
                  LineString([(106.83, -6.18), (106.84, -6.19)])], crs=4326)
    path = tmp_path / "mixed.kml"
    pyogrio.write_dataframe(gdf, path, driver="KML")
    return path


def test_kml_with_mixed_geometries(tmp_path, data_dir):
    path = _mixed_kml(tmp_path)
    res = import_file(path, layer="worship", data_dir=data_dir)
    assert res.loaded == 2
    assert len(res.skipped) == 1 and "Garis C" in str(res.skipped[0]) and "LineString" in str(res.skipped[0])
    out = gpd.read_file(data_dir / "jakpus_worship.geojson")
    assert sorted(out.geom_type) == ["Point", "Polygon"]
    res = import_file(path, layer="tps", data_dir=data_dir)
    assert res.loaded == 1 and {str(p.row) for p in res.skipped} == {"feature 2 ('Persil B')", "feature 3 ('Garis C')"}


def test_nothing_overwritten_without_replace(tmp_path, data_dir):
    first = _write(PLACES, tmp_path / "a", "geojson")
    import_file(first, layer="kpu_points", data_dir=data_dir)
    target = data_dir / "jakpus_kpu_apk_points.geojson"
    before = target.read_bytes()
    second = _write(PLACES.iloc[:1], tmp_path / "b", "geojson")
    with pytest.raises(InputError, match="--replace"):
        import_file(second, layer="kpu_points", data_dir=data_dir)
    assert target.read_bytes() == before
    res = import_file(second, layer="kpu_points", data_dir=data_dir, replace=True)
    assert res.status == "replaced" and res.previous.read_bytes() == before
    assert len(gpd.read_file(target)) == 1


def test_csv_bad_rows_named_and_mapping(tmp_path, data_dir):
    path = tmp_path / "titik.csv"
    path.write_text("Nama Titik;bujur;lintang\nSimpang Senen;106.8413;-6.1766\n"
                    "Salah;abc;-6.17\nTertukar;-6.18;106.83\nJl. Kramat;106.8450;-6.1850\n", encoding="cp1252")
    res = import_file(path, layer="kpu_points", data_dir=data_dir, mapping={"name": "Nama Titik"})
    assert res.loaded == 2
    assert [p.row for p in res.skipped] == [2, 3]
    assert "swapped" in str(res.skipped[1])
    out = gpd.read_file(data_dir / "jakpus_kpu_apk_points.geojson")
    assert sorted(out["name"]) == ["Jl. Kramat", "Simpang Senen"]
    with pytest.raises(InputError, match="Nama Tiitk"):
        import_file(path, layer="kpu_points", data_dir=data_dir, mapping={"name": "Nama Tiitk"}, replace=True)


def test_unknown_layer_and_wrong_content(tmp_path, data_dir):
    src = _write(PLACES, tmp_path / "in", "geojson")
    with pytest.raises(InputError, match="has no layer 'mosques'"):
        import_file(src, layer="mosques", data_dir=data_dir)
    fake = tmp_path / "fake.gpkg"
    fake.write_text("name,lon,lat\n")
    with pytest.raises(InputError, match="extension says GeoPackage"):
        import_file(fake, layer="worship", data_dir=data_dir)


def test_kelurahan_import_needs_code_columns(tmp_path, data_dir, shared_data):
    ref = gpd.read_file(shared_data / "jakpus_kelurahan.geojson")
    renamed = ref.rename(columns={"kode_kemendagri": "KODE_DAGRI"})
    path = tmp_path / "kel.gpkg"
    pyogrio.write_dataframe(renamed, path, driver="GPKG")
    with pytest.raises(InputError, match="kode_kemendagri"):
        import_file(path, layer="kelurahan", data_dir=data_dir, replace=True)
    res = import_file(path, layer="kelurahan", data_dir=data_dir, replace=True,
                      mapping={"kode_kemendagri": "KODE_DAGRI"})
    assert res.loaded == 44 and res.status == "replaced"
