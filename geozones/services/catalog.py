"""Where rule sets and layers come from: the catalog seam every front end goes through.

A :class:`Catalog` answers three questions: the rule set by id (and version),
the layers of an area, and the discretion grants in force. Rule sets stack
(national base -> province -> kota, :mod:`geozones.rules.stack`): a
:class:`StackCatalog` also gives each level alone, by id, in every version, and
:func:`resolve_stack` flattens a level with its parents, each in the version in
force at an instant, from any such catalog (files here; the store's versions with
their dates of force). :class:`FileCatalog`
answers them from today's files (a rule-set YAML, area manifests in
``shapefiles/`` and a data directory); the store adds a second implementation
behind the same protocol. The CLI and the app get rule sets and layers only
through a catalog.

Each catalog also gives a :meth:`Catalog.key`: a digest of the *content* it
would serve (never a path or a modification time), so caches built from it are
rebuilt exactly when what they were built from changes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from geozones.areas.layers import LayerSet
from geozones.areas.manifest import AreaManifest, load_manifest
from geozones.core.errors import InputError
from geozones.io.files import sha256_file
from geozones.io.layers import load_layers, resolve_data_dir
from geozones.rules.model import (
    DEFAULT_RULES,
    RULES_DIR,
    Grant,
    RuleSet,
    check_layers,
    in_force,
    level_index,
    load_ruleset,
)
from geozones.rules.stack import flatten

__all__ = ["RULES_ENV", "Catalog", "FileCatalog", "StackCatalog", "level_in_force", "load_rules_and_layers",
           "resolve_stack"]

#: Environment variable naming the rule-set file the app uses.
RULES_ENV = "GEOZONES_RULES"


@runtime_checkable
class Catalog(Protocol):
    """Where rule sets, layers and grants come from."""

    def ruleset(self, ruleset_id: str | None = None, version: str | None = None) -> RuleSet:
        """The rule set ``ruleset_id`` at ``version`` (default: the catalog's own, latest)."""
        ...

    def layers(self, area: str) -> LayerSet:
        """Every layer of area ``area``, present or absent."""
        ...

    def grants(self, ruleset: RuleSet) -> list[Grant]:
        """Discretion grants in force beyond those inside the rule set itself."""
        ...

    def key(self) -> str:
        """A digest of the content this catalog serves (for cache keys)."""
        ...


@runtime_checkable
class StackCatalog(Catalog, Protocol):
    """A catalog that also serves each level of a rule stack alone, by id, in every version.

    What :func:`resolve_stack` and a batch over several kota
    (:func:`geozones.services.checking.check_batch`) need; a store-backed catalog
    implements it from its versions and their dates of force (``effective_from``).
    """

    def level_ids(self) -> list[str]:
        """Ids of every rule set (level) the catalog holds."""
        ...

    def versions(self, ruleset_id: str) -> list[RuleSet]:
        """Every version of one level, as written (``extends`` unresolved); empty if unknown."""
        ...


def level_in_force(catalog: StackCatalog, ruleset_id: str, at: dt.datetime | None = None,
                   version: str | None = None) -> RuleSet:
    """One level, unresolved: ``version`` if given, else the version in force at ``at`` (default newest).

    Raises
    ------
    InputError
        When the catalog has no such rule set or version, or none is in force at ``at``.
    """
    versions = catalog.versions(ruleset_id)
    if not versions:
        raise InputError(f"rule set '{ruleset_id}' not found; the catalog holds: "
                         + ", ".join(catalog.level_ids()), source=ruleset_id, field="extends")
    if version is not None:
        versions = [v for v in versions if v.version == version]
        if not versions:
            raise InputError(f"rule set '{ruleset_id}' has no version '{version}'", source=ruleset_id,
                             field="version")
    return in_force(versions, at, ruleset_id)


def resolve_stack(catalog: StackCatalog, ruleset_id: str, at: dt.datetime | None = None, *,
                  version: str | None = None, kota: dict[str, list[str]] | None = None,
                  area: str | None = None) -> RuleSet:
    """Level ``ruleset_id`` flattened with its parents, each in the version in force at ``at``.

    Parameters
    ----------
    catalog : StackCatalog
    ruleset_id : str
        The lowest level (a kota's, or a province's for a kota without its own).
    at : datetime, optional
        Aware instant; default the newest version of each level.
    version : str, optional
        This version of the lowest level (its parents still by ``at``).
    kota, area : optional
        Passed to :func:`geozones.rules.stack.flatten` (a kota judged with the levels above it).

    Returns
    -------
    RuleSet
        Flattened (``levels`` records the id and version of every level used); a level with no
        parent and no ``kota``/``area`` is returned as it is.

    Raises
    ------
    InputError
        When a level is missing, not in force at ``at``, circular, or breaks a stacking rule.
    """
    chain = [level_in_force(catalog, ruleset_id, at, version)]
    while chain[-1].extends:
        if chain[-1].extends in {c.id for c in chain}:
            raise InputError("rule sets extend each other in a circle: "
                             + " -> ".join([*(c.id for c in chain), chain[-1].extends]), source=ruleset_id,
                             field="extends")
        chain.append(level_in_force(catalog, chain[-1].extends, at))
    if len(chain) == 1 and kota is None and area is None:
        return chain[0]
    return flatten(chain[::-1], source=ruleset_id, kota=kota, area=area)


#: (path, size, mtime_ns) -> sha256, so unchanged files are hashed once per process.
_DIGESTS: dict[tuple[str, int, int], str] = {}


def _digest(path: Path) -> str:
    st = path.stat()
    k = (str(path), st.st_size, st.st_mtime_ns)
    if k not in _DIGESTS:
        _DIGESTS[k] = sha256_file(path)
    return _DIGESTS[k]


@dataclass
class FileCatalog:
    """A catalog over files: one rule-set YAML, the levels it stacks on, and a data directory.

    Levels are found by id among the ``*.yaml`` rule files of the rule file's folder, then
    of the project's ``rules/`` (:data:`~geozones.rules.model.RULES_DIR`); several files
    with one id are versions of that level, each in force from its ``effective_from``.

    Parameters
    ----------
    rules_path : path-like, optional
        The rule-set file (default: ``$GEOZONES_RULES``, else the Jakarta Pusat rule set).
    data_dir : path-like, optional
        The layer files (default: ``$GEOZONES_DATA_DIR``, else ``shapefiles/``).
    """

    rules_path: Path | None = None
    data_dir: Path | None = None
    _manifests: dict[str, AreaManifest] = field(default_factory=dict, repr=False)
    _levels: dict[str, list[RuleSet]] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.rules_path = Path(self.rules_path or os.environ.get(RULES_ENV) or DEFAULT_RULES)
        self.data_dir = resolve_data_dir(self.data_dir)

    @property
    def rules_dirs(self) -> list[Path]:
        """Folders searched for levels by id: the rule file's own, then the project's ``rules/``."""
        return [self.rules_path.parent, RULES_DIR]

    def level_ids(self) -> list[str]:
        """Ids of every rule set in :attr:`rules_dirs`, sorted."""
        return sorted(self._index())

    def versions(self, ruleset_id: str) -> list[RuleSet]:
        """The versions of level ``ruleset_id`` in :attr:`rules_dirs` (empty when there is none)."""
        return list(self._index().get(ruleset_id, []))

    def _index(self) -> dict[str, list[RuleSet]]:
        if self._levels is None:
            self._levels = level_index(*self.rules_dirs)
        return self._levels

    def manifest(self, area: str) -> AreaManifest:
        """The area manifest ``area`` (read once)."""
        if area not in self._manifests:
            self._manifests[area] = load_manifest(area)
        return self._manifests[area]

    def ruleset(self, ruleset_id: str | None = None, version: str | None = None) -> RuleSet:
        """The rule set in :attr:`rules_path` (or level ``ruleset_id`` of :attr:`rules_dirs`), stacked.

        The levels it ``extends`` are resolved (newest versions) and flattened
        (:func:`geozones.rules.stack.flatten`). The rule file is validated alone first, so its
        own errors come before any about the manifest; then the flattened set against its
        area's layer names.

        Raises
        ------
        InputError
            When a file is invalid, a level is missing, or the rule set is not ``ruleset_id`` /
            ``version``.
        """
        rs = load_ruleset(self.rules_path)
        if ruleset_id is not None and rs.id != ruleset_id and self.versions(ruleset_id):
            rs = resolve_stack(self, ruleset_id, version=version)
        if rs.area is None:
            raise InputError(f"rule set '{rs.id}' names no area to judge; name a kota rule set",
                             source=str(self.rules_path), field="area")
        check_layers(rs, self.manifest(rs.area).layer_names, str(self.rules_path))
        if ruleset_id is not None and rs.id != ruleset_id:
            raise InputError(f"the rule file holds rule set '{rs.id}', not '{ruleset_id}'",
                             source=str(self.rules_path), field="id")
        if version is not None and rs.version != version:
            raise InputError(f"the rule file holds version '{rs.version}' of '{rs.id}', not '{version}'",
                             source=str(self.rules_path), field="version")
        return rs

    def layers(self, area: str) -> LayerSet:
        """Every layer of ``area`` from :attr:`data_dir` (absent ones reported, never empty)."""
        return load_layers(self.manifest(area), self.data_dir)

    def grants(self, ruleset: RuleSet) -> list[Grant]:
        """No grants beyond the rule set's own: files keep grants inside the rule set."""
        return []

    def key(self) -> str:
        """Digest of the rule file, the rule files of :attr:`rules_dirs`, every area manifest and data file.

        Content digests (sha256), cached per file by size and modification time, so an
        edited rule set, an imported, deleted or rolled-back layer changes the key, and
        an unchanged file is not read again.
        """
        from geozones.areas.manifest import MANIFEST_DIR

        parts = [f"rules|{_digest(self.rules_path)}"]
        # Every level a stack may use: an edited national or DKI file changes the key.
        parts += [f"level|{p}|{_digest(p)}" for d in self.rules_dirs if d.is_dir() for p in sorted(d.glob("*.yaml"))]
        parts += [f"manifest|{p.name}|{_digest(p)}" for p in sorted(MANIFEST_DIR.glob("*.yaml"))]
        try:
            with os.scandir(self.data_dir) as entries:
                for e in sorted(entries, key=lambda e: e.name):
                    if e.is_file():
                        parts.append(f"data|{e.name}|{_digest(Path(e.path))}")
        except OSError:
            parts.append("no data dir")
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def load_rules_and_layers(rules_path: str | os.PathLike,
                          data_dir: str | os.PathLike | None = None) -> tuple[RuleSet, LayerSet]:
    """Load a rule set and the layers of its area from files, validated against each other.

    Returns
    -------
    tuple of (RuleSet, LayerSet)

    Raises
    ------
    InputError
        When the rule file, its manifest or a layer file is invalid.
    """
    cat = FileCatalog(Path(rules_path), Path(data_dir) if data_dir else None)
    rs = cat.ruleset()
    return rs, cat.layers(rs.area)


