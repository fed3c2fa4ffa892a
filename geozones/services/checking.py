"""A batch check as the CLI and the app run it: rules and layers from a catalog, compiled once.

:func:`open_checker` loads the rule set and the layers of its area through a
:class:`~geozones.services.catalog.Catalog` and compiles them;
:meth:`Checker.check` judges a frame of sites with the grants in force and
returns an :class:`~geozones.engine.explain.Evaluation` that carries its
provenance (rule-set id and version, layer digests).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import geopandas as gpd

from geozones.areas.layers import LayerSet
from geozones.engine import Evaluation, PreparedRules, evaluate_detailed, prepare
from geozones.io.exports import attribution_lines
from geozones.rules.model import Grant, RuleSet
from geozones.services.catalog import Catalog

__all__ = ["Checker", "open_checker"]


@dataclass
class Checker:
    """A rule set compiled against its layers, with the grants in force, ready to judge batches."""

    ruleset: RuleSet
    layers: LayerSet
    prepared: PreparedRules
    grants: list[Grant] = field(default_factory=list)

    def check(self, sites: gpd.GeoDataFrame, at: object | None = None, *,
              progress: Callable[[str, float], None] | None = None, reasons: str = "full",
              lang: str = "both") -> Evaluation:
        """Judge every site (see :func:`geozones.engine.evaluate`).

        Parameters
        ----------
        sites : geopandas.GeoDataFrame
            Points (EPSG:4326), e.g. from :func:`geozones.io.sites.read_sites`.
        at : datetime or str, optional
            Time for sites without ``installed_at`` (WIB if naive); default now.
        progress : callable, optional
            ``progress(step, fraction)``.
        reasons, lang
            ``full``/``compact``/``none`` and ``id``/``en``/``both``: see :func:`geozones.engine.explain`.

        Returns
        -------
        Evaluation
            With ``provenance`` set.
        """
        return evaluate_detailed(sites, self.layers, self.ruleset, at, prepared=self.prepared,
                                 grants=self.grants, progress=progress, reasons=reasons, lang=lang)

    @property
    def provenance(self) -> dict:
        """Rule-set id and version, area and layer digests the verdicts rest on."""
        return self.prepared.provenance

    def attribution(self) -> list[str]:
        """Attribution lines for any output: the rule set (id, version, status), layer digests, sources."""
        title = f"Rule set / aturan: {self.ruleset.id} v{self.ruleset.version} ({self.ruleset.status})"
        digests = "; ".join(f"{k} {v[:19]}" for k, v in self.provenance["layers"].items() if v)
        return attribution_lines(self.layers.attributions(), title=title, digests=digests)


def open_checker(catalog: Catalog, ruleset_id: str | None = None, version: str | None = None) -> Checker:
    """Load and compile the rule set (and its area's layers) that ``catalog`` serves.

    Raises
    ------
    InputError
        When the rule set, its manifest or a layer file is invalid.
    """
    ruleset = catalog.ruleset(ruleset_id, version)
    layers = catalog.layers(ruleset.area)
    return Checker(ruleset=ruleset, layers=layers, prepared=prepare(layers, ruleset),
                   grants=catalog.grants(ruleset))
