"""Quotas and schedule of a draft edited through the service: validated whole, audited, refused field by field."""

from __future__ import annotations

import pytest
import yaml

from geozones.core.errors import InputError
from geozones.rules.model import Quota, Schedule
from geozones.services import drafts, rulesets
from geozones.services.audit_log import list_events
from geozones.services.authz import Forbidden
from tests.store.stacked import JP_ID, JP_TEXT, NASIONAL_ID, NASIONAL_TEXT, import_parents

SCHEDULE = {"campaign": {"start": "2024-09-25T00:00:00+07:00", "end": "2024-11-24T00:00:00+07:00"},
            "quiet_period": {"start": "2024-11-24T00:00:00+07:00", "end": "2024-11-27T00:00:00+07:00"},
            "voting_day": {"start": "2024-11-27T00:00:00+07:00", "end": "2024-11-28T00:00:00+07:00"},
            "source": "Keputusan KPU Kota Jakarta Pusat (uji)"}


@pytest.fixture
def draft(store, people):
    import_parents(store, people["admin"])
    rulesets.import_ruleset(store, people["admin"], JP_TEXT)
    return drafts.new_draft(store, people["kpu_editor"], JP_ID, reason="uji")


def test_quotas_are_replaced_and_audited(store, people, draft):
    before = yaml.safe_load(drafts.draft_yaml(store, people["kpu_editor"], draft.id))["quotas"]
    rows = [{**q, "legal_basis": "PKPU 13/2024 Pasal 70 [S]"} for q in before]
    rows[0]["facilitated_max"] = before[0]["facilitated_max"] + 1
    v = drafts.set_quotas(store, people["kpu_editor"], draft.id, rows, reason="kuota baru",
                          expected_row_version=draft.row_version)
    assert v.row_version == draft.row_version + 1
    saved = [Quota.model_validate(q) for q in yaml.safe_load(drafts.draft_yaml(store, people["kpu_editor"],
                                                                               draft.id))["quotas"]]
    assert saved[0].facilitated_max == before[0]["facilitated_max"] + 1
    assert [(q.apk_type.value, q.unit) for q in saved] == [(q["apk_type"], q["unit"]) for q in before]
    assert saved[0].legal_basis[0].article == "Pasal 70"
    ev = [e for e in list_events(store, people["kpu_publisher"]) if e.action == "draft.set_quotas"]
    assert ev and ev[0].actor == "kpu_editor1" and ev[0].reason == "kuota baru"


def test_bad_quotas_name_row_and_field_and_change_nothing(store, people, draft):
    text = drafts.draft_yaml(store, people["kpu_editor"], draft.id)
    rows = [{"apk_type": "baliho", "unit": "kota", "facilitated_max": -1, "extra_pct": 200,
             "legal_basis": "PKPU 13/2024 [S]"},
            {"apk_type": "baliho", "unit": "desa", "facilitated_max": 1, "extra_pct": 200, "legal_basis": "x"}]
    with pytest.raises(InputError) as exc:
        drafts.set_quotas(store, people["kpu_editor"], draft.id, rows, reason="x")
    fields = {(p.row, p.field) for p in exc.value.problems}
    assert fields == {(1, "facilitated_max"), (2, "unit"), (2, "legal_basis")}
    assert drafts.draft_yaml(store, people["kpu_editor"], draft.id) == text
    for role in ("public", "paslon", "bawaslu", "admin"):
        with pytest.raises(Forbidden):
            drafts.set_quotas(store, people[role], draft.id, [], reason="x")


def test_schedule_own_inherited_and_refused(store, people, draft):
    own, effective, origin = drafts.draft_schedule(store, people["kpu_editor"], draft.id)
    national = yaml.safe_load(NASIONAL_TEXT)["schedule"]
    assert own is None and origin == NASIONAL_ID
    assert Schedule.model_validate(effective) == Schedule.model_validate(national)
    bad = {**SCHEDULE, "quiet_period": {"start": "2024-11-20T00:00:00+07:00", "end": "2024-11-27T00:00:00+07:00"}}
    with pytest.raises(InputError) as exc:
        drafts.set_schedule(store, people["kpu_editor"], draft.id, bad, reason="x")
    assert [p.field for p in exc.value.problems] == ["quiet_period.start"]
    v = drafts.set_schedule(store, people["kpu_editor"], draft.id, SCHEDULE, reason="jadwal sendiri")
    own, effective, origin = drafts.draft_schedule(store, people["kpu_editor"], draft.id)
    assert origin == JP_ID and Schedule.model_validate(own) == Schedule.model_validate(SCHEDULE) and own == effective
    rs = rulesets.parse_yaml_text(drafts.draft_yaml(store, people["kpu_editor"], draft.id))
    assert rs.schedule.source == SCHEDULE["source"]
    drafts.set_schedule(store, people["kpu_editor"], draft.id, None, reason="kembali",
                        expected_row_version=v.row_version)
    assert drafts.draft_schedule(store, people["kpu_editor"], draft.id)[0] is None
    with pytest.raises(InputError, match="reason"):
        drafts.set_schedule(store, people["kpu_editor"], draft.id, SCHEDULE, reason=" ")
