"""On Dask (a LocalCluster, and a real scheduler with two workers on loopback) the output equals one process's.

Each kota with its own stack on Dask: tests/services/test_kota_batch.py (LocalCluster) and the real
scheduler here.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geozones.core.errors import InputError
from geozones.core.time import resolve_at
from geozones.engine import prepare
from geozones.io.chunks import SiteChunks
from geozones.io.exports import table_csv
from geozones.rules.model import RULES_DIR
from geozones.services.batch import run_batch
from geozones.services.catalog import FileCatalog
from geozones.services.checking import Checker, check_batch
from geozones.services.dask_batch import run_dask, run_dask_kota
from tests.conftest import ROOT
from tests.services.batch_helpers import AT, site_table

N = 3000


@pytest.fixture(scope="module")
def checker(jakpus_layers, jakpus_rules):
    return Checker(ruleset=jakpus_rules, layers=jakpus_layers, prepared=prepare(jakpus_layers, jakpus_rules))


@pytest.fixture(scope="module")
def partitioned(tmp_path_factory, jakpus_layers):
    """Sites as GeoParquet partitioned by kab/kota code (two kota), several row groups each."""
    root = tmp_path_factory.mktemp("dask") / "sites"
    table = site_table(jakpus_layers, N, seed=21)
    gdf = gpd.GeoDataFrame(table.drop(columns=["lon", "lat"]), geometry=shapely.points(table["lon"], table["lat"]),
                           crs=4326)
    for code, sub in (("3171", gdf.iloc[: N * 2 // 3]), ("3173", gdf.iloc[N * 2 // 3:])):
        (root / f"kode_kota={code}").mkdir(parents=True)
        sub.to_parquet(root / f"kode_kota={code}" / "part-0.parquet", row_group_size=350)
    return root


@pytest.fixture(scope="module")
def one_process(tmp_path_factory, checker, partitioned):
    out = tmp_path_factory.mktemp("ref") / "out.csv"
    run_batch(checker, SiteChunks(partitioned, chunk_rows=N), resolve_at(AT), out=out, fmt="csv", lang="id")
    return out


def test_a_local_cluster_of_two_workers_gives_the_one_process_output(tmp_path, checker, partitioned, one_process):
    out = tmp_path / "out.csv"
    result = run_dask(checker, SiteChunks(partitioned), resolve_at(AT), address="local:2", out=out, fmt="csv",
                      lang="id")
    assert result.sites == N and result.chunks == 9  # row groups: 6 + 3
    assert out.read_bytes() == one_process.read_bytes()
    assert b"Q-baliho-kota" in out.read_bytes()


def _stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=10)


def test_a_real_scheduler_and_two_workers_on_loopback(tmp_path, checker, partitioned, one_process, shared_data):
    from distributed import Client

    sched_file = tmp_path / "scheduler.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    procs = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                               "--port", "0", "--dashboard-address", ":0", "--scheduler-file", str(sched_file)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)]
    try:
        deadline = time.monotonic() + 60
        while not sched_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert sched_file.exists(), "the scheduler did not start within 60 s"
        for _ in range(2):
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "distributed.cli.dask_worker", "--scheduler-file", str(sched_file),
                 "--nworkers", "1", "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard"],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
        with Client(scheduler_file=str(sched_file), timeout=30) as client:
            client.wait_for_workers(2, timeout=90)
            address = client.scheduler.address
        assert address.startswith("tcp://127.0.0.1:")
        out = tmp_path / "out.csv"
        result = run_dask(checker, SiteChunks(partitioned), resolve_at(AT), address=address, out=out, fmt="csv",
                          lang="id")
        assert result.sites == N
        assert out.read_bytes() == one_process.read_bytes()
        # each kota with its own stack (a province-wide rule set), on the same workers
        cat = FileCatalog(RULES_DIR / "dki-jakarta-pilkada-2024.yaml", shared_data)
        src = SiteChunks(partitioned)
        sites = gpd.GeoDataFrame(pd.concat([src.to_sites(o, r) for o, r in src.raw_chunks()], ignore_index=True),
                                 geometry="geometry", crs=4326)
        want = table_csv(check_batch(cat, sites, AT, reasons="compact", lang="id").table, lang="id", lean=True)
        kota = run_dask_kota(cat, SiteChunks(partitioned), resolve_at(AT), address=address, out=tmp_path / "k.csv",
                             fmt="csv", lang="id", reasons="compact")
        assert (tmp_path / "k.csv").read_bytes() == want
        assert len(kota.stacks) >= 2
    finally:
        _stop(procs)
    assert all(p.poll() is not None for p in procs)


def test_csv_input_and_an_unreachable_scheduler_are_clear_errors(tmp_path, checker):
    src = tmp_path / "s.csv"
    src.write_text("id,lon,lat\na,106.83,-6.18\n", encoding="utf-8")
    with pytest.raises(InputError, match="GeoParquet"):
        run_dask(checker, SiteChunks(src), resolve_at(AT), address="local:1", out=tmp_path / "o.csv")
    pq = tmp_path / "s.parquet"
    gpd.GeoDataFrame({"id": ["a"]}, geometry=shapely.points([106.83], [-6.18]), crs=4326).to_parquet(pq)
    with pytest.raises(InputError, match="tidak terjangkau"):
        run_dask(checker, SiteChunks(pq), resolve_at(AT), address="tcp://127.0.0.1:9", out=tmp_path / "o.csv",
                 timeout=3)
    assert not (tmp_path / "o.csv").exists()
