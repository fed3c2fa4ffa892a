"""Upload widget: files land in a private temp folder and are read with the site reader."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import geopandas as gpd
import streamlit as st

from geozones.core.errors import InputError
from geozones.io.sites import read_sites

#: Extensions accepted by the uploader (what read_sites can read).
UPLOAD_TYPES = ["csv", "txt", "xlsx", "geojson", "json", "kml", "gpkg", "fgb"]
#: Mirrors server.maxUploadSize in .streamlit/config.toml (MB).
MAX_UPLOAD_MB = 50
UPLOAD_DIR_PREFIX = "geozones-upload-"


def read_upload(uploaded) -> tuple[gpd.GeoDataFrame, str]:
    """Read an ``UploadedFile`` as sites.

    The bytes go to a fresh private temp directory (mode 0700) under the system
    temp folder, named by their hash, and are deleted right after reading.

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
    if len(data) > MAX_UPLOAD_MB * 1024 * 1024:
        raise InputError(f"file is larger than {MAX_UPLOAD_MB} MB", source=uploaded.name)
    digest = hashlib.sha256(data).hexdigest()[:16]
    suffix = Path(uploaded.name).suffix.lower()
    if suffix.lstrip(".") not in UPLOAD_TYPES:
        raise InputError(f"file type '{suffix}' is not supported; use CSV, XLSX, GeoJSON or KML",
                         source=uploaded.name)
    with tempfile.TemporaryDirectory(prefix=UPLOAD_DIR_PREFIX) as tmp:
        path = Path(tmp) / f"{digest}{suffix}"
        path.write_bytes(data)
        sites = read_sites(path, source_name=uploaded.name)
    return sites, digest


def show_input_error(err: InputError, title: str, hint: str = "") -> None:
    """Show every problem of a bad file, one per line, as inert text, after a hint."""
    from geozones.app.text import md_escape

    lines = ([f"_{md_escape(hint)}_"] if hint else []) + [md_escape(str(p)) for p in err.problems[:50]]
    if len(err.problems) > 50:
        lines.append(md_escape(f"... (+{len(err.problems) - 50})"))
    st.error(f"**{md_escape(title)}**  \n" + "  \n".join(lines))
