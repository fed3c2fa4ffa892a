"""Issue 8.15: the usable-streets annex lists no busway or toll road, and no tiny fragments."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geozones.engine import prepare, zoning

AT = pd.Timestamp("2024-10-15T10:00")
X0, Y0 = 700_000.0, 9_316_000.0  # the tiny fixture's origin (EPSG:32748)


def _line(*pts):
    return shapely.linestrings([(X0 + x, Y0 + y) for x, y in pts])


@pytest.fixture
def split(tiny_layers, tiny_rules):
    prepared = prepare(tiny_layers, tiny_rules)
    return prepared, zoning.zone_split(prepared, zoning.rule_covers(prepared), at=AT, apk_type="spanduk")


def test_busways_toll_roads_and_fragments_are_not_usable_streets(split):
    prepared, z = split
    streets = gpd.GeoDataFrame({
        "name": ["Jalan Damai", "Jalan Damai", "Jalan Damai", "Transjakarta Busway Koridor 1", "Jalan Layang Tol",
                 "Gang Pendek", "Jalur Bus"],
        "highway": ["residential", "residential", "residential", "service", "motorway", "residential", "busway"],
    }, geometry=[_line((100, 900), (400, 900)), _line((400, 900), (700, 900)), _line((700, 900), (900, 900)),
                 _line((100, 950), (900, 950)), _line((100, 980), (900, 980)), _line((50, 930), (55, 930)),
                 _line((100, 960), (900, 960))], crs=32748)
    segs = zoning.usable_streets(z, prepared, streets.geometry, streets["name"], highway=streets["highway"])
    assert set(segs["street"]) == {"Jalan Damai"}
    # three OSM ways of one street in one kelurahan and class: one segment, measured whole
    assert len(segs) == 1 and segs["length_m"].iloc[0] == pytest.approx(800.0, abs=0.5)
    assert (segs["length_m"] >= zoning.MIN_SEGMENT_M).all()
    summary = zoning.street_summary(segs, prepared, streets.geometry, streets["name"], highway=streets["highway"])
    alpha = summary.set_index("kode_kemendagri").loc["31.71.01.1001"]
    assert alpha["total_m"] == pytest.approx(805.0, abs=0.5)  # busway, toll road and bus lane not counted
    _, header = zoning.annex_frame(segs, zoning=z, title="Lampiran")
    assert f"{zoning.MIN_SEGMENT_M:g} m" in " ".join(header) and "busway" in " ".join(header)


def test_busway_names_are_dropped_without_highway_tags(split):
    prepared, z = split
    names = pd.Series(["TransJakarta busway", "Jl. Tol Dalam Kota", "Jalan Damai"])
    lines = gpd.GeoSeries([_line((100, 900), (900, 900)), _line((100, 950), (900, 950)),
                           _line((100, 980), (900, 980))], crs=32748)
    segs = zoning.usable_streets(z, prepared, lines, names)
    assert set(segs["street"]) == {"Jalan Damai"}


def test_real_annex_has_no_busway_and_no_short_piece(jakpus_layers, jakpus_rules):
    prepared = prepare(jakpus_layers, jakpus_rules)
    z = zoning.zone_split(prepared, zoning.rule_covers(prepared), at=AT, apk_type="spanduk")
    streets = jakpus_layers.get("streets")
    segs = zoning.usable_streets(z, prepared, jakpus_layers.metric("streets"), streets["name"],
                                 highway=streets["highway"])
    assert len(segs) > 100
    assert not segs["street"].str.contains("busway|transjakarta", case=False).any()
    assert (segs["length_m"] >= zoning.MIN_SEGMENT_M).all()
