"""The rule text shared by the command line (``geozones rules show``) and the app's Aturan page.

:func:`describe_rules` turns each rule of a rule set into one :class:`RuleText`:
id, verdict, spatial form with its distance, place, window, advisory flag, title
and legal-basis citations, with every human text in Bahasa Indonesia (``id``) and
English (``en``). The front ends only lay these out (a fixed-width listing, a
table); neither reads the rule model itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from geozones.core.verdicts import Verdict
from geozones.rules.model import RuleSet

#: Name of each spatial form, (Bahasa Indonesia, English); the forms are those of
#: :class:`geozones.rules.model.Spatial`.
FORM_TEXT: dict[str, tuple[str, str]] = {
    "inside": ("di dalam", "inside"),
    "within": ("dalam jarak", "within"),
    "corridor": ("koridor jalan", "road corridor"),
    "anywhere": ("di mana saja", "anywhere"),
}


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]


@dataclass(frozen=True)
class RuleText:
    """One rule as the front ends show it.

    Attributes
    ----------
    id : str
        Rule id (``"R01"``).
    verdict : Verdict
        The verdict the rule gives where it applies.
    form : {"inside", "within", "corridor", "anywhere"}
        Spatial form of the rule.
    metres : float or None
        Search distance in metres (``distance`` of ``within``, ``half_width`` of
        ``corridor``); None for ``inside`` and ``anywhere``.
    layer : str or None
        Manifest layer the rule reads, if any.
    where : dict of str to list
        Attribute filter on the layer (column -> accepted values).
    zones : tuple of str
        Names of the rule's typed zones, if any.
    window : tuple of (datetime or str or None, datetime or str or None)
        ``[start, end)`` as the rule set writes it: an instant (aware, WIB when
        written naive) or a schedule reference such as ``"campaign.start"``;
        None where open.
    window_at : tuple of (datetime or None, datetime or None)
        The same bounds resolved to aware instants through the rule set's schedule.
    advisory : bool
        True when the geometry stands in for unknown data.
    title : dict of str to str
        ``{"id": ..., "en": ...}``.
    note : dict of str to str or None
        ``{"id": ..., "en": ...}``, or None.
    citations : tuple of str
        One short citation per legal basis (``"PKPU 13/2024 Pasal 70 [S]"``), in file order.
    grades : str
        The evidence grades of those citations, sorted and de-duplicated (``"PS"``).
    apk_types : tuple of str or None
        APK types the rule applies to; None for all.
    """

    id: str
    verdict: Verdict
    form: str
    metres: float | None
    layer: str | None
    where: dict[str, list[Any]]
    zones: tuple[str, ...]
    window: tuple[dt.datetime | str | None, dt.datetime | str | None]
    window_at: tuple[dt.datetime | None, dt.datetime | None]
    advisory: bool
    title: dict[str, str]
    note: dict[str, str] | None
    citations: tuple[str, ...]
    grades: str
    apk_types: tuple[str, ...] | None

    def title_in(self, lang: str) -> str:
        """The title in ``lang``, Bahasa Indonesia unless ``lang`` is ``"en"``."""
        return self.title["en" if lang == "en" else "id"]

    def note_in(self, lang: str) -> str:
        """The note in ``lang`` (as :meth:`title_in`), or ``""`` when the rule has none."""
        return self.note["en" if lang == "en" else "id"] if self.note else ""

    @property
    def spatial(self) -> str:
        """Form and distance as written in rule sets: ``"within 10 m"``, ``"inside"``."""
        return self.form + (f" {self.metres:g} m" if self.metres else "")

    def form_text(self, lang: str) -> str:
        """Name of the spatial form in ``lang`` (``"id"`` or ``"en"``), e.g. ``"dalam jarak"``."""
        return _pick(FORM_TEXT[self.form], lang)

    @property
    def place(self) -> str:
        """Short place: the layer, else the zone names joined by ``", "``, else ``"-"``."""
        return self.layer or ", ".join(self.zones) or "-"

    @property
    def place_detail(self) -> str:
        """Full place: zone names joined by ``"; "``, or the layer with its filter, or ``"—"``."""
        if self.zones:
            return "; ".join(self.zones)
        if self.layer:
            where = "; ".join(f"{k} ∈ {', '.join(map(str, v))}" for k, v in self.where.items())
            return self.layer + (f" ({where})" if where else "")
        return "—"


def describe_rules(rs: RuleSet) -> list[RuleText]:
    """Every rule of ``rs`` as a :class:`RuleText`, in rule-set order.

    Parameters
    ----------
    rs : geozones.rules.model.RuleSet
        A validated rule set (:func:`geozones.rules.model.load_ruleset`).

    Returns
    -------
    list of RuleText
        One per rule. Window bounds are given both as written and resolved through
        ``rs.schedule`` (aware datetimes, WIB).

    Raises
    ------
    ValueError
        Never for a validated rule set; a schedule reference that does not resolve
        raises as :meth:`geozones.rules.model.RuleSet.instant` does.
    """
    out = []
    for r in rs.rules:
        w = r.window
        out.append(RuleText(
            id=r.id, verdict=r.verdict, form=r.spatial.form, metres=r.spatial.metres or None,
            layer=r.layer, where=dict(r.where), zones=tuple(z.name for z in r.zones),
            window=(w.start, w.end),
            window_at=(rs.instant(w.start) if w.start is not None else None,
                       rs.instant(w.end) if w.end is not None else None),
            advisory=r.advisory, title={"id": r.title.id, "en": r.title.en},
            note={"id": r.note.id, "en": r.note.en} if r.note else None,
            citations=tuple(b.cite() for b in r.legal_basis),
            grades="".join(sorted({b.grade for b in r.legal_basis})),
            apk_types=tuple(a.value for a in r.apk_types) if r.apk_types else None,
        ))
    return out
