"""Folium builders: offline assets, escaping, sizes (HTML fragments, no browser)."""

from __future__ import annotations

import json
import re

import folium
import geopandas as gpd
import pandas as pd
import pytest
import shapely
from folium.plugins import Draw

from geozones.app import mapview

XSS = "<img src=x onerror=alert(1)>"
TEMPLATE_BREAK = "`${alert(2)}`\\"


def _kel(name=XSS):
    poly = shapely.box(106.82, -6.18, 106.83, -6.17)
    return gpd.GeoDataFrame({"kelurahan": [name], "kecamatan": ["Gambir"], "kode_kemendagri": ["31.71.01.1001"],
                             "kode_bps": ["3173080003"]}, geometry=[poly], crs=4326)


def _render(m):
    mapview.use_local_assets(m)
    return mapview.map_html(m)


def test_base_map_is_offline_and_has_no_tiles_by_default():
    html = _render(mapview.base_map())
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls, "leaflet must be loaded from somewhere"
    assert all(u.startswith("/app/static/") for u in urls), urls
    assert "/app/static/leaflet/leaflet.js" in urls
    assert "tile.openstreetmap.org" not in html
    assert "cdn.jsdelivr" not in html and "cdnjs" not in html


def test_online_tiles_are_an_overlay_that_starts_off():
    m = mapview.base_map(online_tiles=True, tiles_label="OSM (online)")
    html = _render(m)
    assert "tile.openstreetmap.org" in html
    tile = next(c for c in m._children.values() if isinstance(c, folium.TileLayer))
    assert tile.overlay is True and tile.show is False


def test_every_vendored_url_exists_on_disk():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    for url in [*mapview.LOCAL_JS.values(), *mapview.LOCAL_CSS.values()]:
        assert (root / "static" / url.removeprefix("/app/static/")).is_file(), url


def test_unknown_cdn_asset_is_refused():
    m = mapview.base_map()
    Draw().add_to(m)  # leaflet.draw is not vendored
    with pytest.raises(ValueError, match="not vendored"):
        mapview.use_local_assets(m)


def test_kelurahan_tooltip_escapes_names():
    m = mapview.base_map()
    layer = mapview.kelurahan_layer(_kel(), name="Kelurahan", aliases=["Kel", "Kec", "Kode", "BPS"])
    layer.add_to(m)
    html = _render(m)
    data = layer.data if isinstance(layer.data, dict) else json.loads(layer.data)
    assert data["features"][0]["properties"]["kelurahan"] == "&lt;img src=x onerror=alert(1)&gt;"
    assert XSS not in html
    assert "31.71.01.1001" in html and "3173080003" in html
    assert mapview.geojson_feature_count(layer) == 1


def test_safe_text_neutralises_template_literals():
    out = mapview.safe_text(TEMPLATE_BREAK + XSS)
    for bad in ("`", "${", "\\", "<", ">"):
        assert bad not in out
    assert mapview.safe_text(None) == "" and mapview.safe_text(float("nan")) == ""


def test_point_marker_tooltip_cannot_break_out():
    m = mapview.base_map()
    fg = mapview.point_marker(-6.17, 106.83, color="#d73027", text=TEMPLATE_BREAK + XSS)
    fg.add_to(m)
    html = _render(m)
    assert XSS not in html and "${alert(2)}" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_verdict_points_escape_and_cluster_only_when_many():
    table = pd.DataFrame({"lat": [-6.17, -6.18], "lon": [106.83, 106.84], "verdict": ["FORBIDDEN", "ALLOWED"],
                          "site_id": [XSS, "</script><script>alert(3)</script>"], "kelurahan": ["a", "b"]})
    few = mapview.verdict_points(table, name="Lokasi", cluster_from=300)
    assert few.options.get("disableClusteringAtZoom") == 1
    m = mapview.base_map()
    few.add_to(m)
    html = _render(m)
    assert XSS not in html and "</script><script>alert(3)" not in html
    assert "/app/static/leaflet.markercluster/leaflet.markercluster.js" in html
    assert "#d73027" in html and "#1a9850" in html  # FORBIDDEN red, ALLOWED green
    many = mapview.verdict_points(pd.concat([table] * 200, ignore_index=True), name="x", cluster_from=300)
    assert "disableClusteringAtZoom" not in many.options
    assert len(many.data) == 400


def test_restricted_layers_one_group_per_category_with_escaped_names():
    geom = shapely.box(106.82, -6.18, 106.821, -6.179)
    gdf = gpd.GeoDataFrame({"category": ["parcel", "corridor"], "verdict": ["FORBIDDEN", "NEEDS_DISCRETION"],
                            "rule_ids": ["R01", "R15"], "name": [XSS, "Jl. Kramat"]},
                           geometry=[geom, geom], crs=4326)
    groups = mapview.restricted_layers(gdf, names={"parcel": "Persil"}, lang="id")
    assert len(groups) == len(mapview.CATEGORIES)
    m = mapview.base_map()
    for g in groups:
        g.add_to(m)
    mapview.layer_control(m)  # group names appear in the layer control
    html = _render(m)
    assert XSS not in html and "Persil" in html and "Perlu diskresi" in html


def test_restricted_layers_can_leave_categories_out_of_the_html():
    geom = shapely.box(106.82, -6.18, 106.821, -6.179)
    gdf = gpd.GeoDataFrame({"category": ["parcel", "advisory"], "verdict": ["FORBIDDEN", "NEEDS_DISCRETION"],
                            "rule_ids": ["R01", "R05"], "name": ["Masjid A", "Sekolah B"]},
                           geometry=[geom, geom], crs=4326)
    first = mapview.restricted_layers(gdf, names={}, categories=("parcel", "corridor", "kawasan"))
    assert [g.layer_name for g in first] == ["parcel", "corridor", "kawasan"]
    m = mapview.base_map()
    for g in first:
        g.add_to(m)
    html = _render(m)
    assert "Masjid A" in html and "Sekolah B" not in html
    later = mapview.restricted_layers(gdf, names={}, categories=("advisory",))
    assert [g.layer_name for g in later] == ["advisory"]
    m2 = mapview.base_map()
    later[0].add_to(m2)
    assert "Sekolah B" in _render(m2)


def test_md_table_escapes_every_cell():
    from geozones.app.text import md_table

    text = md_table(["Nama", "a|b"], [[XSS, "baris\nbaru"], ["[x](javascript:alert(1))", None]])
    lines = text.split("\n")
    assert len(lines) == 4  # header, rule, two rows: no cell can add a line
    for line in (lines[0], lines[2], lines[3]):
        cells = re.split(r"(?<!\\)\|", line)[1:-1]
        assert len(cells) == 2, line  # an escaped pipe does not split a cell
        assert not any(re.search(r"(?<!\\)[<>\[\]()]", c) for c in cells), line
    assert "\\<img" in lines[2] and "a\\|b" in lines[0]
    assert lines[3].endswith("|  |")


def test_legend_and_attribution_are_escaped():
    m = mapview.base_map()
    mapview.Legend("Legenda", [("#d73027", XSS)]).add_to(m)
    mapview.Attribution(["© OpenStreetMap contributors, ODbL", XSS]).add_to(m)
    html = _render(m)
    assert XSS not in html
    assert "OpenStreetMap contributors, ODbL" in html
    assert "addAttribution" in html


def test_display_frame_simplifies_and_rounds():
    ring = [(106.82 + 0.01 * i / 400, -6.18 + 1e-9 * (i % 2)) for i in range(401)]
    poly = shapely.Polygon([*ring, (106.83, -6.17), (106.82, -6.17)])
    gdf = gpd.GeoDataFrame({"name": ["a"]}, geometry=[poly], crs=4326)
    out = mapview.display_frame(gdf, "EPSG:32748", tolerance_m=5, columns=["name"])
    assert shapely.get_num_coordinates(out.geometry.iloc[0]) < 20
    coords = shapely.get_coordinates(out.geometry.values)
    assert abs(coords * 1e5 - (coords * 1e5).round()).max() < 1e-6
    assert gdf.geometry.iloc[0].equals(poly)  # the input (used for verdicts) is untouched


def test_bounds_view_zooms_in_on_small_areas():
    (lat, lon), z_small = mapview.bounds_view((106.83, -6.18, 106.84, -6.17))
    _, z_big = mapview.bounds_view((106.7, -6.3, 107.0, -6.0))
    assert z_small > z_big
    assert lat == pytest.approx(-6.175) and lon == pytest.approx(106.835)


def test_kelurahan_map_html_is_small_on_real_data(jakpus_layers):
    kel = mapview.display_frame(jakpus_layers.kelurahan, jakpus_layers.metric_crs,
                                columns=["kelurahan", "kecamatan", "kode_kemendagri", "kode_bps"])
    m = mapview.base_map()
    mapview.kelurahan_layer(kel, name="k", aliases=["a", "b", "c", "d"]).add_to(m)
    html = _render(m)
    full = jakpus_layers.kelurahan[["kelurahan", "geometry"]].to_json()
    assert len(html) < len(full)  # simplified + rounded beats raw GeoJSON
    assert html.count('"kode_kemendagri"') >= len(kel)
