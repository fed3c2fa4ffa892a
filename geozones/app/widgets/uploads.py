"""Upload widget: an uploaded file is parsed in a separate, capped interpreter.

A public deployment takes uploads from anyone, so one file must not exhaust the
server: the bytes go to a private temp folder and are read by
:func:`~geozones.io.isolated.read_sites_isolated`, in a child interpreter whose
resident memory and wall time are watched and capped. The reader's own limits
(:data:`~geozones.io.limits.APP_LIMITS`: 50 MB, one million rows, 500 columns,
1 MB per line, 32 KB per cell) stop most hostile files early; the caps stop the
rest. The child exits after each upload, so the server's memory returns.
Messages name the user's file, never the server's temp path.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import geopandas as gpd
import streamlit as st

from geozones.core.errors import InputError
from geozones.io.isolated import read_sites_isolated
from geozones.io.limits import APP_LIMITS, Limits, current_limits, limit_error

#: Extensions accepted by the uploader (what read_sites can read).
UPLOAD_TYPES = ["csv", "txt", "xlsx", "geojson", "json", "kml", "kmz", "gpx", "gpkg", "fgb"]
#: Mirrors server.maxUploadSize in .streamlit/config.toml (MB).
MAX_UPLOAD_MB = 50
UPLOAD_DIR_PREFIX = "geozones-upload-"


def app_limits() -> Limits:
    """:data:`APP_LIMITS` with the ``GEOZONES_LIMIT_*`` environment applied."""
    return current_limits(APP_LIMITS)


def parse_upload(data: bytes, filename: str, *, limits: Limits | None = None,
                 date_order: str | None = None) -> gpd.GeoDataFrame:
    """Read uploaded bytes as sites in a capped child interpreter.

    Parameters
    ----------
    data : bytes
        The file's content.
    filename : str
        The user's file name (used in every message; only its extension is used
        to choose the reader).
    limits : Limits, optional
        Default :func:`app_limits`.
    date_order : {"dayfirst", "monthfirst"}, optional
        How the time column writes ``a/b/YYYY``, when the user chose it
        (default: decided from the column, refused when it cannot be).

    Returns
    -------
    geopandas.GeoDataFrame
        As :func:`~geozones.io.sites.read_sites`; ``attrs["warnings"]`` holds
        the reader's warnings (skipped sheets, a missing minus sign).

    Raises
    ------
    InputError
        Naming the user's file: a problem in it, a limit passed (with the value
        found), or a worker that ran out of memory or time.
    """
    limits = limits or app_limits()
    name = Path(filename).name or "upload"
    if len(data) > limits.max_bytes:
        raise limit_error("max_bytes", len(data), limits.max_bytes, source=name)
    suffix = Path(name).suffix.lower()
    if suffix.lstrip(".") not in UPLOAD_TYPES:
        raise InputError.bi(f"jenis berkas '{suffix}' tidak didukung; pakai CSV, XLSX, GeoJSON, KML atau GPX",
                            f"file type '{suffix}' is not supported; use CSV, XLSX, GeoJSON, KML or GPX", source=name)
    digest = hashlib.sha256(data).hexdigest()[:16]
    with tempfile.TemporaryDirectory(prefix=UPLOAD_DIR_PREFIX) as tmp:
        path = Path(tmp) / f"{digest}{suffix}"
        path.write_bytes(data)
        return read_sites_isolated(path, source_name=name, limits=limits, date_order=date_order)


def read_upload(uploaded, *, date_order: str | None = None) -> tuple[gpd.GeoDataFrame, str]:
    """Read an ``UploadedFile`` as sites (see :func:`parse_upload`); show the reader's warnings.

    ``date_order`` ("dayfirst" / "monthfirst") is the user's answer when the time
    column could not decide it.

    Returns
    -------
    (GeoDataFrame, str)
        The sites and a digest of the file (for caching results).

    Raises
    ------
    InputError
        With the file name, row and field of each problem.
    """
    data = uploaded.getvalue()
    sites = parse_upload(data, uploaded.name, date_order=date_order)
    if sites.attrs.get("warnings"):
        from geozones.app.text import md_escape

        st.warning("  \n".join(md_escape(w) for w in sites.attrs["warnings"][:20]))
    return sites, hashlib.sha256(data).hexdigest()[:16]


def show_input_error(err: InputError, title: str, hint: str = "") -> None:
    """Show every problem of a bad file, one per line, as inert text, after a hint."""
    from geozones.app.text import md_escape

    lines = ([f"_{md_escape(hint)}_"] if hint else []) + [md_escape(str(p)) for p in err.problems[:50]]
    if len(err.problems) > 50:
        lines.append(md_escape(f"... (+{len(err.problems) - 50})"))
    st.error(f"**{md_escape(title)}**  \n" + "  \n".join(lines))
