"""One small dataset fanned out to every format read_vector accepts (as pyogrio's conftest does)."""

from __future__ import annotations

import zipfile

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import Point, Polygon

from geozones.io.sites import read_sites
from geozones.io.vector import read_vector

# Provenance: built here in code; two mosque-like parcels and a point near Jakarta, EPSG:4326.
PARCELS = gpd.GeoDataFrame(
    {"name": ["Masjid A", "Gereja B"], "kind": ["worship", "worship"]},
    geometry=[Polygon([(106.830, -6.170), (106.831, -6.170), (106.831, -6.171), (106.830, -6.171)]),
              Polygon([(106.832, -6.168), (106.833, -6.168), (106.833, -6.169), (106.832, -6.169)])],
    crs=4326)
POINTS = gpd.GeoDataFrame({"id": ["p1", "p2"], "apk_type": ["spanduk", "baliho"]},
                          geometry=[Point(106.8301, -6.1705), Point(106.8500, -6.1800)], crs=4326)


def _write(gdf, tmp_path, fmt):
    if fmt == "zip":
        d = tmp_path / "shp"
        d.mkdir()
        gdf.to_file(d / "layer.shp")
        path = tmp_path / "layer.zip"
        with zipfile.ZipFile(path, "w") as zf:
            for f in d.iterdir():
                zf.write(f, f.name)
        return path
    if fmt == "csv":
        path = tmp_path / "layer.csv"
        df = gdf.drop(columns="geometry").assign(lon=gdf.geometry.x, lat=gdf.geometry.y)
        df.to_csv(path, index=False)
        return path
    driver = {"geojson": "GeoJSON", "gpkg": "GPKG", "shp": "ESRI Shapefile", "fgb": "FlatGeobuf", "kml": "KML"}[fmt]
    path = tmp_path / f"layer.{fmt}"
    gdf.to_file(path, driver=driver)
    return path


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "shp", "zip", "fgb", "kml"])
def test_parcels_in_every_format(tmp_path, fmt):
    path = _write(PARCELS, tmp_path, fmt)
    got = read_vector(path)
    assert got.crs.to_epsg() == 4326
    assert len(got) == 2
    name_col = "name" if "name" in got else "Name"
    assert sorted(got[name_col]) == ["Gereja B", "Masjid A"]
    for geom in got.geometry:
        ref = PARCELS.geometry[PARCELS["name"] == got.loc[got.geometry == geom, name_col].iloc[0]].iloc[0]
        assert shapely.equals_exact(shapely.force_2d(geom), ref, tolerance=1e-9)


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "shp", "zip", "fgb", "kml", "csv"])
def test_sites_in_every_format(tmp_path, fmt):
    path = _write(POINTS, tmp_path, fmt)
    sites = read_sites(path)
    assert len(sites) == 2
    np.testing.assert_allclose(sorted(sites.geometry.x), [106.8301, 106.85], atol=1e-9)
    if fmt != "kml":  # KML keeps only name/description
        assert sorted(sites["apk_type"]) == ["baliho", "spanduk"]


def test_reprojected_input_comes_back_in_4326(tmp_path):
    path = tmp_path / "utm.gpkg"
    PARCELS.to_crs(32748).to_file(path)
    got = read_vector(path)
    assert got.crs.to_epsg() == 4326
    assert shapely.equals_exact(got.geometry.iloc[0], PARCELS.geometry.iloc[0], tolerance=1e-7)


def test_geopackage_with_two_layers_needs_a_choice(tmp_path):
    from geozones.core.errors import InputError

    path = tmp_path / "two.gpkg"
    PARCELS.to_file(path, layer="worship")
    POINTS.to_file(path, layer="sites")
    with pytest.raises(InputError, match=r"several layers.*worship"):
        read_vector(path)
    assert len(read_vector(path, layer="sites")) == 2
