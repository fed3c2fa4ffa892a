"""``geozones check --chunk-size/--jobs/--dask`` and GeoParquet: the same table as the one-shot check."""

from __future__ import annotations

import os
import subprocess
import sys

import geopandas as gpd
import pandas as pd

from tests.conftest import ROOT
from tests.services.batch_helpers import AT, site_table


def _check(args, data, home, timeout=300):
    env = {**os.environ, "GEOZONES_HOME": str(home),
           "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-m", "geozones", "check", *map(str, args), "--data-dir", str(data),
                           "--at", AT, "--no-progress"], capture_output=True, text=True, timeout=timeout, env=env)


def test_jobs_chunks_parquet_and_dask_give_the_one_shot_table(tmp_path, shared_data, jakpus_layers):
    src = tmp_path / "sites.csv"
    site_table(jakpus_layers, 2500, seed=31).to_csv(src, index=False)
    one = _check([src, "--out", tmp_path / "one.csv"], shared_data, tmp_path / "home")
    assert one.returncode == 0, one.stderr
    two = _check([src, "--out", tmp_path / "two.csv", "--jobs", "2", "--chunk-size", "600"], shared_data,
                 tmp_path / "home")
    assert two.returncode == 0, two.stderr
    assert "5 potong" in two.stderr and "aturan terkompilasi: built" in two.stderr
    assert (tmp_path / "two.csv").read_bytes() == (tmp_path / "one.csv").read_bytes()
    pq = _check([src, "--out", tmp_path / "out.parquet", "--chunk-size", "1000"], shared_data, tmp_path / "home")
    assert pq.returncode == 0, pq.stderr
    assert "dari cache" in pq.stderr  # the compiled rules of the run before
    back = gpd.read_parquet(tmp_path / "out.parquet")
    ref = pd.read_csv(tmp_path / "one.csv", dtype=str, keep_default_na=False)
    assert back["verdict"].tolist() == ref["verdict"].tolist()
    table = pd.read_csv(src, dtype=str, keep_default_na=False)
    gpd.GeoDataFrame(table.drop(columns=["lon", "lat"]), crs=4326,
                     geometry=gpd.points_from_xy(table["lon"].astype(float), table["lat"].astype(float))
                     ).to_parquet(tmp_path / "sites.parquet", row_group_size=700)
    dk = _check([tmp_path / "sites.parquet", "--out", tmp_path / "dask.csv", "--dask", "local:2"], shared_data,
                tmp_path / "home")
    assert dk.returncode == 0, dk.stderr
    assert (tmp_path / "dask.csv").read_bytes() == (tmp_path / "one.csv").read_bytes()


def test_duplicate_ids_in_different_chunks_are_exit_2_without_output(tmp_path, shared_data, jakpus_layers):
    table = site_table(jakpus_layers, 800, seed=32)
    table.loc[700, "site_id"] = table.loc[3, "site_id"]
    src = tmp_path / "dup.csv"
    table.to_csv(src, index=False)
    r = _check([src, "--out", tmp_path / "o.csv", "--chunk-size", "200"], shared_data, tmp_path / "home")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "ganda" in r.stderr and "duplicate" in r.stderr and "701" in r.stderr
    assert not (tmp_path / "o.csv").exists()
