"""The catalog from the store: valid time, transaction time, per-site versions, export round trip."""

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
from tests.conftest import DEFAULT_RULES

WIB = dt.timezone(dt.timedelta(hours=7))
TEXT = DEFAULT_RULES.read_text(encoding="utf-8")
RID = "dki-jakarta-pusat-pilkada-2024"


def _v2() -> str:
    """Version 2024.2: the same rules under a changed English title (enough to tell them apart)."""
    return (TEXT.replace('version: "2024.1"', 'version: "2024.2"')
            .replace("APK placement in Central Jakarta, 2024 Jakarta governor election",
                     "APK placement in Central Jakarta (revised)"))


@pytest.fixture
def two_versions(store, people):
    admin = people["admin"]
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
    assert cat.ruleset().version == "2024.1"
    assert StoreCatalog(store, at=dt.datetime(2024, 11, 1, tzinfo=WIB)).ruleset().version == "2024.2"
    with pytest.raises(InputError, match="in force"):
        StoreCatalog(store, at=dt.datetime(2024, 1, 1, tzinfo=WIB)).ruleset()


def _public():
    from geozones.services.authz import PUBLIC

    return PUBLIC


def test_transaction_time_is_what_the_tool_published_then(store, two_versions):
    v1, v2 = two_versions
    between = v1.published_at + (v2.published_at - v1.published_at) / 2
    assert StoreCatalog(store, as_published=between).ruleset().version == "2024.1"
    assert StoreCatalog(store, as_published=v2.published_at).ruleset().version == "2024.2"
    with pytest.raises(InputError, match="published"):
        StoreCatalog(store, as_published=v1.published_at - dt.timedelta(seconds=1)).ruleset()


@pytest.mark.realdata
def test_each_site_is_judged_with_the_version_in_force_at_its_own_time(store, two_versions, shared_data):
    sites = sites_frame([106.8227, 106.8227, 106.8227], [-6.1754, -6.1754, -6.1754],
                        installed_at=["2024-10-01T10:00", "2024-11-10T10:00", None])
    cat = StoreCatalog(store, data_dir=shared_data)
    ev, checkers = check_by_version(cat, RID, sites, at="2024-10-20T12:00")
    assert list(ev.table["site_id"]) == ["1", "2", "3"]
    assert set(checkers) == {"2024.1", "2024.2"}
    assert checkers["2024.2"].ruleset.title.en.endswith("(revised)")
    assert sorted(ev.provenance["versions"]) == ["2024.1", "2024.2"]
    sites_early = sites_frame([106.8227], [-6.1754], installed_at=["2023-01-01T10:00"])
    with pytest.raises(InputError, match="row"):
        check_by_version(cat, RID, sites_early)


def test_export_round_trip_gives_an_equal_rule_set(store, two_versions):
    v = rulesets.get_version(store, _public(), RID, "2024.1")
    assert v.yaml_text == TEXT
    assert parse_ruleset(yaml.safe_load(v.yaml_text)) == parse_ruleset(yaml.safe_load(TEXT))


def test_withdrawn_versions_leave_force_and_drafts_stay_private(store, people, two_versions):
    v2 = rulesets.get_version(store, _public(), RID, "2024.2")
    rulesets.withdraw(store, people["kpu_publisher"], v2.id, v2.row_version, reason="decree annulled")
    with pytest.raises(InputError, match="in force"):
        StoreCatalog(store, at=dt.datetime(2024, 11, 10, tzinfo=WIB)).ruleset()
    rulesets.create_draft(store, people["kpu_editor"], TEXT.replace('version: "2024.1"', 'version: "2025.1"'))
    assert "2025.1" not in [v.version for v in rulesets.list_versions(store, _public(), RID)]
    assert "2025.1" in [v.version for v in rulesets.list_versions(store, people["kpu_editor"], RID)]


def test_invalid_yaml_is_refused_and_nothing_is_written(store, people):
    from sqlalchemy import text

    with pytest.raises(InputError, match="not valid YAML"):
        rulesets.import_ruleset(store, people["admin"], "a: [1, 2", source="bad.yaml")
    with pytest.raises(InputError, match=r"bad\.yaml"):
        rulesets.import_ruleset(store, people["admin"], TEXT.replace("verdict: FORBIDDEN", "verdict: MAYBE", 1),
                                source="bad.yaml")
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM ruleset_version")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM audit_event WHERE action LIKE 'ruleset%'")).scalar() == 0


def test_a_rule_naming_a_layer_the_area_lacks_is_refused(store, people):
    bad = TEXT.replace("layer: worship", "layer: no_such_layer", 1)
    assert bad != TEXT
    with pytest.raises(InputError, match="unknown layer 'no_such_layer'"):
        rulesets.import_ruleset(store, people["admin"], bad, source="bad.yaml")
