"""Every bad input gets a clear message naming file, row or feature, and field."""

from __future__ import annotations

import warnings
import zipfile

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import Polygon

from geozones.core.errors import DataWarning, InputError
from geozones.io.sites import read_sites
from geozones.io.vector import read_vector


def write(tmp_path, name, text, encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return p


def message(exc_info) -> str:
    return str(exc_info.value)


def test_good_csv_with_aliases(tmp_path):
    p = write(tmp_path, "s.csv", "ID;Longitude;Latitude;Jenis;Paslon\nA;106,83;-6,17;Spanduk;1\nB;106.84;-6.18;;\n")
    s = read_sites(p)
    assert list(s["site_id"]) == ["A", "B"]
    assert s["apk_type"].iloc[0] == "spanduk" and pd.isna(s["apk_type"].iloc[1])
    assert s.geometry.x.iloc[0] == pytest.approx(106.83)


def test_missing_coordinate_columns(tmp_path):
    p = write(tmp_path, "s.csv", "id,easting,northing\n1,1,2\n")
    with pytest.raises(InputError) as e:
        read_sites(p)
    assert "s.csv" in message(e) and "no longitude" in message(e) and "easting, northing" in message(e)


def test_unknown_apk_type_names_row_and_field(tmp_path):
    p = write(tmp_path, "s.csv", "id,lon,lat,apk_type\n1,106.8,-6.2,spanduk\n2,106.8,-6.2,poster raksasa\n")
    with pytest.raises(InputError) as e:
        read_sites(p)
    assert "s.csv, row 2, field 'apk_type'" in message(e) and "poster raksasa" in message(e)


@pytest.mark.parametrize("cell,expect", [("abc", "'abc' is not a number"), ("", "is empty"), ("NaN", "is empty")])
def test_non_numeric_or_missing_coordinates(tmp_path, cell, expect):
    p = write(tmp_path, "s.csv", f"id,lon,lat\n1,106.8,-6.2\n2,{cell},-6.2\n")
    with pytest.raises(InputError) as e:
        read_sites(p)
    assert "row 2" in message(e) and "field 'lon'" in message(e) and expect in message(e)


def test_out_of_range(tmp_path):
    p = write(tmp_path, "s.csv", "id,lon,lat\n1,206.8,-6.2\n2,106.8,-96.2\n")
    with pytest.raises(InputError) as e:
        read_sites(p)
    assert "row 1, field 'lon': 206.8 di luar rentang" in message(e) and "/ 206.8 is out of range" in message(e)


@pytest.mark.parametrize("lon,lat", [("-6.17", "106.83"), ("-6.17", "-106.83")])
def test_swapped_lon_lat(tmp_path, lon, lat):
    p = write(tmp_path, "s.csv", f"id,lon,lat\n1,{lon},{lat}\n")
    with pytest.raises(InputError) as e:
        read_sites(p)
    assert "look swapped" in message(e) and "row 1" in message(e)


@pytest.mark.parametrize("text,expect", [("", "empty"), ("id,lon,lat\n", "no data rows"), ("   \n\n", "empty")])
def test_empty_files(tmp_path, text, expect):
    with pytest.raises(InputError) as e:
        read_sites(write(tmp_path, "s.csv", text))
    assert expect in message(e)


def test_duplicate_ids(tmp_path):
    p = write(tmp_path, "s.csv", "id,lon,lat\nA,106.8,-6.2\nB,106.8,-6.2\nA,106.8,-6.2\n")
    with pytest.raises(InputError) as e:
        read_sites(p)
    assert "row 3, field 'id': id titik 'A' ganda" in message(e)
    assert "duplicate site id 'A' (first used in row 1)" in e.value.render("en")


def test_bad_installed_at(tmp_path):
    p = write(tmp_path, "s.csv", "id,lon,lat,installed_at\nA,106.8,-6.2,kemarin sore\n")
    with pytest.raises(InputError) as e:
        read_sites(p)
    assert "row 1, field 'installed_at'" in message(e)


@pytest.mark.parametrize("name,content,claim", [
    ("s.geojson", b"id,lon,lat\n1,2,3\n", "GeoJSON"),
    ("s.gpkg", b'{"type": "FeatureCollection"}', "GeoPackage"),
    ("s.csv", b"PK\x03\x04garbage", "CSV"),
    ("s.zip", b"not a zip at all", "zipped Shapefile"),
    ("s.xlsx", b"id,lon,lat\n", "Excel"),
])
def test_file_not_what_its_extension_claims(tmp_path, name, content, claim):
    with pytest.raises(InputError) as e:
        read_sites(write(tmp_path, name, content))
    assert name in message(e) and claim in message(e)


def test_cp1252_csv(tmp_path):
    text = "id,lon,lat,lokasi\n1,106.83,-6.17,Jl. Kramat Raya — depan toko ‘Sinar’\n"
    s = read_sites(write(tmp_path, "s.csv", text, encoding="cp1252"))
    assert s["lokasi"].iloc[0].startswith("Jl. Kramat Raya — depan")
    assert s.attrs.get("encoding") == "cp1252"


def _shapefile(tmp_path, with_prj: bool):
    gdf = gpd.GeoDataFrame({"name": ["a"]}, geometry=gpd.points_from_xy([106.8], [-6.2]), crs=4326)
    path = tmp_path / "pts.shp"
    gdf.to_file(path)
    if not with_prj:
        path.with_suffix(".prj").unlink()
    return path


def test_shapefile_without_prj_is_refused_unless_assumed(tmp_path):
    path = _shapefile(tmp_path, with_prj=False)
    with pytest.raises(InputError) as e:
        read_vector(path)
    assert "pts.shp" in message(e) and ".prj" in message(e) and "--assume-crs" in message(e)
    gdf = read_vector(path, assume_crs="EPSG:4326")
    assert gdf.crs.to_epsg() == 4326 and len(gdf) == 1


def test_zipped_shapefile_without_prj(tmp_path):
    path = _shapefile(tmp_path, with_prj=False)
    z = tmp_path / "pts.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for ext in (".shp", ".shx", ".dbf"):
            zf.write(path.with_suffix(ext), "pts" + ext)
    with pytest.raises(InputError, match=r"no \.prj"):
        read_vector(z)
    assert len(read_vector(z, assume_crs=4326)) == 1


def test_self_intersecting_polygon_is_repaired_with_a_warning(tmp_path):
    bowtie = Polygon([(106.80, -6.20), (106.81, -6.19), (106.81, -6.20), (106.80, -6.19), (106.80, -6.20)])
    gdf = gpd.GeoDataFrame({"name": ["bowtie"]}, geometry=[bowtie], crs=4326)
    path = tmp_path / "zones.geojson"
    gdf.to_file(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = read_vector(path)
    assert out.geometry.is_valid.all()
    # both lobes kept: two triangles of 0.01 x 0.005 / 2 square degrees each
    assert shapely.area(out.geometry.values[0]) == pytest.approx(5e-5, rel=1e-6)
    msgs = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
    assert any("zones.geojson: feature 1: invalid geometry" in m and "repaired" in m for m in msgs)


def test_vector_sites_must_be_points(tmp_path):
    gdf = gpd.GeoDataFrame({"id": ["a"]}, geometry=[Polygon([(0, 0), (1, 0), (1, 1)])], crs=4326)
    path = tmp_path / "s.geojson"
    gdf.to_file(path)
    with pytest.raises(InputError) as e:
        read_sites(path)
    assert "feature 1" in message(e) and "must be points" in message(e)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_sites(tmp_path / "nope.csv")
