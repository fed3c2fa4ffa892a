"""The audit trail cannot be rewritten: the database refuses, and verify names the first break."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from geozones.services import accounts, rulesets
from geozones.services.maintenance import verify_store
from geozones.store.audit import verify_chain
from tests.store.stacked import JP_ID, JP_TEXT, JP_VERSION, import_parents


@pytest.fixture
def history(store, people):
    import_parents(store, people["admin"])
    rulesets.import_ruleset(store, people["admin"], JP_TEXT, decree_no="SK 1")
    accounts.grant_role(store, people["admin"], "bawaslu1", "kpu_editor")
    return store


def _raw(store, sql: str) -> None:
    with store.write_engine.begin() as conn:
        conn.execute(text(sql))


@pytest.mark.parametrize("sql", [
    "UPDATE audit_event SET reason = 'rewritten' WHERE seq = 2",
    "DELETE FROM audit_event WHERE seq = 2",
    "DELETE FROM audit_event",
])
def test_the_database_refuses_to_rewrite_the_audit_trail(history, sql):
    with pytest.raises(DBAPIError, match="append-only"):
        _raw(history, sql)
    with history.read() as s:
        n, brk = verify_chain(s)
    assert brk is None and n >= 8


def test_published_versions_and_their_zones_are_frozen_in_the_database(history):
    for sql in ("UPDATE ruleset_version SET yaml_text = 'x: 1'",
                "UPDATE ruleset_version SET decree_no = 'SK palsu'",
                "UPDATE ruleset_version SET status = 'draft'",
                "DELETE FROM ruleset_version"):
        with pytest.raises(DBAPIError, match=r"immutable|cannot be deleted"):
            _raw(history, sql)
    for sql in ("UPDATE zone_feature SET name = 'x'", "DELETE FROM zone_feature"):
        with pytest.raises(DBAPIError, match="immutable"):
            _raw(history, sql)


def _disable_guard(store) -> None:
    if store.dialect == "postgresql":
        _raw(store, "ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
    else:
        _raw(store, "DROP TRIGGER audit_event_no_update")
        _raw(store, "DROP TRIGGER audit_event_no_delete")


def test_verify_names_the_first_altered_event(history, people):
    assert verify_store(history, people["admin"]).ok
    _disable_guard(history)
    _raw(history, "UPDATE audit_event SET actor = 'someone else' WHERE seq = 4")
    _raw(history, "UPDATE audit_event SET reason = 'also changed' WHERE seq = 6")
    report = verify_store(history, people["admin"])
    assert not report.ok
    assert report.chain_break.seq == 4 and "altered" in report.chain_break.problem


def test_verify_names_a_removed_event(history, people):
    _disable_guard(history)
    _raw(history, "DELETE FROM audit_event WHERE seq = 3")
    report = verify_store(history, people["admin"])
    assert report.chain_break.seq == 4 and "removed" in report.chain_break.problem


def test_verify_finds_an_altered_rule_set_text(history, people):
    if history.dialect == "postgresql":
        _raw(history, "ALTER TABLE ruleset_version DISABLE TRIGGER ruleset_version_frozen")
    else:
        _raw(history, "DROP TRIGGER ruleset_version_frozen")
    _raw(history, f"UPDATE ruleset_version SET yaml_text = yaml_text || '# edited' WHERE ruleset_id = '{JP_ID}'")
    report = verify_store(history, people["admin"])
    assert report.bad_versions == [f"{JP_ID}@{JP_VERSION}"]


def test_cli_db_verify_exit_2_names_the_break(history, people, monkeypatch, capsys):
    from geozones.cli.main import main

    monkeypatch.setenv("GEOZONES_DATABASE_URL", history.url)
    monkeypatch.setenv("GEOZONES_USER", "admin1")
    monkeypatch.setenv("GEOZONES_PASSWORD", "admin-pass-1")
    assert main(["db", "verify"]) == 0
    _disable_guard(history)
    _raw(history, "UPDATE audit_event SET after = NULL WHERE seq = 5")
    assert main(["db", "verify"]) == 2
    err = capsys.readouterr().err
    assert "audit_event seq 5" in err and "Traceback" not in err
