"""The catalog from the store: valid time, transaction time, per-site versions, export round trip, stacked levels."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from geozones.core.errors import InputError
from geozones.engine.sites import sites_frame
from geozones.rules.model import parse_ruleset
from geozones.services import rulesets
from geozones.services.catalog import Catalog
from geozones.services.store_catalog import StoreCatalog
from geozones.services.versioned import check_by_version
from tests.store.stacked import (
    DKI_ID,
    JP_ID,
    JP_TEXT,
    JP_VERSION,
    NASIONAL_ID,
    NASIONAL_TEXT,
    import_parents,
    with_version,
)

WIB = dt.timezone(dt.timedelta(hours=7))
TEXT = JP_TEXT
RID = JP_ID
V1, V2 = JP_VERSION, "2024.3"


def _v2() -> str:
    """The next Jakarta Pusat version: the same rules under a changed English title (enough to tell them apart)."""
    out = with_version(TEXT, V2)
    revised = out.replace("APK placement in Central Jakarta", "APK placement in Central Jakarta (revised)", 1)
    assert revised != out
    return revised


@pytest.fixture
def two_versions(store, people):
    admin = people["admin"]
    import_parents(store, admin)
    v1 = rulesets.import_ruleset(store, admin, TEXT, decree_no="SK 135/2024", signed_on=dt.date(2024, 9, 20))
    v2 = rulesets.import_ruleset(store, admin, _v2(), decree_no="SK 150/2024",
                                 effective_from=dt.datetime(2024, 11, 1, tzinfo=WIB))
    return v1, v2


def test_valid_time_in_force_and_supersession(store, two_versions):
    v1, v2 = rulesets.list_versions(store, _public(), RID)
    assert (v1.status, v2.status) == ("superseded", "published")
    assert v1.effective_to == v2.effective_from == dt.datetime(2024, 11, 1, tzinfo=WIB)
    assert v1.superseded_at == v2.published_at
    cat = StoreCatalog(store, at=dt.datetime(2024, 10, 15, tzinfo=WIB))
    assert isinstance(cat, Catalog)
    assert cat.ruleset().version == V1
    assert StoreCatalog(store, at=dt.datetime(2024, 11, 1, tzinfo=WIB)).ruleset().version == V2
    with pytest.raises(InputError, match="in force"):
        StoreCatalog(store, at=dt.datetime(2024, 1, 1, tzinfo=WIB)).ruleset()


def _public():
    from geozones.services.authz import PUBLIC

    return PUBLIC


def test_transaction_time_is_what_the_tool_published_then(store, two_versions):
    v1, v2 = two_versions
    between = v1.published_at + (v2.published_at - v1.published_at) / 2
    assert StoreCatalog(store, as_published=between).ruleset().version == V1
    assert StoreCatalog(store, as_published=v2.published_at).ruleset().version == V2
    with pytest.raises(InputError, match="published"):
        StoreCatalog(store, as_published=v1.published_at - dt.timedelta(seconds=1)).ruleset()


@pytest.mark.realdata
def test_each_site_is_judged_with_the_version_in_force_at_its_own_time(store, two_versions, shared_data):
    sites = sites_frame([106.8227, 106.8227, 106.8227], [-6.1754, -6.1754, -6.1754],
                        installed_at=["2024-10-01T10:00", "2024-11-10T10:00", None])
    cat = StoreCatalog(store, data_dir=shared_data)
    ev, checkers = check_by_version(cat, RID, sites, at="2024-10-20T12:00")
    assert list(ev.table["site_id"]) == ["1", "2", "3"]
    base = f"{NASIONAL_ID}@2024.1 > {DKI_ID}@2024.1 > {RID}@"
    assert set(checkers) == {base + V1, base + V2}
    assert "(revised)" in checkers[base + V2].ruleset.title.en
    assert [lv.version for lv in checkers[base + V1].ruleset.levels] == ["2024.1", "2024.1", V1]
    assert sorted(ev.provenance["versions"]) == [V1, V2]
    sites_early = sites_frame([106.8227], [-6.1754], installed_at=["2023-01-01T10:00"])
    with pytest.raises(InputError, match="row"):
        check_by_version(cat, RID, sites_early)


def test_export_round_trip_gives_an_equal_rule_set(store, two_versions):
    v = rulesets.get_version(store, _public(), RID, V1)
    assert v.yaml_text == TEXT
    assert parse_ruleset(yaml.safe_load(v.yaml_text)) == parse_ruleset(yaml.safe_load(TEXT))


def test_withdrawn_versions_leave_force_and_drafts_stay_private(store, people, two_versions):
    v2 = rulesets.get_version(store, _public(), RID, V2)
    rulesets.withdraw(store, people["kpu_publisher"], v2.id, v2.row_version, reason="decree annulled")
    with pytest.raises(InputError, match="in force"):
        StoreCatalog(store, at=dt.datetime(2024, 11, 10, tzinfo=WIB)).ruleset()
    rulesets.create_draft(store, people["kpu_editor"], with_version(TEXT, "2025.1"))
    assert "2025.1" not in [v.version for v in rulesets.list_versions(store, _public(), RID)]
    assert "2025.1" in [v.version for v in rulesets.list_versions(store, people["kpu_editor"], RID)]


def test_invalid_yaml_is_refused_and_nothing_is_written(store, people):
    from sqlalchemy import text

    import_parents(store, people["admin"])
    with pytest.raises(InputError, match="not valid YAML"):
        rulesets.import_ruleset(store, people["admin"], "a: [1, 2", source="bad.yaml")
    with pytest.raises(InputError, match=r"bad\.yaml"):
        rulesets.import_ruleset(store, people["admin"], TEXT.replace("verdict: FORBIDDEN", "verdict: MAYBE", 1),
                                source="bad.yaml")
    with store.engine.connect() as conn:
        versions = text("SELECT count(*) FROM ruleset_version WHERE ruleset_id = :r")
        events = text("SELECT count(*) FROM audit_event WHERE action LIKE 'ruleset%' AND entity_id LIKE :r")
        assert conn.execute(versions, {"r": RID}).scalar() == 0
        assert conn.execute(events, {"r": RID + "@%"}).scalar() == 0


def test_a_rule_naming_a_layer_the_area_lacks_is_refused(store, people):
    import_parents(store, people["admin"])
    bad = TEXT.replace("layer: tps", "layer: no_such_layer", 1)
    assert bad != TEXT
    with pytest.raises(InputError, match="unknown layer 'no_such_layer'"):
        rulesets.import_ruleset(store, people["admin"], bad, source="bad.yaml")


def test_each_level_is_stored_alone_and_the_catalog_stacks_them(store, two_versions):
    cat = StoreCatalog(store, at=dt.datetime(2024, 10, 15, tzinfo=WIB))
    assert cat.level_ids() == sorted([NASIONAL_ID, DKI_ID, RID])
    assert [v.version for v in cat.versions(RID)] == [V1, V2]
    assert cat.versions(RID)[1].effective_from == dt.datetime(2024, 11, 1, tzinfo=WIB)
    assert cat.versions("no-such-level") == []
    rs = cat.ruleset()
    assert [(lv.ruleset_id, lv.version) for lv in rs.levels] == [(NASIONAL_ID, "2024.1"), (DKI_ID, "2024.1"),
                                                                 (RID, V1)]
    # Inherited rules cite the level that holds them: the national base's R01, DKI's protocol roads.
    origins = {r.id: r.origin.ruleset_id for r in rs.rules}
    assert origins["R01"] == NASIONAL_ID and RID in origins.values() and DKI_ID in origins.values()
    assert cat.stack_in_force(RID, dt.datetime(2024, 11, 2, tzinfo=WIB))[-1] == (RID, V2)
    assert cat.stack_in_force(RID, dt.datetime(2024, 9, 1, tzinfo=WIB)) is None
    # A parent not yet in force at the date is named.
    with pytest.raises(InputError, match=f"parent '{DKI_ID}' of '{RID}' has no version in force"):
        StoreCatalog(store, at=dt.datetime(2024, 9, 21, tzinfo=WIB)).ruleset()


def test_a_level_whose_parent_is_not_stored_is_refused_naming_the_command(store, people, monkeypatch, tmp_path):
    # run from the checkout: every missing level, root first, as a command that runs from here
    monkeypatch.chdir(rulesets.RULES_DIR.parent)
    with pytest.raises(InputError) as exc:
        rulesets.import_ruleset(store, people["admin"], TEXT, source="jp.yaml")
    msg = str(exc.value)
    assert f"'{DKI_ID}'" in msg and "belum ada di basis data" in msg and "not in the store" in msg
    both = f"geozones rules import rules/{NASIONAL_ID}.yaml; geozones rules import rules/{DKI_ID}.yaml"
    assert both in msg.split(" / ")[0] and both in msg.split(" / ")[1]
    assert str(rulesets.RULES_DIR) not in msg
    rulesets.import_ruleset(store, people["admin"], NASIONAL_TEXT)
    # from elsewhere: the packaged file's own path; a stored level is no longer named
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match=DKI_ID) as exc:
        rulesets.import_ruleset(store, people["admin"], TEXT, source="jp.yaml")
    msg = str(exc.value)
    assert f"geozones rules import {rulesets.RULES_DIR.resolve() / (DKI_ID + '.yaml')}" in msg
    assert f"{NASIONAL_ID}.yaml" not in msg
    assert [v.version for v in rulesets.list_versions(store, people["admin"], NASIONAL_ID)] == ["2024.1"]


def test_a_draft_of_a_level_not_stored_names_the_imports_root_first(store, people, monkeypatch):
    from geozones.services import drafts

    monkeypatch.chdir(rulesets.RULES_DIR.parent)
    with pytest.raises(InputError) as exc:
        drafts.new_draft(store, people["kpu_editor"], RID)
    en = str(exc.value).split(" / ", 1)[1]
    assert "in the store" in en
    assert en.index(f"rules/{NASIONAL_ID}.yaml") < en.index(f"rules/{DKI_ID}.yaml") < en.index(f"rules/{RID}.yaml")
    import_parents(store, people["admin"])
    with pytest.raises(InputError) as exc:
        drafts.new_draft(store, people["kpu_editor"], RID)
    assert f"geozones rules import rules/{RID}.yaml" in str(exc.value) and NASIONAL_ID not in str(exc.value)


def test_a_parent_version_is_checked_against_the_kota_layers_below_it(store, people, two_versions):
    bad = with_version(NASIONAL_TEXT, "2024.2").replace("layer: worship", "layer: no_such_layer", 1)
    with pytest.raises(InputError, match="unknown layer 'no_such_layer'"):
        rulesets.import_ruleset(store, people["admin"], bad, source="nasional-bad.yaml")
    assert [v.version for v in rulesets.list_versions(store, people["admin"], NASIONAL_ID)] == ["2024.1"]


def test_export_of_one_level_gives_an_equal_level(store, two_versions):
    from tests.store.stacked import DKI_TEXT

    v = rulesets.get_version(store, _public(), DKI_ID, "2024.1")
    assert v.yaml_text == DKI_TEXT
    assert parse_ruleset(yaml.safe_load(v.yaml_text)) == parse_ruleset(yaml.safe_load(DKI_TEXT))
    assert parse_ruleset(yaml.safe_load(v.yaml_text)).extends == NASIONAL_ID


def _national_v2() -> str:
    """National 2024.2: the estimated grounds of a place of worship widened from 10 m to 150 m."""
    out = with_version(NASIONAL_TEXT, "2024.2").replace("spatial: {form: within, distance: 10 m}",
                                                        "spatial: {form: within, distance: 150 m}", 1)
    assert "distance: 150 m" in out
    return out


@pytest.mark.realdata
def test_a_later_national_version_changes_verdicts_only_from_its_effective_date(store, people, two_versions,
                                                                                 shared_data):
    import numpy as np

    lon, lat = np.meshgrid(np.linspace(106.815, 106.855, 14), np.linspace(-6.205, -6.165, 14))
    n = lon.size
    early = sites_frame(lon.ravel(), lat.ravel(), installed_at=["2024-10-15T10:00"] * n)
    late = sites_frame(lon.ravel(), lat.ravel(), installed_at=["2024-11-05T10:00"] * n)
    cat = StoreCatalog(store, data_dir=shared_data)
    before_early, _ = check_by_version(cat, RID, early)
    before_late, _ = check_by_version(cat, RID, late)
    rulesets.import_ruleset(store, people["admin"], _national_v2(), decree_no="PKPU x/2024",
                            effective_from=dt.datetime(2024, 11, 1, tzinfo=WIB))
    both = sites_frame(np.r_[lon.ravel(), lon.ravel()], np.r_[lat.ravel(), lat.ravel()],
                       installed_at=["2024-10-15T10:00"] * n + ["2024-11-05T10:00"] * n)
    ev, checkers = check_by_version(StoreCatalog(store, data_dir=shared_data), RID, both)
    got = ev.table["verdict"].to_numpy()
    # Before 1 November: exactly the verdicts and reasons given before the national change was published.
    assert list(got[:n]) == list(before_early.table["verdict"])
    assert list(ev.table["reasons_en"].iloc[:n]) == list(before_early.table["reasons_en"])
    # From 1 November: the wider grounds forbid more places, and only ever tighten.
    changed = got[n:] != before_late.table["verdict"].to_numpy()
    assert changed.any()
    assert set(got[n:][changed]) == {"FORBIDDEN"}
    # ...and the reasons for them cite the national level's rule that changed.
    assert all("R01-H" in r and "national" in r for r in ev.table["reasons_en"].iloc[n:][changed])
    stacks = sorted(tuple((lv["ruleset_id"], lv["version"]) for lv in st) for st in ev.provenance["stacks"])
    assert stacks == [((NASIONAL_ID, "2024.1"), (DKI_ID, "2024.1"), (RID, V1)),
                      ((NASIONAL_ID, "2024.2"), (DKI_ID, "2024.1"), (RID, V2))]
    assert len(checkers) == 2


def test_each_parent_follows_the_same_time_axis_as_the_level(store, people, two_versions):
    _, v2 = two_versions
    nat2 = rulesets.import_ruleset(store, people["admin"], _national_v2(), decree_no="PKPU x/2024",
                                   effective_from=dt.datetime(2024, 11, 1, tzinfo=WIB))

    def stack(cat):
        return [(lv.ruleset_id, lv.version) for lv in cat.ruleset().levels]

    # Transaction time: what the tool served then (the national 2024.2 was not published yet at v2's publication).
    assert stack(StoreCatalog(store, as_published=v2.published_at)) == [
        (NASIONAL_ID, "2024.1"), (DKI_ID, "2024.1"), (RID, V2)]
    assert stack(StoreCatalog(store, as_published=nat2.published_at)) == [
        (NASIONAL_ID, "2024.2"), (DKI_ID, "2024.1"), (RID, V2)]
    # Valid time: each level's version in force at the date.
    assert stack(StoreCatalog(store, at=dt.datetime(2024, 10, 15, tzinfo=WIB))) == [
        (NASIONAL_ID, "2024.1"), (DKI_ID, "2024.1"), (RID, V1)]
    assert stack(StoreCatalog(store, at=dt.datetime(2024, 11, 5, tzinfo=WIB))) == [
        (NASIONAL_ID, "2024.2"), (DKI_ID, "2024.1"), (RID, V2)]
    # A named version that has left force stands with its parents as they were at its end; the current one
    # with today's.
    assert StoreCatalog(store).ruleset(RID, V1).levels[0].version == "2024.1"
    assert StoreCatalog(store).ruleset(RID, V2).levels[0].version == "2024.2"
