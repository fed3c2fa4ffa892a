"""The role × action table of issue 9 §5, asserted as written there (not as the code happens to be)."""

from __future__ import annotations

import datetime as dt

import pytest

from geozones.services import accounts, rulesets
from geozones.services.authz import PUBLIC, Action, Forbidden, Principal, RoleGrantView, can
from geozones.services.maintenance import verify_store
from tests.store.stacked import JP_ID, JP_TEXT, import_parents, with_version

ROLES = ("public", "paslon", "bawaslu", "kpu_editor", "kpu_publisher", "admin")
# Copied from the issue: one row per action, one column per role in ROLES order.
TABLE = {
    Action.VIEW_PUBLIC:           "✓ ✓ ✓ ✓ ✓ ✓",
    Action.SUBMIT_INFORMASI_AWAL: "✓ ✓ ✓ - - -",
    Action.VIEW_OWN_CASES:        "- own all - - -",
    Action.CASEWORK:              "- - ✓ - - -",
    Action.EDIT_RULES:            "- - - ✓ ✓ -",
    Action.PUBLISH:               "- - - - ✓ -",
    Action.READ_AUDIT:            "- - own ✓ ✓ ✓",
    Action.ADMIN:                 "- - - - - ✓",
    # rules import: "admin or kpu_publisher" (issue 9 §4)
    Action.IMPORT_RULESET:        "- - - - ✓ ✓",
}


def principal(role: str, scope: str | None = None) -> Principal:
    return PUBLIC if role == "public" else Principal(role, (RoleGrantView(role, scope),))


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("role", ROLES)
def test_can_matches_the_issue_table(role, action):
    cell = TABLE[action].split()[ROLES.index(role)]
    assert can(principal(role, "paslon=2" if role == "paslon" else None), action) == (cell != "-")


def test_every_action_is_in_the_table():
    assert set(TABLE) == set(Action)


def test_scoped_grants_only_reach_their_scope():
    p2 = principal("paslon", "paslon=2")
    assert can(p2, Action.VIEW_OWN_CASES, {"paslon": "2"})
    assert not can(p2, Action.VIEW_OWN_CASES, {"paslon": "3"})
    pub = principal("kpu_publisher", "kota=31.71")
    assert can(pub, Action.PUBLISH, {"kota": ["31.71"]})
    assert not can(pub, Action.PUBLISH, {"kota": ["31.72"]})


def _draft_text(version: str) -> str:
    return with_version(JP_TEXT, version)


def test_direct_service_calls_are_refused_per_role(store, people):
    """Each service refuses exactly the roles the table refuses, when called directly."""
    text = JP_TEXT
    import_parents(store, people["admin"])  # the levels Jakarta Pusat extends, loaded first
    outcomes: dict[tuple[str, str], bool] = {}

    def attempt(key, fn):
        try:
            fn()
            outcomes[key] = True
        except Forbidden:
            outcomes[key] = False

    # import: admin and kpu_publisher only (each role tries a distinct version so success does not block the next)
    for i, role in enumerate(ROLES):
        attempt(("import", role), lambda r=role, i=i: rulesets.import_ruleset(
            store, people[r], _draft_text(f"2024.{i + 10}")))
    # drafts: kpu_editor and kpu_publisher
    for i, role in enumerate(ROLES):
        attempt(("draft", role), lambda r=role, i=i: rulesets.create_draft(store, people[r],
                                                                          _draft_text(f"2025.{i}")))
    # publish someone else's draft (a fresh editor's draft per role): kpu_publisher only
    for i, role in enumerate(ROLES):
        d = rulesets.create_draft(store, people["kpu_editor"], _draft_text(f"2026.{i}"))
        attempt(("publish", role), lambda r=role, d=d: rulesets.publish(
            store, people[r], d.id, d.row_version, decree_no="SK 1/2025", signed_on=dt.date(2025, 1, 1)))
    # accounts and verify: admin only
    for role in ROLES:
        attempt(("accounts", role), lambda r=role: accounts.list_accounts(store, people[r]))
        attempt(("verify", role), lambda r=role: verify_store(store, people[r]))
    # reading a draft: rule editors only; published text: everyone
    for role in ROLES:
        attempt(("read_draft", role), lambda r=role: rulesets.get_version(store, people[r],
                                                                          JP_ID, "2025.3"))
        attempt(("read_published", role), lambda r=role: rulesets.get_version(
            store, people[r], JP_ID, "2024.14"))

    expected = {
        "import": {"kpu_publisher", "admin"},
        "draft": {"kpu_editor", "kpu_publisher"},
        "publish": {"kpu_publisher"},
        "accounts": {"admin"},
        "verify": {"admin"},
        "read_draft": {"kpu_editor", "kpu_publisher"},
        "read_published": set(ROLES),
    }
    for what, allowed in expected.items():
        got = {r for r in ROLES if outcomes[(what, r)]}
        assert got == allowed, what
    assert text  # the default file itself was never changed


def test_four_eyes_a_publisher_cannot_publish_its_own_draft(store, people):
    import_parents(store, people["admin"])
    d = rulesets.create_draft(store, people["kpu_publisher"], _draft_text("2030.1"))
    with pytest.raises(Forbidden, match="four eyes"):
        rulesets.publish(store, people["kpu_publisher"], d.id, d.row_version, decree_no="SK 2/2030",
                         signed_on=dt.date(2030, 1, 1))
    v = rulesets.publish(store, people["kpu_publisher2"], d.id, d.row_version, decree_no="SK 2/2030",
                         signed_on=dt.date(2030, 1, 1))
    assert v.status == "published" and v.publisher == "kpu_publisher2"


def test_accounts_need_an_admin_after_the_first(store):
    admin = accounts.add_account(store, PUBLIC, "root", role="admin", password="root-pass-1")
    with pytest.raises(Forbidden):
        accounts.add_account(store, PUBLIC, "eve", role="admin", password="eve-pass-12")
    ed = accounts.add_account(store, admin, "ed", role="kpu_editor", password="ed-pass-123")
    with pytest.raises(Forbidden):
        accounts.add_account(store, ed, "eve", role="kpu_editor", password="eve-pass-12")
    with pytest.raises(Forbidden):
        accounts.grant_role(store, ed, "ed", "admin")
