"""The annex of a Bawaslu recommendation letter: the selected cases, grouped, as XLSX and PDF.

A recommendation to KPU (issue 11 §5) carries a table of the cases it is about.
This module lays out rows prepared by :func:`geozones.services.cases.annex_rows`
(plain values, one per case, or one per case and rule when grouped by rule),
grouped per kota, kecamatan, paslon or rule:

* **XLSX** (openpyxl): sheet ``lampiran`` with bilingual headers, a ``grup``
  column first, frozen header row, autofilter, fitted widths, every text cell
  (codes such as ``31.71.02.1001`` and letter numbers included) stored as text
  and defused against formulas; sheet ``sumber`` with the title, the selection,
  the rule-set versions used and the data attribution.
* **PDF** (WeasyPrint, A4 landscape): one section per group, every value
  escaped, the same header lines on top and a footer with the page count.

The reporter's identity is never an input here, so it cannot leak into an annex.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from geozones.io.exports import defuse

__all__ = ["ANNEX_COLUMNS", "GROUP_KEYS", "CaseAnnexMeta", "annex_frame", "case_annex_html", "case_annex_pdf",
           "case_annex_xlsx"]

#: Columns of the case annex, in order, with their bilingual headers.
ANNEX_COLUMNS = {
    "grup": "Grup / Group",
    "case_id": "No. kasus / Case no.",
    "kelurahan": "Kelurahan",
    "kecamatan": "Kecamatan",
    "kode_kemendagri": "Kode Kemendagri",
    "paslon": "Paslon",
    "apk_type": "Jenis APK / APK type",
    "verdict": "Putusan / Verdict",
    "rule_ids": "Aturan / Rules",
    "dasar_hukum": "Dasar hukum / Legal basis",
    "observed_wib": "Waktu diamati (WIB) / Observed (WIB)",
    "state": "Status / State",
    "letter": "No. surat rekomendasi / Recommendation letter no.",
    "order": "No. perintah KPU / KPU order no.",
    "deadline_wib": "Batas waktu (WIB) / Deadline (WIB)",
    "ruleset": "Versi aturan / Rule-set version",
}
#: Group keys and their bilingual labels.
GROUP_KEYS = {"kota": "Kota", "kecamatan": "Kecamatan", "paslon": "Paslon", "rule": "Aturan / Rule"}
_PDF_COLUMNS = ["case_id", "kelurahan", "kode_kemendagri", "paslon", "apk_type", "rule_ids", "dasar_hukum",
                "observed_wib", "state", "letter", "order", "deadline_wib"]


@dataclass(frozen=True)
class CaseAnnexMeta:
    """What the annex says about itself: grouping, selection, generation time, versions and attribution.

    Attributes
    ----------
    by : {"kota", "kecamatan", "paslon", "rule"}
        The grouping key.
    selection : str
        The filter used, in words (e.g. ``"status / state: ordered"``).
    generated : str
        Generation time, already formatted in WIB.
    rulesets : list of str
        ``ID@VERSION`` of every rule-set version the cases were judged with.
    attribution : list of str
        Data attribution lines of the layers behind the classification.
    title : str
        Title line.
    """

    by: str
    selection: str = ""
    generated: str = ""
    rulesets: Sequence[str] = field(default_factory=list)
    attribution: Sequence[str] = field(default_factory=list)
    title: str = "Lampiran surat rekomendasi Bawaslu: daftar kasus APK / Annex to the Bawaslu recommendation letter"

    def lines(self) -> list[str]:
        """Header lines, Bahasa Indonesia first: title, grouping and selection, versions, attribution."""
        head = f"Dikelompokkan per / grouped by: {GROUP_KEYS.get(self.by, self.by)}"
        if self.selection:
            head += f"; pilihan / selection: {self.selection}"
        if self.generated:
            head += f"; dibuat / generated {self.generated}"
        versions = ", ".join(self.rulesets) or "-"
        return [self.title, head, f"Versi aturan / Rule-set versions: {versions}",
                *(f"Sumber data / Data: {a}" for a in self.attribution)]


def annex_frame(rows: Sequence[dict]) -> pd.DataFrame:
    """Rows as a table with the columns of :data:`ANNEX_COLUMNS` (all text), in the order given.

    Parameters
    ----------
    rows : sequence of dict
        One dict per line, keyed by the names of :data:`ANNEX_COLUMNS`; missing keys are empty.

    Returns
    -------
    pandas.DataFrame
        String columns only (a code stays ``31.71.02.1001``, a case number stays text).
    """
    df = pd.DataFrame([{k: ("" if r.get(k) is None else str(r.get(k))) for k in ANNEX_COLUMNS} for r in rows],
                      columns=list(ANNEX_COLUMNS))
    return df.astype(str)


def _cell(value: object) -> str:
    """Text for a cell: line breaks as LF (XML would turn a lone CR into LF anyway), defused."""
    return defuse(str(value).replace("\r\n", "\n").replace("\r", "\n"))


def case_annex_xlsx(table: pd.DataFrame, meta: CaseAnnexMeta) -> bytes:
    """The annex as an Excel workbook (see the module docstring for its sheets).

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`annex_frame`.
    meta : CaseAnnexMeta

    Returns
    -------
    bytes
        An ``.xlsx`` file that Excel, LibreOffice and ``pandas.read_excel`` open with default options.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "lampiran"
    headers = [defuse(h) for h in ANNEX_COLUMNS.values()]
    ws.append(headers)
    for rec in table[list(ANNEX_COLUMNS)].itertuples(index=False):
        ws.append([_cell(v) for v in rec])
    # openpyxl reads a string starting with '=' as a formula, and Excel shows digits-and-dots codes as text
    # only when the cell type says so: force text on every cell, header included.
    for row in ws.iter_rows(min_row=1):
        for cell in row:
            cell.data_type = "s"
            cell.number_format = "@"
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    last = get_column_letter(len(ANNEX_COLUMNS))
    ws.auto_filter.ref = f"A1:{last}{max(len(table), 0) + 1}"
    for i, key in enumerate(ANNEX_COLUMNS, start=1):
        longest = max([len(ANNEX_COLUMNS[key]) // 2, *(len(str(v)) for v in table[key].head(500))], default=8)
        ws.column_dimensions[get_column_letter(i)].width = min(max(longest + 2, 8), 60)
    about = wb.create_sheet("sumber")
    about.append(["keterangan / about"])
    for line in meta.lines():
        about.append([_cell(line)])
    for row in about.iter_rows(min_row=1):
        for cell in row:
            cell.data_type = "s"
    about.column_dimensions["A"].width = 120
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


_CSS = """
@page { size: A4 landscape; margin: 14mm 12mm 16mm 12mm;
        @bottom-left { content: "%(footer)s"; font-size: 7pt; color: #555; }
        @bottom-right { content: "hal. / page " counter(page) " / " counter(pages); font-size: 7pt; color: #555; } }
body { font-family: "DejaVu Sans", sans-serif; font-size: 7.5pt; }
h1 { font-size: 12pt; margin: 0 0 2mm 0; }
h2 { font-size: 10pt; margin: 5mm 0 1mm 0; page-break-after: avoid; border-bottom: 1px solid #888; }
p.head { margin: 0 0 1mm 0; } p.attr { font-size: 7pt; color: #444; margin: 0; }
table { width: 100%%; border-collapse: collapse; margin-bottom: 2mm; }
th, td { border: 0.5px solid #999; padding: 0.8mm; vertical-align: top; text-align: left; }
th { background: #eee; } tr { page-break-inside: avoid; }
p.empty { color: #666; font-style: italic; }
"""


def case_annex_html(table: pd.DataFrame, meta: CaseAnnexMeta) -> str:
    """The annex as printable HTML (every value escaped), one section per group in table order."""
    e = html.escape
    lines = meta.lines()
    footer = re.sub(r"[^A-Za-z0-9 ._/:@-]", "", f"Lampiran kasus per {meta.by}; {lines[2]}")[:150]
    parts = ["<!doctype html><html lang='id'><head><meta charset='utf-8'><title>", e(lines[0]),
             "</title><style>", _CSS % {"footer": footer}, "</style></head><body>", f"<h1>{e(lines[0])}</h1>",
             f"<p class='head'>{e(lines[1])}</p>", f"<p class='head'>{e(lines[2])}</p>"]
    parts += [f"<p class='attr'>{e(a)}</p>" for a in lines[3:]]
    if table.empty:
        parts.append("<p class='empty'>Tidak ada kasus / no cases.</p>")
    label = GROUP_KEYS.get(meta.by, meta.by)
    for group, sub in table.groupby("grup", sort=False):
        parts.append(f"<h2>{e(label)}: {e(str(group))} ({len(sub)})</h2>")
        parts.append("<table><thead><tr>" + "".join(f"<th>{e(ANNEX_COLUMNS[c])}</th>" for c in _PDF_COLUMNS)
                     + "</tr></thead><tbody>")
        for rec in sub[_PDF_COLUMNS].itertuples(index=False):
            parts.append("<tr>" + "".join(f"<td>{e(str(v))}</td>" for v in rec) + "</tr>")
        parts.append("</tbody></table>")
    parts.append("</body></html>")
    return "".join(parts)


def case_annex_pdf(table: pd.DataFrame, meta: CaseAnnexMeta) -> bytes:
    """The annex as PDF (A4 landscape), rendered by WeasyPrint from :func:`case_annex_html`."""
    from weasyprint import HTML  # heavy import (Pango), only when a PDF is asked for

    return HTML(string=case_annex_html(table, meta)).write_pdf()
