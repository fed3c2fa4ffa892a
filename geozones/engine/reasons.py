"""Verdict reasons in Bahasa Indonesia and English.

Each reason names the rule, the feature, the distance in metres, the legal basis
with its evidence grade, and whether the geometry is advisory. Reasons are built
from per-rule templates so that a million matches cost one string format each.
"""

from __future__ import annotations

import numpy as np

from geozones.rules.model import LegalBasis, Rule


def cite(bases: list[LegalBasis]) -> str:
    """Citations of a rule's legal bases, e.g. ``PKPU 13/2024 verify [S]; ...``."""
    return "; ".join(b.cite() for b in bases)


def rule_templates(rule: Rule) -> tuple[str, str]:
    """Format strings (id, en) for a rule's reasons, with ``{name}`` and ``{m}`` slots."""
    form = rule.spatial.form
    basis = cite(rule.legal_basis)
    adv_id = f" (anjuran: {rule.note.id})" if rule.advisory and rule.note else (
        " (anjuran)" if rule.advisory else "")
    adv_en = f" (advisory: {rule.note.en})" if rule.advisory and rule.note else (
        " (advisory)" if rule.advisory else "")
    if form == "inside":
        where_id, where_en = "di dalam {name} ({m} m)", "inside {name} ({m} m)"
    elif form == "within":
        d = f"{rule.spatial.metres:g}"
        where_id, where_en = f"{{m}} m dari {{name}} (batas {d} m)", f"{{m}} m from {{name}} (limit {d} m)"
    elif form == "corridor":
        d = f"{rule.spatial.metres:g}"
        where_id = f"{{m}} m dari as jalan {{name}} (koridor {d} m)"
        where_en = f"{{m}} m from the centreline of {{name}} (corridor {d} m)"
    else:
        where_id, where_en = "{when}", "{when}"
    return (f"{rule.id} {rule.title.id}: {where_id}{adv_id}. Dasar: {basis} [{rule.verdict.value}]",
            f"{rule.id} {rule.title.en}: {where_en}{adv_en}. Basis: {basis} [{rule.verdict.value}]")


def feature_label(layer: str, name: str, feature_id: str) -> str:
    """How a feature is named in a reason: its name, else layer and id."""
    return f"'{name}'" if name else f"{layer} #{feature_id}"


def join_per_site(n_sites: int, site: np.ndarray, texts: list[str], default: str, *, sep: str = " | ",
                  unique: bool = False) -> np.ndarray:
    """Join texts per site with ``sep``; sites without any get ``default``.

    ``site`` must be sorted (texts of one site are contiguous). With
    ``unique``, repeated texts of a site are joined once.
    """
    out = np.full(n_sites, default, dtype=object)
    if len(site) == 0:
        return out
    site = np.asarray(site)
    bounds = np.flatnonzero(np.diff(site)) + 1
    starts = np.concatenate([[0], bounds])
    ends = np.concatenate([bounds, [len(site)]])
    single = ends - starts == 1
    arr = np.asarray(texts, dtype=object)
    out[site[starts[single]]] = arr[starts[single]]
    for s, e in zip(starts[~single].tolist(), ends[~single].tolist(), strict=True):
        part = texts[s:e]
        out[site[s]] = sep.join(dict.fromkeys(part) if unique else part)
    return out
