"""How complete the layers are: per kelurahan counts per category, data age, sources, gaps.

A Bawaslu supervisor reads this before trusting an ALLOWED: a kelurahan with no
school or no place of worship in the data almost certainly has one on the
ground, so the layer is incomplete there, and a verdict of "no prohibition
matched" means less. The engine's "not checked" reasons and the app's data page
read the same table.
"""

from __future__ import annotations

import datetime as dt
import json
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import shapely

from geozones.areas.layers import LayerSet
from geozones.core.errors import InputError
from geozones.io.files import write_atomic
from geozones.io.layers import load_layers
from geozones.rules.model import DEFAULT_RULES, RuleSet, load_ruleset
from geozones.sources import provenance
from geozones.sources.areas import manifest_for_data_dir

#: Roles whose features are counted per kelurahan, in report order.
COUNTED_ROLES = ("worship", "education", "health", "government", "parks", "other", "kpu_points", "tps", "roads")
#: Every kelurahan has these on the ground; none in the data is a likely gap.
EXPECTED_EVERYWHERE = {"worship": "no place of worship", "education": "no school"}
#: Usually present; none in the data is a possible gap.
USUALLY_PRESENT = {"health": "no health facility"}
#: A count below this share of the kota median is flagged (when the median is at least MIN_MEDIAN).
LOW_SHARE = 0.25
MIN_MEDIAN = 4

#: Wording of the gap records, (Bahasa Indonesia, English); ``{layer}``, ``{n}``, ``{median}``, ``{rules}``
#: are filled from the record. The English texts are the report's historical flags, word for word.
GAP_TEXT: dict[str, tuple[str, str]] = {
    "none.worship": ("tidak ada tempat ibadah di '{layer}'", "no place of worship in '{layer}'"),
    "none.education": ("tidak ada sekolah di '{layer}'", "no school in '{layer}'"),
    "none.health": ("tidak ada fasilitas kesehatan di '{layer}'", "no health facility in '{layer}'"),
    "few": ("sedikit objek di '{layer}': {n} vs median kota {median}",
            "few features in '{layer}': {n} vs kota median {median}"),
    "likely": ("kemungkinan besar celah", "likely gap"),
    "possible": ("mungkin celah", "possible gap"),
    "absent": ("lapisan '{layer}' tidak tersedia ({problem})", "layer '{layer}' is absent ({problem})"),
    "absent.rules": ("; aturan {rules} tidak diperiksa", "; rules {rules} are not checked"),
}


@dataclass(frozen=True)
class Gap:
    """One flagged gap of the coverage report, as data; rendered by :meth:`text` in either language.

    Attributes
    ----------
    kind : {"none", "few", "absent"}
        ``"none"``: no feature of the layer in the kelurahan; ``"few"``: fewer than
        :data:`LOW_SHARE` of the kota median; ``"absent"``: the whole layer is missing
        (area-wide, ``kelurahan`` is empty).
    layer : str
        Layer name of the area manifest.
    role : str
        The layer's role (``"worship"``, ``"education"``, ``"health"``, ...).
    certainty : {"likely", "possible", ""}
        ``"likely"`` where every kelurahan has such a place on the ground (:data:`EXPECTED_EVERYWHERE`),
        ``"possible"`` otherwise; empty for an absent layer.
    kode_kemendagri, kelurahan, kecamatan : str
        The kelurahan flagged (empty for an absent layer).
    count : int
        Features of the layer counted in the kelurahan.
    median : float or None
        Kota median of that count (``"few"`` only).
    rules : tuple of str
        Rule ids an absent layer leaves unchecked.
    problem : str
        Why an absent layer is absent (the layer loader's message, English).
    """

    kind: Literal["none", "few", "absent"]
    layer: str
    role: str
    certainty: Literal["likely", "possible", ""] = ""
    kode_kemendagri: str = ""
    kelurahan: str = ""
    kecamatan: str = ""
    count: int = 0
    median: float | None = None
    rules: tuple[str, ...] = ()
    problem: str = ""

    def text(self, lang: str = "en") -> str:
        """The gap as one phrase in ``lang`` (``"id"`` or ``"en"``; anything else reads as English).

        Examples: ``"no school in 'education' (likely gap)"``, ``"few features in 'worship':
        1 vs kota median 8 (possible gap)"``, ``"layer 'tps' is absent (file missing); rules R25
        are not checked"``.
        """
        i = 0 if lang == "id" else 1
        values = {"layer": self.layer, "n": self.count, "problem": self.problem, "rules": ", ".join(self.rules),
                  "median": f"{self.median:g}" if self.median is not None else ""}
        if self.kind == "absent":
            return GAP_TEXT["absent"][i].format(**values) + (
                GAP_TEXT["absent.rules"][i].format(**values) if self.rules else "")
        key = "few" if self.kind == "few" else f"none.{self.role}"
        return f"{GAP_TEXT[key][i].format(**values)} ({GAP_TEXT[self.certainty][i]})"

    def bilingual(self) -> str:
        """``"<Bahasa Indonesia> / <English>"``, as the command line prints it."""
        return f"{self.text('id')} / {self.text('en')}"

    def to_dict(self) -> dict:
        """The record as plain JSON-ready values, with its text in both languages."""
        d = asdict(self)
        d["rules"] = list(self.rules)
        return {**d, "text_id": self.text("id"), "text_en": self.text("en")}


@dataclass
class Coverage:
    """The coverage report of one area.

    Attributes
    ----------
    kelurahan : pandas.DataFrame
        One row per kelurahan: codes, names, ``n_<layer>`` counts, ``<layer>.<category>``
        counts, ``gaps`` (list of str).
    layers : pandas.DataFrame
        One row per manifest layer: present, features, source, licence, data date,
        age in days, how it was obtained.
        ``gaps`` holds the kelurahan's :class:`Gap` records (a tuple, possibly empty).
    absent : list of Gap
        Area-wide records of kind ``"absent"``: layers missing and the rules they leave unchecked.
    """

    kelurahan: pd.DataFrame
    layers: pd.DataFrame
    absent: list[Gap] = field(default_factory=list)

    @property
    def gaps(self) -> pd.DataFrame:
        """Only the kelurahan with at least one flagged gap."""
        return self.kelurahan.loc[self.kelurahan["gaps"].map(len) > 0]

    @property
    def gap_records(self) -> list[Gap]:
        """Every per-kelurahan gap record, kelurahan in table order."""
        return [g for gaps in self.kelurahan["gaps"] for g in gaps]

    @property
    def notes(self) -> list[str]:
        """Area-wide remarks in English (absent layers and what they leave unchecked)."""
        return [g.text("en") for g in self.absent]


def _rules_by_layer(rules: RuleSet | Path | None) -> dict[str, list[str]]:
    """Rule ids by the layer they read, from a loaded rule set or a rule file (default: the Jakarta Pusat one)."""
    if isinstance(rules, RuleSet):
        return rules.rules_by_layer()
    return load_ruleset(rules or DEFAULT_RULES).rules_by_layer()


def coverage_from_layers(layers: LayerSet, *, records: dict | None = None, rules: RuleSet | Path | None = None,
                         today: dt.date | None = None) -> Coverage:
    """Build the coverage report from a loaded layer set.

    Parameters
    ----------
    layers : LayerSet
        The area's layers (the kelurahan layer must be present).
    records : dict, optional
        Provenance records by file name (from :mod:`geozones.sources.provenance`).
    rules : RuleSet or pathlib.Path, optional
        The rule set in use, to name the rules an absent layer leaves unchecked: the
        loaded rule set (as any catalog serves it, the store's included, whose rules
        have no file) or a rule file (default: the Jakarta Pusat rule file).
    today : datetime.date, optional
        Reference day for ages (default: today, UTC).

    Raises
    ------
    InputError
        If ``rules`` is a path that cannot be read or is not a valid rule set.
    """
    records = records or {}
    kel = layers.kelurahan
    polys = kel.geometry.values
    tree = shapely.STRtree(polys)
    table = kel[[c for c in ("kode_kemendagri", "kode_bps", "kelurahan", "kecamatan") if c in kel]].copy()
    layer_rows, absent = [], []
    by_layer = _rules_by_layer(rules)
    for name, lyr in layers.layers.items():
        spec = lyr.spec
        rec = records.get(spec.file)
        age, date = provenance.data_age_days(rec, spec.date, today)
        layer_rows.append({
            "layer": name, "role": spec.role, "file": spec.file, "present": lyr.present, "features": len(lyr),
            "source": (rec or {}).get("how", "") + (": " if rec else "") + spec.source,
            "licence": (rec or {}).get("licence") or spec.licence, "data_date": date, "age_days": age,
            "problem": lyr.problem or ""})
        if not lyr.present:
            absent.append(Gap(kind="absent", layer=name, role=spec.role, problem=str(lyr.problem or ""),
                              rules=tuple(by_layer.get(name, []))))
            continue
        if spec.role not in COUNTED_ROLES or len(lyr) == 0:
            if spec.role in COUNTED_ROLES:
                table[f"n_{name}"] = 0
            continue
        geoms = lyr.gdf.geometry.values
        if spec.role == "roads":
            idx_feat, idx_kel = tree.query(geoms, predicate="intersects")
        else:
            # A parcel on an edge counts once, where its representative point lies.
            idx_feat, idx_kel = tree.query(shapely.point_on_surface(geoms), predicate="intersects")
            _, first = np.unique(idx_feat, return_index=True)
            idx_feat, idx_kel = idx_feat[first], idx_kel[first]
        table[f"n_{name}"] = np.bincount(idx_kel, minlength=len(kel))
        cat_col = next((c for c in ("category_detail", "religion", "religion_inferred") if c in lyr.gdf), None)
        if cat_col and spec.role != "roads":
            cats = lyr.gdf[cat_col].fillna("unknown").astype(str).to_numpy()[idx_feat]
            for cat in sorted(set(cats)):
                table[f"{name}.{cat}"] = np.bincount(idx_kel[cats == cat], minlength=len(kel))
    layer_df = pd.DataFrame(layer_rows)
    present_ages = layer_df.loc[layer_df["present"] & layer_df["age_days"].notna()]
    table["oldest_layer_days"] = present_ages["age_days"].max() if len(present_ages) else np.nan
    table["sources"] = "; ".join(dict.fromkeys(layer_df.loc[layer_df["present"], "source"]))

    gaps: list[list[Gap]] = [[] for _ in range(len(kel))]
    names = {c: table[c].astype(str).tolist() if c in table else [""] * len(kel)
             for c in ("kode_kemendagri", "kelurahan", "kecamatan")}
    for name, lyr in layers.layers.items():
        col = f"n_{name}"
        if col not in table or lyr.spec.role == "roads":
            continue
        counts = table[col].to_numpy()
        role = lyr.spec.role
        median = float(np.median(counts)) if len(counts) else 0.0
        for i, n in enumerate(counts):
            where = {c: names[c][i] for c in names}
            if n == 0 and role in EXPECTED_EVERYWHERE:
                gaps[i].append(Gap("none", name, role, "likely", **where))
            elif n == 0 and role in USUALLY_PRESENT:
                gaps[i].append(Gap("none", name, role, "possible", **where))
            elif median >= MIN_MEDIAN and n < LOW_SHARE * median and role in (*EXPECTED_EVERYWHERE, *USUALLY_PRESENT):
                gaps[i].append(Gap("few", name, role, "possible", count=int(n), median=median, **where))
    table["gaps"] = [tuple(g) for g in gaps]
    return Coverage(kelurahan=table.reset_index(drop=True), layers=layer_df, absent=absent)


def coverage(*, data_dir: Path, area: str | None = None, rules: RuleSet | Path | None = None,
             today: dt.date | None = None) -> Coverage:
    """Load an area's layers from ``data_dir`` and build its coverage report.

    Raises
    ------
    InputError
        If the kelurahan boundary layer is missing (fetch or import it first).
    """
    manifest = manifest_for_data_dir(area, Path(data_dir))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layers = load_layers(manifest, data_dir)
    if not any(lyr.present for lyr in layers.by_role("kelurahan")):
        raise InputError("no kelurahan boundaries in the data directory; run 'geozones data fetch --kota ...' "
                         "or 'geozones data import FILE --layer kelurahan' first", source=str(data_dir))
    return coverage_from_layers(layers, records=provenance.load(data_dir)["files"], rules=rules, today=today)


def write_coverage(cov: Coverage, path: str | Path) -> Path:
    """Write the per-kelurahan table as CSV, or the whole report as JSON.

    The CSV's ``gaps`` column holds the flags in English joined by ``"; "`` and ``celah`` the
    same in Bahasa Indonesia; the JSON keeps the English ``gaps`` strings per kelurahan and adds
    ``gap_records`` and ``absent``, one object per :class:`Gap` (:meth:`Gap.to_dict`).

    Raises
    ------
    InputError
        If ``path`` ends in neither ``.csv`` nor ``.json``.
    """
    path = Path(path)
    if path.suffix.lower() == ".json":
        kel = cov.kelurahan.assign(gaps=cov.kelurahan["gaps"].map(lambda gs: [g.text("en") for g in gs]))
        doc = {"layers": json.loads(cov.layers.to_json(orient="records")), "notes": cov.notes,
               "absent": [g.to_dict() for g in cov.absent],
               "gap_records": [g.to_dict() for g in cov.gap_records],
               "kelurahan": json.loads(kel.to_json(orient="records"))}
        text = json.dumps(doc, indent=2, ensure_ascii=False)
        return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    if path.suffix.lower() != ".csv":
        raise InputError("coverage can be written as .csv or .json", source=str(path), field="--out")
    df = cov.kelurahan.assign(gaps=cov.kelurahan["gaps"].map(lambda gs: "; ".join(g.text("en") for g in gs)),
                              celah=cov.kelurahan["gaps"].map(lambda gs: "; ".join(g.text("id") for g in gs)))
    return write_atomic(path, lambda tmp: df.to_csv(tmp, index=False))
