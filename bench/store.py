"""Benchmark: the store on SQLite and on PostgreSQL.

Not a test. Measures, per backend, in one process:

* publishing a version with 5,000 zones (draft by an editor, then publication by a publisher:
  validation, WKB + bbox rows, audit, supersession);
* loading the rule set and layers in force on a date through :class:`StoreCatalog`, against
  loading the same from files through :class:`FileCatalog` (rounds alternate; target ≤ 1.5×);
* 50 reader threads each judging single points with the version in force (looked up in the store
  on every judgement) while one writer publishes five versions: errors and p95 latency.

Usage::

    python bench/store.py                       # both backends, writes bench/RESULTS.md
    python bench/store.py --backends sqlite --no-write

PostgreSQL: ``$GEOZONES_TEST_PG_URL`` (default postgres@127.0.0.1:5432); a throw-away database is
created and dropped. Data: ../shared/data (BPS/HDX CC BY-IGO; © OpenStreetMap contributors, ODbL).
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geozones.engine import prepare  # noqa: E402
from geozones.engine.sites import sites_frame  # noqa: E402
from geozones.rules.model import DEFAULT_RULES  # noqa: E402
from geozones.services import accounts, rulesets  # noqa: E402
from geozones.services.authz import PUBLIC  # noqa: E402
from geozones.services.catalog import FileCatalog  # noqa: E402
from geozones.services.checking import Checker  # noqa: E402
from geozones.services.store_catalog import StoreCatalog  # noqa: E402
from geozones.store.database import open_store  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
WIB = dt.timezone(dt.timedelta(hours=7))
BBOX = (106.80, -6.21, 106.87, -6.15)  # Jakarta Pusat, lon/lat


def ruleset_text(version: str, n_zones: int) -> str:
    data = yaml.safe_load(DEFAULT_RULES.read_text(encoding="utf-8"))
    data["version"] = version
    rng = np.random.default_rng(7)
    zones = []
    for i in range(n_zones):
        x = rng.uniform(BBOX[0], BBOX[2])
        y = rng.uniform(BBOX[1], BBOX[3])
        d = 0.0002
        zones.append({"id": f"bench-{i}", "name": f"Zona uji {i}", "source": "bench",
                      "geometry": {"type": "Polygon", "coordinates": [[[x, y], [x + d, y], [x + d, y + d],
                                                                       [x, y + d], [x, y]]]}})
    data["rules"].append({"id": "BENCH", "title": {"id": "Zona uji", "en": "Bench zones"},
                          "legal_basis": [{"instrument": "bench", "grade": "I"}], "verdict": "FORBIDDEN",
                          "spatial": {"form": "inside"}, "zones": zones})
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def _pg_url() -> tuple[str, callable]:
    sys.path.insert(0, str(ROOT))
    from tests.store.backends import create_pg_database, drop_pg_database

    url = create_pg_database()
    return url, lambda: drop_pg_database(url)


def run_backend(backend: str, rounds: int) -> dict:
    cleanup = None
    tmp = tempfile.TemporaryDirectory()
    if backend == "sqlite":
        url = f"sqlite:///{tmp.name}/bench.sqlite"
    else:
        url, cleanup = _pg_url()
    store = open_store(url, migrate=True)
    out: dict = {"backend": backend}
    try:
        admin = accounts.add_account(store, PUBLIC, "admin", role="admin", password="bench-admin-1")
        ed = accounts.add_account(store, admin, "ed", role="kpu_editor", password="bench-editor-1")
        pub = accounts.add_account(store, admin, "pub", role="kpu_publisher", password="bench-pub-1")
        rulesets.import_ruleset(store, admin, DEFAULT_RULES.read_text(encoding="utf-8"),
                                signed_on=dt.date(2024, 9, 20))
        text = ruleset_text("2024.2", 5000)
        t0 = time.perf_counter()
        d = rulesets.create_draft(store, ed, text)
        t1 = time.perf_counter()
        rulesets.publish(store, pub, d.id, d.row_version, decree_no="SK bench", signed_on=dt.date(2024, 10, 1))
        t2 = time.perf_counter()
        out["draft_5000_s"], out["publish_5000_s"] = t1 - t0, t2 - t1

        # load in force vs files (same 5,000-zone rule set on both sides)
        rules_file = Path(tmp.name) / "rules.yaml"
        rules_file.write_text(text, encoding="utf-8")
        at = dt.datetime(2024, 10, 15, tzinfo=WIB)
        store_t, file_t = [], []
        for r in range(rounds):
            order = [("store", store_t), ("file", file_t)]
            for name, acc in (order if r % 2 == 0 else order[::-1]):
                t = time.perf_counter()
                if name == "store":
                    cat = StoreCatalog(store, data_dir=DATA, at=at)
                else:
                    cat = FileCatalog(rules_file, DATA)
                rs = cat.ruleset()
                cat.layers(rs.area)
                acc.append(time.perf_counter() - t)
        out["load_store_s"], out["load_file_s"] = statistics.median(store_t), statistics.median(file_t)

        # 50 readers judging single points while one writer publishes
        cat = StoreCatalog(store, data_dir=DATA)
        layers = cat.layers("jakarta-pusat")
        checkers: dict[str, Checker] = {}
        lock = threading.Lock()

        def checker_for(version: str) -> Checker:
            with lock:
                if version not in checkers:
                    rs = cat.ruleset("dki-jakarta-pusat-pilkada-2024", version)
                    checkers[version] = Checker(rs, layers, prepare(layers, rs))
                return checkers[version]

        checker_for(cat.version_in_force("dki-jakarta-pusat-pilkada-2024", dt.datetime.now(dt.UTC)))
        lat: list[float] = []
        errors: list[str] = []
        stop = threading.Event()

        def reader(seed: int) -> None:
            rng = np.random.default_rng(seed)
            while not stop.is_set():
                lon, la = rng.uniform(BBOX[0], BBOX[2]), rng.uniform(BBOX[1], BBOX[3])
                t = time.perf_counter()
                try:
                    v = cat.version_in_force("dki-jakarta-pusat-pilkada-2024", dt.datetime.now(dt.UTC))
                    checker_for(v).check(sites_frame([lon], [la]))
                except Exception as exc:  # noqa: BLE001 - counted and reported
                    errors.append(repr(exc))
                lat.append(time.perf_counter() - t)

        threads = [threading.Thread(target=reader, args=(i,), daemon=True) for i in range(50)]
        t = time.perf_counter()
        for th in threads:
            th.start()
        write_t = []
        for k in range(5):
            d = rulesets.create_draft(store, ed, ruleset_text(f"2025.{k}", 50))
            w = time.perf_counter()
            rulesets.publish(store, pub, d.id, d.row_version, decree_no=f"SK bench {k}",
                             signed_on=dt.date(2025, 1, 1 + k))
            write_t.append(time.perf_counter() - w)
        stop.set()
        for th in threads:
            th.join()
        out["readers_s"] = time.perf_counter() - t
        out["reads"] = len(lat)
        out["read_p50_ms"] = float(np.percentile(lat, 50) * 1000)
        out["read_p95_ms"] = float(np.percentile(lat, 95) * 1000)
        out["errors"] = len(errors)
        out["first_error"] = errors[0] if errors else ""
        out["publish_under_load_s"] = statistics.median(write_t)
    finally:
        store.dispose()
        if cleanup:
            cleanup()
        tmp.cleanup()
    return out


def write_results(results: list[dict]) -> None:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = ["<!-- store:start -->", f"## Store (bench/store.py) — {stamp}", "",
             f"Machine: {platform.machine()}, Python {platform.python_version()}; data ../shared/data "
             "(BPS/HDX CC BY-IGO; © OpenStreetMap contributors, ODbL). Medians.", "",
             "| measure | " + " | ".join(r["backend"] for r in results) + " | target |",
             "|---|" + "---:|" * len(results) + "---|"]

    def row(label, fn, target="—"):
        lines.append(f"| {label} | " + " | ".join(fn(r) for r in results) + f" | {target} |")

    row("draft with 5,000 zones (validate, WKB + bbox rows, audit)", lambda r: f"{r['draft_5000_s']:.2f} s")
    row("publish it (four eyes, supersede previous, audit)", lambda r: f"{r['publish_5000_s']:.2f} s")
    row("rule set + layers in force on a date: store / files",
        lambda r: f"{r['load_store_s']:.2f} s / {r['load_file_s']:.2f} s = {r['load_store_s'] / r['load_file_s']:.2f}×",
        "≤ 1.5×")
    row("50 reader threads, single points, while 5 versions are published: reads, errors",
        lambda r: f"{r['reads']}, {r['errors']}", "0 errors")
    row("… read latency p50 / p95", lambda r: f"{r['read_p50_ms']:.0f} ms / {r['read_p95_ms']:.0f} ms")
    row("… one publication under that load", lambda r: f"{r['publish_under_load_s']:.2f} s")
    lines.append("<!-- store:end -->")
    path = ROOT / "bench" / "RESULTS.md"
    text = path.read_text(encoding="utf-8")
    block = "\n".join(lines)
    if "<!-- store:start -->" in text:
        head, rest = text.split("<!-- store:start -->", 1)
        text = head + block + rest.split("<!-- store:end -->", 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    from argon2 import PasswordHasher, profiles

    accounts._HASHER = PasswordHasher.from_parameters(profiles.CHEAPEST)  # logins are not what is measured
    results = [run_backend(b, args.rounds) for b in args.backends.split(",")]
    for r in results:
        print(r)
    if not args.no_write:
        write_results(results)


if __name__ == "__main__":
    main()
