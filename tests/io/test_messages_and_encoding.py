"""Bilingual messages, escaped control characters (13.7) and DBF encodings (8.9)."""

from __future__ import annotations

import pickle
import warnings

import geopandas as gpd
import pytest
from shapely.geometry import Point

from geozones.cli.main import main
from geozones.core.errors import InputError, Problem, escape_control
from geozones.io.dbf import dbf_encoding
from geozones.io.sites import read_sites
from tests.io.helpers import write


def test_problem_carries_both_languages_indonesian_first():
    p = Problem.bi("berkas kosong", "file is empty", "a.csv", 3, "lon")
    assert str(p) == "a.csv, row 3, field 'lon': berkas kosong / file is empty"
    assert p.render("id") == "a.csv, baris 3, kolom 'lon': berkas kosong"
    assert p.render("en") == "a.csv, row 3, field 'lon': file is empty"
    # existing English-only callers keep working
    assert str(Problem("only english", "b.csv")) == "b.csv: only english"
    err = InputError.bi("rusak", "broken", source="c.csv")
    assert str(err) == "c.csv: rusak / broken" and err.render("en") == "c.csv: broken"


def test_input_error_survives_a_process_boundary_with_every_problem():
    err = InputError([Problem.bi("a", "A", "f", 1), Problem("B", "f", 2)])
    back = pickle.loads(pickle.dumps(err))
    assert back.problems == err.problems and str(back) == str(err)


def test_control_characters_from_files_are_escaped(tmp_path, capsys):
    assert escape_control("a\x1b[31mred\x07") == "a\\x1b[31mred\\x07"
    p = write(tmp_path, "evil.csv", "id,lon,lat\n\x1b[2J\x07boom,abc,-6.2\n")
    assert main(["check", str(p), "--data-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err


def test_reader_messages_exist_in_both_languages(tmp_path):
    with pytest.raises(InputError) as e:
        read_sites(write(tmp_path, "s.csv", "id,lon,lat\n1,abc,-6.2\n"))
    assert e.value.render("id").endswith("'abc' bukan angka") and e.value.render("en").endswith("'abc' is not a number")


def _shapefile(tmp_path, names, encoding, cpg=False):
    gdf = gpd.GeoDataFrame({"NAMOBJ": names}, geometry=[Point(106.85 + i / 1000, -6.18) for i in range(len(names))],
                           crs=4326)
    path = tmp_path / "ibadah.shp"
    gdf.to_file(path, encoding=encoding)
    if not cpg:
        path.with_suffix(".cpg").unlink(missing_ok=True)
    return path


NAMES = ["Musholla Al\u2019Mu\u2019minin", "Gereja St. Yosef \u2013 Matraman", "Pura Ad\u00ed Dharma"]


def test_cp1252_dbf_without_cpg_is_read_as_cp1252_with_a_warning(tmp_path):
    path = _shapefile(tmp_path, NAMES, "cp1252")
    path.with_suffix(".dbf").write_bytes(_with_ldid(path.with_suffix(".dbf").read_bytes(), 0))
    notes = []
    assert dbf_encoding(path, on_warning=notes.append) == "cp1252" and "Windows-1252" in notes[0]
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        s = read_sites(path, id_col="NAMOBJ")
    assert list(s["site_id"]) == NAMES


def _with_ldid(data: bytes, ldid: int) -> bytes:
    return data[:29] + bytes([ldid]) + data[30:]


def test_utf8_dbf_without_cpg_is_utf8_and_the_language_byte_is_used(tmp_path):
    path = _shapefile(tmp_path, NAMES, "utf-8")
    assert dbf_encoding(path) == "UTF-8"
    assert list(read_sites(path, id_col="NAMOBJ")["site_id"]) == NAMES
    path = _shapefile(tmp_path, ["Mus\u0142a"], "cp1250")
    dbf = path.with_suffix(".dbf")
    dbf.write_bytes(_with_ldid(dbf.read_bytes(), 0xC8))  # dBASE language driver: Windows-1250
    assert dbf_encoding(path) == "cp1250"
    assert read_sites(path, id_col="NAMOBJ")["site_id"].iloc[0] == "Mus\u0142a"


def test_explicit_encoding_wins_and_is_checked(tmp_path):
    path = _shapefile(tmp_path, ["Mus\u0142a"], "cp1250")
    dbf = path.with_suffix(".dbf")
    dbf.write_bytes(_with_ldid(dbf.read_bytes(), 0))  # no language byte: detection would say cp1252
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        assert read_sites(path, id_col="NAMOBJ")["site_id"].iloc[0] != "Mus\u0142a"
    assert read_sites(path, id_col="NAMOBJ", encoding="cp1250")["site_id"].iloc[0] == "Mus\u0142a"
    with pytest.raises(InputError, match="unknown encoding 'klingon'"):
        read_sites(path, encoding="klingon")
