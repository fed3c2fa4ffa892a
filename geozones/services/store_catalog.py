"""The catalog from the store: rule sets by valid time or transaction time, grants from the register.

:class:`StoreCatalog` answers the :class:`~geozones.services.catalog.Catalog`
questions from the database: the version of a rule set *in force* on a date (valid
time, the legal question) or *as the tool published it* on a date (transaction
time, "what did geozones say that day"). Rule sets stack (national -> province ->
kota, :mod:`geozones.rules.stack`): each level is stored and versioned on its own,
and a level's ``extends`` is resolved from the store, each parent in *its own*
version in force at the date (or as published then), before
:func:`geozones.rules.stack.flatten` makes the one rule set the engine compiles;
its ``levels`` record every level's id and version. It is also a
:class:`~geozones.services.catalog.StackCatalog` (:meth:`StoreCatalog.level_ids`,
:meth:`StoreCatalog.versions`) for batches over several kota. Layers still come
from files (the area's data directory): national layers do not belong in the
store (workflows-research §1.4).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import select

from geozones.areas.layers import LayerSet
from geozones.core.errors import InputError
from geozones.rules.model import DEFAULT_RULES, Grant, RuleSet, check_layers, read_level
from geozones.rules.stack import flatten
from geozones.services.authz import PUBLIC, Principal
from geozones.services.catalog import FileCatalog
from geozones.services.concurrency import now_utc
from geozones.services.rulesets import get_version, in_force_on, stack_rows, stored_level
from geozones.store.database import Store
from geozones.store.models import DiskresiGrant, RuleSetRecord, RuleSetVersion

__all__ = ["StoreCatalog", "parse_ruleset_ref"]


def parse_ruleset_ref(ref: str) -> tuple[str, str | None]:
    """``"ID@VERSION"`` → ``("ID", "VERSION")``; ``"ID"`` → ``("ID", None)``."""
    rid, _, version = ref.partition("@")
    if not rid:
        raise InputError(f"'{ref}' bukan rujukan aturan / is not a rule-set reference (ID or ID@VERSION)",
                         field="--ruleset")
    return rid, version or None


def _aware(at: object | None) -> dt.datetime | None:
    if at is None:
        return None
    ts = pd.Timestamp(at)
    if ts.tzinfo is None:
        ts = ts.tz_localize("Asia/Jakarta")
    return ts.to_pydatetime()


@dataclass
class StoreCatalog:
    """A catalog over the store.

    Parameters
    ----------
    store : Store
    data_dir : path-like, optional
        Layer files (default as :class:`FileCatalog`).
    at : datetime, optional
        Serve the version in force at this instant (default: now).
    as_published : datetime, optional
        Serve instead the version geozones published as current at this instant.
    principal : Principal
        Who is asking (drafts only for rule editors).
    default_id : str, optional
        The rule set served when none is named (default: the store's only rule set, else
        the id of the default rule file).
    """

    store: Store
    data_dir: Path | None = None
    at: dt.datetime | None = None
    as_published: dt.datetime | None = None
    principal: Principal = PUBLIC
    default_id: str | None = None
    _files: FileCatalog = field(init=False, repr=False)
    _overlays: dict = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        self._files = FileCatalog(DEFAULT_RULES, self.data_dir)
        self.at, self.as_published = _aware(self.at), _aware(self.as_published)

    def ruleset_ids(self) -> list[str]:
        """Ids of every rule set (every level) in the store."""
        with self.store.read() as s:
            return list(s.execute(select(RuleSetRecord.id).order_by(RuleSetRecord.id)).scalars())

    def level_ids(self) -> list[str]:
        """Ids of every level in the store (:class:`~geozones.services.catalog.StackCatalog`)."""
        return self.ruleset_ids()

    def versions(self, ruleset_id: str) -> list[RuleSet]:
        """Every published or superseded version of level ``ruleset_id``, as written, oldest first.

        Each carries the store's ``effective_from`` (its decree's date of force), so
        :func:`geozones.services.catalog.resolve_stack` picks the versions the store's
        valid time does. Withdrawn versions, drafts and versions in review are left out.
        With :attr:`as_published`, only versions the tool had published by then.

        Returns
        -------
        list of RuleSet
            Empty when the store has no such level.
        """
        with self.store.read() as s:
            q = select(RuleSetVersion).where(RuleSetVersion.ruleset_id == ruleset_id,
                                             RuleSetVersion.status.in_(("published", "superseded")))
            if self.as_published is not None:
                q = q.where(RuleSetVersion.published_at <= self.as_published)
            return [stored_level(v) for v in s.execute(q.order_by(RuleSetVersion.id)).scalars()]

    def has_rulesets(self) -> bool:
        """Whether the store holds any rule set."""
        return bool(self.ruleset_ids())

    def _default(self) -> str:
        if self.default_id:
            return self.default_id
        ids = self.ruleset_ids()
        if len(ids) == 1:
            return ids[0]
        return read_level(DEFAULT_RULES).id

    def ruleset(self, ruleset_id: str | None = None, version: str | None = None) -> RuleSet:
        """Level ``ruleset_id`` stacked on the stored levels it extends, flattened.

        The level is ``version`` if given, else the version in force at :attr:`at` (default
        now), else the one published as current at :attr:`as_published`. Each parent is its
        own version in force at :attr:`at` (default now; with a ``version`` that has left force,
        the last instant it was in force), or as published at :attr:`as_published`. The flattened set is checked
        against its area's layer names.

        Returns
        -------
        RuleSet
            Flattened (:attr:`RuleSet.levels` lists every level's id and version, root first;
            each rule's ``origin`` names its level); a level with no parent as stored.

        Raises
        ------
        InputError
            No such rule set or version, or none in force then (naming the level, the parent
            included); a parent missing from the store; invalid stored text; a broken stack.
        """
        rid = ruleset_id or self._default()
        v = get_version(self.store, self.principal, rid, version, at=self.at, as_published=self.as_published)
        with self.store.read() as s:
            leaf = s.get(RuleSetVersion, v.id)
            when = self.at
            if when is None and self.as_published is None:
                when = now_utc()
                # A named version that has left force stands with its parents as they were at its end.
                if version is not None and leaf.effective_to is not None and leaf.effective_to <= when:
                    when = leaf.effective_to - dt.timedelta(microseconds=1)
            rows = stack_rows(s, leaf, at=when, as_published=self.as_published)
            levels = [stored_level(r) for r in rows]
        source = f"{rid}@{v.version} (store)"
        rs = flatten(levels, source=source) if len(levels) > 1 else levels[0]
        if rs.area:
            check_layers(rs, self._files.manifest(rs.area).layer_names, source)
        from geozones.services.drafts import overlay_features

        # the KPU overlay drawn with this version goes with it into layers() (issue 10 §1)
        self._overlays[rs.area] = overlay_features(self.store, v.id)
        return rs

    def version_in_force(self, ruleset_id: str, at: dt.datetime) -> str | None:
        """The version number of level ``ruleset_id`` alone in force at ``at`` (None when none is)."""
        with self.store.read() as s:
            v = in_force_on(s, ruleset_id, at)
            return v.version if v else None

    def stack_in_force(self, ruleset_id: str, at: dt.datetime) -> tuple[tuple[str, str], ...] | None:
        """``(id, version)`` of every level of ``ruleset_id``'s stack in force at ``at``, root first.

        Returns
        -------
        tuple or None
            None when the level itself has no version in force then.

        Raises
        ------
        InputError
            When the level is in force but a parent is missing or not in force then.
        """
        with self.store.read() as s:
            leaf = in_force_on(s, ruleset_id, at)
            if leaf is None:
                return None
            return tuple((r.ruleset_id, r.version) for r in stack_rows(s, leaf, at=at))

    def layers(self, area: str) -> LayerSet:
        """Every layer of ``area`` from the data directory, with the KPU overlay of the version last served.

        :meth:`ruleset` remembers the overlay features stored with the version it
        returned for ``area``; they are merged into their layers
        (:func:`geozones.engine.zones.with_overlay`), so R08 ``parks`` matches parks
        drawn by KPU staff. Call :meth:`ruleset` first (as ``open_checker`` does).
        """
        layers = self._files.layers(area)
        features = self._overlays.get(area) or []
        if not features:
            return layers
        from geozones.engine.zones import with_overlay

        return with_overlay(layers, features)

    def grants(self, ruleset: RuleSet) -> list[Grant]:
        """Granted discretions in the register for ``ruleset`` (beyond those inside its YAML)."""
        with self.store.read() as s:
            # Grants registered on any level of the stack (a kota's grant, or one on its province).
            ids = [lv.ruleset_id for lv in ruleset.levels] or [ruleset.id]
            rows = s.execute(select(DiskresiGrant).where(DiskresiGrant.ruleset_id.in_(ids),
                                                         DiskresiGrant.status == "granted")
                             .order_by(DiskresiGrant.id)).scalars().all()
        rule_ids = {r.id for r in ruleset.rules}
        out = []
        for g in rows:
            lifts = [x for x in g.lifts if x in rule_ids]
            if not lifts:
                continue
            out.append(Grant.model_validate({
                "id": g.grant_id, "lifts": lifts, "place": g.place,
                "window": {"start": g.window_start, "end": g.window_end},
                "reference": g.reference or "-", "granted_by": g.granted_by or g.decided_by or "-",
                "conditions": g.conditions}))
        return out

    def key(self) -> str:
        """Digest of the versions and grants in the store plus the layer files (content, not time)."""
        h = hashlib.sha256()
        with self.store.read() as s:
            for row in s.execute(select(RuleSetVersion.id, RuleSetVersion.sha256, RuleSetVersion.status,
                                        RuleSetVersion.row_version).order_by(RuleSetVersion.id)):
                h.update(repr(tuple(row)).encode())
            for row in s.execute(select(DiskresiGrant.id, DiskresiGrant.row_version, DiskresiGrant.status)
                                 .order_by(DiskresiGrant.id)):
                h.update(repr(tuple(row)).encode())
        h.update(str(self.at).encode() + str(self.as_published).encode())
        h.update(self._files.key().encode())
        return h.hexdigest()[:16]
