"""CRS rules: store in 4326, measure in the local UTM zone, refuse degrees."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import CRS

from geozones.core.crs import (
    assert_metric,
    check_area_of_use,
    geodesic_distance,
    metric_crs_for,
    project_lonlat,
    utm_epsg,
)
from geozones.core.errors import DataWarning


def test_jakarta_is_utm_48s():
    assert utm_epsg(106.8271, -6.1754) == 32748
    assert metric_crs_for((106.68, -6.37, 106.98, -6.08)).to_epsg() == 32748


@pytest.mark.parametrize("lon,lat,epsg", [(98.67, 3.59, 32647), (119.42, -5.14, 32750), (140.7, -2.53, 32754)])
def test_zone_follows_the_data(lon, lat, epsg):
    assert utm_epsg(lon, lat) == epsg


def test_refuses_geographic_and_missing_crs():
    with pytest.raises(ValueError, match="geographic"):
        assert_metric(CRS.from_epsg(4326))
    with pytest.raises(ValueError, match="no CRS"):
        assert_metric(None)
    assert assert_metric(32748).to_epsg() == 32748


def test_refuses_data_wider_than_a_zone():
    with pytest.raises(ValueError, match="split"):
        metric_crs_for((95.0, -11.0, 141.0, 6.0))


def test_epsg_23838_is_flagged_for_jakarta():
    # EPSG:23838 is DGN95 / Indonesia TM-3 zone 50.2 (117-120 E), not UTM 48S.
    with pytest.warns(DataWarning, match="meant for"):
        check_area_of_use(CRS.from_epsg(23838), (106.7, -6.3, 106.9, -6.1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_area_of_use(CRS.from_epsg(32748), (106.7, -6.3, 106.9, -6.1))


@settings(max_examples=200, deadline=None)
@given(lon=st.floats(106.68, 106.98), lat=st.floats(-6.37, -6.08), bearing=st.floats(0, 360),
       dist=st.floats(5, 5000))
def test_utm_distance_error_below_half_a_percent(lon, lat, bearing, dist):
    import pyproj

    lon2, lat2, _ = pyproj.Geod(ellps="WGS84").fwd(lon, lat, bearing, dist)
    crs = metric_crs_for((min(lon, lon2), min(lat, lat2), max(lon, lon2), max(lat, lat2)))
    x, y = project_lonlat(np.array([lon, lon2]), np.array([lat, lat2]), crs)
    planar = float(np.hypot(x[1] - x[0], y[1] - y[0]))
    true = float(geodesic_distance(lon, lat, lon2, lat2))
    assert abs(planar - true) / true < 0.005


def test_national_crs_would_be_wrong_in_papua():
    # The reason metric_crs_for picks the local zone: zone 48 distorts Papua by > 20 %.
    lon, lat = 140.7, -2.53
    x, y = project_lonlat(np.array([lon, lon + 0.001]), np.array([lat, lat]), CRS.from_epsg(32748))
    true = float(geodesic_distance(lon, lat, lon + 0.001, lat))
    assert np.hypot(x[1] - x[0], y[1] - y[0]) / true > 1.2
    local = metric_crs_for((lon, lat, lon + 0.001, lat))
    x, y = project_lonlat(np.array([lon, lon + 0.001]), np.array([lat, lat]), local)
    assert abs(np.hypot(x[1] - x[0], y[1] - y[0]) / true - 1) < 0.005


def test_degrees_would_match_everything():
    # Pitfall 1 of the performance research: dwithin(50) on degrees matches everything.
    sites = shapely.points([106.80, 106.90], [-6.20, -6.15])
    mosque = shapely.points(106.85, -6.18)
    assert shapely.dwithin(sites, mosque, 50).all()
    x, y = project_lonlat(np.array([106.80, 106.90, 106.85]), np.array([-6.20, -6.15, -6.18]),
                          CRS.from_epsg(32748))
    metric = shapely.points(x, y)
    assert not shapely.dwithin(metric[:2], metric[2], 50).any()
