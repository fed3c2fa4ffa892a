"""Rule sets that stack: national base -> province -> kota, flattened into one rule set.

The law is layered (../shared/domain/domain-research.md §2): PKPU rules hold
everywhere, a KPU Provinsi decree (for DKI: SK KPU DKI 135/2024, with SK 363/2023 as
its published template, and the Satpol PP white areas under Perda DKI 8/2007) adds
to them, a KPU Kota decision adds more. A level names its parent with ``extends``; a
child adds rules and changes an inherited one only by naming it (an
:class:`~geozones.rules.model.Amendment`: tighten or lift).

:func:`flatten` resolves a chain of levels into the one
:class:`~geozones.rules.model.RuleSet` the engine compiles as before
(:func:`geozones.engine.compile.prepare`). Every rule keeps the level it came from
(:attr:`Rule.origin`) for its reason, and the flattened set lists every level used
(:attr:`RuleSet.levels`) for provenance. Pure: no file access (loading parents by id
is :func:`geozones.rules.model.load_ruleset`'s and the catalog's job).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from geozones.core.errors import InputError, Problem
from geozones.core.verdicts import RANK
from geozones.rules.model import Amendment, LevelRef, Rule, RuleSet, Text

__all__ = ["LEVEL_ORDER", "flatten", "stack_label"]

#: A level's parent must stand strictly higher in this order.
LEVEL_ORDER = {"nasional": 0, "provinsi": 1, "kota": 2}
#: Fields a child sets to replace its parent's (when written in the child's file).
_INHERITED = ("schedule", "default_verdict", "default_reason", "default_legal_basis")


def stack_label(levels: Sequence[LevelRef], lang: str = "id") -> str:
    """The levels of a stack as one line, e.g. ``nasional 2024.1 > DKI 2024.1 > Jakarta Pusat 2024.2``.

    Parameters
    ----------
    levels : sequence of LevelRef
        Root first (:attr:`RuleSet.levels`).
    lang : str
        ``"en"`` or Bahasa Indonesia (anything else).

    Returns
    -------
    str
    """
    return " > ".join(f"{lv.label.get(lang)} {lv.version}" for lv in levels)


def _tightened(rule: Rule, am: Amendment, ref: LevelRef, source: str) -> Rule:
    """``rule`` with the stricter parts of ``am``; refuses anything that loosens it."""
    owner = f"amendment {am.rule} ({ref.ruleset_id})"
    problems: list[Problem] = []
    update: dict[str, Any] = {}
    if "verdict" in am.model_fields_set and am.verdict is not None:
        if RANK[am.verdict] < RANK[rule.verdict]:
            problems.append(Problem(f"{am.verdict.value} is weaker than the inherited {rule.verdict.value}; "
                                    "a child may only tighten, or lift the rule", source, owner, "verdict"))
        update["verdict"] = am.verdict
    if "spatial" in am.model_fields_set and am.spatial is not None:
        if am.spatial.form != rule.spatial.form:
            problems.append(Problem(f"form '{am.spatial.form}' differs from the inherited '{rule.spatial.form}'",
                                    source, owner, "spatial.form"))
        elif am.spatial.metres < rule.spatial.metres:
            problems.append(Problem(f"{am.spatial.metres:g} m is narrower than the inherited "
                                    f"{rule.spatial.metres:g} m; a child may only widen it", source, owner,
                                    "spatial"))
        update["spatial"] = am.spatial
    if "apk_types" in am.model_fields_set:
        if rule.apk_types is not None and am.apk_types is not None \
                and not set(rule.apk_types) <= set(am.apk_types):
            problems.append(Problem("apk_types must keep every inherited type (a tightened rule covers more, "
                                    "never fewer, APK types)", source, owner, "apk_types"))
        update["apk_types"] = None if rule.apk_types is None else am.apk_types
    if problems:
        raise InputError(problems)
    base = rule.origin
    label = Text(id=f"{base.label.id}, diperketat {ref.label.id}" if base else ref.label.id,
                 en=f"{base.label.en}, tightened by {ref.label.en}" if base else ref.label.en)
    update["legal_basis"] = [*rule.legal_basis, *am.legal_basis]
    update["origin"] = ref.model_copy(update={"label": label})
    return rule.model_copy(update=update)


def flatten(levels: Sequence[RuleSet], *, source: str = "<stack>",
            kota: dict[str, list[str]] | None = None, area: str | None = None) -> RuleSet:
    """Resolve a chain of levels, root first, into one rule set.

    Parameters
    ----------
    levels : sequence of RuleSet
        Each as written (unresolved); ``levels[0]`` has no parent and each next one
        ``extends`` the one before it.
    source : str
        Named in messages (the file or catalog entry the stack was asked for).
    kota : dict, optional
        Kota codes (``{"kemendagri": ["31.74"], "bps": ["3174"]}``) to judge: replaces the
        jurisdiction, for a kota judged with the levels above it because it has no level
        of its own.
    area : str, optional
        Area manifest to compile against (default: the lowest level naming one).

    Returns
    -------
    RuleSet
        Id, version, title and status of the last level; rules in level order (parent
        rules first, lifted ones removed, tightened ones in place), each with its
        :attr:`~geozones.rules.model.Rule.origin`; schedule and defaults from the lowest
        level that sets them; quotas by (APK type, unit), the lower level's winning
        (local quota variations, domain research R21); grants of every level;
        :attr:`~geozones.rules.model.RuleSet.levels` lists each level used.

    Raises
    ------
    InputError
        When the chain is broken (a level that does not extend the one before it, or a
        level kind out of order), a child redefines an inherited rule id instead of
        naming it in ``amendments``, an amendment names an unknown rule or loosens one, a
        grant lifts a rule that is not in the stack, or the result has no area or
        jurisdiction.
    """
    if not levels:
        raise InputError("an empty stack of rule sets", source=source)
    problems: list[Problem] = []
    if levels[0].extends is not None:
        problems.append(Problem(f"the stack starts at '{levels[0].id}', which extends '{levels[0].extends}'",
                                source, None, "extends"))
    for parent, child in itertools.pairwise(levels):
        if child.extends != parent.id:
            problems.append(Problem(f"'{child.id}' extends '{child.extends}', not '{parent.id}'", source, None,
                                    "extends"))
        if LEVEL_ORDER[child.level] <= LEVEL_ORDER[parent.level]:
            problems.append(Problem(f"a {child.level} level ('{child.id}') cannot extend a {parent.level} level "
                                    f"('{parent.id}'): nasional > provinsi > kota", source, None, "level"))
    if problems:
        raise InputError(problems)

    rules: dict[str, Rule] = {}
    lifted: dict[str, LevelRef] = {}
    fields: dict[str, Any] = {}
    quotas: dict[tuple, Any] = {}
    grants: list = []
    for lvl in levels:
        ref = lvl.level_ref
        where = lvl.id
        for am in lvl.amendments:
            if am.rule not in rules:
                why = (f"already lifted by {lifted[am.rule].ruleset_id}" if am.rule in lifted
                       else "not defined by any level above; inherited rules: " + ", ".join(rules))
                problems.append(Problem(f"amends rule '{am.rule}', {why}", where, f"amendment {am.rule}", "rule"))
            elif am.action == "lift":
                del rules[am.rule]
                lifted[am.rule] = ref
            else:
                try:
                    rules[am.rule] = _tightened(rules[am.rule], am, ref, where)
                except InputError as exc:
                    problems.extend(exc.problems)
        for r in lvl.rules:
            if r.id in rules or r.id in lifted:
                by = rules[r.id].origin.ruleset_id if r.id in rules and rules[r.id].origin else lifted.get(
                    r.id, ref).ruleset_id
                problems.append(Problem(f"rule id '{r.id}' is already defined by '{by}'; a child changes an "
                                        "inherited rule only by naming it in 'amendments' (tighten or lift), "
                                        "and a new rule needs a new id", where, f"rule {r.id}", "id"))
                continue
            rules[r.id] = r.model_copy(update={"origin": ref})
        for name in _INHERITED:
            if name in lvl.model_fields_set and getattr(lvl, name) is not None:
                fields[name] = getattr(lvl, name)
        if lvl.jurisdiction:
            fields["jurisdiction"] = lvl.jurisdiction
        if lvl.area:
            fields["area"] = lvl.area
        for q in lvl.quotas:
            quotas[(q.apk_type, q.unit)] = q
        grants.extend(lvl.grants)
    for g in grants:
        gone = [x for x in g.lifts if x not in rules]
        if gone:
            problems.append(Problem(f"grant {g.id} lifts rule(s) not in the stack: {', '.join(gone)}", source,
                                    f"grant {g.id}", "lifts"))
    if kota:
        fields["jurisdiction"] = kota
    if area:
        fields["area"] = area
    for name in ("area", "jurisdiction", "schedule", "default_reason"):
        if not fields.get(name):
            problems.append(Problem(f"no level of the stack gives '{name}'", source, None, name))
    if problems:
        raise InputError(problems)

    leaf = levels[-1]
    data = {**{k: getattr(leaf, k) for k in ("id", "title", "version", "supersedes", "status", "issued_by",
                                                "level", "label", "extends", "effective_from", "timezone")},
            **fields, "rules": list(rules.values()), "quotas": list(quotas.values()), "grants": grants,
            "levels": [lv.level_ref for lv in levels]}
    try:
        return RuleSet.model_validate(data)
    except ValidationError as exc:
        raise InputError([Problem(e["msg"].removeprefix("Value error, "), source, None,
                                  ".".join(map(str, e["loc"])) or "(top level)") for e in exc.errors()]) from None
