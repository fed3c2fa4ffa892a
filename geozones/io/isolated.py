"""Reading an untrusted file of sites in a separate, capped interpreter.

A public web app takes files from anyone, so one file must not exhaust the
server. :func:`read_sites_isolated` runs :func:`~geozones.io.sites.read_sites`
in a fresh Python interpreter (``python -m geozones.io.isolated``), watches its
resident memory (RSS) and wall time from the parent and kills it past
``limits.max_memory_bytes`` or ``limits.max_seconds``; the child also caps its
own CPU time (``RLIMIT_CPU``) as a backstop. The reader's own limits (rows,
columns, line and cell sizes, unpacked bytes) stop most hostile files long
before these caps.

Why a fresh interpreter and not :mod:`multiprocessing`: a *spawned* child
re-runs the parent's ``__main__``, and Streamlit replaces ``sys.modules
["__main__"]`` with the app script, so every upload would run the whole app
again; a *forked* child copies the server's threads and memory. Why RSS and not
``RLIMIT_AS``: the address space of a process that has imported pandas, Arrow
and GDAL holds gigabytes of reservations that are never touched, so an
address-space cap either refuses good files or must be set so high it caps
nothing.

The child hands back only data, never code: the sites as GeoParquet and a JSON
record of warnings or problems, written atomically into a private folder that
is removed afterwards. The server's memory returns when the child exits.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import asdict
from pathlib import Path

import geopandas as gpd
import psutil

from geozones.core.errors import DataWarning, InputError, Problem
from geozones.io.limits import Limits, limit_error

#: How often the parent samples the child's memory (seconds). Allocating and
#: touching a gigabyte takes far longer than this, so a sample cannot miss it.
POLL_SECONDS = 0.02
_RESULT = "result.json"
_SITES = "sites.parquet"
# The child must import this geozones even when the server was started outside the checkout.
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


def read_sites_isolated(path: str | os.PathLike, *, source_name: str, limits: Limits,
                        date_order: str | None = None) -> gpd.GeoDataFrame:
    """Read a file of sites in a child interpreter under memory and time caps.

    Parameters
    ----------
    path : path-like
        The file (any format :func:`~geozones.io.sites.read_sites` reads).
    source_name : str
        The name every message uses for the file (the user's file name, never a
        server path).
    limits : Limits
        Reading limits; ``max_memory_bytes`` caps the child's resident memory
        (RSS, bytes) and ``max_seconds`` its wall time (s).
    date_order : {"dayfirst", "monthfirst"}, optional
        As in :func:`~geozones.io.sites.read_sites`.

    Returns
    -------
    geopandas.GeoDataFrame
        As :func:`~geozones.io.sites.read_sites` (EPSG:4326), with
        ``attrs["warnings"]`` holding the reader's :class:`DataWarning` texts.

    Raises
    ------
    InputError
        A problem in the file (file, row and field named), a limit passed
        (``max_memory_bytes`` with the peak RSS seen, ``max_seconds``), or a
        reader that stopped without an answer (its exit status named).
    """
    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="geozones-read-") as work:
        out = Path(work)
        request = {"path": str(path), "source_name": source_name, "limits": asdict(limits),
                   "date_order": date_order, "out": str(out)}
        (out / "request.json").write_text(json.dumps(request), encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            p for p in (_PACKAGE_ROOT, os.environ.get("PYTHONPATH", "")) if p)}
        with open(out / "stderr.txt", "wb") as err:
            proc = subprocess.Popen([sys.executable, "-m", "geozones.io.isolated", str(out / "request.json")],
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, env=env,
                                    close_fds=True)
            stopped = _watch(proc, limits)
        if stopped is not None:
            raise stopped(source_name)
        return _collect(out, proc.returncode, source_name, str(path))


def _watch(proc: subprocess.Popen, limits: Limits):
    """Wait for the child, killing it past its caps; return an error factory, or None when it exited."""
    started = time.monotonic()
    try:
        ps = psutil.Process(proc.pid)
    except psutil.NoSuchProcess:
        proc.wait()
        return None
    peak = 0
    while True:
        try:
            proc.wait(timeout=POLL_SECONDS)
            return None
        except subprocess.TimeoutExpired:
            pass
        try:
            peak = max(peak, ps.memory_info().rss)
        except psutil.NoSuchProcess:
            continue
        if peak > limits.max_memory_bytes:
            _kill(proc)
            return lambda name, peak=peak: limit_error("max_memory_bytes", peak, limits.max_memory_bytes,
                                                       source=name, at_least=True)
        if time.monotonic() - started > limits.max_seconds:
            _kill(proc)
            return lambda name: limit_error("max_seconds", limits.max_seconds, limits.max_seconds, source=name,
                                            at_least=True)


def _kill(proc: subprocess.Popen) -> None:
    proc.kill()
    proc.wait()


def _collect(out: Path, returncode: int, name: str, path: str) -> gpd.GeoDataFrame:
    """Turn what the child left in ``out`` into the sites, or into the error it reports."""
    def scrub(text: str | None) -> str | None:  # messages name the user's file, never a server path
        if text is None:
            return None
        return text.replace(path, name).replace(str(Path(path).parent), name)

    result = out / _RESULT
    if not result.exists():
        if returncode in (-9, -24):  # SIGKILL / SIGXCPU: the kernel stopped it at its CPU cap
            raise InputError.bi(f"waktu CPU pembaca habis (kode keluar {returncode})",
                                f"the reader ran out of CPU time (exit status {returncode})", source=name,
                                field="max_seconds")
        raise InputError.bi(f"pembaca berhenti tanpa jawaban (kode keluar {returncode}); berkas tidak dapat dibaca",
                            f"the reader stopped without an answer (exit status {returncode}); the file cannot "
                            "be read", source=name)
    record = json.loads(result.read_text(encoding="utf-8"))
    status = record["status"]
    if status == "error":
        raise InputError([Problem(scrub(p["message"]), name, p["row"], p["field"], scrub(p["message_id"]))
                          for p in record["problems"]])
    if status == "memory":
        raise limit_error("max_memory_bytes", record["limit"], record["limit"], source=name, at_least=True)
    if status != "ok":
        detail = scrub(record.get("detail", ""))
        raise InputError.bi(f"berkas tidak dapat dibaca ({detail})", f"the file cannot be read ({detail})",
                            source=name)
    sites = gpd.read_parquet(out / _SITES)
    # Parquet reads text back as pandas' string dtype; give every column the dtype the reader gave it.
    for col, dtype in record["dtypes"].items():
        if dtype == "object" and col in sites and str(sites[col].dtype) != "object":
            sites[col] = sites[col].astype(object).where(sites[col].notna(), None)
    if record.get("crs"):
        sites = sites.set_crs(record["crs"], allow_override=True)
    sites.attrs.update(record.get("attrs", {}))
    sites.attrs["warnings"] = record["warnings"]
    return_free_memory()
    return sites


def return_free_memory() -> None:
    """Give freed heap back to the operating system (Arrow's pool, then glibc's).

    Reading a million-row GeoParquet leaves ~270 MB of freed but retained heap
    in a long-lived server (Arrow's mimalloc pool and glibc's arenas; measured
    in ``bench/upload_memory.py``); each upload would raise the server's
    footprint to its largest upload so far.
    """
    import ctypes
    import ctypes.util

    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    libc = ctypes.util.find_library("c")
    if libc and sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(libc).malloc_trim(0)
        except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
            pass


def _write_json(out: Path, record: dict) -> None:
    tmp = out / (_RESULT + ".part")
    tmp.write_text(json.dumps(record, ensure_ascii=False, default=str), encoding="utf-8")
    os.replace(tmp, out / _RESULT)  # the parent never sees half a record


def _child(request_path: str) -> int:
    """Child interpreter: cap CPU, read the sites, leave the result in the request's folder."""
    import resource

    request = json.loads(Path(request_path).read_text(encoding="utf-8"))
    limits = Limits(**request["limits"])
    out = Path(request["out"])
    cpu = int(limits.max_seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    name = request["source_name"]
    try:
        from geozones.io.sites import read_sites

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DataWarning)
            sites = read_sites(request["path"], source_name=name, limits=limits, date_order=request["date_order"])
        texts = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
        sites.to_parquet(out / _SITES)
        _write_json(out, {"status": "ok", "warnings": texts, "attrs": dict(sites.attrs),
                          "dtypes": {c: str(t) for c, t in sites.dtypes.items()},
                          "crs": sites.crs.to_string() if sites.crs is not None else None})
    except InputError as err:
        _write_json(out, {"status": "error", "problems": [
            {"message": p.message, "row": p.row if isinstance(p.row, str | None) else int(p.row), "field": p.field,
             "message_id": p.message_id}
            for p in err.problems]})
    except MemoryError:
        _write_json(out, {"status": "memory", "limit": limits.max_memory_bytes})
    except Exception as exc:  # noqa: BLE001 - reported to the parent as an unreadable file
        text = f"{type(exc).__name__}: {str(exc)[:200]}".replace(request["path"], name)
        _write_json(out, {"status": "crash", "detail": text})
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1]))
