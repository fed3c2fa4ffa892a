"""Provenance records: where each layer file in a data directory came from.

One JSON file per data directory (``provenance.json``) maps each layer file to
its record: how it was obtained (fetch, fetch-osm, import), the upstream
sources with URL, licence and SHA-256, when it was fetched, the SHA-256 of the
file written, and the build or import report. Replaced files are moved to
``.previous/`` and their records kept in the history, never lost.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from geozones.core.errors import InputError
from geozones.io.files import file_lock, sha256_file, write_atomic

PROVENANCE_FILE = "provenance.json"
PREVIOUS_DIR = ".previous"


def now_utc() -> str:
    """Current time, UTC, ISO 8601 to the second."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def load(data_dir: str | Path) -> dict:
    """The provenance document of a data directory (empty when there is none)."""
    path = Path(data_dir) / PROVENANCE_FILE
    if not path.exists():
        return {"files": {}, "history": []}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError.bi(f"bukan JSON yang sah ({exc}); pindahkan berkas ini untuk memulai catatan baru",
                            f"not valid JSON ({exc}); move it aside to start a new record", source=str(path)) from None
    doc.setdefault("files", {})
    doc.setdefault("history", [])
    return doc


def record_for(data_dir: str | Path, filename: str) -> dict | None:
    """The current record of one layer file, if any."""
    return load(data_dir)["files"].get(filename)


@contextlib.contextmanager
def provenance_lock(data_dir: str | Path, timeout: float = 60.0) -> Iterator[None]:
    """Hold the lock of ``provenance.json`` (read-modify-write by one writer at a time).

    Raises
    ------
    InputError
        When another writer holds it for more than ``timeout`` seconds.
    """
    with file_lock(Path(data_dir) / ".locks" / "provenance.json.lock", timeout=timeout, what="provenance.json"):
        yield


def updated_document(data_dir: str | Path, records: dict[str, dict]) -> dict:
    """The provenance document with ``records`` added; earlier records move to the history.

    Call under :func:`provenance_lock`.
    """
    doc = load(data_dir)
    for name, rec in records.items():
        rec = dict(rec)
        rec.setdefault("recorded_at", now_utc())
        old = doc["files"].get(name)
        if old is not None:
            doc["history"].append({"file": name, **old})
        doc["files"][name] = rec
    return doc


def save_records(data_dir: str | Path, records: dict[str, dict]) -> Path:
    """Add or replace the records of several files; earlier records go to the history.

    Concurrent writers are serialised (:func:`provenance_lock`), so no record is lost.

    Parameters
    ----------
    data_dir : path-like
        The data directory.
    records : dict of str to dict
        ``{file name: record}``. The written file's SHA-256 and size are added.
    """
    root = Path(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    with provenance_lock(root):
        filled = {}
        for name, rec in records.items():
            path = root / name
            rec = dict(rec)
            if path.exists():
                rec["file_sha256"] = sha256_file(path)
                rec["file_bytes"] = path.stat().st_size
            filled[name] = rec
        text = json.dumps(updated_document(root, filled), indent=2, ensure_ascii=False, default=str)
        return write_atomic(root / PROVENANCE_FILE, lambda tmp: tmp.write_text(text + "\n", encoding="utf-8"))


def keep_previous(path: Path) -> Path | None:
    """Move an existing file to ``.previous/<stem>.<UTC time><suffix>`` before it is replaced.

    Returns the new location, or ``None`` when there was no file.
    """
    if not path.exists():
        return None
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    dest = path.parent / PREVIOUS_DIR / f"{path.stem}.{stamp}.{os.getpid()}{path.suffix}"
    dest.parent.mkdir(parents=True, exist_ok=True)
    # copy then rename: a kill mid-copy leaves no half file under the final name
    tmp = dest.with_name(f".{dest.name}.part")
    shutil.copy2(path, tmp)
    os.replace(tmp, dest)
    return dest


def data_age_days(record: dict | None, fallback_date: dt.date | None = None,
                  today: dt.date | None = None) -> tuple[float | None, str | None]:
    """Age in days of the data in a layer and the date it is counted from.

    The date the data *describes* wins (``data_date``, e.g. an OSM extract date),
    then the fetch or import time, then the manifest date.
    """
    today = today or dt.datetime.now(dt.UTC).date()
    when = None
    if record:
        when = record.get("data_date") or record.get("fetched_at") or record.get("imported_at")
    if when is None and fallback_date is not None:
        when = fallback_date.isoformat()
    if when is None:
        return None, None
    day = dt.date.fromisoformat(str(when)[:10])
    return float((today - day).days), day.isoformat()
