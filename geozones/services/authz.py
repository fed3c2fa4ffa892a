"""Who may do what: the role × action table of issue 9, checked by every service call.

A :class:`Principal` is who is acting (an account with its live role grants, or
the public). :func:`authorize` raises :class:`Forbidden` unless one of the
principal's roles allows the action; pages may hide what a role cannot do, but
the refusal lives here, so a direct call to a service is refused the same way.

=============================================  ======  ======  =======  ==========  =============  =====
action                                          public  paslon  bawaslu  kpu_editor  kpu_publisher  admin
=============================================  ======  ======  =======  ==========  =============  =====
VIEW_PUBLIC (map, check, published rules)        ✓       ✓       ✓        ✓           ✓              ✓
SUBMIT_INFORMASI_AWAL                            ✓       ✓       ✓        -           -              -
VIEW_OWN_CASES (state, rules; never reporter)    -       own     all      -           -              -
CASEWORK (reports, cases, reporter, evidence)    -       -       ✓        -           -              -
EDIT_RULES (drafts, zones, grant requests)       -       -       -        ✓           ✓              -
PUBLISH (publish/withdraw, decide grants)        -       -       -        -           ✓              -
READ_AUDIT                                       -       -       own      ✓           ✓              ✓
ADMIN (accounts, roles, dump, restore, verify)   -       -       -        -           -              ✓
IMPORT_RULESET (first loading, migration)        -       -       -        -           ✓              ✓
=============================================  ======  ======  =======  ==========  =============  =====
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from geozones.core.errors import InputError

__all__ = ["PERMISSIONS", "PUBLIC", "ROLES", "Action", "Forbidden", "Principal", "RoleGrantView", "authorize", "can"]


class Action(StrEnum):
    """Everything a service may be asked to do, grouped as the issue's table rows."""

    VIEW_PUBLIC = "view_public"
    SUBMIT_INFORMASI_AWAL = "submit_informasi_awal"
    VIEW_OWN_CASES = "view_own_cases"
    CASEWORK = "casework"
    EDIT_RULES = "edit_rules"
    PUBLISH = "publish"
    READ_AUDIT = "read_audit"
    ADMIN = "admin"
    IMPORT_RULESET = "import_ruleset"


#: Roles allowed per action (issue 9 §5; ``public`` is everyone, logged in or not).
PERMISSIONS: dict[Action, frozenset[str]] = {
    Action.VIEW_PUBLIC: frozenset({"public", "paslon", "bawaslu", "kpu_editor", "kpu_publisher", "admin"}),
    Action.SUBMIT_INFORMASI_AWAL: frozenset({"public", "paslon", "bawaslu"}),
    Action.VIEW_OWN_CASES: frozenset({"paslon", "bawaslu"}),
    Action.CASEWORK: frozenset({"bawaslu"}),
    Action.EDIT_RULES: frozenset({"kpu_editor", "kpu_publisher"}),
    Action.PUBLISH: frozenset({"kpu_publisher"}),
    Action.READ_AUDIT: frozenset({"bawaslu", "kpu_editor", "kpu_publisher", "admin"}),
    Action.ADMIN: frozenset({"admin"}),
    Action.IMPORT_RULESET: frozenset({"kpu_publisher", "admin"}),
}

#: Roles a grant can give (``public`` is the absence of any grant).
ROLES = ("paslon", "bawaslu", "kpu_editor", "kpu_publisher", "admin")

#: Audit entity types a ``bawaslu`` account may read ("own entities").
BAWASLU_ENTITIES = frozenset({"report", "case", "informasi_awal", "evidence"})


class Forbidden(InputError):
    """The acting account may not do this (exit 2 from the CLI; an error box in the app)."""


@dataclass(frozen=True)
class RoleGrantView:
    """A live role grant: the role and its optional scope (``paslon=2``, ``kota=31.71``)."""

    role: str
    scope: str | None = None

    def scope_pair(self) -> tuple[str, str] | None:
        """``("paslon", "2")`` for ``paslon=2``; None when unscoped."""
        if not self.scope:
            return None
        key, _, value = self.scope.partition("=")
        return key.strip(), value.strip()


@dataclass(frozen=True)
class Principal:
    """Who is acting: an account name and its live grants; :data:`PUBLIC` when nobody is logged in."""

    name: str
    grants: tuple[RoleGrantView, ...] = field(default_factory=tuple)
    account_id: int | None = None

    @property
    def roles(self) -> set[str]:
        """The roles held (``public`` always included)."""
        return {"public"} | {g.role for g in self.grants}

    @property
    def is_public(self) -> bool:
        """True when the principal holds no role beyond public."""
        return not self.grants

    def main_role(self) -> str:
        """The strongest role held, for the audit record."""
        order = ("admin", "kpu_publisher", "kpu_editor", "bawaslu", "paslon")
        return next((r for r in order if r in self.roles), "public")


PUBLIC = Principal("public")


def _scope_ok(grant: RoleGrantView, target: dict[str, object] | None) -> bool:
    pair = grant.scope_pair()
    if pair is None or not target:
        return True
    key, value = pair
    if key not in target:
        return True
    wanted = target[key]
    values = {str(v) for v in wanted} if isinstance(wanted, list | tuple | set | frozenset) else {str(wanted)}
    return value in values


def can(principal: Principal, action: Action, target: dict[str, object] | None = None) -> bool:
    """Whether ``principal`` may do ``action`` on something with scope ``target``.

    Parameters
    ----------
    target : dict, optional
        What the action touches, e.g. ``{"kota": ["31.71"]}`` for a rule set or
        ``{"paslon": "2"}`` for a case. A scoped grant allows only matching targets.
    """
    allowed = PERMISSIONS[action]
    if principal.is_public:
        # A logged-in role does not fall back to public: KPU staff may not file informasi awal.
        return "public" in allowed
    return any(g.role in allowed and _scope_ok(g, target) for g in principal.grants)


def authorize(principal: Principal, action: Action, target: dict[str, object] | None = None) -> str:
    """Refuse unless ``principal`` may do ``action``; return the role it acts in (for the audit).

    Raises
    ------
    Forbidden
        Naming the account, the action and the roles that may do it.
    """
    if not can(principal, action, target):
        need = ", ".join(sorted(PERMISSIONS[action]))
        who = principal.name if not principal.is_public else "publik / public"
        raise Forbidden(f"tidak diizinkan / not allowed: '{who}' cannot {action.value.replace('_', ' ')} "
                        f"(perlu peran / needs role: {need})")
    allowed = PERMISSIONS[action]
    held = [g.role for g in principal.grants if g.role in allowed and _scope_ok(g, target)]
    order = ("admin", "kpu_publisher", "kpu_editor", "bawaslu", "paslon")
    return next((r for r in order if r in held), "public")
