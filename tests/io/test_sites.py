"""read_sites on awkward inputs: absurd dates, infinite or swapped coordinates, null or float ids, many times."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from geozones.core.errors import InputError
from geozones.io.sites import read_sites


@pytest.mark.parametrize("value", ["3000-01-01", "1600-01-01", "32/13/2024"])
def test_absurd_dates_are_refused_by_row(tmp_path, value):
    p = tmp_path / "s.csv"
    p.write_text(f"id,lon,lat,installed_at\na,106.8,-6.2,{value}\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"row 1, field 'installed_at'"):
        read_sites(p)


def test_infinite_coordinates(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text("id,lon,lat\na,inf,-6.2\nb,106.8,1e400\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        read_sites(p)
    assert "row 1, field 'lon'" in str(e.value) and "row 2, field 'lat'" in str(e.value)


def test_point_files_get_coordinate_checks(tmp_path):
    gdf = gpd.GeoDataFrame({"id": ["a", "b"]}, geometry=[Point(106.8, -6.2), Point(-6.17, 106.83)], crs=4326)
    p = tmp_path / "s.geojson"
    gdf.to_file(p)
    with pytest.raises(InputError) as e:
        read_sites(p)
    assert "feature 2" in str(e.value) and "swapped" in str(e.value)


def test_null_ids_in_geojson_are_empty_not_duplicates(tmp_path):
    p = tmp_path / "s.geojson"
    p.write_text('{"type":"FeatureCollection","features":['
                 '{"type":"Feature","properties":{"id":null},"geometry":{"type":"Point","coordinates":[106.8,-6.2]}},'
                 '{"type":"Feature","properties":{"id":null},"geometry":{"type":"Point","coordinates":[106.81,-6.2]}}'
                 ']}', encoding="utf-8")
    with pytest.raises(InputError) as e:
        read_sites(p)
    assert "feature 1" in str(e.value) and "site id is empty" in str(e.value)
    assert "duplicate" not in str(e.value)


def test_hash_in_a_header_is_not_a_comment(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text("#,lon,lat\n1,106.8,-6.2\n", encoding="utf-8")
    s = read_sites(p)
    assert len(s) == 1


def test_float_ids_keep_every_digit(tmp_path):
    gdf = gpd.GeoDataFrame({"kode": [3171010001.0, 3171010002.0], "paslon": [1.0, 2.0]},
                           geometry=[Point(106.8, -6.2), Point(106.81, -6.2)], crs=4326)
    p = tmp_path / "s.gpkg"
    gdf.to_file(p)
    s = read_sites(p)
    assert list(s["site_id"]) == ["3171010001", "3171010002"] and list(s["paslon"]) == ["1", "2"]


def test_many_distinct_times_each_land_on_their_row(tmp_path):
    times = pd.date_range("2024-10-01", periods=500, freq="min")
    df = pd.DataFrame({"id": range(500), "lon": 106.83, "lat": -6.17, "installed_at": times.strftime("%Y-%m-%dT%H:%M")})
    p = tmp_path / "s.csv"
    df.to_csv(p, index=False)
    s = read_sites(p)
    assert (s["installed_at"].dt.tz_localize(None).to_numpy() == times.to_numpy()).all()
