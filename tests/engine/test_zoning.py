"""The area split agrees with the engine, and its tables and annex add up (real layers)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import shapely

from geozones.engine import evaluate, prepare, zoning
from geozones.io import exports
from geozones.io.sites import sites_frame

CAMPAIGN = pd.Timestamp("2024-10-10T12:00", tz="Asia/Jakarta")
QUIET = pd.Timestamp("2024-11-25T12:00", tz="Asia/Jakarta")


@pytest.fixture(scope="module")
def prep(jakpus_layers, jakpus_rules):
    prepared = prepare(jakpus_layers, jakpus_rules)
    return prepared, zoning.rule_covers(prepared)


def _sample_inside(prepared, n, seed):
    area = shapely.union_all(prepared.admin_geoms)
    minx, miny, maxx, maxy = area.bounds
    rng = np.random.default_rng(seed)
    pts = shapely.points(rng.uniform(minx, maxx, 4 * n), rng.uniform(miny, maxy, 4 * n))
    return pts[shapely.contains(area, pts)][:n]


@pytest.mark.parametrize(("at", "apk"), [(CAMPAIGN, "spanduk"), (CAMPAIGN, "billboard"), (QUIET, "spanduk")])
def test_zone_class_matches_engine_verdict(prep, jakpus_layers, jakpus_rules, at, apk):
    prepared, covers = prep
    split = zoning.zone_split(prepared, covers, at=at, apk_type=apk)
    pts = _sample_inside(prepared, 1500, seed=7)
    # Buffers approximate arcs by chords (< 0.5 m at 25 m): skip points within 1 m of a class edge.
    edges = shapely.union_all([shapely.boundary(g) for g in split.zones.values() if not shapely.is_empty(g)])
    pts = pts[~shapely.dwithin(edges, pts, 1.0)]
    lonlat = shapely.get_coordinates(
        __import__("geopandas").GeoSeries(pts, crs=prepared.crs).to_crs(4326).values)
    table = evaluate(sites_frame(lonlat[:, 0], lonlat[:, 1], apk_type=apk), jakpus_layers, jakpus_rules,
                     at=at, prepared=prepared)
    engine_zone = table["verdict"].map(lambda v: zoning.ZONE_OF[zoning.Verdict(v)]).to_numpy()
    drawn = np.full(len(pts), "", dtype=object)
    for z, geom in split.zones.items():
        drawn[shapely.contains(geom, pts)] = z
    assert len(pts) > 1000
    mismatch = np.flatnonzero(engine_zone != drawn)
    assert len(mismatch) == 0, list(zip(engine_zone[mismatch][:5], drawn[mismatch][:5],
                                         table["rule_ids"].to_numpy()[mismatch][:5], strict=True))
    if at == QUIET:
        assert set(drawn) <= {"forbidden", "out_of_window"}
    if apk == "billboard" and at == CAMPAIGN:
        assert "owner_consent" not in set(drawn)  # R14: a permit everywhere not forbidden


def test_shares_add_up_and_kecamatan_weights(prep):
    prepared, covers = prep
    split = zoning.zone_split(prepared, covers, at=CAMPAIGN, apk_type="spanduk")
    kel = split.kelurahan
    assert len(kel) == len(prepared.admin)
    np.testing.assert_allclose(kel[list(zoning.ZONES)].sum(axis=1), 100.0, atol=1e-6)
    assert (kel["forbidden"] > 0).any() and (kel["owner_consent"] > 0).any()
    gambir = kel.loc[kel["kelurahan"] == "Gambir"].iloc[0]
    assert gambir["forbidden"] > 30  # Medan Merdeka / Monas lies in Kel. Gambir
    kec = zoning.kecamatan_shares(split)
    assert len(kec) == kel["kecamatan"].nunique()
    np.testing.assert_allclose(kec[list(zoning.ZONES)].sum(axis=1), 100.0, atol=1e-6)
    np.testing.assert_allclose(kec["area_ha"].sum(), kel["area_ha"].sum())


def test_usable_streets_avoid_unusable_zones_and_annex(prep, jakpus_layers):
    prepared, covers = prep
    split = zoning.zone_split(prepared, covers, at=CAMPAIGN, apk_type="spanduk")
    streets = jakpus_layers.get("streets")
    metric = jakpus_layers.metric("streets")
    segs = zoning.usable_streets(split, prepared, metric, streets["name"])
    assert len(segs) > 100
    assert set(segs["zone"]) <= {"permit", "owner_consent", "allowed"}
    bad = shapely.union_all([split.zones[z] for z in zoning.UNUSABLE])
    mids = shapely.line_interpolate_point(segs.geometry.values, 0.5, normalized=True)
    assert not shapely.contains_properly(bad, mids).any()
    summary = zoning.street_summary(segs, prepared, metric, streets["name"])
    assert (summary["usable_m"] <= summary["total_m"] + 1e-6).all()
    assert (summary["usable_m"] > 0).sum() > 30
    annex_out = exports.annex_export(segs, zoning=split, attribution=jakpus_layers.attributions(),
                                     title="Lampiran")
    data = annex_out.data
    assert exports.annex_csv(segs, zoning=split, attribution=jakpus_layers.attributions(), title="Lampiran") == data
    from geozones.io.exports import read_csv_export

    assert data.startswith(b"no,kecamatan,")
    assert "© OpenStreetMap contributors, ODbL" in json.loads(annex_out.metadata)["dc:source"]
    annex = read_csv_export(data)
    assert list(annex.columns[:6]) == ["no", "kecamatan", "kelurahan", "kode_kemendagri", "nama_jalan", "ruas_ke"]
    assert len(annex) == len(segs)
    assert annex["panjang_m"].astype(float).sum() == pytest.approx(segs["length_m"].sum(), rel=1e-3)


def test_restricted_display_categories(prep):
    prepared, covers = prep
    rd = zoning.restricted_display(prepared, covers)
    assert set(rd["category"]) == {"parcel", "advisory", "corridor", "kawasan"}
    istiqlal = rd.loc[(rd["name"] == "Masjid Istiqlal") & (rd["category"] == "parcel")]
    assert len(istiqlal) == 1 and istiqlal["verdict"].iloc[0] == "FORBIDDEN"
    assert istiqlal.geometry.iloc[0].contains(shapely.Point(106.83109, -6.17025))
    assert rd.crs.to_epsg() == 4326
