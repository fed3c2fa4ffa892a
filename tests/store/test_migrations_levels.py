"""Migration 0004 on both backends: ``ruleset.area`` nullable, ``level`` and ``extends`` from the stored YAML."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from alembic import command

from geozones.store import migrate as mig
from geozones.store.database import open_store
from geozones.store.models import RuleSetRecord, RuleSetVersion
from tests.store.stacked import DKI_ID, DKI_TEXT, JP_ID, JP_TEXT, NASIONAL_ID, NASIONAL_TEXT

NOW = dt.datetime(2024, 9, 1, tzinfo=dt.UTC)
#: An older Jakarta Pusat version saying something else: the newest version's text must win.
OLD_JP = f"id: {JP_ID}\nversion: '2024.1'\nlevel: provinsi\nextends: elsewhere\n"
#: A rule set whose text names no level: the rule model's default, kota.
BARE_ID = "bare-ruleset"


def _at_0003(url: str):
    s = open_store(url, migrate=False, check=False)
    mig.upgrade(s, "0003")
    return s


def _seed_0003(s) -> None:
    """Rows as geozones wrote them at 0003: the national level's area is ""."""
    rec, ver = RuleSetRecord.__table__, RuleSetVersion.__table__
    rows = [(NASIONAL_ID, "", [NASIONAL_TEXT]), (DKI_ID, "dki-jakarta", [DKI_TEXT]),
            (JP_ID, "jakarta-pusat", [OLD_JP, JP_TEXT]), (BARE_ID, "jakarta-pusat", ["id: bare-ruleset\n"])]
    with s.write_engine.begin() as conn:
        for rid, area, texts in rows:
            conn.execute(rec.insert().values(id=rid, area=area, title_id=rid, title_en=rid, jurisdiction={},
                                             created_at=NOW, created_by="seed"))
            for i, text in enumerate(texts):
                conn.execute(ver.insert().values(ruleset_id=rid, version=f"v{i}", status="draft", yaml_text=text,
                                                 sha256=f"{i:064d}", author="seed", created_at=NOW, updated_at=NOW,
                                                 updated_by="seed", row_version=1))


def _rows(s) -> dict[str, tuple]:
    with s.engine.connect() as conn:
        return {r[0]: tuple(r[1:]) for r in conn.execute(sa.text("SELECT id, area, level, extends FROM ruleset"))}


def _columns(s) -> dict[str, dict]:
    with s.engine.connect() as conn:
        return {c["name"]: c for c in sa.inspect(conn).get_columns("ruleset")}


def test_upgrade_from_0003_fills_level_and_extends_and_nulls_the_national_area(store_url):
    s = _at_0003(store_url)
    try:
        assert _columns(s)["area"]["nullable"] is False and "level" not in _columns(s)
        _seed_0003(s)
        mig.upgrade(s)
        assert mig.current_revision(s) == mig.head_revision()
        assert _rows(s) == {NASIONAL_ID: (None, "nasional", None),
                            DKI_ID: ("dki-jakarta", "provinsi", NASIONAL_ID),
                            JP_ID: ("jakarta-pusat", "kota", DKI_ID),
                            BARE_ID: ("jakarta-pusat", "kota", None)}
        cols = _columns(s)
        assert cols["area"]["nullable"] is True and cols["level"]["nullable"] is False
        assert cols["extends"]["nullable"] is True
        # the rebuilt table still guards its references (SQLite ran the rebuild with foreign keys off)
        with pytest.raises(sa.exc.IntegrityError), s.write_engine.begin() as conn:
            conn.execute(RuleSetVersion.__table__.insert().values(
                ruleset_id="no-such-ruleset", version="1", status="draft", yaml_text="x", sha256="0" * 64,
                author="seed", created_at=NOW, updated_at=NOW, updated_by="seed", row_version=1))
        with pytest.raises(sa.exc.IntegrityError), s.write_engine.begin() as conn:
            conn.execute(sa.text("UPDATE ruleset SET level = NULL WHERE id = :i"), {"i": DKI_ID})
        command.check(mig.alembic_config(s))
    finally:
        s.dispose()


def test_downgrade_to_0003_restores_the_empty_area_and_drops_the_columns(store_url):
    s = _at_0003(store_url)
    try:
        _seed_0003(s)
        mig.upgrade(s)
        command.downgrade(mig.alembic_config(s), "0003")
        assert mig.current_revision(s) == "0003"
        cols = _columns(s)
        assert "level" not in cols and "extends" not in cols and cols["area"]["nullable"] is False
        with s.engine.connect() as conn:
            areas = dict(conn.execute(sa.text("SELECT id, area FROM ruleset")).all())
            versions = conn.execute(sa.text("SELECT count(*) FROM ruleset_version")).scalar()
        assert areas == {NASIONAL_ID: "", DKI_ID: "dki-jakarta", JP_ID: "jakarta-pusat", BARE_ID: "jakarta-pusat"}
        assert versions == 5
        mig.upgrade(s)  # and up again: the same answers
        assert _rows(s)[NASIONAL_ID] == (None, "nasional", None)
        assert _rows(s)[JP_ID] == ("jakarta-pusat", "kota", DKI_ID)
    finally:
        s.dispose()
