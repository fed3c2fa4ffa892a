"""Issue 8.5, 8.7, 8.10, 8.11 and 13.5: the files people really have, built here in code."""

from __future__ import annotations

import warnings
import zipfile

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import MultiPoint, Point

from geozones.cli.main import main
from geozones.core.errors import DataWarning, InputError
from geozones.io.sites import read_sites
from tests.io.helpers import kml, kmz, line, point, write, xlsx


def xy(sites):
    return [(round(g.x, 4), round(g.y, 4)) for g in sites.geometry]


# --- KML without ids (8.5) ---------------------------------------------------------------------------------

def test_kml_placemarks_without_ids_are_named_after_the_placemark_else_their_position(tmp_path):
    doc = kml([point(106.868, -6.179, "Spanduk Cempaka Putih"), point(106.813, -6.187),
               point(106.85, -6.18, "Spanduk Cempaka Putih")])
    s = read_sites(write(tmp_path, "ge.kml", doc))
    assert list(s["site_id"]) == ["Spanduk Cempaka Putih", "placemark 2", "Spanduk Cempaka Putih (2)"]
    assert s["site_id"].is_unique and xy(s)[0] == (106.868, -6.179)


def test_kml_extended_data_and_folders_become_columns(tmp_path):
    doc = kml([], folders={
        "Spanduk": [point(106.8436, -6.1841, "SP-01", {"jenis": "spanduk", "paslon": "1",
                                                        "waktu_pasang": "2024-10-02 09:30"})],
        "Baliho": [point(106.83109, -6.17025, "BL-01", {"jenis": "baliho", "paslon": "2",
                                                         "waktu_pasang": "2024-10-03 08:00"})]})
    s = read_sites(write(tmp_path, "mymaps.kml", doc))
    assert list(s["apk_type"]) == ["spanduk", "baliho"] and list(s["paslon"]) == ["1", "2"]
    assert list(s["folder"]) == ["Spanduk", "Baliho"]
    assert s["installed_at"].iloc[1] == pd.Timestamp("2024-10-03 08:00", tz="Asia/Jakarta")
    assert not {"tessellate", "drawOrder", "altitudeMode"} & set(s.columns)


# --- KMZ with a route line, MultiPoint (8.11) ----------------------------------------------------------------

def test_kmz_with_a_route_line_names_it_and_stops_unless_skip_invalid(tmp_path):
    doc = kml([point(106.8436, -6.1841, "SP-01"), point(106.856, -6.183, "SP-02"),
               line([(106.8436, -6.1841), (106.856, -6.183)], "Rute tim A")])
    p = kmz(tmp_path, "route.kmz", doc)
    with pytest.raises(InputError) as e:
        read_sites(p)
    assert "feature 3 ('Rute tim A')" in str(e.value) and "LineString" in str(e.value)
    assert "--skip-invalid" in str(e.value)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        s = read_sites(p, skip_invalid=True)
    assert list(s["site_id"]) == ["SP-01", "SP-02"]
    assert s.attrs["skipped"] == ["feature 3 ('Rute tim A')"]
    assert any("Rute tim A" in str(w.message) for w in caught if w.category is DataWarning)


def test_cli_skip_invalid_judges_the_rest_and_lists_what_was_skipped(tmp_path, capsys, shared_data):
    doc = kml([point(106.8436, -6.1841, "SP-01"), line([(106.8436, -6.1841), (106.856, -6.183)], "Rute")])
    p = kmz(tmp_path, "route.kmz", doc)
    assert main(["check", str(p), "--data-dir", str(shared_data)]) == 2
    assert "Rute" in capsys.readouterr().err
    out = tmp_path / "o.csv"
    assert main(["check", str(p), "--data-dir", str(shared_data), "--skip-invalid", "--out", str(out)]) == 0
    assert "skipped (1): feature 2 ('Rute')" in capsys.readouterr().err
    assert list(pd.read_csv(out, comment="#")["site_id"]) == ["SP-01"]


def test_single_part_multipoints_are_points_true_multipart_refused_by_name(tmp_path):
    gdf = gpd.GeoDataFrame({"id": ["A1", "A2"], "apk_type": ["spanduk", "baliho"]},
                           geometry=[MultiPoint([(106.856, -6.183)]), MultiPoint([(106.868, -6.179)])], crs=4326)
    gdf.to_file(tmp_path / "mp.gpkg", layer="titik_apk")
    s = read_sites(tmp_path / "mp.gpkg")
    assert list(s["site_id"]) == ["A1", "A2"] and xy(s) == [(106.856, -6.183), (106.868, -6.179)]
    gdf.loc[1, "geometry"] = MultiPoint([(106.868, -6.179), (106.87, -6.18)])
    gdf.to_file(tmp_path / "mp2.gpkg", layer="titik_apk")
    with pytest.raises(InputError) as e:
        read_sites(tmp_path / "mp2.gpkg")
    assert "feature 2" in str(e.value) and "MultiPoint with 2 points" in str(e.value)


# --- GPX (8.11) ------------------------------------------------------------------------------------------------

def test_gpx_waypoints_are_sites_named_and_timed(tmp_path):
    doc = ('<?xml version="1.0"?><gpx version="1.1" creator="GPS Logger" xmlns="http://www.topografix.com/GPX/1/1">'
           '<wpt lat="-6.1830" lon="106.8560"><time>2024-10-02T02:15:00Z</time><name>APK-001</name></wpt>'
           '<wpt lat="-6.1790" lon="106.8680"><name>APK-002</name></wpt>'
           '<trk><name>jalan</name><trkseg><trkpt lat="-6.18" lon="106.85"/><trkpt lat="-6.181" lon="106.851"/>'
           '</trkseg></trk></gpx>')
    s = read_sites(write(tmp_path, "phone.gpx", doc))
    assert list(s["site_id"]) == ["APK-001", "APK-002"] and xy(s) == [(106.856, -6.183), (106.868, -6.179)]
    assert s["installed_at"].iloc[0] == pd.Timestamp("2024-10-02 09:15", tz="Asia/Jakarta")


# --- XLSX, one sheet per kecamatan (8.7) -------------------------------------------------------------------------

def workbook(tmp_path):
    head = ["id", "lon", "lat", "apk_type", "paslon"]
    return xlsx(tmp_path, "per_kec.xlsx", {
        "Petunjuk": [["Isi satu lembar per kecamatan"], ["kolom: id, lon, lat"]],
        "Johar Baru": [head, ["JB-1", 106.856, -6.183, "spanduk", 1]],
        "Gambir": [head, ["GB-1", 106.83109, -6.17025, "baliho", 2], ["GB-2", 106.823, -6.188, "baliho", 2]],
        "Kosong": [],
    })


def test_every_sheet_with_coordinates_is_read_and_skipped_sheets_are_named(tmp_path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        s = read_sites(workbook(tmp_path))
    assert list(s["site_id"]) == ["JB-1", "GB-1", "GB-2"]
    assert list(s["sheet"]) == ["Johar Baru", "Gambir", "Gambir"]
    said = " ".join(str(w.message) for w in caught)
    assert "sheet 'Petunjuk' skipped" in said and "no longitude/latitude" in said and "sheet 'Kosong'" in said


def test_layer_names_the_one_sheet(tmp_path):
    s = read_sites(workbook(tmp_path), layer="Gambir")
    assert list(s["site_id"]) == ["GB-1", "GB-2"]
    with pytest.raises(InputError, match="no sheet 'Menteng'"):
        read_sites(workbook(tmp_path), layer="Menteng")


def test_bad_rows_in_a_sheet_are_named_by_sheet_and_row(tmp_path):
    p = xlsx(tmp_path, "bad.xlsx", {"A": [["id", "lon", "lat"], ["1", 106.8, -6.2]],
                                    "B": [["id", "lon", "lat"], ["2", 106.8, -6.2], ["3", "abc", -6.2]]})
    with pytest.raises(InputError) as e:
        read_sites(p)
    assert "sheet 'B', row 2, field 'lon'" in str(e.value)


# --- smaller kinds (8.10) --------------------------------------------------------------------------------------

def test_utf16_unicode_text_is_read(tmp_path):
    text = "id\tlon\tlat\tketerangan\r\nA1\t106.8560\t-6.1830\tJl. Johar Baru — depan warung\r\n"
    s = read_sites(write(tmp_path, "unicode.txt", b"\xff\xfe" + text.encode("utf-16-le")))
    assert xy(s) == [(106.856, -6.183)] and s["keterangan"].iloc[0] == "Jl. Johar Baru — depan warung"
    s = read_sites(write(tmp_path, "nobom.txt", text.encode("utf-16-le")))
    assert xy(s) == [(106.856, -6.183)]


def test_unquoted_decimal_commas_are_named_not_called_swapped(tmp_path):
    p = write(tmp_path, "dc.csv", "id,lon,lat,apk_type\nA1,106,8560,-6,1830,spanduk\n")
    with pytest.raises(InputError) as e:
        read_sites(p)
    assert "decimal commas" in str(e.value) and "koma desimal" in str(e.value) and "swapped" not in str(e.value)
    # quoted or semicolon-separated decimal commas are read
    assert xy(read_sites(write(tmp_path, "q.csv", 'id,lon,lat\nA1,"106,856","-6,183"\n'))) == [(106.856, -6.183)]


def test_unicode_minus_is_a_minus(tmp_path):
    s = read_sites(write(tmp_path, "m.csv", "id,lon,lat\nA1,106.8560,\u22126.1830\nA2,106.868,\u2013 6.179\n"))
    assert xy(s) == [(106.856, -6.183), (106.868, -6.179)]


def test_latitude_missing_its_minus_gets_a_hint(tmp_path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        read_sites(write(tmp_path, "lat.csv", "id,lon,lat\nA1,106.8560,6.1830\nA2,106.8680,-6.1790\n"))
    hints = [str(w.message) for w in caught if w.category is DataWarning]
    assert len(hints) == 1 and "row 1" in hints[0] and "missing a minus" not in hints[0]
    assert "write -6.183" in hints[0] and "tanda minus" in hints[0]


def test_exif_export_with_hemisphere_columns(tmp_path):
    p = write(tmp_path, "exif.csv", "SourceFile,GPSLatitude,GPSLatitudeRef,GPSLongitude,GPSLongitudeRef,"
              "DateTimeOriginal\nfoto/IMG_1.jpg,6.1830,S,106.8560,E,2024:10:02 09:15:00\n")
    s = read_sites(p)
    assert xy(s) == [(106.856, -6.183)]
    assert s["installed_at"].iloc[0] == pd.Timestamp("2024-10-02 09:15", tz="Asia/Jakarta")


def test_macos_zip_is_one_dataset(tmp_path):
    gdf = gpd.GeoDataFrame({"id": ["A1"]}, geometry=[Point(106.856, -6.183)], crs=4326)
    gdf.to_file(tmp_path / "titik.shp")
    z = tmp_path / "mac.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for ext in ("shp", "shx", "dbf", "prj", "cpg"):
            zf.write(tmp_path / f"titik.{ext}", f"titik/titik.{ext}")
            zf.writestr(f"__MACOSX/titik/._titik.{ext}", b"\x00\x05\x16\x07" + b"\x00" * 60)
        zf.writestr("titik/.DS_Store", b"\x00\x00\x00\x01Bud1")
    assert list(read_sites(z)["site_id"]) == ["A1"]


# --- form exports and explicit columns (8.11), ambiguous columns (13.5) -------------------------------------------

def test_kobo_and_odk_column_names(tmp_path):
    kobo = write(tmp_path, "kobo.csv", "start;jenis_apk;paslon;_lokasi_latitude;_lokasi_longitude;_lokasi_altitude;"
                 "_id\n2024-10-02T09:10:11.000+07:00;spanduk;1;-6.1830;106.8560;7.0;101\n")
    s = read_sites(kobo)
    assert xy(s) == [(106.856, -6.183)] and s["site_id"].iloc[0] == "101" and s["apk_type"].iloc[0] == "spanduk"
    odk = write(tmp_path, "odk.csv", "id,lokasi-Latitude,lokasi-Longitude,lokasi-Altitude\nA1,-6.1830,106.8560,7\n")
    assert xy(read_sites(odk)) == [(106.856, -6.183)]


def test_explicit_lon_lat_id_options(tmp_path, shared_data):
    p = write(tmp_path, "own.csv", "kode_titik,bujur_gps,lintang_gps,lon\nX9,106.8560,-6.1830,0\n")
    s = read_sites(p, lon_col="bujur_gps", lat_col="lintang_gps", id_col="kode_titik")
    assert xy(s) == [(106.856, -6.183)] and s["site_id"].iloc[0] == "X9"
    with pytest.raises(InputError, match="no column 'nope'"):
        read_sites(p, lon_col="nope", lat_col="lintang_gps")
    out = tmp_path / "o.csv"
    assert main(["check", str(p), "--lon", "bujur_gps", "--lat", "lintang_gps", "--id", "kode_titik",
                 "--data-dir", str(shared_data), "--out", str(out)]) == 0
    row = pd.read_csv(out, comment="#", dtype=str).iloc[0]
    assert row["site_id"] == "X9" and row["verdict"] != "OUTSIDE_AREA"


def test_ambiguous_coordinate_columns_are_refused_naming_them(tmp_path):
    p = write(tmp_path, "amb.csv", "id,lon,lat,LON,LAT\nA,106.856,-6.183,0,0\n")
    with pytest.raises(InputError) as e:
        read_sites(p)
    assert "'lon', 'LON'" in str(e.value) and "--lon" in str(e.value)
    s = read_sites(p, lon_col="lon", lat_col="lat")
    assert xy(s) == [(106.856, -6.183)]


def test_planar_x_y_beside_lon_lat_are_not_ambiguous(tmp_path):
    p = write(tmp_path, "xy.csv", "id,lon,lat,x,y\nA,106.856,-6.183,701234,9316000\n")
    assert xy(read_sites(p)) == [(106.856, -6.183)]


def test_shapely_points_with_z_are_flattened(tmp_path):
    doc = kml([point(106.856, -6.183, "Z")])
    s = read_sites(write(tmp_path, "z.kml", doc))
    assert not shapely.has_z(s.geometry.values).any()
