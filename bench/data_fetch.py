"""Benchmark (not a test): fetch and build DKI Jakarta boundaries from a local mirror.

Serves ../shared/data/upstream on a loopback HTTP server, then times each step of
`geozones data fetch --province 31 --kota 3173`: download + checksum, parsing the
Kemendagri table, reading the province file, the name join + dissolve, writing.
Appends its figures to bench/RESULTS.md under "Data fetch (geozones data fetch)".

Run: python3 bench/data_fetch.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import http.server
import platform
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
UPSTREAM = ROOT.parent / "shared" / "data" / "upstream"
RESULTS = ROOT / "bench" / "RESULTS.md"
HEADING = "## Data fetch (geozones data fetch, DKI Jakarta from a local mirror)"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def run_once(url: str) -> dict[str, float]:
    from geozones.sources import download
    from geozones.sources.boundaries import build_boundaries, read_province_file
    from geozones.sources.fetch import fetch_boundaries
    from geozones.sources.upstream import WILAYAH, boundary_source
    from geozones.sources.wilayah import read_wilayah

    t: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        s = time.perf_counter()
        wil = download.fetch(WILAYAH, cache_dir=tmp / "c", mirror=url, retries=0)
        bnd = download.fetch(boundary_source("31"), cache_dir=tmp / "c", mirror=url, retries=0)
        t["download + sha256 (5.4 MB)"] = time.perf_counter() - s
        s = time.perf_counter()
        w = read_wilayah(wil.path)
        t["parse wilayah.sql (91k codes)"] = time.perf_counter() - s
        s = time.perf_counter()
        p = read_province_file(bnd.path)
        t["read province file (270 polygons)"] = time.perf_counter() - s
        s = time.perf_counter()
        b = build_boundaries(p, w)
        t["name join + dissolve (267+44+6)"] = time.perf_counter() - s
        assert len(b.kelurahan.loc[~b.kelurahan["is_water_body"]]) == 267 and not b.report.unmatched
        s = time.perf_counter()
        res = fetch_boundaries(data_dir=tmp / "d", kota="3173", province="31", mirror=url, cache_dir=tmp / "c2")
        t["end to end, cold cache (CLI path)"] = time.perf_counter() - s
        assert res.counts["jakpus_kelurahan.geojson"] == 44
        s = time.perf_counter()
        fetch_boundaries(data_dir=tmp / "d", kota="3173", province="31", mirror=url, cache_dir=tmp / "c2")
        t["end to end, warm cache, files unchanged"] = time.perf_counter() - s
    return t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    if not UPSTREAM.is_dir():
        print(f"needs {UPSTREAM}", file=sys.stderr)
        return 2
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(UPSTREAM)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        runs = [run_once(url) for _ in range(args.repeat)]
    finally:
        httpd.shutdown()
        httpd.server_close()
    rows = [(k, statistics.median(r[k] for r in runs), min(r[k] for r in runs)) for k in runs[0]]
    lines = ["", HEADING, "",
             f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, Python {platform.python_version()}, "
             f"{platform.machine()}, median / best of {args.repeat} runs (seconds). "
             "Loopback HTTP server over ../shared/data/upstream; checksums verified on every download.", "",
             "| step | median s | best s |", "|---|---:|---:|"]
    lines += [f"| {k} | {m:.3f} | {b:.3f} |" for k, m, b in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    if not RESULTS.exists():
        RESULTS.write_text("# Benchmark results\n", encoding="utf-8")
    with open(RESULTS, "a", encoding="utf-8") as fh:
        fh.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
