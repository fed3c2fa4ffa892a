"""Media files (photos, decree PDFs, evidence): stored once under their sha256, never changed.

A file over :data:`MAX_BYTES` is refused before anything is written. Storing the
same bytes twice returns the first record (write-once; the database refuses
``UPDATE`` and ``DELETE`` on ``media``). The upload is authorized for the purpose
it serves (``action``): evidence needs casework, a decree PDF rule editing, an
informasi awal photo only public access.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from geozones.core.errors import InputError
from geozones.services.authz import Action, Principal, authorize
from geozones.services.concurrency import now_utc
from geozones.store.audit import append_event
from geozones.store.database import Store
from geozones.store.models import Media

__all__ = ["MAX_BYTES", "MediaInfo", "read_media", "store_media"]

#: Largest file accepted, in bytes (``$GEOZONES_MEDIA_MAX_MB``, default 25 MB: a phone photo or a scanned decree).
MAX_BYTES = int(float(os.environ.get("GEOZONES_MEDIA_MAX_MB", "25")) * 1024 * 1024)


@dataclass(frozen=True)
class MediaInfo:
    """A stored file's record (not its bytes)."""

    sha256: str
    size: int
    mime: str
    filename: str | None
    new: bool


def store_media(store: Store, actor: Principal, data: bytes, *, mime: str, filename: str | None = None,
                action: Action = Action.CASEWORK, meta: dict | None = None) -> MediaInfo:
    """Store ``data`` under its sha256 (audited); the same bytes again return the existing record.

    Raises
    ------
    InputError
        Empty or larger than :data:`MAX_BYTES` (nothing written).
    Forbidden
        ``actor`` may not do ``action``.
    """
    if not data:
        raise InputError("berkas kosong / the file is empty", source=filename)
    if len(data) > MAX_BYTES:
        raise InputError(f"berkas {len(data) / 1048576:.1f} MB melebihi batas {MAX_BYTES / 1048576:.0f} MB / "
                         f"file of {len(data) / 1048576:.1f} MB exceeds the {MAX_BYTES / 1048576:.0f} MB limit",
                         source=filename)
    sha = hashlib.sha256(data).hexdigest()
    with store.write() as s:
        role = authorize(actor, action)
        existing = s.get(Media, sha)
        if existing is not None:
            return MediaInfo(sha, existing.size, existing.mime, existing.filename, False)
        now = now_utc()
        s.add(Media(sha256=sha, size=len(data), mime=mime, filename=filename, meta=meta or {}, data=data,
                    uploaded_by=actor.name, uploaded_at=now))
        append_event(s, actor=actor.name, role=role, action="media.store", entity_type="media", entity_id=sha,
                     after={"size": len(data), "mime": mime, "filename": filename}, at=now)
        return MediaInfo(sha, len(data), mime, filename, True)


def read_media(store: Store, actor: Principal, sha256: str, *, action: Action = Action.CASEWORK) -> bytes:
    """The bytes stored under ``sha256`` (authorized for ``action``)."""
    authorize(actor, action)
    with store.read() as s:
        m = s.get(Media, sha256)
        if m is None:
            raise InputError(f"media {sha256} tidak ada / no media {sha256}")
        return bytes(m.data)
