"""`data import` on the files officials really have (issue 8.6, 8.8, 8.9, 8.10) and concurrent writers (13.6)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import zipfile

import geopandas as gpd
import pyogrio
import pytest
from shapely.geometry import Point

from geozones.cli import main
from geozones.core.errors import InputError
from geozones.sources import layerfiles
from geozones.sources.importer import import_file, normalise_code
from geozones.sources.layerfiles import STAGING_DIR, layer_lock, recover, write_layers
from geozones.sources.provenance import load, save_records
from tests.io.helpers import kml, point

KEL_MAP = {"kode_bps": "KD_BPS", "kode_kemendagri": "KD_DAGRI", "kelurahan": "NAMOBJ", "kode_bps_kec": "KD_BPS_KEC",
           "kode_kemendagri_kec": "KD_DAGRI_K", "kecamatan": "WADMKC", "kode_bps_kota": "KD_BPS_KOT",
           "kota": "WADMKK"}


def portal_kelurahan(shared_data, tmp_path, *, dagri=None):
    """The kelurahan layer as a portal shapefile gives it: codes stored as numbers, upper-case names."""
    ref = gpd.read_file(shared_data / "jakpus_kelurahan.geojson")
    out = gpd.GeoDataFrame({
        "KD_BPS": ref["kode_bps"].astype("int64"),
        "KD_DAGRI": dagri if dagri is not None else ref["kode_kemendagri"].str.replace(".", "").astype("int64"),
        "NAMOBJ": ref["kelurahan"].str.upper(), "KD_BPS_KEC": ref["kode_bps_kec"].astype("int64"),
        "KD_DAGRI_K": ref["kode_kemendagri_kec"].str.replace(".", "").astype("float64"),
        "WADMKC": ref["kecamatan"], "KD_BPS_KOT": ref["kode_bps_kota"].astype("int64"), "WADMKK": ref["kota"]},
        geometry=ref.geometry, crs=ref.crs)
    shp = tmp_path / "src" / "BATAS_KELURAHAN.shp"
    shp.parent.mkdir(exist_ok=True)
    pyogrio.write_dataframe(out, shp, driver="ESRI Shapefile")
    z = tmp_path / "portal.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for f in shp.parent.iterdir():
            zf.write(f, f.name)
    return z, ref


def test_numeric_codes_are_normalised_at_import_and_check_works(tmp_path, data_dir, shared_data, capsys):
    z, ref = portal_kelurahan(shared_data, tmp_path)
    res = import_file(z, layer="kelurahan", data_dir=data_dir, replace=True, mapping=KEL_MAP)
    assert res.loaded == len(ref)
    got = gpd.read_file(data_dir / "jakpus_kelurahan.geojson")
    assert sorted(got["kode_kemendagri"]) == sorted(ref["kode_kemendagri"])
    assert sorted(got["kode_kemendagri_kec"]) == sorted(ref["kode_kemendagri_kec"])
    assert sorted(got["kode_bps"]) == sorted(ref["kode_bps"])
    sites = tmp_path / "s.csv"
    sites.write_text("id,lon,lat,apk_type\nA,106.856,-6.183,spanduk\n", encoding="utf-8")
    out = tmp_path / "o.csv"
    assert main(["check", str(sites), "--data-dir", str(data_dir), "--out", str(out)]) == 0
    import pandas as pd

    row = pd.read_csv(out, comment="#", dtype=str).iloc[0]
    assert row["kode_kemendagri"] == "31.71.08.1001" and row["kode_bps"] == "3173040001"


def test_codes_that_cannot_be_normalised_are_refused_naming_the_field(tmp_path, data_dir, shared_data):
    bad = [31.7] * 44  # a float that lost its digits
    z, _ = portal_kelurahan(shared_data, tmp_path, dagri=bad)
    with pytest.raises(InputError) as e:
        import_file(z, layer="kelurahan", data_dir=data_dir, replace=True, mapping=KEL_MAP)
    assert "field 'kode_kemendagri'" in str(e.value) and "'31.7'" in str(e.value) and "99.99.99.9999" in str(e.value)
    assert "feature 1" in str(e.value)


@pytest.mark.parametrize("value,field,expect", [
    (3171071001, "kode_kemendagri", "31.71.07.1001"), ("31.71.07.1001", "kode_kemendagri", "31.71.07.1001"),
    (317107.0, "kode_kemendagri_kec", "31.71.07"), (3173010001.0, "kode_bps", "3173010001"),
    ("3173", "kode_bps_kota", "3173"), (None, "kode_bps", None)])
def test_normalise_code(value, field, expect):
    assert normalise_code(value, field) == expect


@pytest.mark.parametrize("value,field", [("317", "kode_bps_kota"), ("31.71.7", "kode_kemendagri_kec"),
                                         ("abc", "kode_bps")])
def test_bad_codes(value, field):
    with pytest.raises(ValueError):
        normalise_code(value, field)


def test_kml_extended_data_is_kept_on_import_and_map_works(tmp_path, data_dir):
    doc = kml([], folders={"Masjid": [point(106.8313, -6.1702, "Istiqlal", {"jenis": "masjid", "pengelola": "BPMI"})],
                           "Gereja": [point(106.8333, -6.1694, "Katedral", {"jenis": "gereja", "pengelola": "KAJ"})]})
    p = tmp_path / "mymaps.kml"
    p.write_text(doc, encoding="utf-8")
    res = import_file(p, layer="worship", data_dir=data_dir, mapping={"religion": "jenis"})
    assert res.loaded == 2
    got = gpd.read_file(data_dir / "jakpus_worship.geojson")
    assert list(got["jenis"]) == ["masjid", "gereja"] and list(got["religion"]) == ["masjid", "gereja"]
    assert list(got["pengelola"]) == ["BPMI", "KAJ"] and list(got["folder"]) == ["Masjid", "Gereja"]


def test_cp1252_shapefile_without_cpg_imports_clean_names(tmp_path, data_dir):
    names = ["Musholla Al\u2019Mu\u2019minin", "Gereja St. Yosef \u2013 Matraman"]
    gdf = gpd.GeoDataFrame({"NAMOBJ": names}, geometry=[Point(106.8565, -6.1835), Point(106.8675, -6.1795)], crs=4326)
    shp = tmp_path / "src" / "ibadah.shp"
    shp.parent.mkdir()
    gdf.to_file(shp, encoding="cp1252")
    shp.with_suffix(".cpg").unlink(missing_ok=True)
    dbf = shp.with_suffix(".dbf")
    dbf.write_bytes(dbf.read_bytes()[:29] + b"\x00" + dbf.read_bytes()[30:])
    z = tmp_path / "ibadah.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for f in shp.parent.iterdir():
            zf.write(f, f.name)
            zf.writestr(f"__MACOSX/._{f.name}", b"\x00\x05\x16\x07junk")  # and made on a Mac
    res = import_file(z, layer="worship", data_dir=data_dir)
    assert any("Windows-1252" in n for n in res.notes)
    assert sorted(gpd.read_file(data_dir / "jakpus_worship.geojson")["NAMOBJ"]) == sorted(names)


# --- concurrent writers (13.6) -----------------------------------------------------------------------------------

def test_a_second_writer_waits_then_is_refused_naming_the_holder(tmp_path):
    target = tmp_path / "jakpus_worship.geojson"
    code = ("import sys, time; from pathlib import Path; from geozones.sources.layerfiles import layer_lock\n"
            "with layer_lock(Path(sys.argv[1]), timeout=5):\n"
            "    print('ready', flush=True); time.sleep(3)\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(target)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        t0 = time.monotonic()
        with pytest.raises(InputError) as e, layer_lock(target, timeout=0.5):
            pass
        assert time.monotonic() - t0 < 3
        assert f"pid {proc.pid}" in str(e.value) and "jakpus_worship.geojson" in str(e.value)
    finally:
        proc.wait(30)
    with layer_lock(target, timeout=1):  # released when its holder ends
        pass


def _together(commands: list[list[str]], timeout: float = 240) -> list[subprocess.CompletedProcess]:
    """Start every command at once (separate processes, as separate officials would) and wait for all."""
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for cmd in commands]
    out = []
    for proc, cmd in zip(procs, commands, strict=True):
        stdout, stderr = proc.communicate(timeout=timeout)
        out.append(subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr))
    return out


def test_simultaneous_imports_are_serialised_and_none_is_lost(tmp_path, data_dir):
    paths = []
    for k in range(3):
        gdf = gpd.GeoDataFrame({"name": [f"Masjid {k}"]}, geometry=[Point(106.8313 + k / 1000, -6.1702)], crs=4326)
        p = tmp_path / f"w{k}.geojson"
        gdf.to_file(p)
        paths.append(p)
    runs = _together([[sys.executable, "-m", "geozones", "data", "import", str(p), "--layer", "worship",
                       "--data-dir", str(data_dir), "--replace", "--source", f"run{k}"]
                      for k, p in enumerate(paths)])
    assert all(r.returncode == 0 for r in runs), [r.stderr[-500:] for r in runs]
    doc = load(data_dir)
    rec = doc["files"]["jakpus_worship.geojson"]
    layer = gpd.read_file(data_dir / "jakpus_worship.geojson")
    # the layer holds what its current record says, and every run left a record
    assert layer["source"].iloc[0] == rec["sources"][0]["source"]
    tags = {h["sources"][0]["source"] for h in doc["history"] if h.get("file") == "jakpus_worship.geojson"}
    assert tags | {rec["sources"][0]["source"]} == {"run0", "run1", "run2"}
    previous = list((data_dir / ".previous").glob("jakpus_worship.*"))
    assert len(previous) == 2  # the two replaced versions are kept
    assert not list((data_dir / STAGING_DIR).iterdir()) and not list(data_dir.glob(".*.candidate.*"))


def test_provenance_never_loses_a_record_under_concurrent_writers(tmp_path):
    code = ("import sys; from geozones.sources.provenance import save_records; "
            "k = int(sys.argv[2]); save_records(sys.argv[1], {f'layer{k}.geojson': {'how': 'test', 'n': k}})")
    runs = _together([[sys.executable, "-c", code, str(tmp_path), str(k)] for k in range(20)])
    assert all(r.returncode == 0 for r in runs), [r.stderr[-500:] for r in runs if r.returncode]
    assert set(load(tmp_path)["files"]) == {f"layer{k}.geojson" for k in range(20)}


def test_a_crash_between_layer_and_provenance_is_completed_and_stale_temporaries_removed(tmp_path, monkeypatch):
    gdf = gpd.GeoDataFrame({"name": ["a"]}, geometry=[Point(106.83, -6.17)], crs=4326)
    target = tmp_path / "jakpus_worship.geojson"
    real_replace = os.replace
    calls = []

    def dying_replace(src, dst):
        calls.append(dst)
        if str(dst).endswith("provenance.json"):
            raise KeyboardInterrupt  # the process dies after the layer was replaced
        return real_replace(src, dst)

    monkeypatch.setattr(layerfiles.os, "replace", dying_replace)
    monkeypatch.setattr(layerfiles.shutil, "rmtree", lambda *a, **k: None)  # a killed process cleans nothing
    with pytest.raises(KeyboardInterrupt):
        write_layers({target: gdf}, replace=True, provenance={target.name: {"how": "test"}})
    monkeypatch.undo()
    assert target.exists() and not (tmp_path / "provenance.json").exists()
    dead = next((tmp_path / STAGING_DIR).iterdir())
    monkeypatch.setattr(layerfiles, "_alive", lambda pid: False)  # its writer has died
    junk = tmp_path / ".jakpus_worship.candidate.geojson"
    junk.write_text("{}")
    done = recover(tmp_path)
    assert any("completed provenance.json" in d for d in done)
    assert load(tmp_path)["files"]["jakpus_worship.geojson"]["how"] == "test"
    assert not dead.exists() and not junk.exists()


def test_uncommitted_stage_of_a_dead_writer_is_removed(tmp_path):
    stage = tmp_path / STAGING_DIR / "999999-abc"
    stage.mkdir(parents=True)
    (stage / "jakpus_worship.geojson").write_text("{}")
    recover(tmp_path)
    assert not stage.exists() and not (tmp_path / "jakpus_worship.geojson").exists()


def test_provenance_file_stays_valid_json(tmp_path):
    save_records(tmp_path, {"a.geojson": {"how": "x"}})
    assert json.loads((tmp_path / "provenance.json").read_text())["files"]["a.geojson"]["how"] == "x"
