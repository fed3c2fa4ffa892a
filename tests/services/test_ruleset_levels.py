"""Rule-set levels in the store (issue 12 item 7 on issue 9's store): area, level and parent columns.

A national level is stored with no area; every rule set's level and parent are columns,
listed by :func:`geozones.services.rulesets.list_rulesets`; a version may not move its rule
set elsewhere in the stack; publishing a parent version re-checks the stored levels below it.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from geozones.core.errors import InputError
from geozones.services import rulesets
from geozones.services.authz import PUBLIC
from tests.store.stacked import DKI_ID, DKI_TEXT, JP_ID, JP_TEXT, JP_VERSION, NASIONAL_ID, import_parents, with_version

#: A kota amendment lifting a DKI rule, inserted before the kota level's quotas.
LIFT_R07 = """amendments:
  - rule: R07
    action: lift
    legal_basis:
      - {instrument: "SK KPU Kota Jakarta Pusat (contoh uji / test example)", grade: S}
    reason: {id: "halte dikelola tersendiri", en: "stops handled separately"}
"""


def _jp_lifting_r07(version: str) -> str:
    text = with_version(JP_TEXT, version)
    assert "\nquotas:" in text
    return text.replace("\nquotas:", "\n" + LIFT_R07 + "quotas:", 1)


def _dki_without_r07(version: str) -> str:
    text, n = re.subn(r"^  - id: R07\n(?:(?!  - id: ).*\n)*", "", with_version(DKI_TEXT, version), count=1,
                      flags=re.M)
    assert n == 1 and "id: R07" not in text and "id: R08" in text
    return text


def test_levels_are_stored_and_listed_and_the_national_area_is_null(store, people):
    import_parents(store, people["admin"])
    rulesets.import_ruleset(store, people["admin"], JP_TEXT, source="jp.yaml")
    infos = {info.id: info for info, _ in rulesets.list_rulesets(store, PUBLIC)}
    got = {rid: (i.area, i.level, i.extends) for rid, i in infos.items()}
    assert got == {NASIONAL_ID: (None, "nasional", None), DKI_ID: ("dki-jakarta", "provinsi", NASIONAL_ID),
                   JP_ID: ("jakarta-pusat", "kota", DKI_ID)}
    with store.read() as s:
        assert s.execute(sa.text("SELECT count(*) FROM ruleset WHERE area IS NULL")).scalar() == 1
        assert s.execute(sa.text("SELECT count(*) FROM ruleset WHERE area = ''")).scalar() == 0


@pytest.mark.parametrize(("field", "old", "new"), [("extends", f"extends: {DKI_ID}", f"extends: {NASIONAL_ID}"),
                                                   ("level", "level: kota", "level: provinsi")])
def test_a_version_cannot_move_its_rule_set_in_the_stack(store, people, field, old, new):
    import_parents(store, people["admin"])
    rulesets.import_ruleset(store, people["admin"], JP_TEXT, source="jp.yaml")
    moved = with_version(JP_TEXT, "2024.3").replace(f"\n{old}\n", f"\n{new}\n", 1)
    assert moved != with_version(JP_TEXT, "2024.3")
    for attempt in (lambda: rulesets.import_ruleset(store, people["admin"], moved, source="moved.yaml"),
                    lambda: rulesets.create_draft(store, people["kpu_editor"], moved, source="moved.yaml")):
        with pytest.raises(InputError, match="keeps its level and parent") as err:
            attempt()
        assert err.value.problems[0].field == field
        assert old.split(": ")[1] in str(err.value) and new.split(": ")[1] in str(err.value)
    # a draft that keeps its place may not move later either
    d = rulesets.create_draft(store, people["kpu_editor"], with_version(JP_TEXT, "2024.3"))
    with pytest.raises(InputError, match="keeps its level and parent"):
        rulesets.update_draft(store, people["kpu_editor"], d.id, moved, d.row_version)
    versions = rulesets.list_versions(store, people["kpu_editor"], JP_ID)
    assert [(v.version, v.status) for v in versions] == [(JP_VERSION, "published"), ("2024.3", "draft")]
    assert versions[-1].sha256 == d.sha256
    info = next(i for i, _ in rulesets.list_rulesets(store, PUBLIC) if i.id == JP_ID)
    assert (info.level, info.extends) == ("kota", DKI_ID)


def test_publishing_a_parent_that_drops_an_amended_rule_is_refused_and_the_draft_kept(store, people):
    import_parents(store, people["admin"])
    # the DKI draft is started while no kota level stands below DKI: it validates then
    d = rulesets.create_draft(store, people["kpu_editor"], _dki_without_r07("2024.2"))
    d = rulesets.submit(store, people["kpu_editor"], d.id, d.row_version)
    rulesets.import_ruleset(store, people["admin"], _jp_lifting_r07(JP_VERSION), source="jp.yaml",
                            decree_no="SK 135/2024", signed_on=dt.date(2024, 9, 20))
    before = rulesets.get_version(store, people["kpu_editor"], DKI_ID, "2024.2")
    with pytest.raises(InputError) as err:
        rulesets.publish(store, people["kpu_publisher"], d.id, d.row_version, decree_no="SK 9/2024",
                         signed_on=dt.date(2024, 10, 1))
    msg = str(err.value)
    assert f"{JP_ID}@{JP_VERSION}" in msg and "amendment R07" in msg and "R07" in msg
    after = rulesets.get_version(store, people["kpu_editor"], DKI_ID, "2024.2")
    assert after == before and after.status == "in_review" and after.publisher is None
    dki = rulesets.list_versions(store, PUBLIC, DKI_ID)
    assert [(v.version, v.status) for v in dki] == [("2024.1", "published")]

    # once the kota's version in force no longer amends R07, the same draft publishes
    rulesets.import_ruleset(store, people["admin"], with_version(JP_TEXT, "2024.3"), source="jp3.yaml",
                            decree_no="SK 140/2024", signed_on=dt.date(2024, 9, 22))
    v = rulesets.publish(store, people["kpu_publisher"], d.id, d.row_version, decree_no="SK 9/2024",
                         signed_on=dt.date(2024, 10, 1))
    assert v.status == "published"
    assert [(x.version, x.status) for x in rulesets.list_versions(store, PUBLIC, DKI_ID)] == [
        ("2024.1", "superseded"), ("2024.2", "published")]
