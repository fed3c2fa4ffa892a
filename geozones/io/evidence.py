"""The evidence bundle of a case: a PDF with map, photos, reasons, history and hashes, and a ZIP around it.

The PDF (WeasyPrint; Bahasa Indonesia, English on request) holds:

* the case summary (source, place, kelurahan, APK type, paslon, times);
* a map of the place drawn as SVG from the real layers (kelurahan boundary,
  restricted features near the site, the site), with a scale bar and the
  attribution lines; no tile server;
* the photos with their EXIF time and place and the distance to the reported point;
* the engine's verdict, reasons and legal basis, with the rule-set version and
  data digests;
* the state history with actors and times, and the clocks with their deadlines;
* a manifest of every original file's sha256.

The bundle is one ZIP: the PDF, the originals byte for byte under ``originals/``
and ``manifest.sha256`` in the format ``sha256sum -c`` reads (it lists the PDF
too). A PDF is not byte-reproducible (it carries its creation time), so integrity
rests on the manifest; the caller records the bundle's own sha256 in the audit
trail. Inputs are plain values (:class:`EvidenceCase`, :class:`EvidencePhoto`),
or any object or mapping with the same attribute names, so the store can pass rows.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import io
import os
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from PIL import Image
from pyproj import Geod, Transformer
from shapely.geometry.base import BaseGeometry

import geozones
from geozones.areas.layers import LayerSet
from geozones.core.errors import InputError
from geozones.core.time import to_wib
from geozones.core.verdicts import label as verdict_label
from geozones.io.files import write_atomic

#: Layers drawn as "restricted near the site", by role, with their colours.
RESTRICTED_STYLE = {
    "worship": "#7b3294", "health": "#d7191c", "education": "#fdae61", "government": "#2c7bb6",
    "parks": "#1a9641", "roads": "#636363", "kpu_points": "#008837", "tps": "#000000", "other": "#a6611a",
}
_GEOD = Geod(ellps="WGS84")

T: dict[str, tuple[str, str]] = {
    "title": ("Berkas Bukti Pelanggaran Alat Peraga Kampanye", "Evidence file: campaign prop (APK) violation"),
    "case": ("Kasus", "Case"), "generated": ("Dibuat", "Generated"), "summary": ("Ringkasan", "Summary"),
    "source": ("Sumber", "Source"), "state": ("Status", "State"), "place": ("Lokasi (lon, lat)", "Place (lon, lat)"),
    "address": ("Alamat", "Address"), "kelurahan": ("Kelurahan", "Kelurahan"), "kecamatan": ("Kecamatan", "Kecamatan"),
    "kode": ("Kode Kemendagri", "Kemendagri code"), "apk": ("Jenis APK", "APK type"), "paslon": ("Paslon", "Paslon"),
    "observed": ("Waktu diamati", "Observed at"), "known": ("Waktu diketahui", "Known at"),
    "description": ("Uraian", "Description"), "map": ("Peta lokasi", "Map of the place"),
    "map_none": ("Peta tidak tersedia: lapisan wilayah tidak dimuat.", "No map: the area's layers were not loaded."),
    "map_outside": ("Titik berada di luar batas kelurahan yang dimuat.",
                    "The point lies outside the loaded kelurahan."),
    "site": ("Titik laporan", "Reported point"), "kel_boundary": ("Batas kelurahan", "Kelurahan boundary"),
    "engine": ("Penilaian mesin aturan", "Rule engine's assessment"), "verdict": ("Putusan", "Verdict"),
    "reasons": ("Alasan dan dasar hukum", "Reasons and legal basis"), "ruleset": ("Versi aturan", "Rule set version"),
    "digests": ("Sidik data", "Data digests"), "photos": ("Foto", "Photos"),
    "exif_time": ("Waktu EXIF", "EXIF time"), "exif_place": ("Posisi EXIF", "EXIF position"),
    "distance": ("Jarak ke titik laporan", "Distance to the reported point"), "none": ("tidak ada", "none"),
    "history": ("Riwayat status", "State history"), "at": ("Waktu", "Time"), "actor": ("Pelaku", "Actor"),
    "role": ("Peran", "Role"), "step": ("Langkah", "Step"), "reason": ("Alasan / isian", "Reason / fields"),
    "clocks": ("Batas waktu", "Deadlines"), "clock": ("Jam", "Clock"), "started": ("Mulai", "Started"),
    "deadline": ("Batas", "Deadline"), "policy": ("Kebijakan", "Policy"), "basis": ("Dasar", "Basis"),
    "manifest": ("Daftar berkas asli (SHA-256)", "Manifest of original files (SHA-256)"),
    "file": ("Berkas", "File"), "bytes": ("Bita", "Bytes"),
    "manifest_note": ("Berkas asli ada di folder originals/ dalam ZIP ini; periksa dengan: sha256sum -c "
                      "manifest.sha256", "The originals are in originals/ of this ZIP; verify with: sha256sum -c "
                      "manifest.sha256"),
    "attribution": ("Sumber data peta", "Map data"), "no_photo": ("Tidak ada foto.", "No photos."),
    "cases": ("Daftar kasus", "Cases"),
    "legend": ("Keterangan", "Legend"), "rule": ("Aturan", "Rule"), "stopped": ("berhenti", "stopped"),
}


def _t(key: str, lang: str) -> str:
    ind, eng = T[key]
    return eng if lang == "en" else ind


@dataclass
class EvidencePhoto:
    """An original file of the case (usually a photo), with what its EXIF said."""

    name: str
    data: bytes = field(repr=False)
    media_type: str = "image/jpeg"
    taken_at: dt.datetime | None = None
    lon: float | None = None
    lat: float | None = None
    caption: str = ""

    @property
    def sha256(self) -> str:
        """Hex digest of the bytes."""
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class EvidenceCase:
    """What the evidence PDF shows of one case; ``history``/``clocks``/``reasons`` items may be objects or dicts.

    ``history`` items have ``at, actor, role, from_state, to_state, fields``
    (:class:`geozones.cases.CaseEvent` fits); ``clocks`` items have ``clock_id,
    started_at, deadline, policy_id, policy_version, basis, stopped_at``
    (:class:`geozones.cases.ClockRun` fits); ``reasons`` items have ``rule_id,
    text`` (or ``text_id``/``text_en``) and ``legal_basis``.
    """

    case_id: str
    source: str
    state: str
    lon: float
    lat: float
    observed_at: dt.datetime | None = None
    known_at: dt.datetime | None = None
    apk_type: str = ""
    paslon: str = ""
    address: str = ""
    description: str = ""
    kelurahan: str = ""
    kecamatan: str = ""
    kode_kemendagri: str = ""
    verdict: str | None = None
    reasons: Sequence[Any] = ()
    ruleset: str = ""
    data_digests: Mapping[str, str] = field(default_factory=dict)
    history: Sequence[Any] = ()
    clocks: Sequence[Any] = ()
    photos: Sequence[EvidencePhoto] = ()


@dataclass(frozen=True)
class Bundle:
    """A written evidence bundle: where, its own sha256 (for the audit trail) and its manifest lines."""

    path: Path
    sha256: str
    manifest: tuple[tuple[str, str], ...]  # (sha256, path in the ZIP)
    pdf_name: str


def _g(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _when(value: Any) -> str:
    if value is None or value == "":
        return "-"
    return to_wib(value).strftime("%d-%m-%Y %H:%M WIB")


# ------------------------------------------------------------------ map


def _ring_path(coords: np.ndarray, tx) -> str:
    pts = [tx(x, y) for x, y in coords[:, :2]]
    return "M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in pts)


def _svg_path(geom: BaseGeometry, tx) -> str:
    if geom.is_empty:
        return ""
    kind = geom.geom_type
    if kind == "Polygon":
        rings = [geom.exterior, *geom.interiors]
        return " ".join(_ring_path(np.asarray(r.coords), tx) + " Z" for r in rings)
    if kind == "LineString":
        return _ring_path(np.asarray(geom.coords), tx)
    if kind.startswith("Multi") or kind == "GeometryCollection":
        return " ".join(_svg_path(g, tx) for g in geom.geoms if g.geom_type != "Point")
    return ""


def map_svg(layers: LayerSet, lon: float, lat: float, *, radius_m: float = 150.0, lang: str = "id",
            size_px: int = 520) -> str:
    """An SVG map of the place: kelurahan boundary, restricted features near the site, the site.

    Parameters
    ----------
    layers : LayerSet
        The area's layers (EPSG:4326); drawn in its metric CRS.
    lon, lat : float
        The site, EPSG:4326.
    radius_m : float
        Half the width of the square window, in metres.
    lang : {"id", "en"}
        Language of the legend.

    Returns
    -------
    str
        A standalone SVG document (names escaped), with legend, 50/100 m scale
        bar, north arrow and the layers' attribution lines.
    """
    crs = layers.metric_crs
    x, y = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lon, lat)
    minx, miny, maxx, maxy = x - radius_m, y - radius_m, x + radius_m, y + radius_m
    window = shapely.box(minx, miny, maxx, maxy)
    scale = size_px / (2 * radius_m)

    def tx(px: float, py: float) -> tuple[float, float]:
        return (px - minx) * scale, (maxy - py) * scale

    parts: list[str] = []
    legend: list[tuple[str, str, str]] = []  # (colour, label, kind)
    for lyr in layers.layers.values():
        role = lyr.spec.role
        if not lyr.present or role not in RESTRICTED_STYLE or len(lyr) == 0:
            continue
        geoms = layers.metric(lyr.name)
        hits = geoms.sindex.query(window, predicate="intersects")
        if len(hits) == 0:
            continue
        colour = RESTRICTED_STYLE[role]
        if role == "roads" and any(lg[1] for lg in legend if lg[2] == "line"):
            colour = "#bdbdbd"  # a second road layer (all streets) lighter than the major roads
        title = lyr.spec.title.get(lang) or lyr.spec.title.get("id") or lyr.name
        legend.append((colour, title, "line" if role == "roads" else "area"))
        names = lyr.gdf[lyr.spec.name_field] if lyr.spec.name_field in lyr.gdf.columns else None
        for i in hits:
            geom = shapely.clip_by_rect(geoms.iloc[i], minx, miny, maxx, maxy)
            name = "" if names is None or not isinstance(names.iloc[i], str) else names.iloc[i]
            tip = f"<title>{_e(title)}: {_e(name)}</title>" if name else ""
            if geom.geom_type in ("Point", "MultiPoint"):
                for pt in getattr(geom, "geoms", [geom]):
                    cx, cy = tx(pt.x, pt.y)
                    parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="5" fill="{colour}">{tip}</circle>')
            elif role == "roads" or "Line" in geom.geom_type:
                parts.append(f'<path d="{_svg_path(geom, tx)}" fill="none" stroke="{colour}" stroke-width="4" '
                             f'stroke-opacity="0.6">{tip}</path>')
            else:
                parts.append(f'<path d="{_svg_path(geom, tx)}" fill="{colour}" fill-opacity="0.35" '
                             f'stroke="{colour}" stroke-width="1.5" fill-rule="evenodd">{tip}</path>')
    # kelurahan boundary on top of the fills, the site on top of all
    kel = layers.kelurahan
    kel_m = kel.geometry.to_crs(crs)
    site = shapely.Point(x, y)
    idx = kel_m.sindex.query(site, predicate="intersects")
    kel_label = ""
    for i in kel_m.sindex.query(window, predicate="intersects"):
        geom = shapely.clip_by_rect(kel_m.iloc[i].boundary, minx, miny, maxx, maxy)
        width = 3 if i in idx else 1.2
        parts.append(f'<path d="{_svg_path(geom, tx)}" fill="none" stroke="#222" stroke-width="{width}" '
                     'stroke-dasharray="8 4"/>')
    if len(idx):
        kel_label = f"{kel.iloc[idx[0]]['kelurahan']} ({kel.iloc[idx[0]]['kode_kemendagri']})"
    legend.append(("#222", f"{_t('kel_boundary', lang)}{': ' + kel_label if kel_label else ''}", "dash"))
    sx, sy = tx(x, y)
    parts.append(f'<circle cx="{sx:.1f}" cy="{sy:.1f}" r="9" fill="none" stroke="#fff" stroke-width="4"/>'
                 f'<circle cx="{sx:.1f}" cy="{sy:.1f}" r="7" fill="#e41a1c" stroke="#000" stroke-width="1.5"/>')
    legend.append(("#e41a1c", _t("site", lang), "dot"))
    # scale bar: the largest round length under a third of the window
    bar_m = max(m for m in (10, 20, 25, 50, 100, 200, 250, 500, 1000) if m <= 2 * radius_m / 3 or m == 10)
    bar_px = bar_m * scale
    h = size_px
    north = "N" if lang == "en" else "U"
    parts.append(f'<g font-family="DejaVu Sans, sans-serif" font-size="12"><rect x="10" y="{h - 34}" '
                 f'width="{bar_px + 16:.1f}" height="26" fill="#fff" fill-opacity="0.8"/>'
                 f'<path d="M18,{h - 14} h{bar_px:.1f}" stroke="#000" stroke-width="3"/>'
                 f'<text x="18" y="{h - 19}">{bar_m} m</text></g>'
                 f'<g font-family="DejaVu Sans, sans-serif" font-size="14" font-weight="bold">'
                 f'<path d="M{h - 24},12 l8,22 l-8,-6 l-8,6 Z" fill="#000"/>'
                 f'<text x="{h - 29}" y="50">{north}</text></g>')
    # legend and attribution below the map frame
    rows = []
    ly = h + 18
    for colour, text, kind in legend:
        if kind == "line":
            sym = f'<path d="M10,{ly - 4} h18" stroke="{colour}" stroke-width="4" stroke-opacity="0.6"/>'
        elif kind == "dash":
            sym = f'<path d="M10,{ly - 4} h18" stroke="{colour}" stroke-width="2" stroke-dasharray="5 3"/>'
        elif kind == "dot":
            sym = f'<circle cx="19" cy="{ly - 4}" r="6" fill="{colour}" stroke="#000"/>'
        else:
            sym = f'<rect x="10" y="{ly - 11}" width="18" height="12" fill="{colour}" fill-opacity="0.35" ' \
                  f'stroke="{colour}"/>'
        rows.append(f'{sym}<text x="36" y="{ly}">{_e(text)}</text>')
        ly += 18
    for line in layers.attributions():
        rows.append(f'<text x="10" y="{ly}" font-size="9" fill="#555">{_e(line)}</text>')
        ly += 13
    total_h = ly + 4
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{size_px}" height="{total_h}" '
            f'viewBox="0 0 {size_px} {total_h}">'
            f'<rect x="0" y="0" width="{size_px}" height="{h}" fill="#f7f7f2" stroke="#999"/>'
            f'<svg x="0" y="0" width="{size_px}" height="{h}" viewBox="0 0 {size_px} {h}" overflow="hidden">'
            f'{"".join(parts)}</svg>'
            f'<g font-family="DejaVu Sans, sans-serif" font-size="11">{"".join(rows)}</g></svg>')


def locate(layers: LayerSet, lon: float, lat: float) -> dict[str, str]:
    """Kelurahan, kecamatan and Kemendagri code of a point (empty strings outside the layer)."""
    kel = layers.kelurahan
    pt = gpd.GeoSeries([shapely.Point(lon, lat)], crs="EPSG:4326").to_crs(kel.crs).iloc[0]
    idx = kel.sindex.query(pt, predicate="intersects")
    if len(idx) == 0:
        return {"kelurahan": "", "kecamatan": "", "kode_kemendagri": ""}
    row = kel.iloc[idx[0]]
    return {"kelurahan": str(row["kelurahan"]), "kecamatan": str(row["kecamatan"]),
            "kode_kemendagri": str(row["kode_kemendagri"])}


# ------------------------------------------------------------------ PDF


def _display_image(photo: EvidencePhoto) -> str | None:
    """A JPEG data URI for showing the photo (HEIC cannot be shown by WeasyPrint); None if unreadable."""
    try:
        with Image.open(io.BytesIO(photo.data)) as img:
            img = img.convert("RGB")
            img.thumbnail((900, 900))
            out = io.BytesIO()
            img.save(out, "JPEG", quality=85)  # no exif=: the display copy carries no GPS
    except (OSError, ValueError, SyntaxError):
        return None
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode("ascii")


_CSS = """
@page { size: A4; margin: 16mm 14mm 18mm 14mm;
        @bottom-center { content: "%(footer)s " counter(page) " / " counter(pages); font-size: 8pt; color: #555;
                         font-family: "DejaVu Sans", sans-serif; } }
body { font-family: "DejaVu Sans", sans-serif; font-size: 9.5pt; color: #111; }
h1 { font-size: 15pt; margin: 0 0 2mm 0; } h2 { font-size: 12pt; margin: 6mm 0 2mm 0; border-bottom: 1px solid #999; }
table { border-collapse: collapse; width: 100%%; } td, th { border: 1px solid #bbb; padding: 1.2mm 1.8mm;
vertical-align: top; text-align: left; } th { background: #eee; } .k { width: 32%%; background: #f6f6f6; }
.hash { font-family: "DejaVu Sans Mono", monospace; font-size: 7.5pt; word-break: break-all; }
.photo { page-break-inside: avoid; margin-bottom: 4mm; } .photo img { max-width: 100%%; max-height: 110mm; }
.verdict { font-weight: bold; font-size: 11pt; } .muted { color: #555; font-size: 8pt; }
.map { text-align: center; } .map img { width: 105mm; } .case { page-break-before: always; }
"""


def _verdict_text(verdict: str | None, lang: str) -> str:
    if not verdict:
        return "-"
    try:
        return f"{_e(verdict_label(verdict, lang))} ({_e(verdict)})"
    except ValueError:
        return _e(verdict)


def _fields_text(fields: Any) -> str:
    if not fields:
        return ""
    items = fields.items() if isinstance(fields, Mapping) else []
    out = []
    for k, v in items:
        if isinstance(v, dt.datetime):
            v = _when(v)
        out.append(f"<b>{_e(k)}</b>: {_e(v)}")
    return "<br>".join(out)


def _check_lang(lang: str) -> None:
    if lang not in ("id", "en"):
        raise InputError(f"bahasa '{lang}' tidak dikenal; pilih id atau en / unknown language '{lang}'; use id or en",
                         field="lang")


def _document(body: str, *, title: str, footer: str, lang: str) -> str:
    # the footer sits in a CSS string: keep only characters that cannot end it
    footer = re.sub(r"[^A-Za-z0-9 ._/:,#-]", "", footer)[:120]
    css = _CSS % {"footer": footer}
    return (f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'>"
            f"<meta name='generator' content='geozones {_e(geozones.__version__)}'><title>{title}</title>"
            f"<style>{css}</style></head><body>{body}</body></html>")


def render_html(case: EvidenceCase, *, layers: LayerSet | None = None, now: dt.datetime, lang: str = "id") -> str:
    """The evidence document as HTML (every value from users or data escaped)."""
    _check_lang(lang)
    body = _case_body(case, layers=layers, now=now, lang=lang, names=original_names(case.photos))
    return _document(body, title=f"{_t('title', lang)} {_e(case.case_id)}", footer=f"{_t('case', lang)} "
                     f"{case.case_id}", lang=lang)


def render_html_many(cases: Sequence[EvidenceCase], *, layers: LayerSet | None = None, now: dt.datetime,
                     lang: str = "id") -> str:
    """One evidence document for several cases: a cover listing them, then each case from a new page."""
    _check_lang(lang)
    L = lambda key: _t(key, lang)  # noqa: E731
    names = bundle_names(cases)
    cover = [f"<h1>{L('title')}</h1><p class='muted'>{L('generated')} {_when(now)} · geozones "
             f"{_e(geozones.__version__)}</p><h2>{L('cases')}</h2><table><tr><th>{L('case')}</th><th>{L('state')}"
             f"</th><th>{L('kelurahan')}</th><th>{L('apk')}</th><th>{L('paslon')}</th><th>{L('observed')}</th>"
             f"<th>{L('photos')}</th></tr>"]
    for c in cases:
        cover.append(f"<tr><td>{_e(c.case_id)}</td><td>{_e(c.state)}</td><td>{_e(c.kelurahan) or '-'}</td>"
                     f"<td>{_e(c.apk_type) or '-'}</td><td>{_e(c.paslon) or '-'}</td><td>{_when(c.observed_at)}</td>"
                     f"<td>{len(c.photos)}</td></tr>")
    cover.append("</table>")
    parts = ["".join(cover)]
    for c, n in zip(cases, names, strict=True):
        parts.append("<div class='case'>" + _case_body(c, layers=layers, now=now, lang=lang, names=n) + "</div>")
    ids = ", ".join(str(c.case_id) for c in cases)
    return _document("".join(parts), title=f"{L('title')} {_e(ids)}", footer=f"{L('case')} {ids}", lang=lang)


def _case_body(case: EvidenceCase, *, layers: LayerSet | None, now: dt.datetime, lang: str,
               names: Sequence[str]) -> str:
    L = lambda key: _t(key, lang)  # noqa: E731
    place = {"kelurahan": case.kelurahan, "kecamatan": case.kecamatan, "kode_kemendagri": case.kode_kemendagri}
    if layers is not None and not case.kelurahan:
        place = locate(layers, case.lon, case.lat)
    rows = [("case", case.case_id), ("source", case.source), ("state", case.state),
            ("place", f"{case.lon:.6f}, {case.lat:.6f}"), ("address", case.address),
            ("kelurahan", place["kelurahan"]), ("kecamatan", place["kecamatan"]),
            ("kode", place["kode_kemendagri"]), ("apk", case.apk_type), ("paslon", case.paslon),
            ("observed", _when(case.observed_at)), ("known", _when(case.known_at)),
            ("description", case.description)]
    body = [f"<h1>{L('title')}</h1><p class='muted'>{L('case')} {_e(case.case_id)} · {L('generated')} "
            f"{_when(now)} · geozones {_e(geozones.__version__)}</p>",
            f"<h2>{L('summary')}</h2><table>"
            + "".join(f"<tr><td class='k'>{L(k)}</td><td>{_e(v) or '-'}</td></tr>" for k, v in rows) + "</table>"]
    body.append(f"<h2>{L('map')}</h2>")
    if layers is None:
        body.append(f"<p>{L('map_none')}</p>")
    else:
        svg = map_svg(layers, case.lon, case.lat, lang=lang)
        uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
        body.append(f"<div class='map'><img src='{uri}' alt='{L('map')}'></div>")
        if not place["kelurahan"]:
            body.append(f"<p>{L('map_outside')}</p>")
    body.append(f"<h2>{L('engine')}</h2><table>"
                f"<tr><td class='k'>{L('verdict')}</td><td class='verdict'>"
                f"{_verdict_text(case.verdict, lang)}"
                f"</td></tr><tr><td class='k'>{L('ruleset')}</td><td>{_e(case.ruleset) or '-'}</td></tr>"
                f"<tr><td class='k'>{L('digests')}</td><td class='hash'>"
                + "<br>".join(f"{_e(k)}: {_e(v)}" for k, v in case.data_digests.items()) + "</td></tr></table>")
    if case.reasons:
        body.append(f"<h3>{L('reasons')}</h3><table><tr><th>{L('rule')}</th><th>{L('reasons')}</th><th>{L('basis')}</th>"
                    "</tr>")
        for r in case.reasons:
            text = _g(r, "text") or (_g(r, "text_en") if lang == "en" else _g(r, "text_id")) or ""
            body.append(f"<tr><td>{_e(_g(r, 'rule_id', ''))}</td><td>{_e(text)}</td>"
                        f"<td>{_e(_g(r, 'legal_basis', ''))}</td></tr>")
        body.append("</table>")
    body.append(f"<h2>{L('history')}</h2><table><tr><th>{L('at')}</th><th>{L('actor')}</th><th>{L('role')}</th>"
                f"<th>{L('step')}</th><th>{L('reason')}</th></tr>")
    for ev in case.history:
        frm, to = _g(ev, "from_state"), _g(ev, "to_state")
        step = f"{_e(frm)} → {_e(to)}" if frm else f"→ {_e(to)}"
        body.append(f"<tr><td>{_when(_g(ev, 'at'))}</td><td>{_e(_g(ev, 'actor'))}</td><td>{_e(_g(ev, 'role'))}</td>"
                    f"<td>{step}</td><td>{_fields_text(_g(ev, 'fields'))}</td></tr>")
    body.append("</table>")
    if case.clocks:
        body.append(f"<h2>{L('clocks')}</h2><table><tr><th>{L('clock')}</th><th>{L('started')}</th>"
                    f"<th>{L('deadline')}</th><th>{L('policy')}</th><th>{L('basis')}</th></tr>")
        for c in case.clocks:
            stopped = _g(c, "stopped_at")
            note = f"<br><span class='muted'>{L('stopped')} {_when(stopped)}</span>" if stopped else ""
            body.append(f"<tr><td>{_e(_g(c, 'clock_id'))}</td><td>{_when(_g(c, 'started_at'))}</td>"
                        f"<td>{_when(_g(c, 'deadline'))}{note}</td><td>{_e(_g(c, 'policy_id'))} "
                        f"{_e(_g(c, 'policy_version'))}</td><td>{_e(_g(c, 'basis'))}</td></tr>")
        body.append("</table>")
    body.append(f"<h2>{L('photos')}</h2>")
    if not case.photos:
        body.append(f"<p>{L('no_photo')}</p>")
    for p in case.photos:
        uri = _display_image(p)
        exif_place = f"{p.lon:.6f}, {p.lat:.6f}" if p.lon is not None and p.lat is not None else L("none")
        dist = "-"
        if p.lon is not None and p.lat is not None:
            dist = f"{_GEOD.inv(case.lon, case.lat, p.lon, p.lat)[2]:.0f} m"
        img = f"<img src='{uri}' alt='{_e(p.name)}'>" if uri else ""
        body.append(f"<div class='photo'>{img}<table>"
                    f"<tr><td class='k'>{L('file')}</td><td>{_e(p.name)} {_e(p.caption)}</td></tr>"
                    f"<tr><td class='k'>{L('exif_time')}</td><td>{_when(p.taken_at) if p.taken_at else L('none')}"
                    f"</td></tr><tr><td class='k'>{L('exif_place')}</td><td>{exif_place}</td></tr>"
                    f"<tr><td class='k'>{L('distance')}</td><td>{dist}</td></tr>"
                    f"<tr><td class='k'>SHA-256</td><td class='hash'>{p.sha256}</td></tr></table></div>")
    body.append(f"<h2>{L('manifest')}</h2><p>{L('manifest_note')}</p><table><tr><th>{L('file')}</th>"
                f"<th>{L('bytes')}</th><th>SHA-256</th></tr>")
    for name, p in zip(names, case.photos, strict=True):
        body.append(f"<tr><td>{_e(name)}</td><td>{len(p.data)}</td><td class='hash'>{p.sha256}</td></tr>")
    body.append("</table>")
    return "".join(body)


def render_pdf(case: EvidenceCase | Sequence[EvidenceCase], *, layers: LayerSet | None = None, now: dt.datetime,
               lang: str = "id") -> bytes:
    """The evidence PDF (see :func:`render_html`; several cases: :func:`render_html_many`), as bytes."""
    from weasyprint import HTML  # imported late: pango is loaded only when a PDF is made

    cases = _as_cases(case)
    html_text = render_html(cases[0], layers=layers, now=now, lang=lang) if len(cases) == 1 else \
        render_html_many(cases, layers=layers, now=now, lang=lang)
    return HTML(string=html_text, base_url=None).write_pdf()


# ------------------------------------------------------------------ bundle


def _as_cases(case: EvidenceCase | Sequence[EvidenceCase]) -> list[EvidenceCase]:
    cases = [case] if isinstance(case, EvidenceCase) else list(case)
    if not cases:
        raise InputError("tidak ada kasus yang dipilih / no case selected", field="case")
    ids = [str(c.case_id) for c in cases]
    if len(set(ids)) != len(ids):
        raise InputError("kasus yang sama dipilih dua kali / the same case was selected twice", field="case")
    return cases


def _safe(name: str) -> str:
    base = re.split(r"[\\/]", name)[-1]
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._") or "file"
    return base[:80]


def original_names(photos: Sequence[EvidencePhoto]) -> list[str]:
    """Paths of the originals inside the ZIP: ``originals/<n>-<safe name>``, unique, no folders."""
    return [f"originals/{i:02d}-{_safe(p.name)}" for i, p in enumerate(photos, start=1)]


def bundle_names(cases: Sequence[EvidenceCase]) -> list[list[str]]:
    """Paths of each case's originals: as :func:`original_names` for one case, else under ``originals/kasus-<id>/``."""
    if len(cases) == 1:
        return [original_names(cases[0].photos)]
    return [[f"originals/kasus-{_safe(str(c.case_id))}/{i:02d}-{_safe(p.name)}" for i, p in enumerate(c.photos, 1)]
            for c in cases]


def manifest_text(entries: Sequence[tuple[str, str]]) -> str:
    """``sha256sum`` text: ``<hex>  <path>`` per line (two spaces: text mode, as ``sha256sum -c`` reads)."""
    return "".join(f"{digest}  {path}\n" for digest, path in entries)


def write_bundle(case: EvidenceCase | Sequence[EvidenceCase], out: str | os.PathLike, *,
                 layers: LayerSet | None = None, now: dt.datetime, lang: str = "id") -> Bundle:
    """Write the evidence ZIP: the PDF, the originals and ``manifest.sha256``.

    Parameters
    ----------
    case : EvidenceCase or sequence of EvidenceCase
        What to show; its photos are the originals (bytes as received). Several
        cases make one PDF covering all of them (a cover listing them, then one
        case per new page) and keep each case's originals in its own folder.
    out : path-like
        The ZIP to write (atomically: a failure leaves no half-written file).
    layers : LayerSet, optional
        For the map; without it the PDF says no map could be drawn.
    now : datetime
        Generation time shown in the PDF.
    lang : {"id", "en"}

    Returns
    -------
    Bundle
        Path, the ZIP's own sha256 (for the audit trail) and the manifest entries.

    Raises
    ------
    InputError
        No case, the same case twice, or an unknown language.
    """
    cases = _as_cases(case)
    pdf = render_pdf(cases, layers=layers, now=now, lang=lang)
    stem = "-".join(_safe(str(c.case_id)) for c in cases)[:60] if len(cases) <= 5 else \
        f"{_safe(str(cases[0].case_id))}-dst-{len(cases)}"
    pdf_name = f"{'evidence' if lang == 'en' else 'bukti'}-{stem}.pdf"
    entries = [(hashlib.sha256(pdf).hexdigest(), pdf_name)]
    names = bundle_names(cases)
    files = [(p, n) for c, ns in zip(cases, names, strict=True) for p, n in zip(c.photos, ns, strict=True)]
    entries += [(p.sha256, n) for p, n in files]
    stamp = to_wib(now).timetuple()[:6]

    def writer(tmp: Path) -> None:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            def put(name: str, data: bytes) -> None:
                info = zipfile.ZipInfo(name, date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                zf.writestr(info, data)
            put(pdf_name, pdf)
            for p, n in files:
                put(n, p.data)
            put("manifest.sha256", manifest_text(entries).encode("utf-8"))

    path = write_atomic(out, writer)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return Bundle(path=path, sha256=digest, manifest=tuple(entries), pdf_name=pdf_name)
