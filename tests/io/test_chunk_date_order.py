"""Issue 12: a streamed file's day/month order is decided once, from the whole time column, not per chunk."""

from __future__ import annotations

import pandas as pd
import pytest

from geozones.core.errors import InputError
from geozones.io.chunks import SiteChunks
from geozones.io.sites import read_sites


def _csv(tmp_path, times: list[str]):
    path = tmp_path / "sites.csv"
    pd.DataFrame({"site_id": [f"s{i}" for i in range(len(times))], "lon": 106.83, "lat": -6.18,
                  "apk_type": "spanduk", "installed_at": times}).to_csv(path, index=False)
    return path


def _streamed(path, chunk: int) -> pd.Series:
    source = SiteChunks(path, chunk_rows=chunk).with_file_date_order()
    return pd.concat([source.to_sites(off, raw)["installed_at"] for off, raw in source.raw_chunks()],
                     ignore_index=True)


@pytest.mark.parametrize("chunk", [1, 2, 3, 100])
@pytest.mark.parametrize("times", [
    # the deciding value (13 can only be a day) in the first chunk, ambiguous ones after it
    ["13/02/2024 10:00", "14/02/2024 11:00", "05/03/2024 10:00", "06/03/2024 09:00"],
    # the deciding value only in the last chunk
    ["05/03/2024 10:00", "06/03/2024 09:00", "2024-10-01T08:00", "25/03/2024 10:00"],
    # month first (the US order), decided by the last value
    ["03/05/2024 10:00", "", "03/06/2024 09:00", "03/25/2024 10:00"],
])
def test_every_chunk_reads_times_as_the_whole_file_does(tmp_path, chunk, times):
    path = _csv(tmp_path, times)
    whole = read_sites(path)["installed_at"].reset_index(drop=True)
    assert _streamed(path, chunk).equals(whole)


def test_per_chunk_decisions_would_have_differed(tmp_path):
    """The case the whole-file decision is for: a later chunk alone is ambiguous."""
    path = _csv(tmp_path, ["13/02/2024 10:00", "05/03/2024 10:00"])
    source = SiteChunks(path, chunk_rows=1)
    chunks = list(source.raw_chunks())
    with pytest.raises(InputError, match="--dayfirst"):
        source.to_sites(*chunks[1])  # no order decided for the file: the chunk alone cannot tell
    fixed = source.with_file_date_order()
    assert fixed.date_order == "dayfirst"
    assert fixed.to_sites(*chunks[1])["installed_at"].iloc[0] == pd.Timestamp("2024-03-05T10:00", tz="Asia/Jakarta")


def test_a_file_mixing_both_orders_is_refused_as_when_read_whole(tmp_path):
    path = _csv(tmp_path, ["13/02/2024 10:00", "05/03/2024 10:00", "02/13/2024 10:00"])
    with pytest.raises(InputError) as whole:
        read_sites(path)
    with pytest.raises(InputError) as streamed:
        SiteChunks(path, chunk_rows=1).with_file_date_order()
    assert "installed_at" in str(streamed.value) and str(streamed.value) == str(whole.value)


def test_the_users_choice_and_iso_times_need_no_scan(tmp_path):
    path = _csv(tmp_path, ["05/03/2024 10:00", "06/03/2024 10:00"])
    chosen = SiteChunks(path, chunk_rows=1, date_order="monthfirst")
    assert chosen.with_file_date_order() is chosen
    iso = SiteChunks(_csv(tmp_path, ["2024-03-05T10:00", ""]), chunk_rows=1)
    assert iso.with_file_date_order() is iso


def test_geoparquet_text_times_are_decided_once(tmp_path):
    import geopandas as gpd
    import shapely

    times = ["05/03/2024 10:00", "06/03/2024 09:00", "25/03/2024 10:00"]
    pq = tmp_path / "sites.parquet"
    gpd.GeoDataFrame({"site_id": ["a", "b", "c"], "apk_type": "spanduk", "installed_at": times},
                     geometry=shapely.points([106.83] * 3, [-6.18] * 3), crs=4326).to_parquet(pq, row_group_size=1)
    source = SiteChunks(pq, chunk_rows=1).with_file_date_order()
    assert source.mode == "parquet" and source.date_order == "dayfirst"
    got = pd.concat([source.to_sites(o, r)["installed_at"] for o, r in source.raw_chunks()], ignore_index=True)
    assert list(got.dt.day) == [5, 6, 25] and set(got.dt.month) == {3}
