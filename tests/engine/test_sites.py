"""normalize_sites on a ready-made frame: naive times are WIB, APK types normalised."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

from geozones.engine import evaluate
from tests.engine.conftest import to_lonlat


def test_naive_installed_at_in_a_ready_made_frame_is_wib(tiny_layers, tiny_rules):
    lon, lat = to_lonlat([300], [900])
    raw = gpd.GeoDataFrame({"site_id": ["a"], "apk_type": ["Spanduk"], "paslon": [None],
                            "installed_at": [pd.Timestamp("2024-09-25 03:00")]},
                           geometry=shapely.points(lon, lat), crs=4326)
    t = evaluate(raw, tiny_layers, tiny_rules)
    # 03:00 WIB on the first campaign day: inside the window (UTC would be 10:00 WIB, also inside, so
    # check the recorded time itself)
    assert t["judged_at"].iloc[0] == pd.Timestamp("2024-09-25 03:00", tz="Asia/Jakarta")
    assert t["apk_type"].iloc[0] == "spanduk"
