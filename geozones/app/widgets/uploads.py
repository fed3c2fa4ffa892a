"""Upload widget: an uploaded file is parsed in a worker process under memory and time caps.

A public deployment takes uploads from anyone, so one file must not exhaust the
server: the bytes go to a private temp folder and are read by
:func:`~geozones.io.sites.read_sites` in a separate process whose address space
is capped (``RLIMIT_AS``) and which is killed after ``max_seconds``. The
reader's own limits (:data:`~geozones.io.limits.APP_LIMITS`: 50 MB, one million
rows, 500 columns, 1 MB per line, 32 KB per cell) stop most hostile files early;
the caps stop the rest. The worker exits after each upload, so the server's
memory returns. Messages name the user's file, never the server's temp path.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import tempfile
import warnings
from pathlib import Path

import geopandas as gpd
import streamlit as st

from geozones.core.errors import DataWarning, InputError, Problem
from geozones.io.limits import APP_LIMITS, Limits, current_limits, limit_error

#: Extensions accepted by the uploader (what read_sites can read).
UPLOAD_TYPES = ["csv", "txt", "xlsx", "geojson", "json", "kml", "kmz", "gpx", "gpkg", "fgb"]
#: Mirrors server.maxUploadSize in .streamlit/config.toml (MB).
MAX_UPLOAD_MB = 50
UPLOAD_DIR_PREFIX = "geozones-upload-"

# Each worker is a fresh interpreter (spawn): no copy of the Streamlit server's threads or memory, and
# nothing preloaded by other libraries (forkserver preloads are process-wide; dask adds its own).
_CTX = multiprocessing.get_context("spawn")


def app_limits() -> Limits:
    """:data:`APP_LIMITS` with the ``GEOZONES_LIMIT_*`` environment applied."""
    return current_limits(APP_LIMITS)


def _worker(conn, path: str, name: str, limits: Limits) -> None:
    """Child process: cap memory, read the sites, send back the frame (or the error)."""
    import resource

    mem = int(limits.max_memory_bytes)
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    cpu = int(limits.max_seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    try:
        from geozones.io.sites import read_sites

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DataWarning)
            sites = read_sites(path, source_name=name, limits=limits)
        sites.attrs["warnings"] = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
        conn.send(("ok", sites))
    except InputError as err:
        conn.send(("error", err))
    except MemoryError:
        conn.send(("memory", None))
    except Exception as exc:  # noqa: BLE001 - reported to the parent as an unreadable file
        conn.send(("crash", f"{type(exc).__name__}: {str(exc)[:200]}"))
    finally:
        conn.close()


def _scrub(err: InputError, tmp: str, stored: str, name: str) -> InputError:
    """The same error with the server's temp path replaced by the user's file name."""
    def fix(text: str | None) -> str | None:
        if text is None:
            return None
        return text.replace(f"{tmp}/{stored}", name).replace(tmp, name).replace(stored, name)

    return InputError([Problem(fix(p.message), name if p.source and tmp in str(p.source) else p.source,
                               p.row, p.field, fix(p.message_id)) for p in err.problems])


def parse_upload(data: bytes, filename: str, *, limits: Limits | None = None) -> gpd.GeoDataFrame:
    """Read uploaded bytes as sites in a capped worker process.

    Parameters
    ----------
    data : bytes
        The file's content.
    filename : str
        The user's file name (used in every message; only its extension is used
        to choose the reader).
    limits : Limits, optional
        Default :func:`app_limits`.

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
        parent, child = _CTX.Pipe(duplex=False)
        proc = _CTX.Process(target=_worker, args=(child, str(path), name, limits), daemon=True)
        proc.start()
        child.close()
        try:
            if not parent.poll(limits.max_seconds):
                raise limit_error("max_seconds", limits.max_seconds, limits.max_seconds, source=name, at_least=True)
            try:
                kind, payload = parent.recv()
            except EOFError:  # the worker died without a word: killed by its memory or CPU cap
                kind, payload = "memory", None
        finally:
            if proc.is_alive():
                proc.kill()
            proc.join(5)
            parent.close()
    if kind == "ok":
        return payload
    if kind == "error":
        raise _scrub(payload, tmp, path.name, name)
    if kind == "memory":
        raise limit_error("max_memory_bytes", limits.max_memory_bytes, limits.max_memory_bytes, source=name,
                          at_least=True)
    detail = str(payload).replace(tmp, "").replace(path.name, name)
    raise InputError.bi(f"berkas tidak dapat dibaca ({detail})", f"the file cannot be read ({detail})", source=name)


def read_upload(uploaded) -> tuple[gpd.GeoDataFrame, str]:
    """Read an ``UploadedFile`` as sites (see :func:`parse_upload`); show the reader's warnings.

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
    sites = parse_upload(data, uploaded.name)
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
