"""The Bawaslu tables on both backends: created by migration 0003, history and sweeps append-only."""

from __future__ import annotations

import datetime as dt

import pytest
import shapely
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from geozones.store.casework import CASEWORK_APPEND_ONLY, CaseEvent, CaseRecord, Report, Sweep

NOW = dt.datetime(2024, 10, 15, 3, 0, tzinfo=dt.UTC)


def _report(s) -> Report:
    pt = shapely.Point(106.8311, -6.17)
    r = Report(source="temuan", lon=pt.x, lat=pt.y, geom=pt, minx=pt.x, miny=pt.y, maxx=pt.x, maxy=pt.y,
               observed_at=NOW, known_at=NOW, created_at=NOW, created_by="t", updated_at=NOW, updated_by="t")
    s.add(r)
    s.flush()
    return r


def test_tables_exist(store):
    names = set(inspect(store.engine).get_table_names())
    assert {"report", "reporter_identity", "report_photo", "bawaslu_case", "case_event", "case_clock",
            "sweep"} <= names


def test_case_history_and_sweeps_are_append_only(store):
    with store.write() as s:
        r = _report(s)
        c = CaseRecord(report_id=r.id, source="temuan", state="temuan", policy_id="p", policy_version="1",
                       known_at=NOW, arrived_at=NOW, received_at=NOW, opened_at=NOW, opened_by="t",
                       updated_at=NOW, updated_by="t")
        s.add(c)
        s.flush()
        s.add(CaseEvent(case_id=c.id, seq=1, at=NOW, actor="t", role="bawaslu", to_state="temuan", fields={}))
        s.add(Sweep(kecamatan="Gambir", swept_at=NOW, counts={"baliho": 3}, recorded_at=NOW, recorded_by="t"))
    assert set(CASEWORK_APPEND_ONLY) >= {"case_event", "sweep"}
    for sql in ("UPDATE case_event SET actor = 'x'", "DELETE FROM case_event", "UPDATE sweep SET note = 'x'",
                "DELETE FROM sweep"):
        with pytest.raises((DBAPIError, IntegrityError)), store.write() as s:
            s.execute(text(sql))
    with store.read() as s:
        assert s.execute(text("SELECT actor FROM case_event")).scalar() == "t"
        assert s.execute(text("SELECT count(*) FROM sweep")).scalar() == 1
