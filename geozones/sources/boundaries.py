"""Build kelurahan, kecamatan and kota layers with both BPS and Kemendagri codes.

Input: one province's BPS desa/kelurahan polygons (HDX cod-ab-idn, via
JfrAziz/indonesia-district) and the Kemendagri code table. Codes are joined by
normalised name, level by level and always within the parent already matched
(kota within the province, kecamatan within the kota, kelurahan within the
kecamatan); never by position, because the two systems number units
differently. Kecamatan and kota are dissolved from the kelurahan so that their
edges are exactly the kelurahan edges.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geozones.core.crs import STORAGE_CRS
from geozones.core.errors import InputError
from geozones.sources.names import NameMatch, match_names, normalise, strip_generic

#: Coordinates are rounded to this grid (about 1 cm) so shared edges coincide exactly.
GRID = 1e-7
BPS_COLUMNS = ("village_code", "village", "district_code", "district", "regency_code", "regency")
SOURCE_TEXT = "HDX cod-ab-idn (BPS 2020), via JfrAziz/indonesia-district; Kemendagri codes from cahyadsn/wilayah"


@dataclass
class MatchReport:
    """What the name join did: the non-exact matches and what found no partner."""

    variants: list[dict] = field(default_factory=list)
    unmatched: list[dict] = field(default_factory=list)
    water_bodies: list[dict] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Human-readable report lines."""
        out = []
        for v in self.variants:
            out.append(f"{v['level']} {v['bps_name']} ({v['kode_bps']}) matched Kemendagri "
                       f"'{v['kemendagri_name']}' ({v['kode_kemendagri']}) by {v['method']}"
                       + (f" (similarity {v['ratio']:.2f})" if v["method"] == "spelling" else ""))
        for u in self.unmatched:
            out.append(f"UNMATCHED {u['level']} {u['side']} '{u['name']}' ({u['code']}) in {u['parent']}")
        for w in self.water_bodies:
            out.append(f"water body {w['name']} ({w['kode_bps']}) kept without a Kemendagri code")
        return out

    def as_dict(self) -> dict:
        """Plain data for the provenance record."""
        return {"variants": self.variants, "unmatched": self.unmatched, "water_bodies": self.water_bodies}


@dataclass
class Boundaries:
    """The three layers of a province and the join report."""

    kelurahan: gpd.GeoDataFrame
    kecamatan: gpd.GeoDataFrame
    kota: gpd.GeoDataFrame
    report: MatchReport
    province_code: str
    province_name: str

    def select_kota(self, bps_kota: str) -> Boundaries:
        """The same layers restricted to one kota (the kota layer keeps the whole province)."""
        kel = self.kelurahan.loc[self.kelurahan["kode_bps_kota"] == bps_kota].reset_index(drop=True)
        kec = self.kecamatan.loc[self.kecamatan["kode_bps_kota"] == bps_kota].reset_index(drop=True)
        return Boundaries(kel, kec, self.kota, self.report, self.province_code, self.province_name)


def read_province_file(path, *, source_name: str | None = None) -> gpd.GeoDataFrame:
    """Read a province boundary file and strip the ``id`` prefix from its codes.

    Raises
    ------
    InputError
        If a BPS column is missing.
    """
    from geozones.io.vector import read_vector

    gdf = read_vector(path, source_name=source_name)
    missing = [c for c in BPS_COLUMNS if c not in gdf.columns]
    if missing:
        raise InputError(f"lacks column(s) {', '.join(missing)}; expected a BPS district file of "
                         "JfrAziz/indonesia-district", source=source_name or str(path))
    for col in ("village_code", "district_code", "regency_code"):
        gdf[col] = gdf[col].astype(str).str.strip().str.removeprefix("id")
    return gdf


def _is_kota(code_digits: str) -> bool:
    # In both systems the regency part 71-99 is a kota, 01-70 a kabupaten.
    return int(code_digits) >= 71


def is_water_body(village_code: str, district_code: str) -> bool:
    """BPS codes lakes and reservoirs with 888/555 pseudo-units; they have no Kemendagri code."""
    return village_code[-3:] in ("888", "555") or district_code[-3:] in ("888", "555")


def build_boundaries(province: gpd.GeoDataFrame, wilayah: pd.DataFrame) -> Boundaries:
    """Join the Kemendagri codes onto BPS polygons and dissolve kecamatan and kota.

    Parameters
    ----------
    province : geopandas.GeoDataFrame
        From :func:`read_province_file` (one province).
    wilayah : pandas.DataFrame
        From :func:`geozones.sources.wilayah.read_wilayah`.

    Returns
    -------
    Boundaries
        Kelurahan (land units and flagged water bodies), kecamatan and kota
        dissolved from the land kelurahan, and the match report.
    """
    prov_codes = province["regency_code"].str[:2].unique()
    if len(prov_codes) != 1:
        raise InputError("the boundary file mixes provinces " + ", ".join(sorted(prov_codes)))
    prov = str(prov_codes[0])
    w = wilayah.loc[wilayah["kode"].str.startswith(prov)]
    prov_row = w.loc[w["level"] == 1]
    prov_name = str(prov_row["nama"].iloc[0]) if len(prov_row) else str(province.get("province", [""])[0])
    names = dict(zip(w["kode"], w["nama"], strict=True))
    children: dict[str, dict[str, str]] = {}
    for kode, parent in zip(w["kode"], w["parent"], strict=True):
        children.setdefault(parent, {})[kode] = names[kode]

    report = MatchReport()
    bps = province.copy()
    bps["is_water_body"] = [is_water_body(v, d) for v, d in zip(bps["village_code"], bps["district_code"],
                                                                 strict=True)]
    for _, r in bps.loc[bps["is_water_body"]].iterrows():
        report.water_bodies.append({"kode_bps": r["village_code"], "name": r["village"]})

    def record(level: str, m: NameMatch) -> None:
        # "Kota X" vs "Kota Administrasi X" is expected at kota level; not worth a line.
        if m.method != "exact" and not (level == "kota" and m.method == "generic-word"):
            report.variants.append({"level": level, "kode_bps": m.left, "bps_name": m.left_name,
                                    "kode_kemendagri": m.right, "kemendagri_name": m.right_name,
                                    "method": m.method, "ratio": m.ratio})

    def unmatched(level: str, side: str, codes: list[str], lookup: dict[str, str], parent: str) -> None:
        for c in codes:
            report.unmatched.append({"level": level, "side": side, "code": c, "name": lookup[c],
                                     "parent": parent})

    land = bps.loc[~bps["is_water_body"]]
    # Kota: within the province, and only kota with kota, kabupaten with kabupaten.
    kota_bps = dict(land.groupby("regency_code")["regency"].first())
    kota_kmd = children.get(prov, {})
    kota_map: dict[str, str] = {}
    for want in (True, False):
        left = {c: n for c, n in kota_bps.items() if _is_kota(c[2:4]) == want}
        right = {c: n for c, n in kota_kmd.items() if _is_kota(c[3:5]) == want}
        ms, ul, ur = match_names(left, right)
        for m in ms:
            kota_map[m.left] = m.right
            record("kota", m)
        unmatched("kota", "BPS", ul, kota_bps, prov_name)
        unmatched("kota", "Kemendagri", ur, kota_kmd, prov_name)

    kec_map: dict[str, str] = {}
    kel_map: dict[str, str] = {}
    for bk, kk in kota_map.items():
        sub = land.loc[land["regency_code"] == bk]
        kec_bps = dict(sub.groupby("district_code")["district"].first())
        kec_kmd = children.get(kk, {})
        ms, ul, ur = match_names(kec_bps, kec_kmd)
        for m in ms:
            kec_map[m.left] = m.right
            record("kecamatan", m)
        unmatched("kecamatan", "BPS", ul, kec_bps, kota_kmd[kk])
        unmatched("kecamatan", "Kemendagri", ur, kec_kmd, kota_kmd[kk])
        for bkec, kkec in ((m.left, m.right) for m in ms):
            vil = sub.loc[sub["district_code"] == bkec]
            kel_bps = dict(zip(vil["village_code"], vil["village"], strict=True))
            kel_kmd = children.get(kkec, {})
            kms, kul, kur = match_names(kel_bps, kel_kmd)
            for m in kms:
                kel_map[m.left] = m.right
                record("kelurahan", m)
            unmatched("kelurahan", "BPS", kul, kel_bps, f"{kec_bps[bkec]}, {kota_kmd[kk]}")
            unmatched("kelurahan", "Kemendagri", kur, kel_kmd, f"{kec_bps[bkec]}, {kota_kmd[kk]}")

    geoms = shapely.set_precision(bps.geometry.values, GRID)
    kel = gpd.GeoDataFrame({
        "kode_bps": bps["village_code"].to_numpy(),
        "kode_kemendagri": bps["village_code"].map(kel_map).to_numpy(),
        "kelurahan": bps["village"].str.strip().to_numpy(),
        "nama_kemendagri": bps["village_code"].map(kel_map).map(names).to_numpy(),
        "kode_bps_kec": bps["district_code"].to_numpy(),
        "kode_kemendagri_kec": bps["district_code"].map(kec_map).to_numpy(),
        "kecamatan": bps["district"].str.strip().to_numpy(),
        "nama_kemendagri_kec": bps["district_code"].map(kec_map).map(names).to_numpy(),
        "kode_bps_kota": bps["regency_code"].to_numpy(),
        "kode_kemendagri_kota": bps["regency_code"].map(kota_map).to_numpy(),
        "kota": bps["regency_code"].map(kota_map).map(names).fillna(bps["regency"]).to_numpy(),
        "provinsi": prov_name,
        "is_water_body": bps["is_water_body"].to_numpy(),
        "source": SOURCE_TEXT,
        "valid_on": bps["valid_on"].astype(str).to_numpy() if "valid_on" in bps else None,
    }, geometry=geoms, crs=STORAGE_CRS)
    kel = kel.sort_values("kode_bps", kind="stable").reset_index(drop=True)
    return Boundaries(kel, dissolve(kel, "kecamatan"), dissolve(kel, "kota"), report, prov, prov_name)


def dissolve(kel: gpd.GeoDataFrame, level: str) -> gpd.GeoDataFrame:
    """Dissolve land kelurahan into kecamatan or kota; edges are the kelurahan edges.

    Parameters
    ----------
    kel : geopandas.GeoDataFrame
        Kelurahan layer as built by :func:`build_boundaries`.
    level : {"kecamatan", "kota"}
        Which unit to build.
    """
    land = kel.loc[~kel["is_water_body"].astype(bool)]
    if level == "kecamatan":
        key = "kode_bps_kec"
        cols = ["kode_bps_kec", "kode_kemendagri_kec", "kecamatan", "nama_kemendagri_kec",
                "kode_bps_kota", "kode_kemendagri_kota", "kota", "provinsi"]
    elif level == "kota":
        key = "kode_bps_kota"
        cols = ["kode_bps_kota", "kode_kemendagri_kota", "kota", "provinsi"]
    else:
        raise ValueError(level)
    rows = []
    geoms = []
    for _, grp in land.groupby(key, sort=True):
        rows.append({**{c: grp[c].iloc[0] for c in cols}, "n_kelurahan": len(grp)})
        merged = shapely.union_all(grp.geometry.values, grid_size=GRID)
        geoms.append(shapely.make_valid(merged) if not shapely.is_valid(merged) else merged)
    out = gpd.GeoDataFrame(pd.DataFrame(rows), geometry=np.array(geoms, dtype=object), crs=STORAGE_CRS)
    out["source"] = f"dissolved from the kelurahan layer ({SOURCE_TEXT})"
    return out


def find_kota(b: Boundaries, query: str) -> str:
    """BPS code of the kota named by ``query`` (BPS code, Kemendagri code or name).

    Raises
    ------
    InputError
        If nothing or more than one kota matches, listing the kota of the province.
    """
    q = str(query).strip()
    k = b.kota
    hit = k.loc[(k["kode_bps_kota"] == q) | (k["kode_kemendagri_kota"] == q)]
    if len(hit) == 0:
        nq, sq = normalise(q), strip_generic(q)
        kind = "kota" if nq.startswith("kota") else "kab" if nq.startswith("kab") else None
        mask = k["kota"].map(strip_generic) == sq
        if kind:
            mask &= k["kode_bps_kota"].map(lambda c: _is_kota(c[2:4]) == (kind == "kota"))
        hit = k.loc[mask]
    if len(hit) != 1:
        listing = "; ".join(f"{r.kode_bps_kota} / {r.kode_kemendagri_kota} {r.kota}" for r in k.itertuples())
        what = "matches no" if len(hit) == 0 else "matches more than one"
        raise InputError(f"'{q}' {what} kota/kabupaten of {b.province_name}; choose one of: {listing}",
                         field="--kota")
    return str(hit["kode_bps_kota"].iloc[0])


def province_of(query: str, wilayah: pd.DataFrame) -> str:
    """Two-digit province code for a kota or province code or name.

    Codes carry the province in their first two digits (``3173``, ``31.71``,
    ``31``). A name is looked up among the Kemendagri kota/kabupaten, then the
    provinces.

    Raises
    ------
    InputError
        If no unit or more than one province matches.
    """
    q = str(query).strip()
    if q[:2].isdigit() and (q.replace(".", "").isdigit()):
        return q[:2]
    sq = strip_generic(q)
    nq = normalise(q)
    kind = "kota" if nq.startswith("kota") else "kab" if nq.startswith("kab") else None
    lvl2 = wilayah.loc[wilayah["level"] == 2]
    mask = lvl2["nama"].map(strip_generic) == sq
    if kind:
        mask &= lvl2["kode"].map(lambda c: _is_kota(c[3:5]) == (kind == "kota"))
    provs = sorted(set(lvl2.loc[mask, "kode"].str[:2]))
    if not provs:
        lvl1 = wilayah.loc[wilayah["level"] == 1]
        provs = sorted(set(lvl1.loc[lvl1["nama"].map(strip_generic) == sq, "kode"]))
    if len(provs) != 1:
        if len(provs) > 1:
            names = lvl2.loc[mask, ["kode", "nama"]].astype(str).agg(" ".join, axis=1)
            raise InputError(f"'{q}' is ambiguous: " + "; ".join(names) + "; give the code instead",
                             field="--kota")
        raise InputError(f"no kota/kabupaten or province called '{q}' in the Kemendagri table; "
                         "give its code (e.g. 3173 or 31.71)", field="--kota")
    return provs[0]
