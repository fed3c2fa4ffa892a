"""Sites built in code for the batch tests: dense enough that the quotas bite across chunk boundaries."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

AT = "2024-10-15T10:00"


def site_table(layers, n: int, seed: int = 7) -> pd.DataFrame:
    """``n`` sites as a CSV-like table: 90 % inside Jakarta Pusat (half of them in one 600 m square around
    Menteng, so kelurahan quotas bite), 10 % just outside; APK mostly spanduk and baliho, three paslon,
    a third without a time (judged at :data:`AT`, ties broken by site id), ids not in row order."""
    rng = np.random.default_rng(seed)
    kota = layers.get("kota").geometry.iloc[0]
    minx, miny, maxx, maxy = kota.bounds
    xs, ys = [], []
    while sum(len(x) for x in xs) < n:
        dense = rng.random(4 * n) < 0.5
        x = np.where(dense, rng.uniform(106.828, 106.834, 4 * n), rng.uniform(minx - 0.01, maxx + 0.01, 4 * n))
        y = np.where(dense, rng.uniform(-6.200, -6.194, 4 * n), rng.uniform(miny - 0.01, maxy + 0.01, 4 * n))
        inside = shapely.contains_xy(kota, x, y)
        keep = inside | (rng.random(4 * n) < 0.12)
        xs.append(x[keep])
        ys.append(y[keep])
    x, y = np.concatenate(xs)[:n], np.concatenate(ys)[:n]
    hours = rng.integers(0, 40, n)  # few distinct times: many ties
    t = (pd.Timestamp("2024-10-01T08:00") + pd.to_timedelta(hours, unit="h")).strftime("%Y-%m-%dT%H:%M")
    return pd.DataFrame({
        "site_id": np.char.add("S", rng.permutation(n).astype(str)),
        "lon": np.round(x, 6), "lat": np.round(y, 6),
        "apk_type": rng.choice(["spanduk", "baliho", "baliho", "umbul_umbul", "billboard"], n),
        "paslon": rng.choice(["1", "2", "3", ""], n, p=[0.4, 0.3, 0.2, 0.1]),
        "installed_at": np.where(rng.random(n) < 0.33, "", t),
        "catatan": rng.choice(["pinggir jalan", "=SUM(A1)", ""], n),
    })
