"""``geozones rules export ID@V --format ...``: exports for publication through the CLI (issue 10 §7)."""

from __future__ import annotations

import json

import geopandas as gpd
import openpyxl
import pyogrio
import shapely
import shapely.geometry
import yaml

from tests.cli.test_kpu_flow import PARK_XY, RID, _geojson, _square, cli  # noqa: F401
from tests.store.backends import store_url  # noqa: F401


def _publish_park(cli, tmp_path) -> tuple[str, dict]:  # noqa: F811
    code, out, err = cli("draft", "new", RID, "--reason", "taman", user="ed")
    assert code == 0, err
    draft = out.strip().splitlines()[-1]
    geom = {"type": "Polygon", "coordinates": _square(*PARK_XY)}
    park = _geojson(tmp_path / "park.geojson", geom)
    assert cli("draft", "add-zone", draft, park, "--rule", "R08", "--reason", "survei", user="ed")[0] == 0
    return draft, geom


def test_export_formats_carry_version_and_decree(cli, tmp_path):  # noqa: F811
    draft, geom = _publish_park(cli, tmp_path)
    # a draft: refused to the public (exit 2, no file), given to its editor
    code, _, err = cli("rules", "export", draft, "--format", "geojson", "--out", tmp_path / "d.geojson")
    assert code == 2 and "only rule editors" in err and not (tmp_path / "d.geojson").exists()
    code, _, err = cli("rules", "export", draft, "--format", "geojson", "--out", tmp_path / "d.geojson", user="ed")
    assert code == 0, err
    assert json.loads((tmp_path / "d.geojson").read_text())["metadata"]["status"] == "draft"

    assert cli("draft", "submit", draft, "--reason", "siap", user="ed")[0] == 0
    code, _, err = cli("draft", "publish", draft, "--decree", "SK 201/2024", "--signed", "2024-10-14",
                       "--effective-from", "2024-10-15", "--reason", "SK taman", user="pub")
    assert code == 0, err
    code, hist, _ = cli("rules", "history", RID)
    line = next(x.split("\t") for x in hist.splitlines() if x.startswith(draft.split("@")[1] + "\t"))
    version, status, decree = line[0], line[1], line[2]
    assert status == "published"

    # YAML: the stored text (as `rules export` without --format writes it) under a header naming the decree
    assert cli("rules", "export", draft, "--out", tmp_path / "raw.yaml")[0] == 0
    assert cli("rules", "export", draft, "--format", "yaml", "--out", tmp_path / "pub.yaml")[0] == 0
    raw, pub = (tmp_path / "raw.yaml").read_text(), (tmp_path / "pub.yaml").read_text()
    assert pub.endswith(raw) and decree in pub[: len(pub) - len(raw)]
    assert yaml.safe_load(pub) == yaml.safe_load(raw) and yaml.safe_load(pub)["version"] == version

    for fmt, name in (("geojson", "z.geojson"), ("gpkg", "z.gpkg")):
        code, out, err = cli("rules", "export", draft, "--format", fmt, "--out", tmp_path / name)
        assert code == 0, err
        assert decree in out
        zones = gpd.read_file(tmp_path / name, layer="zones" if fmt == "gpkg" else None)
        park = zones[zones["rule_id"] == "R08"]
        assert len(park) == 1 and set(zones["decree_no"]) == {decree} and set(zones["version"]) == {version}
        assert shapely.equals_exact(shapely.normalize(park.geometry.iloc[0]),
                                    shapely.normalize(shapely.geometry.shape(geom)), tolerance=1e-9)
    meta = dict(pyogrio.read_dataframe(tmp_path / "z.gpkg", layer="metadata", read_geometry=False)[
        ["key", "value"]].values)
    assert meta["decree_no"] == decree and "OpenStreetMap" in meta["attribution"]

    code, _, err = cli("rules", "export", draft, "--format", "annex-xlsx", "--out", tmp_path / "a.xlsx")
    assert code == 0, err
    wb = openpyxl.load_workbook(tmp_path / "a.xlsx", read_only=True)
    rows = list(wb["lampiran"].iter_rows(values_only=True))
    col = {h: i for i, h in enumerate(rows[0])}
    assert {r[col["Nomor SK / Decree no."]] for r in rows[1:]} == {decree}
    names = {r[col["Nama tempat atau jalan / Place or street"]] for r in rows[1:]
             if r[col["Kelurahan"]] == "Johar Baru"}
    assert "Taman Johar Baru (uji)" in names


def test_unknown_format_and_missing_folder_are_refused(cli, tmp_path):  # noqa: F811
    code, _, err = cli("rules", "export", RID, "--format", "shp", "--out", tmp_path / "x.shp")
    assert code == 2 and "shp" in err
    code, _, err = cli("rules", "export", RID, "--format", "yaml", "--out", tmp_path / "nope" / "x.yaml")
    assert code == 2 and "does not exist" in err and "Traceback" not in err
    out = tmp_path / "n.xlsx"
    code, _, err = cli("rules", "export", "nasional-pilkada-2024", "--format", "annex-xlsx", "--out", out)
    assert code == 2 and "national level" in err and "Traceback" not in err and not out.exists()
