"""Benchmark: ``geozones check`` at national scale — streamed chunks, ``--jobs``, a local Dask cluster.

Not a test. For each size N (default 1e6 and 3e6) it writes seeded Jakarta Pusat sites (95 % inside
the kota, APK type, paslon 1-3, an installation time for two thirds) as CSV and as GeoParquet, then
runs the real command line in a fresh process, one configuration after another (never two large
runs at once):

* ``jobs1``: ``geozones check sites.csv --out out.csv --chunk-size 100000``
* ``jobs2``: the same with ``--jobs 2``
* ``dask2``: ``geozones check sites.parquet --out out.csv --dask local:2`` (N <= --dask-max only)

and reports wall time, throughput (sites/s), peak memory of the whole process tree (the CLI, its
worker processes and the Dask workers; sampled every 0.1 s with psutil) and output bytes per
site, and checks that every configuration wrote the same bytes as ``jobs1``. It also times the
compiled-rules cache: building the rules (``prepare`` + site grid + nearest index) against loading
them from the cache (median of 5).

Usage::

    python bench/scale.py                          # N = 1e6, 3e6
    python bench/scale.py --sizes 1e7 --configs jobs2 --append
    python bench/scale.py --sizes 2e5 --no-write   # a quick look

Data: ../shared/data (BPS/HDX CC BY-IGO; © OpenStreetMap contributors, ODbL).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import psutil
import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geozones.io.layers import load_layers  # noqa: E402
from geozones.rules.model import load_ruleset  # noqa: E402

RULES = ROOT / "rules" / "dki-jakarta-pusat-pilkada-2024.yaml"
AT = "2024-10-15T10:00"
SEED = 20241127
APK = np.array(["spanduk", "baliho", "billboard", "umbul_umbul"], dtype=object)
CHUNK = 100_000


def make_sites(layers, n: int, seed: int = SEED) -> pd.DataFrame:
    """Seeded sites as a table: 95 % uniform inside Jakarta Pusat, 5 % in its bounding box outside it."""
    rng = np.random.default_rng(seed)
    kota = layers.get("kota").geometry.iloc[0]
    minx, miny, maxx, maxy = kota.bounds
    xs, ys, inside_n, outside_n = [], [], 0, 0
    want_in, want_out = round(n * 0.95), n - round(n * 0.95)
    xi, yi, xo, yo = [], [], [], []
    while inside_n < want_in or outside_n < want_out:
        x = rng.uniform(minx, maxx, 1_000_000)
        y = rng.uniform(miny, maxy, 1_000_000)
        inside = shapely.contains_xy(kota, x, y)
        xi.append(x[inside])
        yi.append(y[inside])
        xo.append(x[~inside])
        yo.append(y[~inside])
        inside_n += int(inside.sum())
        outside_n += int((~inside).sum())
    xs = np.concatenate([np.concatenate(xi)[:want_in], np.concatenate(xo)[:want_out]])
    ys = np.concatenate([np.concatenate(yi)[:want_in], np.concatenate(yo)[:want_out]])
    perm = rng.permutation(n)
    hours = rng.integers(0, 60 * 24, n)
    t = pd.Timestamp("2024-09-25T00:00") + pd.to_timedelta(hours, unit="h")
    times = np.where(rng.random(n) < 1 / 3, "", t.strftime("%Y-%m-%dT%H:00").to_numpy(dtype=object))
    return pd.DataFrame({"site_id": np.char.add("S", np.arange(n).astype(str)),
                         "lon": np.round(xs[perm], 6), "lat": np.round(ys[perm], 6),
                         "apk_type": rng.choice(APK, n), "paslon": rng.choice(["1", "2", "3"], n),
                         "installed_at": times})


def write_inputs(layers, n: int, folder: Path) -> tuple[Path, Path]:
    """The sites as CSV and as GeoParquet (row groups of 100,000)."""
    table = make_sites(layers, n)
    csv = folder / f"sites_{n}.csv"
    table.to_csv(csv, index=False)
    pq = folder / f"sites_{n}.parquet"
    gdf = gpd.GeoDataFrame(table.drop(columns=["lon", "lat"]), geometry=shapely.points(table["lon"], table["lat"]),
                           crs=4326)
    gdf.to_parquet(pq, row_group_size=CHUNK)
    return csv, pq


def _tree_rss(proc: psutil.Process) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def run_cli(args: list[str], env: dict) -> dict:
    """Run ``geozones check`` in a fresh process; wall time and peak RSS of its process tree."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "geozones", "check", *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    ps = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        try:
            peak = max(peak, _tree_rss(ps))
        except psutil.Error:
            pass
        time.sleep(0.1)
    wall = time.perf_counter() - t0
    err = proc.stderr.read() if proc.stderr else ""
    if proc.returncode != 0:
        raise RuntimeError(f"geozones check {' '.join(args)} failed:\n{err[-3000:]}")
    return {"wall_s": wall, "peak_mb": peak / 2**20, "stderr": err}


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def cache_timing(data_dir: Path, home: Path) -> dict:
    """Build time of the compiled rules vs load time from the cache (median of 5 each)."""
    from geozones.engine import prepare
    from geozones.services.compiled_cache import load_or_prepare

    layers = load_layers("jakarta-pusat", data_dir)
    rules = load_ruleset(RULES, known_layers=layers.manifest.layer_names)
    build, load = [], []
    folder = home / "bench-cache"
    for _ in range(5):
        t = time.perf_counter()
        p = prepare(layers, rules)
        p.site_grid()
        p.nearest_index.build()
        build.append(time.perf_counter() - t)
    load_or_prepare(layers, rules, folder=folder)
    for _ in range(5):
        t = time.perf_counter()
        _, status = load_or_prepare(layers, rules, folder=folder)
        load.append(time.perf_counter() - t)
        assert status == "hit"
    size = sum(f.stat().st_size for f in folder.glob("*.prepared"))
    return {"build_s": statistics.median(build), "load_s": statistics.median(load), "bytes": size}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1e6,3e6")
    ap.add_argument("--configs", default="jobs1,jobs2,dask2")
    ap.add_argument("--dask-max", type=float, default=1e6, help="largest N run on the local Dask cluster")
    ap.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--append", action="store_true", help="add rows to the existing section")
    ap.add_argument("--no-cache-timing", action="store_true")
    args = ap.parse_args(argv)
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    configs = args.configs.split(",")
    data_dir = Path(args.data_dir)
    layers = load_layers("jakarta-pusat", data_dir)
    rows = []
    with tempfile.TemporaryDirectory(prefix="gz-scale-") as tmp:
        tmp = Path(tmp)
        env = {**os.environ, "GEOZONES_HOME": str(tmp / "home"), "GEOZONES_DATA_DIR": str(data_dir),
               "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        cache = None if args.no_cache_timing else cache_timing(data_dir, tmp / "home")
        if cache:
            print(f"cache: build {cache['build_s']:.2f} s, load {cache['load_s']:.3f} s", flush=True)
        # warm the on-disk cache the runs use, so every configuration starts the same way
        small = tmp / "warm.csv"
        make_sites(layers, 1000).to_csv(small, index=False)
        run_cli([str(small), "--out", str(tmp / "warm_out.csv"), "--chunk-size", "500", "--at", AT,
                 "--no-progress"], env)
        for n in sizes:
            csv, pq = write_inputs(layers, n, tmp)
            ref = None
            for cfg in configs:
                if cfg == "dask2" and n > args.dask_max:
                    continue
                out = tmp / f"out_{n}_{cfg}.csv"
                common = ["--out", str(out), "--at", AT, "--no-progress"]
                cli = {"jobs1": [str(csv), *common, "--chunk-size", str(CHUNK)],
                       "jobs2": [str(csv), *common, "--chunk-size", str(CHUNK), "--jobs", "2"],
                       "dask2": [str(pq), *common, "--dask", "local:2"]}[cfg]
                r = run_cli(cli, env)
                digest = _digest(out)
                ref = ref or digest
                row = {"n": n, "config": cfg, "wall_s": r["wall_s"], "sites_per_s": n / r["wall_s"],
                       "peak_mb": r["peak_mb"], "bytes_per_site": out.stat().st_size / n, "same": digest == ref,
                       "load": os.getloadavg()[0]}
                rows.append(row)
                print(f"{n:>9} {cfg:6} {row['wall_s']:7.1f} s {row['sites_per_s']:9.0f}/s "
                      f"peak {row['peak_mb']:7.0f} MB  {row['bytes_per_site']:.0f} B/site same={row['same']} "
                      f"load {row['load']:.1f}", flush=True)
                out.unlink()
            csv.unlink()
            pq.unlink()
    if not args.no_write:
        write_section(ROOT / "bench" / "RESULTS.md", render(rows, cache, append=args.append))
    return 0 if all(r["same"] for r in rows) else 1


START, END = "<!-- scale:start -->", "<!-- scale:end -->"


def render(rows: list[dict], cache: dict | None, append: bool = False) -> str:
    """The section of bench/RESULTS.md."""
    path = ROOT / "bench" / "RESULTS.md"
    old_rows: list[str] = []
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if append and START in text:
        sec = text[text.index(START):text.index(END)]
        old_rows = [ln for ln in sec.splitlines() if ln.startswith("| ") and ln[2:3].isdigit()]
    lines = [START, f"## Scale (issue #12 parts 3-6): `bench/scale.py` — {time.strftime('%Y-%m-%d %H:%M')} UTC",
             "",
             f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
             f"{psutil.virtual_memory().total / 2**30:.0f} GB; the machine is shared with other sessions (load "
             "average in the table), so wall times are what this run saw, not a clean machine's.",
             "CSV in, CSV out (`--lang id`, bilingual reasons as today), `--chunk-size 100000`; Dask reads the "
             "same sites as GeoParquet (row groups of 100,000). Peak memory is the whole process tree.", ""]
    if cache:
        lines += [f"Compiled-rules cache: build {cache['build_s']:.2f} s, load {cache['load_s']:.3f} s "
                  f"({cache['build_s'] / cache['load_s']:.0f}× faster; target ≤ 0.2 s), "
                  f"{cache['bytes'] / 2**20:.1f} MB on disk.", ""]
    lines += ["| N | config | wall s | sites/s | peak MB | bytes/site | same output as jobs1 | load avg |",
              "|---:|---|---:|---:|---:|---:|---|---:|", *old_rows]
    for r in rows:
        lines.append(f"| {r['n']:,} | {r['config']} | {r['wall_s']:.1f} | {r['sites_per_s']:,.0f} | "
                     f"{r['peak_mb']:,.0f} | {r['bytes_per_site']:.0f} | {'yes' if r['same'] else 'NO'} | "
                     f"{r['load']:.1f} |")
    lines += ["", END]
    return "\n".join(lines) + "\n"


def write_section(path: Path, section: str) -> None:
    """Replace this benchmark's section of RESULTS.md (other sections stay as they are)."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n\n"
    if START in text and END in text:
        text = text[: text.index(START)] + section.rstrip("\n") + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
