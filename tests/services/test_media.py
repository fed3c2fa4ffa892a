"""Media: write-once under sha256, size limit, authorization per purpose."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from geozones.core.errors import InputError
from geozones.services import media
from geozones.services.authz import Action, Forbidden


def test_stored_once_and_never_changed(store, people):
    data = b"%PDF-1.7 decree"
    a = media.store_media(store, people["kpu_editor"], data, mime="application/pdf", filename="sk.pdf",
                          action=Action.EDIT_RULES)
    b = media.store_media(store, people["kpu_publisher"], data, mime="application/pdf", action=Action.EDIT_RULES)
    assert a.new and not b.new and a.sha256 == b.sha256 == hashlib.sha256(data).hexdigest()
    assert media.read_media(store, people["kpu_editor"], a.sha256, action=Action.EDIT_RULES) == data
    for sql in ("UPDATE media SET data = :d", "DELETE FROM media"):
        with pytest.raises(DBAPIError, match="append-only"), store.write_engine.begin() as conn:
            conn.execute(text(sql), {"d": b"other"})


def test_over_the_limit_is_refused_and_nothing_is_written(store, people, monkeypatch):
    monkeypatch.setattr(media, "MAX_BYTES", 1024)
    with pytest.raises(InputError, match="exceeds"):
        media.store_media(store, people["bawaslu"], b"x" * 1025, mime="image/jpeg", filename="big.jpg")
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM media")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM audit_event WHERE action = 'media.store'")).scalar() == 0


def test_evidence_is_bawaslu_only(store, people):
    media.store_media(store, people["bawaslu"], b"photo", mime="image/jpeg")
    for role in ("public", "paslon", "kpu_editor", "kpu_publisher", "admin"):
        with pytest.raises(Forbidden):
            media.store_media(store, people[role], b"photo2", mime="image/jpeg")
