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
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from geozones.areas.layers import LayerSet
from geozones.core.errors import InputError
from geozones.io.files import write_atomic
from geozones.io.layers import load_layers
from geozones.rules.model import DEFAULT_RULES, load_ruleset
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
    notes : list of str
        Area-wide remarks (absent layers and what they leave unchecked).
    """

    kelurahan: pd.DataFrame
    layers: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def gaps(self) -> pd.DataFrame:
        """Only the kelurahan with at least one flagged gap."""
        return self.kelurahan.loc[self.kelurahan["gaps"].map(len) > 0]


def coverage_from_layers(layers: LayerSet, *, records: dict | None = None, rules: Path | None = None,
                         today: dt.date | None = None) -> Coverage:
    """Build the coverage report from a loaded layer set.

    Parameters
    ----------
    layers : LayerSet
        The area's layers (the kelurahan layer must be present).
    records : dict, optional
        Provenance records by file name (from :mod:`geozones.sources.provenance`).
    rules : pathlib.Path, optional
        Rule set, to name the rules an absent layer leaves unchecked.
    today : datetime.date, optional
        Reference day for ages (default: today, UTC).
    """
    records = records or {}
    kel = layers.kelurahan
    polys = kel.geometry.values
    tree = shapely.STRtree(polys)
    table = kel[[c for c in ("kode_kemendagri", "kode_bps", "kelurahan", "kecamatan") if c in kel]].copy()
    layer_rows, notes = [], []
    by_layer = load_ruleset(rules or DEFAULT_RULES).rules_by_layer()
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
            unchecked = by_layer.get(name, [])
            notes.append(f"layer '{name}' is absent ({lyr.problem})"
                         + (f"; rules {', '.join(unchecked)} are not checked" if unchecked else ""))
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

    gaps: list[list[str]] = [[] for _ in range(len(kel))]
    for name, lyr in layers.layers.items():
        col = f"n_{name}"
        if col not in table or lyr.spec.role == "roads":
            continue
        counts = table[col].to_numpy()
        role = lyr.spec.role
        median = float(np.median(counts)) if len(counts) else 0.0
        for i, n in enumerate(counts):
            if n == 0 and role in EXPECTED_EVERYWHERE:
                gaps[i].append(f"{EXPECTED_EVERYWHERE[role]} in '{name}' (likely gap)")
            elif n == 0 and role in USUALLY_PRESENT:
                gaps[i].append(f"{USUALLY_PRESENT[role]} in '{name}' (possible gap)")
            elif median >= MIN_MEDIAN and n < LOW_SHARE * median and role in (*EXPECTED_EVERYWHERE, *USUALLY_PRESENT):
                gaps[i].append(f"few features in '{name}': {n} vs kota median {median:g} (possible gap)")
    table["gaps"] = gaps
    return Coverage(kelurahan=table.reset_index(drop=True), layers=layer_df, notes=notes)


def coverage(*, data_dir: Path, area: str | None = None, rules: Path | None = None,
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


def format_coverage(cov: Coverage, *, gaps_only: bool = False) -> str:
    """Plain-text report: the layers, then one line per kelurahan."""
    lines = ["Layers:"]
    for r in cov.layers.itertuples():
        age = f"{r.age_days:.0f} days old ({r.data_date})" if r.age_days == r.age_days and r.age_days is not None \
            else "age unknown"
        state = f"{r.features} features, {age}" if r.present else "ABSENT"
        lines.append(f"  {r.layer:18s} {state}; {r.licence}; {r.source}")
    lines += [f"  ! {n}" for n in cov.notes]
    count_cols = [c for c in cov.kelurahan.columns if c.startswith("n_")]
    lines.append("Kelurahan (" + ", ".join(c[2:] for c in count_cols) + "):")
    rows = cov.gaps if gaps_only else cov.kelurahan
    for r in rows.itertuples(index=False):
        d = r._asdict()
        counts = " ".join(f"{c[2:]}={d[c]}" for c in count_cols)
        flag = ("  GAPS: " + "; ".join(d["gaps"])) if d["gaps"] else ""
        lines.append(f"  {d.get('kode_kemendagri', '')} {d.get('kelurahan', '')} ({d.get('kecamatan', '')}): "
                     f"{counts}{flag}")
    lines.append(f"{len(cov.gaps)} of {len(cov.kelurahan)} kelurahan have likely or possible gaps")
    return "\n".join(lines)


def write_coverage(cov: Coverage, path: str | Path) -> Path:
    """Write the per-kelurahan table as CSV, or the whole report as JSON."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        doc = {"layers": json.loads(cov.layers.to_json(orient="records")), "notes": cov.notes,
               "kelurahan": json.loads(cov.kelurahan.to_json(orient="records"))}
        text = json.dumps(doc, indent=2, ensure_ascii=False)
        return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    if path.suffix.lower() != ".csv":
        raise InputError("coverage can be written as .csv or .json", source=str(path), field="--out")
    df = cov.kelurahan.assign(gaps=cov.kelurahan["gaps"].map("; ".join))
    return write_atomic(path, lambda tmp: df.to_csv(tmp, index=False))
