"""Where rule sets and layers come from: the catalog seam every front end goes through.

A :class:`Catalog` answers three questions: the rule set by id (and version),
the layers of an area, and the discretion grants in force. :class:`FileCatalog`
answers them from today's files (a rule-set YAML, area manifests in
``shapefiles/`` and a data directory); the store adds a second implementation
behind the same protocol. The CLI and the app get rule sets and layers only
through a catalog.

Each catalog also gives a :meth:`Catalog.key`: a digest of the *content* it
would serve (never a path or a modification time), so caches built from it are
rebuilt exactly when what they were built from changes.
"""

from __future__ import annotations

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
from geozones.rules.model import DEFAULT_RULES, Grant, RuleSet, load_ruleset

__all__ = ["RULES_ENV", "Catalog", "FileCatalog", "load_rules_and_layers"]

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
    """A catalog over files: one rule-set YAML and a data directory of layer files.

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

    def __post_init__(self) -> None:
        self.rules_path = Path(self.rules_path or os.environ.get(RULES_ENV) or DEFAULT_RULES)
        self.data_dir = resolve_data_dir(self.data_dir)

    def manifest(self, area: str) -> AreaManifest:
        """The area manifest ``area`` (read once)."""
        if area not in self._manifests:
            self._manifests[area] = load_manifest(area)
        return self._manifests[area]

    def ruleset(self, ruleset_id: str | None = None, version: str | None = None) -> RuleSet:
        """The rule set in :attr:`rules_path`, validated against its area's layer names.

        The rule file is validated alone first, so its own errors come before any
        about the manifest; then again with the manifest's layer names.

        Raises
        ------
        InputError
            When the file is invalid, or is not ``ruleset_id`` / ``version``.
        """
        rs = load_ruleset(self.rules_path)
        rs = load_ruleset(self.rules_path, known_layers=self.manifest(rs.area).layer_names)
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
        """Digest of the rule file, every area manifest and every file of the data directory.

        Content digests (sha256), cached per file by size and modification time, so an
        edited rule set, an imported, deleted or rolled-back layer changes the key, and
        an unchanged file is not read again.
        """
        from geozones.areas.manifest import MANIFEST_DIR

        parts = [f"rules|{_digest(self.rules_path)}"]
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


