"""The command line: outputs, exit codes, and clear errors without tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest

from geozones.cli import main
from geozones.io.exports import write_table

SITES = """id,lon,lat,apk_type,paslon,installed_at
istiqlal,106.83109,-6.17025,spanduk,1,2024-10-01T08:00
thamrin,106.8229,-6.1880,billboard,2,
jaksel,106.8000,-6.2600,spanduk,1,
johar,106.8560,-6.1830,spanduk,1,
"""


@pytest.fixture
def env(shared_data, monkeypatch):
    monkeypatch.setenv("GEOZONES_DATA_DIR", str(shared_data))
    return shared_data


@pytest.fixture
def sites_csv(tmp_path):
    p = tmp_path / "sites.csv"
    p.write_text(SITES, encoding="utf-8")
    return p


def run_cli(*args, env_extra=None):
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "geozones", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=120)


def test_check_writes_csv_with_the_required_columns(env, sites_csv, tmp_path, capsys):
    out = tmp_path / "out.csv"
    assert main(["check", str(sites_csv), "--at", "2024-10-15T10:00", "--out", str(out)]) == 0
    raw = out.read_bytes()
    assert raw.startswith(b"site_id,")  # plain RFC 4180: header first, no BOM, no comment lines
    meta = json.loads((tmp_path / "out.csv-metadata.json").read_text(encoding="utf-8"))
    assert meta["url"] == "out.csv"
    assert meta["dc:source"][0].startswith("Rule set / aturan: dki-jakarta-pusat-pilkada-2024")
    src = " ".join(meta["dc:source"])
    assert "© OpenStreetMap contributors, ODbL" in src and "CC BY-IGO" in src
    df = pd.read_csv(out, dtype=str)
    for col in ["site_id", "lon", "lat", "verdict", "kode_kemendagri", "kode_bps", "kelurahan", "kecamatan",
                "rule_ids", "reasons", "nearest_m"]:
        assert col in df.columns
    v = dict(zip(df["site_id"], df["verdict"], strict=True))
    assert v == {"istiqlal": "FORBIDDEN", "thamrin": "FORBIDDEN", "jaksel": "OUTSIDE_AREA",
                 "johar": "NEEDS_OWNER_CONSENT"}
    assert "Masjid Istiqlal" in df.set_index("site_id").loc["istiqlal", "reasons"]
    err = capsys.readouterr().err
    assert "Ringkasan (4 titik)" in err and "R13 (kpu_points)" in err


def test_check_output_reads_back_as_sites(env, sites_csv, tmp_path):
    from geozones.io.sites import read_sites

    out = tmp_path / "out.csv"
    assert main(["check", str(sites_csv), "--out", str(out)]) == 0
    again = read_sites(out)
    assert list(again["site_id"]) == ["istiqlal", "thamrin", "jaksel", "johar"]


@pytest.mark.parametrize("fmt", ["geojson", "gpkg"])
def test_check_vector_outputs(env, sites_csv, tmp_path, fmt):
    out = tmp_path / f"out.{fmt}"
    assert main(["check", str(sites_csv), "--at", "2024-10-15", "--out", str(out), "--lang", "en"]) == 0
    gdf = gpd.read_file(out)
    assert len(gdf) == 4 and gdf.crs.to_epsg() == 4326
    assert gdf.set_index("site_id").loc["istiqlal", "verdict"] == "FORBIDDEN"
    # compact by default: rule, feature, distance; the rule's title and legal basis once, in the metadata
    assert "R01 inside 'Masjid Istiqlal'" in gdf.set_index("site_id").loc["istiqlal", "reasons"]
    if fmt == "geojson":
        data = json.loads(out.read_text(encoding="utf-8"))
        assert any("OpenStreetMap" in a for a in data["attribution"])
        legend = data["legend"]
    else:
        meta = pyogrio.read_info(out)["dataset_metadata"]
        assert "OpenStreetMap" in meta["attribution"]
        legend = json.loads(meta["legend"])
    r01 = next(r for r in legend["rules"] if r["id"] == "R01")
    assert r01["title"]["en"].startswith("Place of worship") and r01["legal_basis"]
    full = tmp_path / f"full.{fmt}"
    assert main(["check", str(sites_csv), "--at", "2024-10-15", "--out", str(full), "--lang", "en",
                 "--reasons", "full"]) == 0
    assert "Place of worship" in gpd.read_file(full).set_index("site_id").loc["istiqlal", "reasons"]


def test_vector_sites_input(env, tmp_path):
    gdf = gpd.GeoDataFrame({"id": ["a"], "apk_type": ["spanduk"]},
                           geometry=gpd.points_from_xy([106.83109], [-6.17025]), crs=4326)
    src = tmp_path / "sites.gpkg"
    gdf.to_file(src)
    out = tmp_path / "o.csv"
    assert main(["check", str(src), "--out", str(out)]) == 0
    assert pd.read_csv(out, comment="#")["verdict"].iloc[0] == "FORBIDDEN"


@pytest.mark.parametrize("content,expect", [
    ("id,lon,lat\n1,abc,-6.2\n", "row 1, field 'lon': 'abc' bukan angka / 'abc' is not a number"),
    ("id,lon,lat\n1,-6.17,106.83\n", "look swapped"),
    ("id,x1,y1\n1,2,3\n", "no longitude"),
    ("", "file is empty"),
])
def test_bad_sites_exit_2_without_traceback(env, tmp_path, content, expect):
    p = tmp_path / "bad.csv"
    p.write_text(content, encoding="utf-8")
    r = run_cli("check", p)
    assert r.returncode == 2
    assert expect in r.stderr and "bad.csv" in r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""


def _stack_with_bad_base(tmp_path, edit):
    """The Jakarta Pusat stack copied to ``tmp_path`` with its national base edited (R01-R04 live there)."""
    from geozones.rules.model import RULES_DIR
    from tests.conftest import DEFAULT_RULES

    for name in ("dki-jakarta-pilkada-2024.yaml", DEFAULT_RULES.name):
        (tmp_path / name).write_text((RULES_DIR / name).read_text(encoding="utf-8"), encoding="utf-8")
    base = (RULES_DIR / "nasional-pilkada-2024.yaml").read_text(encoding="utf-8")
    (tmp_path / "nasional-pilkada-2024.yaml").write_text(edit(base), encoding="utf-8")
    return tmp_path / DEFAULT_RULES.name


def test_bad_rule_set_exit_2(env, sites_csv, tmp_path):
    bad = _stack_with_bad_base(tmp_path, lambda text: text.replace("distance: 10 m", "distance: 10", 1)
                               .replace("layer: health", "layer: hospitals", 1))
    r = run_cli("check", sites_csv, "--rules", bad)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "rule R01-H, field 'spatial.distance'" in r.stderr and "has no unit" in r.stderr
    r = run_cli("rules", "validate", bad)
    assert r.returncode == 2 and "rule R01-H" in r.stderr


def test_unknown_layer_in_rule_set(env, tmp_path):
    bad = _stack_with_bad_base(tmp_path, lambda text: text.replace("layer: health", "layer: hospitals", 1))
    r = run_cli("rules", "validate", bad)
    assert r.returncode == 2 and "rule R02, field 'layer': layer 'hospitals' tidak dikenal" in r.stderr
    assert "/ unknown layer 'hospitals'" in r.stderr


def test_usage_errors_exit_2():
    r = run_cli("check")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    r = run_cli("check", "x.csv", "--format", "pdf")
    assert r.returncode == 2
    r = run_cli("frobnicate")
    assert r.returncode == 2


def test_bad_at_and_out_extension(env, sites_csv, tmp_path):
    r = run_cli("check", sites_csv, "--at", "besok pagi")
    assert r.returncode == 2 and "besok pagi" in r.stderr
    r = run_cli("check", sites_csv, "--out", tmp_path / "o.pdf")
    assert r.returncode == 2 and "--format" in r.stderr


def test_missing_kelurahan_layer_is_explained(sites_csv, tmp_path):
    r = run_cli("check", sites_csv, "--data-dir", tmp_path / "empty")
    assert r.returncode == 2 and "kelurahan" in r.stderr and "geozones data fetch" in r.stderr


def test_rules_show_schema_and_data_info(env, tmp_path, capsys):
    assert main(["rules", "show", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "R01" in out and "Place of worship" in out and "PKPU 13/2024" in out
    schema = tmp_path / "schema.json"
    assert main(["rules", "schema", "--out", str(schema)]) == 0
    assert json.loads(schema.read_text())["title"] == "geozones rule set"
    assert main(["data", "info"]) == 0
    out = capsys.readouterr().out
    assert "ok       kelurahan" in out and "MISSING  tps" in out and "EPSG:32748" in out
    assert "CC BY-IGO" in out and "OpenStreetMap" in out


def test_python_dash_m_and_console_script_agree(env):
    r = run_cli("--version")
    assert r.returncode == 0 and r.stdout.startswith("geozones ")


def test_failed_write_leaves_previous_file(tmp_path, monkeypatch):
    out = tmp_path / "o.gpkg"
    out.write_bytes(b"previous")

    real_write = Path.write_bytes

    def half_then_fail(self, data):
        real_write(self, data[: len(data) // 2])
        raise OSError("disk full")

    monkeypatch.setattr(Path, "write_bytes", half_then_fail)
    table = gpd.GeoDataFrame({"site_id": ["a"], "judged_at": [pd.Timestamp("2024-10-01", tz="Asia/Jakarta")],
                              "reasons_id": ["x"], "reasons_en": ["x"]},
                             geometry=gpd.points_from_xy([1], [1]), crs=4326)
    from geozones.core.errors import InputError

    with pytest.raises(InputError, match="disk full"):
        write_table(table, out, "gpkg", attribution=[])
    assert out.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["o.gpkg"]
    monkeypatch.undo()
    write_table(table, out, "csv", attribution=["Data: test"])
    assert out.read_bytes().startswith(b"site_id,")
    assert json.loads((tmp_path / "o.gpkg-metadata.json").read_text())["dc:source"] == ["Data: test"]


def test_csv_to_stdout(env, sites_csv, capsys):
    assert main(["check", str(sites_csv)]) == 0
    out = capsys.readouterr().out
    df = pd.read_csv(StringIO(out), comment="#")
    assert len(df) == 4
