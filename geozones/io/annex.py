"""The decree annex per kelurahan (lampiran SK), as XLSX and PDF.

For each kelurahan of the rule set's jurisdiction the annex lists (issue 10 §7,
domain-research §6.4 step 4):

* **tempat**: forbidden places (the features of every FORBIDDEN rule that are
  points or areas and lie in or touch the kelurahan);
* **jalan**: forbidden streets (line features of FORBIDDEN rules, one row per
  street name and rule);
* **diskresi**: discretion points (grants) in the kelurahan, with their letter
  number, window and conditions.

Every output carries the rule-set id and version, the decree number and signing
date, and the data attribution. Text cells and headers that a spreadsheet would
run as a formula (``=``, ``+``, ``-``, ``@`` first) are prefixed with ``'``; the PDF
escapes every string as HTML.

The PDF is rendered by WeasyPrint (pinned in requirements.txt; it needs the
Pango library, ``libpango-1.0-0`` on Debian).
"""

from __future__ import annotations

import datetime as dt
import html
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely
import shapely.geometry

from geozones.core.crs import STORAGE_CRS, transformer
from geozones.core.time import format_wib
from geozones.core.verdicts import Verdict
from geozones.engine.compile import PreparedRules
from geozones.io.exports import defuse
from geozones.rules.model import Grant

#: Columns of the annex table, in order, with their bilingual headers.
COLUMNS = {
    "kode_kemendagri": "Kode Kemendagri",
    "kelurahan": "Kelurahan",
    "kecamatan": "Kecamatan",
    "bagian": "Bagian / Section",
    "rule_id": "Aturan / Rule",
    "aturan": "Judul aturan / Rule title",
    "nama": "Nama tempat atau jalan / Place or street",
    "lapisan": "Lapisan / Layer",
    "feature_id": "ID fitur / Feature id",
    "dasar_hukum": "Dasar hukum / Legal basis",
    "surat": "Nomor surat / Letter no.",
    "berlaku": "Berlaku / In force",
    "syarat": "Syarat / Conditions",
}
#: The three sections of each kelurahan, in order.
SECTIONS = {"tempat": "Tempat terlarang / Forbidden places", "jalan": "Jalan terlarang / Forbidden streets",
            "diskresi": "Titik diskresi / Discretion points"}
#: Kelurahan label of grants given for a site id rather than a place.
NO_PLACE = "(tanpa lokasi / no place)"


@dataclass(frozen=True)
class AnnexMeta:
    """What the annex rests on: rule-set version, decree and data attribution.

    Attributes
    ----------
    ruleset_id, version : str
        The rule set and its version.
    decree_no : str or None
        Decree (SK) number; None for a draft ("belum ditetapkan / not yet decreed").
    decree_signed : datetime.date or None
        Signing date of the decree.
    attribution : list of str
        Data attribution lines (``LayerSet.attributions()``).
    title : str
        Title of the annex.
    """

    ruleset_id: str
    version: str
    decree_no: str | None = None
    decree_signed: dt.date | None = None
    attribution: Sequence[str] = field(default_factory=list)
    title: str = "Lampiran: lokasi terlarang dan titik diskresi APK per kelurahan"

    @classmethod
    def of(cls, prepared: PreparedRules, **kw) -> AnnexMeta:
        """Meta of a prepared rule set: its id, version and the attribution of its layers."""
        return cls(prepared.ruleset.id, prepared.ruleset.version,
                   attribution=kw.pop("attribution", prepared.layers.attributions()), **kw)

    def lines(self) -> list[str]:
        """Header lines, Bahasa Indonesia first: title, version, decree, attribution."""
        decree = self.decree_no or "belum ditetapkan / not yet decreed"
        signed = f", ditandatangani / signed {self.decree_signed.isoformat()}" if self.decree_signed else ""
        return [self.title, f"Rule set: {self.ruleset_id} versi / version {self.version}",
                f"SK / Decree: {decree}{signed}", *(f"Sumber data / Data: {a}" for a in self.attribution)]


def _legal(rule) -> str:
    return "; ".join(lb.cite() for lb in rule.legal_basis)


def _window(ruleset, window) -> str:
    if window.start is None and window.end is None:
        return "selalu / always"
    start = format_wib(ruleset.instant(window.start)) if window.start is not None else "…"
    end = format_wib(ruleset.instant(window.end)) if window.end is not None else "…"
    return f"{start} – {end}"


def annex_rows(prepared: PreparedRules, *, grants: Iterable[Grant] = (), kelurahan: Sequence[str] | None = None,
               verdicts: Sequence[Verdict] = (Verdict.FORBIDDEN,)) -> pd.DataFrame:
    """The annex as a table: per kelurahan, forbidden places, forbidden streets and discretion points.

    Parameters
    ----------
    prepared : PreparedRules
        The rule set compiled against its layers (kelurahan in the jurisdiction only).
    grants : iterable of Grant
        Grants from the discretion register, on top of the rule set's own ``grants``.
    kelurahan : sequence of str, optional
        Kode Kemendagri of the kelurahan to include; all by default.
    verdicts : sequence of Verdict
        Rules with these verdicts are listed (FORBIDDEN by default).

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`COLUMNS`, sorted by kelurahan code, section and name. A
        feature touching two kelurahan is listed in both.
    """
    rs = prepared.ruleset
    admin = prepared.admin.reset_index(drop=True)
    tree = shapely.STRtree(prepared.admin_geoms)
    wanted = [Verdict(v) for v in verdicts]
    rows: list[dict] = []

    def unit(i: int) -> dict:
        a = admin.iloc[i]
        return {"kode_kemendagri": str(a.get("kode_kemendagri", "")), "kelurahan": str(a.get("kelurahan", "")),
                "kecamatan": str(a.get("kecamatan", ""))}

    for comp in prepared.rules:
        rule = comp.rule
        if rule.verdict not in wanted or not comp.checked or len(comp.features) == 0:
            continue
        feats = prepared.features.iloc[comp.features]
        geoms = prepared.geoms[comp.features]
        feat_i, admin_i = tree.query(geoms, predicate="intersects")
        for fi, ai in zip(feat_i, admin_i, strict=True):
            f = feats.iloc[fi]
            section = "jalan" if shapely.get_dimensions(geoms[fi]) == 1 else "tempat"
            name = f["feature_name"] or f"({f['layer']} {f['feature_id']})"
            rows.append({**unit(ai), "bagian": section, "rule_id": rule.id, "aturan": rule.title.id, "nama": name,
                         "lapisan": f["layer"], "feature_id": "" if section == "jalan" else f["feature_id"],
                         "dasar_hukum": _legal(rule), "surat": "", "berlaku": _window(rs, rule.window),
                         "syarat": ""})
    tr = transformer(STORAGE_CRS, prepared.crs)
    for g in [*rs.grants, *grants]:
        base = {"bagian": "diskresi", "rule_id": ", ".join(g.lifts),
                "aturan": "; ".join(rs.rule(r).title.id for r in g.lifts if r in {x.id for x in rs.rules}),
                "nama": g.place.site_id or g.id, "lapisan": "", "feature_id": g.id,
                "dasar_hukum": f"diskresi oleh / granted by {g.granted_by}", "surat": g.reference,
                "berlaku": _window(rs, g.window),
                "syarat": g.conditions.id + (f" / {g.conditions.en}" if g.conditions.en != g.conditions.id else "")
                if g.conditions else ""}
        if g.place.geometry is None:
            rows.append({"kode_kemendagri": "", "kelurahan": NO_PLACE, "kecamatan": "", **base})
            continue
        geom = shapely.transform(shapely.geometry.shape(g.place.geometry),
                                 lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))
        hits = tree.query(geom, predicate="dwithin", distance=g.place.radius) if g.place.radius else \
            tree.query(geom, predicate="intersects")
        if len(hits) == 0:
            rows.append({"kode_kemendagri": "", "kelurahan": NO_PLACE, "kecamatan": "", **base})
        for ai in hits:
            rows.append({**unit(int(ai)), **base})
    df = pd.DataFrame(rows, columns=list(COLUMNS))
    if kelurahan is not None:
        df = df[df["kode_kemendagri"].isin(list(kelurahan))]
    df = df.drop_duplicates()
    order = {k: i for i, k in enumerate(SECTIONS)}
    df = df.assign(_s=df["bagian"].map(order)).sort_values(["kode_kemendagri", "kelurahan", "_s", "rule_id", "nama"],
                                                          kind="stable")
    return df.drop(columns="_s").reset_index(drop=True)


def annex_xlsx(rows: pd.DataFrame, meta: AnnexMeta) -> bytes:
    """The annex as an Excel workbook.

    Sheet ``lampiran``: the table with bilingual headers, every row also carrying
    ``versi`` and ``sk`` (version and decree number) so a filtered copy still says
    what it rests on. Sheet ``sumber``: the header lines (title, version, decree,
    attribution). Formula-like cells and headers are defused with ``'``.
    """
    table = rows[list(COLUMNS)].copy()
    table["versi"] = f"{meta.ruleset_id} {meta.version}"
    table["sk"] = meta.decree_no or "belum ditetapkan / not yet decreed"
    headers = [*COLUMNS.values(), "Versi rule set / Rule-set version", "Nomor SK / Decree no."]
    table.columns = [defuse(h) for h in headers]
    table = table.map(defuse)
    about = pd.DataFrame({"keterangan / about": [defuse(x) for x in meta.lines()]})
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        table.to_excel(xw, sheet_name="lampiran", index=False)
        about.to_excel(xw, sheet_name="sumber", index=False)
        sheet = xw.sheets["lampiran"]
        sheet.freeze_panes = "A2"
        for col, width in zip("ABCDEFGHIJKLMNO", (16, 22, 18, 16, 10, 30, 36, 14, 14, 40, 22, 34, 40, 28, 24),
                              strict=True):
            sheet.column_dimensions[col].width = width
    return buf.getvalue()


_CSS = """
@page { size: A4 landscape; margin: 14mm 12mm 16mm 12mm;
        @bottom-left { content: string(meta); font-size: 7pt; color: #555; }
        @bottom-right { content: "hal. " counter(page) " / " counter(pages); font-size: 7pt; color: #555; } }
body { font-family: "DejaVu Sans", sans-serif; font-size: 8pt; }
h1 { font-size: 13pt; margin: 0 0 2mm 0; }
.meta { string-set: meta content(); }
p.head { margin: 0 0 1mm 0; }
h2 { font-size: 11pt; margin: 6mm 0 1mm 0; page-break-after: avoid; border-bottom: 1px solid #888; }
h3 { font-size: 9pt; margin: 2mm 0 1mm 0; page-break-after: avoid; }
table { width: 100%; border-collapse: collapse; margin-bottom: 2mm; }
th, td { border: 0.5px solid #999; padding: 1mm; vertical-align: top; text-align: left; }
th { background: #eee; }
p.empty { color: #666; font-style: italic; margin: 0 0 2mm 0; }
p.attr { font-size: 7pt; color: #444; margin: 0; }
"""
_PDF_COLUMNS = {
    "tempat": ["rule_id", "nama", "lapisan", "feature_id", "dasar_hukum", "berlaku"],
    "jalan": ["rule_id", "nama", "dasar_hukum", "berlaku"],
    "diskresi": ["rule_id", "nama", "surat", "berlaku", "syarat"],
}


def annex_html(rows: pd.DataFrame, meta: AnnexMeta) -> str:
    """The annex as a printable HTML document (every value escaped), one section per kelurahan."""
    e = html.escape
    lines = meta.lines()
    parts = ["<!doctype html><html lang='id'><head><meta charset='utf-8'><title>", e(lines[0]),
             "</title><style>", _CSS, "</style></head><body>", f"<h1>{e(lines[0])}</h1>",
             f"<p class='head meta'>{e(lines[1])} · {e(lines[2])}</p>"]
    parts += [f"<p class='attr'>{e(a)}</p>" for a in lines[3:]]
    if rows.empty:
        parts.append("<p class='empty'>Tidak ada baris / no rows.</p>")
    for (code, kel, kec), group in rows.groupby(["kode_kemendagri", "kelurahan", "kecamatan"], sort=False):
        title = f"Kel. {kel}" + (f", Kec. {kec}" if kec else "") + (f" ({code})" if code else "")
        parts.append(f"<h2>{e(title)}</h2>")
        for section, label in SECTIONS.items():
            sub = group[group["bagian"] == section]
            parts.append(f"<h3>{e(label)} ({len(sub)})</h3>")
            if sub.empty:
                parts.append("<p class='empty'>tidak ada / none</p>")
                continue
            cols = _PDF_COLUMNS[section]
            parts.append("<table><thead><tr>" + "".join(f"<th>{e(COLUMNS[c])}</th>" for c in cols)
                         + "</tr></thead><tbody>")
            for rec in sub[cols].itertuples(index=False):
                parts.append("<tr>" + "".join(f"<td>{e(str(v))}</td>" for v in rec) + "</tr>")
            parts.append("</tbody></table>")
    parts.append("</body></html>")
    return "".join(parts)


def annex_pdf(rows: pd.DataFrame, meta: AnnexMeta) -> bytes:
    """The annex as PDF (A4 landscape), rendered by WeasyPrint from :func:`annex_html`."""
    from weasyprint import HTML  # heavy import (Pango), only when a PDF is asked for

    return HTML(string=annex_html(rows, meta)).write_pdf()


__all__ = ["COLUMNS", "NO_PLACE", "SECTIONS", "AnnexMeta", "annex_html", "annex_pdf", "annex_rows", "annex_xlsx"]
