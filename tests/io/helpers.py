"""Builders of small field-like files, made in code (no file from anyone else's report)."""

from __future__ import annotations

import zipfile
from pathlib import Path


def write(tmp_path: Path, name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(content.encode(encoding) if isinstance(content, str) else content)
    return p


def kml(placemarks: list[str], folders: dict[str, list[str]] | None = None) -> str:
    """A KML document; each placemark is given as its inner XML."""
    body = "".join(f"<Placemark>{p}</Placemark>" for p in placemarks)
    for name, items in (folders or {}).items():
        body += f"<Folder><name>{name}</name>" + "".join(f"<Placemark>{p}</Placemark>" for p in items) + "</Folder>"
    return ('<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
            f"{body}</Document></kml>")


def point(lon: float, lat: float, name: str | None = None, data: dict[str, str] | None = None) -> str:
    ext = ""
    if data:
        ext = "<ExtendedData>" + "".join(f'<Data name="{k}"><value>{v}</value></Data>' for k, v in data.items()) \
            + "</ExtendedData>"
    return (f"<name>{name}</name>" if name else "") + ext + f"<Point><coordinates>{lon},{lat},0</coordinates></Point>"


def line(coords: list[tuple[float, float]], name: str) -> str:
    c = " ".join(f"{x},{y},0" for x, y in coords)
    return f"<name>{name}</name><LineString><coordinates>{c}</coordinates></LineString>"


def kmz(tmp_path: Path, name: str, doc: str) -> Path:
    p = tmp_path / name
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("doc.kml", doc)
    return p


def xlsx(tmp_path: Path, name: str, sheets: dict[str, list[list[object]]]) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
    p = tmp_path / name
    wb.save(p)
    return p
