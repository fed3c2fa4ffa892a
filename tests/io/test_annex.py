"""The decree annex per kelurahan: XLSX read back by openpyxl and pandas, PDF rendered to PNG by poppler."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess

import numpy as np
import openpyxl
import pandas as pd
import pytest

from geozones.engine.compile import prepare
from geozones.io.annex import COLUMNS, AnnexMeta, annex_html, annex_pdf, annex_rows, annex_xlsx
from geozones.rules.model import Grant
from tests.conftest import ROOT

ISTIQLAL_KEL = "31.71.02.1001"  # Pasar Baru
JOHAR = (106.85600, -6.18300)
GRANT = Grant.model_validate({
    "id": "G-7", "lifts": ["R05-K"], "reference": "=HYPERLINK(\"http://x\")",
    "place": {"geometry": {"type": "Point", "coordinates": list(JOHAR)}, "radius": "15 m"},
    "window": {"start": "2024-10-01", "end": "2024-11-01"}, "granted_by": "KPU Kota Jakarta Pusat",
    "conditions": {"id": "ukuran maks. 1x5 m, <b>dilepas</b> 23 Nov", "en": "at most 1x5 m, removed 23 Nov"}})
META_KW = {"decree_no": "123/PL.02.4-Kpt/3171/2024", "decree_signed": dt.date(2024, 9, 20)}


@pytest.fixture(scope="module")
def prepared(jakpus_layers, jakpus_rules):
    return prepare(jakpus_layers, jakpus_rules)


@pytest.fixture(scope="module")
def rows(prepared):
    return annex_rows(prepared, grants=[GRANT])


def test_rows_list_places_streets_and_discretion_per_kelurahan(rows, prepared):
    assert list(rows.columns) == list(COLUMNS)
    pasar_baru = rows[rows["kode_kemendagri"] == ISTIQLAL_KEL]
    places = pasar_baru[pasar_baru["bagian"] == "tempat"]
    assert places["nama"].str.contains("Istiqlal").any()
    assert set(places.loc[places["nama"].str.contains("Istiqlal"), "rule_id"]) >= {"R01"}
    assert (rows["bagian"] == "jalan").any()
    streets = rows[rows["bagian"] == "jalan"]
    assert streets["nama"].str.contains("Thamrin").any()
    assert not streets.duplicated(["kode_kemendagri", "rule_id", "nama"]).any()
    grant = rows[rows["bagian"] == "diskresi"]
    assert set(grant["kelurahan"]) == {"Johar Baru"}
    assert grant.iloc[0]["surat"] == GRANT.reference and "dilepas" in grant.iloc[0]["syarat"]
    # every kelurahan listed belongs to the jurisdiction
    assert set(rows["kode_kemendagri"]) <= set(prepared.admin["kode_kemendagri"])
    one = annex_rows(prepared, grants=[GRANT], kelurahan=[ISTIQLAL_KEL])
    assert set(one["kode_kemendagri"]) == {ISTIQLAL_KEL}


def test_xlsx_opens_in_openpyxl_and_pandas_with_formulas_defused(rows, prepared):
    meta = AnnexMeta.of(prepared, **META_KW)
    data = annex_xlsx(rows, meta)
    path = ROOT / "tests" / "io" / "_annex_test.xlsx"
    try:
        path.write_bytes(data)
        wb = openpyxl.load_workbook(path)
        assert wb.sheetnames == ["lampiran", "sumber"]
        ws = wb["lampiran"]
        header = [c.value for c in ws[1]]
        assert header[:2] == ["Kode Kemendagri", "Kelurahan"] and header[-1] == "Nomor SK / Decree no."
        values = [c.value for row in ws.iter_rows(min_row=2) for c in row]
        assert "'" + GRANT.reference in values
        assert not any(isinstance(v, str) and v.startswith("=") for v in values)
        assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
        about = [c.value for c in wb["sumber"]["A"]]
        assert any(META_KW["decree_no"] in str(v) for v in about)
        assert any("OpenStreetMap" in str(v) for v in about)
        df = pd.read_excel(path, sheet_name="lampiran")
        assert len(df) == len(rows)
        assert set(df["Nomor SK / Decree no."]) == {META_KW["decree_no"]}
        assert set(df["Versi rule set / Rule-set version"]) == {f"{prepared.ruleset.id} {prepared.ruleset.version}"}
    finally:
        path.unlink(missing_ok=True)


def test_html_escapes_every_value(rows, prepared):
    text = annex_html(rows, AnnexMeta.of(prepared, **META_KW))
    assert "<b>dilepas</b>" not in text and "&lt;b&gt;dilepas&lt;/b&gt;" in text


def test_pdf_first_page_renders(rows, prepared, tmp_path):
    if not shutil.which("pdftoppm"):
        pytest.fail("poppler-utils (pdftoppm, pdftotext) is required: apt-get install poppler-utils")
    pdf = annex_pdf(rows[rows["kode_kemendagri"].isin([ISTIQLAL_KEL, "31.71.08.1001"])],
                    AnnexMeta.of(prepared, **META_KW))
    assert pdf.startswith(b"%PDF")
    path = tmp_path / "annex.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(path), str(tmp_path / "p")],
                   check=True)
    png = next(tmp_path.glob("p*.png"))
    from PIL import Image

    with Image.open(png) as im:
        assert im.width > im.height  # A4 landscape
        gray = im.convert("L")
        dark = int((np.asarray(gray) < 128).sum())
        assert dark > 0.005 * im.width * im.height  # text was drawn, not a blank page
    text = subprocess.run(["pdftotext", "-l", "1", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout
    assert "Pasar Baru" in text and "Istiqlal" in text
    assert META_KW["decree_no"] in text and prepared.ruleset.version in text
    assert "OpenStreetMap" in text
