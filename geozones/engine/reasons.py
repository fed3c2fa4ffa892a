"""Verdict reasons in Bahasa Indonesia and English.

Each reason names the rule, the feature, the distance in metres, the legal basis
with its evidence grade, and whether the geometry is advisory. Reasons are built
from per-rule templates so that a million matches cost one string format each.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geozones.core.apk import APK_LABELS, ApkType
from geozones.rules.model import LegalBasis, Rule

#: The slots a reason template may hold: feature label, metres, judging time.
SLOTS = ("name", "m", "when")


@dataclass(frozen=True)
class ReasonTemplate:
    """A reason as literal pieces and named slots, never a format string.

    Rule titles, notes and legal-basis articles come from rule-set files and may
    hold braces or percent signs (``Tempat {ibadah}``, ``50%``); they are kept as
    literal pieces, so no user text is ever parsed or evaluated
    (``{name.__class__}`` stays those characters).

    Attributes
    ----------
    parts : tuple of str
        Alternating literal text and slot names: ``parts[0]`` literal,
        ``parts[1]`` a slot in :data:`SLOTS`, ``parts[2]`` literal, ...
    """

    parts: tuple[str, ...]

    def fill(self, **values: object) -> str:
        """The text with every slot replaced by ``str(values[slot])``.

        Raises
        ------
        KeyError
            When a slot of the template has no value.
        """
        return "".join(p if i % 2 == 0 else str(values[p]) for i, p in enumerate(self.parts))

    def split(self, slot: str) -> tuple[str, str]:
        """The literal text before and after ``slot`` (the template's only slot)."""
        if len(self.parts) != 3 or self.parts[1] != slot:
            raise ValueError(f"template is not a single '{slot}' slot: {self.parts!r}")
        return self.parts[0], self.parts[2]


def template(*pieces: str | tuple[str]) -> ReasonTemplate:
    """Build a :class:`ReasonTemplate`: strings are literal, 1-tuples ``("m",)`` are slots."""
    parts: list[str] = [""]
    for piece in pieces:
        if isinstance(piece, tuple):
            if piece[0] not in SLOTS:
                raise ValueError(f"unknown slot {piece[0]!r}")
            parts += [piece[0], ""]
        else:
            parts[-1] += piece
    return ReasonTemplate(tuple(parts))


NAME, METRES, WHEN = ("name",), ("m",), ("when",)


def cite(bases: list[LegalBasis], lang: str | None = None) -> str:
    """Citations of a rule's legal bases, e.g. ``PKPU 13/2024 Pasal 70 [S]; ...``.

    ``lang`` ("id" or "en") words an unverified article in that language; None gives both.
    """
    return "; ".join(b.cite(lang) for b in bases)


def rule_templates(rule: Rule) -> tuple[ReasonTemplate, ReasonTemplate]:
    """Reason templates (id, en) of a rule, with ``name`` and ``m`` slots (``when`` for ``anywhere`` rules).

    A rule of a stacked rule set names its level before its legal basis
    (``Dasar [nasional]: PKPU 13/2024 ...``; :attr:`geozones.rules.model.Rule.origin`).
    """
    form = rule.spatial.form
    basis_id, basis_en = cite(rule.legal_basis, "id"), cite(rule.legal_basis, "en")
    adv_id = f" (anjuran: {rule.note.id})" if rule.advisory and rule.note else (
        " (anjuran)" if rule.advisory else "")
    adv_en = f" (advisory: {rule.note.en})" if rule.advisory and rule.note else (
        " (advisory)" if rule.advisory else "")
    if form == "inside":
        where_id, where_en = ("di dalam ", NAME, " (", METRES, " m)"), ("inside ", NAME, " (", METRES, " m)")
    elif form == "within":
        d = f"{rule.spatial.metres:g}"
        where_id = (METRES, " m dari ", NAME, f" (batas {d} m)")
        where_en = (METRES, " m from ", NAME, f" (limit {d} m)")
    elif form == "corridor":
        d = f"{rule.spatial.metres:g}"
        where_id = (METRES, " m dari as jalan ", NAME, f" (koridor {d} m)")
        where_en = (METRES, " m from the centreline of ", NAME, f" (corridor {d} m)")
    else:
        where_id, where_en = (WHEN,), (WHEN,)
    v = rule.verdict.value
    # A stacked rule cites the level it came from ("Dasar [DKI]: ..."), see geozones.rules.stack.
    lvl_id, lvl_en = (f" [{rule.origin.label.id}]", f" [{rule.origin.label.en}]") if rule.origin else ("", "")
    return (template(f"{rule.id} {rule.title.id}: ", *where_id, f"{adv_id}. Dasar{lvl_id}: {basis_id} [{v}]"),
            template(f"{rule.id} {rule.title.en}: ", *where_en, f"{adv_en}. Basis{lvl_en}: {basis_en} [{v}]"))


#: Words of a compact reason (:func:`compact_template`), per language.
COMPACT_WORDS = {
    "id": {"inside": "di dalam ", "from": " m dari ", "axis": " m dari as ", "if": "jika ", "grant": "diskresi "},
    "en": {"inside": "inside ", "from": " m from ", "axis": " m from the axis of ", "if": "if ",
           "grant": "discretion "},
}


def compact_template(rule: Rule, lang: str) -> ReasonTemplate:
    """The compact reason of one match in ``lang``: only what is specific to the site.

    The rule id, the feature and the distance in metres (``R01 35 m dari 'Masjid Istiqlal'``);
    the rule's title, legal basis, evidence grade and advisory note are written once,
    in the output's legend (:func:`geozones.engine.explain.legend`). Rules that hold
    anywhere (``anywhere`` form) give only their id: the judging time is a column.
    """
    w = COMPACT_WORDS[lang]
    form = rule.spatial.form
    if form == "inside":
        return template(f"{rule.id} ", w["inside"], NAME)
    if form == "within":
        return template(f"{rule.id} ", METRES, w["from"], NAME)
    if form == "corridor":
        return template(f"{rule.id} ", METRES, w["axis"], NAME)
    return template(rule.id)


def compact_condition(types: list[ApkType] | tuple[ApkType, ...], lang: str) -> str:
    """The compact prefix of a reason that holds only for some APK types: ``jika billboard: ``."""
    order = list(ApkType)
    codes = "/".join(t.value for t in sorted({ApkType(t) for t in types}, key=order.index))
    return f"{COMPACT_WORDS[lang]['if']}{codes}: "


def apk_condition(types: list[ApkType] | tuple[ApkType, ...]) -> tuple[str, str]:
    """The prefix (id, en) of a reason that holds only for some APK types.

    E.g. ``("jika billboard/videotron: ", "if it is a billboard/videotron: ")``, used
    for a site whose APK type is not given.
    """
    order = list(ApkType)
    names = [APK_LABELS[t][0].lower() for t in sorted({ApkType(t) for t in types}, key=order.index)]
    return (f"jika {' atau '.join(names)}: ", f"if it is a {' or '.join(names)}: ")


def rule_legend(rule: Rule) -> dict:
    """What a rule says once per output (the legend of a compact table).

    Returns
    -------
    dict
        ``id``, ``title`` (``{"id", "en"}``), ``verdict``, ``form``, ``metres``,
        ``legal_basis`` (list of ``{"cite", "instrument", "article", "grade", "url"}``;
        grade P primary text, S reported by a named official, I inferred),
        ``advisory`` and ``note`` (``{"id", "en"}`` or None), and ``reason``: the
        full reason templates as text (``{name}``, ``{m}``, ``{when}`` mark the slots).
    """
    tid, ten = rule_templates(rule)
    show = lambda t: "".join(p if i % 2 == 0 else "{" + p + "}" for i, p in enumerate(t.parts))  # noqa: E731
    return {"id": rule.id, "title": {"id": rule.title.id, "en": rule.title.en}, "verdict": rule.verdict.value,
            "form": rule.spatial.form, "metres": getattr(rule.spatial, "metres", None),
            "legal_basis": [{"cite": b.cite(), "instrument": b.instrument, "article": b.article, "grade": b.grade,
                             "url": b.url} for b in rule.legal_basis],
            "advisory": bool(rule.advisory),
            "note": {"id": rule.note.id, "en": rule.note.en} if rule.note else None,
            "reason": {"id": show(tid), "en": show(ten)}}


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
    arr = np.empty(len(texts), dtype=object)
    arr[:] = texts
    out[site[starts[single]]] = arr[starts[single]]
    if unique:
        for s, e in zip(starts[~single].tolist(), ends[~single].tolist(), strict=True):
            out[site[s]] = sep.join(dict.fromkeys(texts[s:e]))
        return out
    # Sites with several texts: one joined text per distinct sequence of texts, shared by every site
    # with that sequence (reasons repeat: a writer then hashes each distinct text once, not per site).
    multi = np.flatnonzero(~single)
    if not len(multi):
        return out
    codes, uniq = pd.factorize(arr, use_na_sentinel=False)
    m_start, m_count = starts[multi], (ends - starts)[multi]
    key = codes[m_start].astype(np.int64)
    width = np.int64(len(uniq) + 1)
    for k in range(1, int(m_count.max())):
        nxt = np.zeros(len(multi), dtype=np.int64)
        more = m_count > k
        nxt[more] = codes[m_start[more] + k] + 1
        key, _ = pd.factorize(key * width + nxt)  # stays below the number of sites: no overflow
        key = key.astype(np.int64)
    _, first, inv = np.unique(key, return_index=True, return_inverse=True)
    joined = np.empty(len(first), dtype=object)
    joined[:] = [sep.join(texts[s:s + c]) for s, c in zip(m_start[first].tolist(), m_count[first].tolist(),
                                                           strict=True)]
    out[site[m_start]] = joined[np.asarray(inv).reshape(-1)]
    return out
