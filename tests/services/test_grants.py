"""The diskresi register: editors request, another publisher decides, the catalog serves granted ones."""

from __future__ import annotations

import pytest

from geozones.core.errors import InputError
from geozones.services import grants, rulesets
from geozones.services.authz import Forbidden
from geozones.services.concurrency import Conflict
from geozones.services.store_catalog import StoreCatalog
from tests.store.stacked import JP_ID, JP_TEXT, import_parents

RID = JP_ID
GRANT = {"id": "D-001", "lifts": ["R09"], "place": {"site_id": "A-17"},
         "window": {"start": "2024-10-01T00:00:00+07:00", "end": "campaign.end"},
         "reference": "Surat KPU Jakpus 12/2024", "granted_by": "KPU Kota Jakarta Pusat"}


@pytest.fixture
def stored(store, people):
    import_parents(store, people["admin"])
    rulesets.import_ruleset(store, people["admin"], JP_TEXT)
    return store


def test_request_decide_and_serve(stored, people):
    g = grants.request_grant(stored, people["kpu_editor"], RID, GRANT)
    assert g.status == "requested"
    cat = StoreCatalog(stored)
    rs = cat.ruleset()
    assert cat.grants(rs) == []
    assert grants.list_grants(stored, people["public"], RID) == []
    for role in ("public", "paslon", "bawaslu", "kpu_editor", "admin"):
        with pytest.raises(Forbidden):
            grants.decide_grant(stored, people[role], g.id, g.row_version, "granted")
    done = grants.decide_grant(stored, people["kpu_publisher"], g.id, g.row_version, "granted")
    assert done.status == "granted" and done.decided_by == "kpu_publisher1"
    served = cat.grants(rs)
    assert [x.id for x in served] == ["D-001"] and served[0].lifts == ["R09"]
    assert [x.grant_id for x in grants.list_grants(stored, people["public"], RID)] == ["D-001"]
    with pytest.raises(Conflict, match="kpu_publisher1"):
        grants.decide_grant(stored, people["kpu_publisher2"], g.id, g.row_version, "revoked")


def test_requests_are_validated_and_editors_only(stored, people):
    with pytest.raises(InputError, match="R99"):
        grants.request_grant(stored, people["kpu_editor"], RID, {**GRANT, "lifts": ["R99"]})
    for role in ("public", "paslon", "bawaslu", "admin"):
        with pytest.raises(Forbidden):
            grants.request_grant(stored, people[role], RID, {**GRANT, "id": f"D-{role}"})


def test_the_requester_cannot_decide_its_own_request(stored, people):
    g = grants.request_grant(stored, people["kpu_publisher"], RID, GRANT)
    with pytest.raises(Forbidden, match="four eyes"):
        grants.decide_grant(stored, people["kpu_publisher"], g.id, g.row_version, "granted")


def test_a_kota_grant_may_lift_a_rule_it_inherits_from_the_province(stored, people):
    """R05 (a DKI protocol road) is not in the Jakarta Pusat level's own text, but in its stack."""
    g = grants.request_grant(stored, people["kpu_editor"], RID, {**GRANT, "id": "D-002", "lifts": ["R05"]})
    grants.decide_grant(stored, people["kpu_publisher"], g.id, g.row_version, "granted")
    cat = StoreCatalog(stored)
    served = cat.grants(cat.ruleset())
    assert [(x.id, x.lifts) for x in served] == [("D-002", ["R05"])]
