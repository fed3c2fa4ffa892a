"""`geozones data coverage`: counts per kelurahan, data age, sources, gap flags."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import geopandas as gpd
import pytest
from shapely.geometry import Point, box

from geozones.cli import main
from geozones.core.errors import InputError
from geozones.sources.coverage import coverage


def _tiny_area(d):
    """Two kelurahan side by side; worship only in the west one, a parcel straddling the edge."""
    d.mkdir()
    kel = gpd.GeoDataFrame({
        "kode_bps": ["3173000001", "3173000002"], "kode_kemendagri": ["31.71.99.1001", "31.71.99.1002"],
        "kelurahan": ["Barat", "Timur"], "kode_bps_kec": ["3173000"] * 2, "kode_kemendagri_kec": ["31.71.99"] * 2,
        "kecamatan": ["Uji"] * 2, "kode_bps_kota": ["3173"] * 2, "kota": ["Kota Uji"] * 2},
        geometry=[box(106.80, -6.20, 106.81, -6.19), box(106.81, -6.20, 106.82, -6.19)], crs=4326)
    kel.to_file(d / "jakpus_kelurahan.geojson")
    worship = gpd.GeoDataFrame({"name": ["A", "B", "Edge"], "religion": ["muslim", "christian", "muslim"]},
                               geometry=[Point(106.801, -6.195), Point(106.802, -6.195),
                                         box(106.8095, -6.196, 106.8101, -6.195)], crs=4326)
    worship.to_file(d / "jakpus_worship.geojson")
    schools = gpd.GeoDataFrame({"name": ["S1", "S2"], "category_detail": ["school", "kindergarten"]},
                               geometry=[Point(106.815, -6.195), Point(106.803, -6.193)], crs=4326)
    schools.to_file(d / "jakpus_schools.geojson")
    return d


def test_counts_and_gaps_on_tiny_area(tmp_path):
    d = _tiny_area(tmp_path / "d")
    cov = coverage(data_dir=d, today=dt.date(2024, 11, 1))
    t = cov.kelurahan.set_index("kelurahan")
    # The edge parcel counts once, in the kelurahan holding most of it.
    assert t.loc["Barat", "n_worship"] == 3 and t.loc["Timur", "n_worship"] == 0
    assert t.loc["Barat", "worship.christian"] == 1 and t.loc["Barat", "worship.muslim"] == 2
    assert t.loc["Timur", "n_education"] == 1 and t.loc["Timur", "education.school"] == 1
    assert any((g.kind, g.layer, g.certainty, g.count) == ("none", "worship", "likely", 0)
               for g in t.loc["Timur", "gaps"])
    assert any(g.text("en") == "no place of worship in 'worship' (likely gap)" for g in t.loc["Timur", "gaps"])
    assert not any(g.layer == "worship" for g in t.loc["Barat", "gaps"])
    assert {(g.kelurahan, g.kode_kemendagri) for g in cov.gap_records} == {("Timur", "31.71.99.1002")}
    # The absent health layer is an area-wide note, not a gap of each kelurahan.
    assert list(cov.gaps["kelurahan"]) == ["Timur"]
    notes = " ".join(cov.notes)
    assert "'health' is absent" in notes and "R02" in notes and "'parks' is absent" in notes and "R08" in notes
    absent = {g.layer: g for g in cov.absent}
    assert absent["health"].kind == "absent" and "R02" in absent["health"].rules and "R08" in absent["parks"].rules
    assert "tidak diperiksa" in absent["health"].text("id") and "R02" in absent["health"].text("id")
    layers = cov.layers.set_index("layer")
    assert layers.loc["kelurahan", "age_days"] == (dt.date(2024, 11, 1) - dt.date(2020, 4, 1)).days


def test_counts_match_an_independent_spatial_join(tmp_path, shared_data):
    d = tmp_path / "d"
    d.mkdir()
    for f in ("jakpus_kelurahan.geojson", "jakarta_kota.geojson", "jakpus_schools.geojson",
              "jakpus_worship.geojson", "jakpus_health.geojson"):
        shutil.copy(shared_data / f, d / f)
    cov = coverage(data_dir=d)
    kel = gpd.read_file(d / "jakpus_kelurahan.geojson")
    sch = gpd.read_file(d / "jakpus_schools.geojson")
    pts = sch[["geometry"]].set_geometry(sch.geometry.representative_point())
    joined = gpd.sjoin(pts, kel[["kode_kemendagri", "geometry"]], predicate="within")
    expected = joined.groupby("kode_kemendagri").size()
    got = cov.kelurahan.set_index("kode_kemendagri")["n_education"]
    assert got.sum() == expected.sum() and got.sum() > 100
    assert (got.reindex(expected.index) == expected).all()
    zero = set(got.index[got == 0])
    flagged = {g.kode_kemendagri for g in cov.gap_records if (g.kind, g.layer) == ("none", "education")}
    assert flagged == zero and zero


def test_data_age_comes_from_provenance(tmp_path, upstream_dir):
    d = tmp_path / "d"
    assert main(["data", "fetch", "--kota", "3173", "--mirror", str(upstream_dir), "--data-dir", str(d),
                 "--cache-dir", str(tmp_path / "c")]) == 0
    cov = coverage(data_dir=d, today=dt.date(2025, 4, 1))
    row = cov.layers.set_index("layer").loc["kelurahan"]
    assert row["data_date"] == "2020-04-01" and row["source"].startswith("geozones data fetch")


def test_cli_writes_csv_and_json(tmp_path, capsys):
    d = _tiny_area(tmp_path / "d")
    assert main(["data", "coverage", "--data-dir", str(d), "--out", str(tmp_path / "c.json")]) == 0
    out = capsys.readouterr().out
    assert "Timur" in out and "likely gap" in out and "kemungkinan besar celah" in out
    doc = json.loads((tmp_path / "c.json").read_text())
    assert {k["kelurahan"] for k in doc["kelurahan"]} == {"Barat", "Timur"}
    records = [r for r in doc["gap_records"] if r["layer"] == "worship"]
    got = [(r["kind"], r["kelurahan"], r["count"], r["certainty"]) for r in records]
    assert got == [("none", "Timur", 0, "likely")]
    assert records[0]["text_id"] == "tidak ada tempat ibadah di 'worship' (kemungkinan besar celah)"
    assert {r["layer"] for r in doc["absent"]} >= {"health", "parks"}
    assert main(["data", "coverage", "--data-dir", str(d), "--out", str(tmp_path / "c.csv")]) == 0
    header = (tmp_path / "c.csv").read_text().splitlines()[0]
    assert "n_worship" in header and "gaps" in header and "celah" in header


def test_no_boundaries_is_a_clear_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="geozones data fetch"):
        coverage(data_dir=tmp_path / "empty")


def test_absent_layers_name_the_rules_of_a_loaded_rule_set(tmp_path):
    """A rule set served without a file (the store's) names what an absent layer leaves unchecked."""
    from geozones.rules.model import DEFAULT_RULES, load_ruleset

    d = _tiny_area(tmp_path / "d")
    rs = load_ruleset(DEFAULT_RULES)
    reading_tps = rs.rules_by_layer()["tps"]
    cov = coverage(data_dir=d, rules=rs, today=dt.date(2024, 11, 1))
    absent = {g.layer: g.rules for g in cov.absent}
    assert absent["tps"] == tuple(reading_tps)
    # the object itself is read, not the default file: without its tps rules nothing is named
    without = rs.model_copy(update={"rules": [r for r in rs.rules if r.layer != "tps"]})
    absent = {g.layer: g.rules for g in coverage(data_dir=d, rules=without, today=dt.date(2024, 11, 1)).absent}
    assert absent["tps"] == ()
    with pytest.raises(InputError):
        coverage(data_dir=d, rules=tmp_path / "store:x@1")  # a key is not a file
