"""Exports of a published version (issue 10 §7): YAML, zones as GeoJSON and GeoPackage, the decree annex as XLSX
and PDF, each read back (yaml, pyogrio/geopandas, openpyxl, pdftotext) and checked against the stored version."""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess

import geopandas as gpd
import openpyxl
import pyogrio
import pytest
import shapely
import yaml

from geozones.core.errors import InputError
from geozones.core.time import WIB
from geozones.services import drafts, grants, rulesets
from geozones.services.authz import Forbidden
from geozones.services.version_exports import EXPORT_FORMATS, export_version, version_zones
from tests.store.stacked import JP_ID, JP_TEXT, import_parents

#: A spot in Johar Baru no rule matches; a park is drawn around it.
PARK_XY = (106.85493, -6.187064)
#: A point on a candidate protocol road in Gambir (R05-K, R15 ask for discretion there).
ROAD_XY = (106.820072, -6.163501)
DECREE = "SK 200/PL.02.4-Kpt/3171/2024"
LETTER = "Surat KPU Jakpus 77/2024"


def _square(x: float, y: float, d: float = 0.0003) -> dict:
    return {"type": "Polygon", "coordinates": [[[x - d, y - d], [x + d, y - d], [x + d, y + d], [x - d, y + d],
                                                [x - d, y - d]]]}


@pytest.fixture
def published(store, people, shared_data):
    """The stack imported, a park drawn for R08 on a new Jakarta Pusat draft, published; a grant on a road."""
    import_parents(store, people["admin"])
    rulesets.import_ruleset(store, people["admin"], JP_TEXT)
    d = drafts.new_draft(store, people["kpu_editor"], JP_ID, reason="taman baru")
    d, ids, _ = drafts.add_zones(store, people["kpu_editor"], d.id,
                                 [drafts.ZoneInput(_square(*PARK_XY), "Taman <Johar> =uji", category="taman")],
                                 "R08", source="digambar oleh / drawn by kpu_editor1", reason="survei",
                                 data_dir=shared_data)
    v = rulesets.publish(store, people["kpu_publisher"], d.id, d.row_version, decree_no=DECREE,
                         signed_on=dt.date(2024, 10, 14),
                         effective_from=dt.datetime(2024, 10, 15, tzinfo=WIB), reason="SK taman")
    g = grants.request_grant(store, people["kpu_editor"], JP_ID, {
        "id": "D-9", "lifts": ["R05-K", "R15"],
        "place": {"geometry": {"type": "Point", "coordinates": list(ROAD_XY)}, "radius": "15 m"},
        "window": {"start": "2024-10-01T00:00:00+07:00", "end": "2024-11-01T00:00:00+07:00"},
        "reference": "-", "granted_by": "KPU Kota Jakarta Pusat"}, reason="permohonan")
    grants.decide_grant(store, people["kpu_publisher"], g.id, g.row_version, "granted", reference=LETTER,
                        conditions={"id": "maks. 1x5 m", "en": "at most 1x5 m"}, reason="setuju")
    return store, v, ids


def test_yaml_carries_decree_and_parses_as_the_stored_text(published, people, shared_data):
    store, v, _ = published
    out = export_version(store, people["public"], JP_ID, v.version, "yaml", data_dir=shared_data)
    text = out.data.decode("utf-8")
    stored = rulesets.get_version(store, people["public"], JP_ID, v.version)
    assert text.endswith(stored.yaml_text)
    assert yaml.safe_load(text) == yaml.safe_load(stored.yaml_text)
    head = text[: len(text) - len(stored.yaml_text)]
    assert stored.decree_no in head and stored.sha256 in head and f"{JP_ID} versi / version {v.version}" in head
    assert out.filename == f"{JP_ID}-{v.version}.yaml" and out.mime == EXPORT_FORMATS["yaml"][1]


def test_geojson_zones_and_metadata_match_the_store(published, people, shared_data):
    store, v, ids = published
    out = export_version(store, people["paslon"], JP_ID, v.version, "geojson", data_dir=shared_data)
    data = json.loads(out.data)
    _, zones = version_zones(store, people["public"], JP_ID, v.version, data_dir=shared_data)
    stored = rulesets.get_version(store, people["public"], JP_ID, v.version)
    assert data["metadata"]["decree_no"] == stored.decree_no and data["metadata"]["version"] == stored.version
    assert data["metadata"]["effective_from"] == stored.effective_from.isoformat()
    assert data["attribution"] == out.attribution and any("OpenStreetMap" in a for a in out.attribution)
    assert stored.decree_no in data["attribution"][0]
    gdf = gpd.read_file(io.BytesIO(out.data))
    assert len(gdf) == len(zones) and set(ids) <= set(gdf["zone_id"])
    park = gdf[gdf["zone_id"] == ids[0]].iloc[0]
    assert park["rule_id"] == "R08" and park["name"] == "Taman <Johar> =uji" and park["layer"] == "parks"
    assert park["decree_no"] == stored.decree_no and park["version"] == stored.version
    want = zones.set_index("zone_id").loc[ids[0], "geometry"]
    assert shapely.equals_exact(shapely.normalize(park.geometry), shapely.normalize(want), tolerance=1e-9)


def test_gpkg_opens_with_zones_and_a_metadata_table(published, people, shared_data, tmp_path):
    store, v, _ = published
    out = export_version(store, people["public"], JP_ID, v.version, "gpkg", data_dir=shared_data)
    path = tmp_path / out.filename
    path.write_bytes(out.data)
    names = {row[0] for row in pyogrio.list_layers(path)}
    assert {"zones", "metadata"} <= names
    _, zones = version_zones(store, people["public"], JP_ID, v.version, data_dir=shared_data)
    gdf = gpd.read_file(path, layer="zones")
    assert gdf.crs.to_epsg() == 4326 and sorted(gdf["zone_id"]) == sorted(zones["zone_id"])
    meta = dict(pyogrio.read_dataframe(path, layer="metadata", read_geometry=False)[["key", "value"]].values)
    stored = rulesets.get_version(store, people["public"], JP_ID, v.version)
    assert meta["decree_no"] == stored.decree_no and meta["version"] == stored.version
    assert meta["attribution"] == " | ".join(out.attribution)
    info = pyogrio.read_info(path, layer="zones")
    assert info["layer_metadata"]["decree_no"] == stored.decree_no


def test_annex_xlsx_lists_the_drawn_park_and_the_grant(published, people, shared_data):
    store, v, ids = published
    out = export_version(store, people["public"], JP_ID, v.version, "annex-xlsx", data_dir=shared_data)
    wb = openpyxl.load_workbook(io.BytesIO(out.data))
    ws = wb["lampiran"]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    header, body = rows[0], rows[1:]
    col = {h: i for i, h in enumerate(header)}
    stored = rulesets.get_version(store, people["public"], JP_ID, v.version)
    assert {r[col["Nomor SK / Decree no."]] for r in body} == {stored.decree_no}
    assert {r[col["Versi rule set / Rule-set version"]] for r in body} == {f"{JP_ID} {stored.version}"}
    _, zones = version_zones(store, people["public"], JP_ID, v.version, data_dir=shared_data)
    name = zones.set_index("zone_id").loc[ids[0], "name"]
    park = [r for r in body if r[col["Nama tempat atau jalan / Place or street"]] == name]
    assert park and {r[col["Kelurahan"]] for r in park} == {"Johar Baru"}
    assert {r[col["Aturan / Rule"]] for r in park} == {"R08"} and park[0][col["Lapisan / Layer"]] == "parks"
    grant = [r for r in body if r[col["Bagian / Section"]] == "diskresi"]
    assert grant and grant[0][col["Nomor surat / Letter no."]] == LETTER
    assert "1x5" in grant[0][col["Syarat / Conditions"]]
    about = [c.value for c in wb["sumber"]["A"]]
    assert any(stored.decree_no in str(x) for x in about)
    assert all(any(a in str(x) for x in about) for a in out.attribution)


# SQLite only: the annex reads the store as the XLSX test does on both backends; rendering takes ~30 s.
@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_annex_pdf_has_the_decree_in_every_page_footer(published, people, shared_data, tmp_path):
    store, v, _ = published
    out = export_version(store, people["public"], JP_ID, v.version, "annex-pdf", data_dir=shared_data)
    path = tmp_path / out.filename
    path.write_bytes(out.data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    pages = [p for p in text.split("\f") if p.strip()]
    stored = rulesets.get_version(store, people["public"], JP_ID, v.version)
    assert pages and all(stored.decree_no in " ".join(p.split()) for p in pages)
    flat = " ".join(text.split())
    assert "Johar Baru" in flat and "Taman <Johar> =uji" in flat and LETTER in flat
    assert any(a.split(",")[0] in flat for a in out.attribution if "OpenStreetMap" in a)


def test_drafts_export_only_for_rule_editors(store, people, shared_data):
    import_parents(store, people["admin"])
    rulesets.import_ruleset(store, people["admin"], JP_TEXT)
    d = drafts.new_draft(store, people["kpu_editor"], JP_ID, reason="uji")
    for role in ("public", "paslon", "bawaslu", "admin"):
        with pytest.raises(Forbidden):
            export_version(store, people[role], JP_ID, d.version, "geojson", data_dir=shared_data)
    out = export_version(store, people["kpu_editor"], JP_ID, d.version, "yaml", data_dir=shared_data)
    assert "belum ditetapkan / not yet decreed" in out.data.decode("utf-8").split("\n# sha256")[0]
    with pytest.raises(InputError, match="shp"):
        export_version(store, people["kpu_editor"], JP_ID, d.version, "shp")
    with pytest.raises(InputError, match=r"9\.9"):
        export_version(store, people["public"], JP_ID, "9.9", "yaml")
