"""Display tables of the data-coverage report, in Bahasa Indonesia or English.

:mod:`geozones.sources.coverage` builds the report (per layer: present, counts,
source, licence, age; per kelurahan: counts per layer and :class:`~geozones.sources.coverage.Gap`
records). This module turns it into the tables the Aturan page shows, with
column names and gap flags in the UI language (each record renders its own text). Nothing here imports streamlit;
values from the data stay plain strings (the page shows them in dataframes,
which render text, never markup).
"""

from __future__ import annotations

import pandas as pd

from geozones.app.i18n import t
from geozones.sources.coverage import Coverage, Gap


def gap_text(gap: Gap, lang: str) -> str:
    """One gap record of :func:`geozones.sources.coverage.coverage` in the UI language.

    Parameters
    ----------
    gap : geozones.sources.coverage.Gap
        A gap record (kind, layer, kelurahan, count, ...).
    lang : str
        ``"id"`` or ``"en"``.

    Returns
    -------
    str
        E.g. ``"tidak ada sekolah di 'education' (kemungkinan besar celah)"``.
    """
    return gap.text(lang)


def _text(value: object) -> str:
    """A text cell: a missing value (None, NaN) is empty, never the word ``None``."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value)


def unchecked_rules(ruleset, layer: str) -> list[str]:
    """Ids of the rules of ``ruleset`` that read ``layer`` (left unchecked when it is absent)."""
    return ruleset.rules_by_layer().get(layer, [])


def layer_table(cov: Coverage, ruleset, titles: dict[str, str], lang: str) -> pd.DataFrame:
    """Per layer: present or absent, features, date and age, source, licence, rules unchecked, problem.

    Parameters
    ----------
    cov : Coverage
        The coverage report.
    ruleset : geozones.rules.model.RuleSet
        The active rule set (names the rules an absent layer leaves unchecked).
    titles : dict of str to str
        Layer title in the UI language, by layer name.
    lang : str
        ``"id"`` or ``"en"``.

    Returns
    -------
    pandas.DataFrame
        One row per manifest layer, columns named in the UI language.
    """
    rows = []
    for r in cov.layers.itertuples(index=False):
        age = r.age_days if r.age_days is not None and r.age_days == r.age_days else None
        rows.append({
            t("col.name", lang): r.layer,
            t("col.title", lang): titles.get(r.layer, r.layer),
            t("col.present", lang): t("cov.present", lang) if r.present else t("cov.absent_cell", lang),
            t("col.features", lang): int(r.features) if r.present else None,
            t("col.date", lang): _text(r.data_date),
            t("col.age_years", lang): round(age / 365.25, 1) if age is not None else None,
            t("col.source", lang): _text(r.source),
            t("col.licence", lang): _text(r.licence),
            t("col.unchecked", lang): "" if r.present else (", ".join(unchecked_rules(ruleset, r.layer)) or "—"),
            t("col.problem", lang): _text(r.problem),
        })
    return pd.DataFrame(rows)


def absent_items(cov: Coverage, ruleset, lang: str) -> list[str]:
    """``"tps (aturan R25 tidak diperiksa)"`` for every absent layer, in the UI language."""
    out = []
    for r in cov.layers.loc[~cov.layers["present"].astype(bool)].itertuples(index=False):
        ids = unchecked_rules(ruleset, r.layer)
        out.append(t("cov.absent_item", lang, name=r.layer, rules=", ".join(ids)) if ids else r.layer)
    return out


def kelurahan_table(cov: Coverage, titles: dict[str, str], lang: str, *, gaps_only: bool = False) -> pd.DataFrame:
    """Per kelurahan: codes, names, feature count per layer and the gap flags.

    Parameters
    ----------
    cov : Coverage
        The coverage report.
    titles : dict of str to str
        Layer title in the UI language, by layer name (count column headers).
    lang : str
        ``"id"`` or ``"en"``.
    gaps_only : bool
        Keep only the kelurahan with at least one flag.

    Returns
    -------
    pandas.DataFrame
        Columns: kode, kelurahan, kecamatan, gaps (flags joined by ``"; "``,
        translated), then one count per counted layer.
    """
    kel = cov.gaps if gaps_only else cov.kelurahan
    counts = [c for c in kel.columns if c.startswith("n_")]
    out = pd.DataFrame({
        t("tip.kode_kemendagri", lang): kel["kode_kemendagri"],
        t("col.kelurahan", lang): kel["kelurahan"],
        t("col.kecamatan", lang): kel["kecamatan"],
    })
    # The flags come before the counts so they are seen without scrolling sideways.
    out[t("col.gaps", lang)] = ["; ".join(gap_text(g, lang) for g in gaps) for gaps in kel["gaps"]]
    for c in counts:
        out[titles.get(c[2:], c[2:])] = kel[c].astype(int)
    return out.reset_index(drop=True)


def category_table(cov: Coverage, lang: str) -> pd.DataFrame:
    """Per kelurahan, the feature count of every ``<layer>.<category>`` (e.g. ``worship.muslim``)."""
    cats = [c for c in cov.kelurahan.columns if "." in c and not c.startswith("kode")]
    return cov.kelurahan[["kode_kemendagri", "kelurahan", *cats]].rename(
        columns={"kode_kemendagri": t("tip.kode_kemendagri", lang), "kelurahan": t("col.kelurahan", lang)}
    ).reset_index(drop=True)
