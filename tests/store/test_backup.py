"""Dump and restore: a round trip gives the same store; a tampered archive is refused, naming what differs."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zipfile

import pytest
from sqlalchemy import text

from geozones.core.errors import InputError
from geozones.services import accounts, rulesets
from geozones.services.backup import dump_archive, restore_archive
from geozones.services.maintenance import verify_store
from geozones.store.database import open_store
from geozones.store.models import Media
from tests.store.backends import create_pg_database, drop_pg_database
from tests.store.stacked import JP_ID, JP_TEXT, JP_VERSION, import_parents, with_version

TEXT = JP_TEXT


@pytest.fixture
def filled(store, people):
    admin = people["admin"]
    import_parents(store, admin)
    rulesets.import_ruleset(store, admin, TEXT, decree_no="SK 135/2024", signed_on=dt.date(2024, 9, 20))
    rulesets.import_ruleset(store, admin, with_version(TEXT, "2024.3"),
                            effective_from=dt.datetime(2024, 11, 1, tzinfo=dt.UTC))
    rulesets.create_draft(store, people["kpu_editor"], with_version(TEXT, "2025.1"))
    with store.write() as s:
        data = b"\x89PNG fake photo bytes"
        s.add(Media(sha256=hashlib.sha256(data).hexdigest(), size=len(data), mime="image/png", filename="a.png",
                    meta={}, data=data, uploaded_by="admin1", uploaded_at=dt.datetime.now(dt.UTC)))
    return store


def _snapshot(store):
    with store.engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()
                for t in ("account", "role_grant", "ruleset", "ruleset_version", "zone_feature", "media",
                          "audit_event")} | {
            "head": conn.execute(text("SELECT hash FROM audit_event ORDER BY seq DESC LIMIT 1")).scalar(),
            "versions": conn.execute(text("SELECT version, status, sha256 FROM ruleset_version ORDER BY id")).all()}


@pytest.fixture
def empty_url(store, tmp_path):
    if store.dialect == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite'}"
        return
    url = create_pg_database()
    yield url
    drop_pg_database(url)


def test_round_trip_gives_the_same_store(filled, people, tmp_path, empty_url):
    archive = tmp_path / "backup.zip"
    dump_archive(filled, people["admin"], archive, with_password_hashes=True)
    target = open_store(empty_url, migrate=True)
    try:
        restore_archive(target, archive)
        assert _snapshot(target) == _snapshot(filled)
        assert verify_store(target, people["admin"]).ok
        # the restored store keeps working: a login, a new audited change chained to the old head
        admin = accounts.authenticate(target, "admin1", "admin-pass-1")
        accounts.grant_role(target, admin, "bawaslu1", "kpu_editor")
        assert verify_store(target, admin).ok
        v = rulesets.get_version(target, people["public"], JP_ID, JP_VERSION)
        assert v.yaml_text == TEXT
    finally:
        target.dispose()


def test_accounts_leave_their_password_hashes_behind_unless_asked(filled, people, tmp_path):
    archive = tmp_path / "backup.zip"
    dump_archive(filled, people["admin"], archive)
    with zipfile.ZipFile(archive) as z:
        accts = json.loads(z.read("accounts.json"))
    assert accts and all("password_hash" not in a for a in accts)


@pytest.mark.parametrize("member", ["audit.jsonl", f"versions/{JP_ID}@{JP_VERSION}.yaml",
                                    "media.json"])
def test_a_tampered_archive_is_refused_naming_what_differs(filled, people, tmp_path, empty_url, member):
    archive = tmp_path / "backup.zip"
    dump_archive(filled, people["admin"], archive)
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(archive) as src, zipfile.ZipFile(tampered, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == member:
                data = data.replace(b"admin1", b"mallory", 1) if b"admin1" in data else data + b"\n# edited\n"
            dst.writestr(name, data)
    target = open_store(empty_url, migrate=True)
    try:
        with pytest.raises(InputError, match="sha256 differs") as err:
            restore_archive(target, tampered)
        assert member in str(err.value)
        with target.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM account")).scalar() == 0
    finally:
        target.dispose()


def test_a_consistently_forged_archive_is_refused_by_the_chain(filled, people, tmp_path, empty_url):
    """Rewriting an event and fixing the manifest's hash still breaks the audit chain."""
    archive = tmp_path / "backup.zip"
    dump_archive(filled, people["admin"], archive)
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(archive) as src:
        members = {n: src.read(n) for n in src.namelist()}
    lines = members["audit.jsonl"].decode().splitlines()
    ev = json.loads(lines[2])
    ev["actor"] = "mallory"
    lines[2] = json.dumps(ev, sort_keys=True)
    members["audit.jsonl"] = ("\n".join(lines) + "\n").encode()
    manifest = json.loads(members["manifest.json"])
    manifest["files"]["audit.jsonl"]["sha256"] = hashlib.sha256(members["audit.jsonl"]).hexdigest()
    members["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(forged, "w") as dst:
        for n, d in members.items():
            dst.writestr(n, d)
    target = open_store(empty_url, migrate=True)
    try:
        with pytest.raises(InputError, match=f"seq {ev['seq']}"):
            restore_archive(target, forged)
    finally:
        target.dispose()


def test_restore_refuses_a_database_that_is_not_empty(filled, people, tmp_path):
    archive = tmp_path / "backup.zip"
    dump_archive(filled, people["admin"], archive)
    with pytest.raises(InputError, match="not empty"):
        restore_archive(filled, archive)


def test_an_archive_from_before_the_level_columns_restores_them_from_the_texts(filled, people, tmp_path, empty_url):
    """A 0003 archive: no ``level`` / ``extends``, the national area ``""``; restored as migration 0004 fills them."""
    archive = tmp_path / "backup.zip"
    dump_archive(filled, people["admin"], archive)
    old = tmp_path / "old.zip"
    with zipfile.ZipFile(archive) as src:
        members = {n: src.read(n) for n in src.namelist()}
    rows = json.loads(members["rulesets.json"])
    assert {r["level"] for r in rows} == {"nasional", "provinsi", "kota"}
    expected = {r["id"]: (r["area"], r["level"], r["extends"]) for r in rows}
    for r in rows:
        del r["level"], r["extends"]
        r["area"] = r["area"] or ""
    members["rulesets.json"] = json.dumps(rows).encode()
    manifest = json.loads(members["manifest.json"])
    manifest["schema_revision"] = "0003"
    manifest["files"]["rulesets.json"]["sha256"] = hashlib.sha256(members["rulesets.json"]).hexdigest()
    manifest["files"]["rulesets.json"]["size"] = len(members["rulesets.json"])
    members["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(old, "w") as dst:
        for n, d in members.items():
            dst.writestr(n, d)
    target = open_store(empty_url, migrate=True)
    try:
        restore_archive(target, old)
        with target.engine.connect() as conn:
            got = {r[0]: tuple(r[1:]) for r in conn.execute(text("SELECT id, area, level, extends FROM ruleset"))}
        assert got == expected and None in {a for a, _, _ in got.values()}
    finally:
        target.dispose()
