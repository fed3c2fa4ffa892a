"""App speed benchmark (not a test): page load, click -> verdict, map size, 10k-site list.

Run: GEOZONES_DATA_DIR=../shared/data python3 bench/app_speed.py [--no-browser]
Writes its section of bench/RESULTS.md (between app_speed markers; other sections are kept).

Targets (issue 4): first page interactive <= 3 s warm; click -> verdict <= 100 ms
server side; map HTML for Jakarta Pusat <= 4 MB; a 10,000-site list checked and
shown <= 5 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geozones.app import mapview  # noqa: E402
from geozones.core.verdicts import COLORS, Verdict, label  # noqa: E402
from geozones.engine import (  # noqa: E402
    evaluate_detailed,
    prepare,
    zoning,
)
from geozones.io.layers import load_layers  # noqa: E402
from geozones.io.sites import read_sites, sites_frame  # noqa: E402
from geozones.rules.model import load_ruleset  # noqa: E402

RULES = ROOT / "rules" / "dki-jakarta-pusat-pilkada-2024.yaml"


def peta_map(layers, prepared, covers, lang="id"):
    """The map page's map, built as app_pages/peta.py builds it."""
    kel = mapview.display_frame(layers.kelurahan, layers.metric_crs, tolerance_m=5.0,
                                columns=["kelurahan", "kecamatan", "kode_kemendagri", "kode_bps"])
    m = mapview.base_map(online_tiles=True)
    mapview.kelurahan_layer(kel, name="k", aliases=["a", "b", "c", "d"]).add_to(m)
    rd = zoning.restricted_display(prepared, covers)
    # As the page: the advisory radii are not in the first page's HTML (added on request).
    for fg in mapview.restricted_layers(rd, names={}, lang=lang, categories=("parcel", "corridor", "kawasan")):
        fg.add_to(m)
    mapview.Legend("Legenda", [(COLORS[v], label(v, lang)) for v in Verdict]).add_to(m)
    mapview.Attribution(layers.attributions()).add_to(m)
    mapview.layer_control(m)
    mapview.use_local_assets(m)
    return m


def list_view(path, layers, rules, prepared, at):
    """What the list page does for one upload: read, judge, table, quota, map HTML."""
    from geozones.engine.quotas import quota_usage

    t0 = time.perf_counter()
    sites = read_sites(path, source_name="bench.csv")
    t_read = time.perf_counter()
    res = evaluate_detailed(sites, layers, rules, at, prepared=prepared)
    t_eval = time.perf_counter()
    table = res.table
    view = pd.DataFrame({"site_id": table["site_id"], "verdict": [label(v, "id") for v in table["verdict"]],
                         "kelurahan": table["kelurahan"], "reason": table["reasons_id"]})
    quota_usage(table, rules)
    m = mapview.base_map()
    mapview.verdict_points(table, name="sites").add_to(m)
    mapview.use_local_assets(m)
    html = mapview.map_html(m)
    t_show = time.perf_counter()
    return {"read": t_read - t0, "evaluate": t_eval - t_read, "show": t_show - t_eval,
            "total": t_show - t0, "html_mb": len(html) / 1e6, "rows": len(view)}


def browser_first_page(data_dir, rounds=5):
    """Seconds from navigation to the map drawn with its data, warm server.

    Also returns the median time to three stages on the way: the Streamlit page's
    DOMContentLoaded, the page title drawn (script running), the map iframe attached.
    """
    from playwright.sync_api import sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "GEOZONES_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
                             "--server.headless", "true", "--server.port", str(port),
                             "--server.address", "127.0.0.1"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        times, stages = [], []
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path="/usr/bin/chromium",
                                  args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            for i in range(rounds + 1):  # the first round warms the caches
                page = b.new_page(viewport={"width": 1366, "height": 900})
                t0 = time.perf_counter()
                page.goto(url, wait_until="domcontentloaded")
                t_dom = time.perf_counter() - t0
                page.wait_for_selector("h1", timeout=60_000)
                t_title = time.perf_counter() - t0
                page.wait_for_selector('iframe[title="streamlit_folium.st_folium"]', state="attached", timeout=60_000)
                t_iframe = time.perf_counter() - t0
                fr = page.frame_locator('iframe[title="streamlit_folium.st_folium"]').first
                fr.locator(".leaflet-container").wait_for(timeout=60_000)
                handle = page.locator('iframe[title="streamlit_folium.st_folium"]').first.element_handle()
                handle.content_frame().wait_for_function(
                    "() => { let n = 0; map_div.eachLayer(l => { if (l.feature) n++; }); return n > 44; }",
                    timeout=60_000)
                if i:
                    times.append(time.perf_counter() - t0)
                    stages.append((t_dom, t_title, t_iframe))
                page.close()
            b.close()
        return times, [statistics.median(x) for x in zip(*stages, strict=True)]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--n", type=int, default=10_000)
    args = ap.parse_args()
    data_dir = Path(os.environ.get("GEOZONES_DATA_DIR") or ROOT.parent / "shared" / "data")
    layers = load_layers("jakarta-pusat", data_dir)
    rules = load_ruleset(RULES, known_layers=layers.manifest.layer_names)
    t0 = time.perf_counter()
    prepared = prepare(layers, rules)
    covers = zoning.rule_covers(prepared)
    t_prep = time.perf_counter() - t0
    at = dt.datetime(2024, 10, 10, 12, 0)

    # click -> verdict (server side): one sites_frame + evaluate_detailed
    rng = np.random.default_rng(42)
    minx, miny, maxx, maxy = layers.kelurahan.total_bounds
    clicks = []
    for lon, lat in zip(rng.uniform(minx, maxx, 200), rng.uniform(miny, maxy, 200), strict=True):
        c0 = time.perf_counter()
        evaluate_detailed(sites_frame(lon, lat, site_id="titik"), layers, rules, at, prepared=prepared)
        clicks.append(time.perf_counter() - c0)
    click_ms = np.array(clicks[20:]) * 1000

    # map HTML of the map page
    m0 = time.perf_counter()
    html = mapview.map_html(peta_map(layers, prepared, covers))
    t_map = time.perf_counter() - m0

    # 10k-site list: written as a CSV upload would be
    kel = layers.kelurahan
    n = args.n
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.csv"
        pd.DataFrame({"id": [f"S{i}" for i in range(n)], "lon": rng.uniform(minx, maxx, n).round(6),
                      "lat": rng.uniform(miny, maxy, n).round(6),
                      "apk_type": rng.choice(["spanduk", "baliho", "umbul-umbul", "billboard"], n),
                      "paslon": rng.integers(1, 4, n)}).to_csv(path, index=False)
        runs = [list_view(path, layers, rules, prepared, at) for _ in range(3)]
    best = min(runs, key=lambda r: r["total"])

    # where-may page: split for one date/type (cached per date and type in the app)
    z0 = time.perf_counter()
    split = zoning.zone_split(prepared, covers, at=at, apk_type="spanduk")
    zoning.usable_streets(split, prepared, layers.metric("streets"), layers.get("streets")["name"])
    t_zone = time.perf_counter() - z0

    first, stages = ([], []) if args.no_browser else browser_first_page(data_dir)
    lines = [
        MARK_START,
        f"## App speed (bench/app_speed.py) — {dt.datetime.now():%Y-%m-%d %H:%M}",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPU(s), Python {platform.python_version()}; "
        f"data {data_dir.name} ({len(kel)} kelurahan). Kelurahan/OSM data: BPS/HDX CC BY-IGO; "
        "© OpenStreetMap contributors, ODbL.",
        "",
        "| measure | result | target |",
        "|---|---|---|",
        f"| prepare rules + rule covers (once per process, cached) | {t_prep:.2f} s | — |",
        f"| click → verdict, server side (median / p95 of 180) | {np.median(click_ms):.1f} ms / "
        f"{np.percentile(click_ms, 95):.1f} ms | ≤ 100 ms |",
        "| map page HTML at start (kelurahan + parcels, corridors, kawasan + legend; advisory radii on request) | "
        f"{len(html) / 1e6:.2f} MB, built in "
        f"{t_map:.2f} s | ≤ 4 MB |",
        f"| {n:,} sites: read CSV + judge + table + quota + map HTML (best of 3) | {best['total']:.2f} s "
        f"(read {best['read']:.2f}, judge {best['evaluate']:.2f}, show {best['show']:.2f}; "
        f"map {best['html_mb']:.1f} MB) | ≤ 5 s |",
        f"| where-may split + usable streets, one date and APK type (then cached) | {t_zone:.2f} s | — |",
    ]
    if first:
        lines.append(f"| first page interactive in chromium, warm (median of {len(first)}) | "
                     f"{statistics.median(first):.2f} s (min {min(first):.2f}, max {max(first):.2f}) | ≤ 3 s |")
        lines.append(f"| … of which (medians): Streamlit page DOMContentLoaded / title drawn / map iframe attached "
                     f"| {stages[0]:.2f} s / {stages[1]:.2f} s / {stages[2]:.2f} s | — |")
    lines.append(MARK_END)
    text = "\n".join(lines) + "\n"
    print(text)
    res = ROOT / "bench" / "RESULTS.md"
    old = res.read_text(encoding="utf-8") if res.exists() else "# Benchmark results\n"
    res.write_text(replace_section(old, text), encoding="utf-8")


MARK_START, MARK_END = "<!-- app_speed:start -->", "<!-- app_speed:end -->"


def replace_section(doc: str, section: str) -> str:
    """``doc`` with its app-speed section replaced by ``section`` (appended when there is none).

    A section written before the markers existed (a ``## App speed`` heading up
    to the next ``## `` heading or marker comment) is replaced too.
    """
    if MARK_START in doc and MARK_END in doc:
        head, rest = doc.split(MARK_START, 1)
        return head + section.rstrip("\n") + rest.split(MARK_END, 1)[1]
    m = re.search(r"^## App speed.*?(?=^## |^<!-- |\Z)", doc, flags=re.M | re.S)
    if m:
        return doc[:m.start()] + section + "\n" + doc[m.end():].lstrip("\n")
    return doc.rstrip("\n") + "\n\n" + section


if __name__ == "__main__":
    main()
