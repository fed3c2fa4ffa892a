"""The case annex's layout: any text survives the XLSX as text (never a formula) and is escaped in the HTML."""

from __future__ import annotations

import html
import io

import openpyxl
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geozones.io.case_annex import ANNEX_COLUMNS, CaseAnnexMeta, annex_frame, case_annex_html, case_annex_xlsx
from geozones.io.exports import defuse

_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30) | st.sampled_from(
    ["=1+1", "+62 812", "-5", "@SUM(A1)", "<script>alert(1)</script>", "31.71.02.1001", "0012"])
# every annex line has a case number; the other cells may hold anything a user typed
_ROW = st.fixed_dictionaries({k: st.integers(1, 10**6).map(str) if k == "case_id" else _TEXT for k in ANNEX_COLUMNS})


def _meta(**kw) -> CaseAnnexMeta:
    return CaseAnnexMeta(by="kecamatan", rulesets=["rs@1"], attribution=["© OpenStreetMap contributors, ODbL"], **kw)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_ROW, min_size=0, max_size=4))
def test_every_cell_reads_back_as_defused_text(rows):
    table = annex_frame(rows)
    wb = openpyxl.load_workbook(io.BytesIO(case_annex_xlsx(table, _meta())))
    ws = wb["lampiran"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref.startswith("A1:")
    got = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(got) == len(rows)
    for want, line in zip(rows, got, strict=True):
        for key, value in zip(ANNEX_COLUMNS, line, strict=True):
            # a cell's line break is LF (XML reads a lone CR as LF)
            expected = defuse(want[key].replace("\r\n", "\n").replace("\r", "\n"))
            assert (value or "") == expected  # openpyxl gives None for an empty cell
            assert not str(value or "").startswith("=")
    # pandas with default options sees the same text
    df = pd.read_excel(io.BytesIO(case_annex_xlsx(table, _meta())), sheet_name="lampiran", dtype=str,
                       keep_default_na=False)
    assert list(df[ANNEX_COLUMNS["case_id"]]) == [r["case_id"] for r in rows]


@settings(max_examples=40, deadline=None)
@given(st.lists(_ROW, min_size=1, max_size=4))
def test_html_escapes_every_value(rows):
    table = annex_frame(rows)
    doc = case_annex_html(table, _meta())
    for r in rows:
        for key in ("kelurahan", "letter", "order", "dasar_hukum"):
            if r[key].strip():
                assert html.escape(r[key]) in doc
    assert "<script" not in doc.lower()


def test_codes_stay_text_and_the_about_sheet_names_versions_and_data():
    table = annex_frame([{"grup": "Gambir", "case_id": "7", "kode_kemendagri": "31.71.01.1001", "paslon": "02",
                          "order": "=HYPERLINK(\"http://x\")"}])
    wb = openpyxl.load_workbook(io.BytesIO(case_annex_xlsx(table, _meta(selection="status / state: ordered"))))
    row = [c for c in wb["lampiran"][2]]
    assert row[4].value == "31.71.01.1001" and row[4].data_type == "s"
    assert row[5].value == "02" and row[13].value.startswith("'=")
    about = [c.value for c in wb["sumber"]["A"]]
    assert any("rs@1" in str(v) for v in about) and any("OpenStreetMap" in str(v) for v in about)
    assert any("ordered" in str(v) for v in about)
