"""Benchmark: the store on SQLite and on PostgreSQL.

Not a test. Measures, per backend, in one process:

* a draft with many zones (by an editor), then its publication (by a publisher: validation,
  WKB + bbox rows, audit, supersession). The product refuses more than ``max_zones`` (1,000 by
  default, :class:`geozones.rules.model.RuleSetLimits`) zones in one rule, so the ``--zones``
  of the draft are spread over rules ``BENCH-1``, ``BENCH-2``, ... of at most that many each
  (default 5,000 zones = 5 rules of 1,000, the figure of issue 9; every other limit, such as
  ``max_total_vertices`` and ``max_bytes``, is kept as shipped);
* loading the rule set and layers in force on a date through :class:`StoreCatalog`, against
  loading the same from files through :class:`FileCatalog` (rounds alternate; target ≤ 1.5×),
  the store both cold (its in-process cache of validated texts emptied, as in a fresh process)
  and warm (as a running app serves it);
* ``--readers`` (50) reader threads each judging single points with the version in force (looked
  up in the store on every judgement) while one writer publishes ``--publications`` (5)
  versions: errors, p50 / p95 latency, one publication under that load.

Rule sets stack: the Jakarta Pusat level extends DKI Jakarta, which extends the national base,
so the bench imports the national and DKI levels first (as ``tests/store/stacked.py`` does),
then the shipped Jakarta Pusat level; the bench versions are Jakarta Pusat versions on top.

Usage::

    python bench/store.py                       # both backends, writes bench/RESULTS.md
    python bench/store.py --backends sqlite --zones 1000 --rounds 1 --no-write

PostgreSQL: ``$GEOZONES_BENCH_PG_URL`` names a database to use (its tables are dropped, then
migrated); without it, ``$GEOZONES_TEST_PG_URL`` (default postgres@127.0.0.1:5432) is the server
where a throw-away database is created and dropped. Data: ../shared/data (BPS/HDX CC BY-IGO;
© OpenStreetMap contributors, ODbL).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
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
from geozones.rules.model import DEFAULT_RULES, RuleSetLimits  # noqa: E402
from geozones.services import accounts, rulesets  # noqa: E402
from geozones.services.authz import PUBLIC  # noqa: E402
from geozones.services.catalog import FileCatalog  # noqa: E402
from geozones.services.checking import Checker  # noqa: E402
from geozones.services.store_catalog import StoreCatalog  # noqa: E402
from geozones.store.database import open_store  # noqa: E402
from tests.store.stacked import import_parents  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
WIB = dt.timezone(dt.timedelta(hours=7))
BBOX = (106.80, -6.21, 106.87, -6.15)  # Jakarta Pusat, lon/lat
JP_ID = "dki-jakarta-pusat-pilkada-2024"


def ruleset_text(version: str, n_zones: int) -> str:
    """The shipped Jakarta Pusat level as ``version``, with ``n_zones`` small squares in FORBIDDEN rules.

    The zones go into rules of at most ``max_zones`` each (the product's per-rule limit).
    Coordinates are rounded to 1e-6° (about 0.1 m), as a drawn zone would be.
    """
    data = yaml.safe_load(DEFAULT_RULES.read_text(encoding="utf-8"))
    data["version"] = version
    data.pop("supersedes", None)
    per_rule = RuleSetLimits.from_env().max_zones
    rng = np.random.default_rng(7)
    zones = []
    for i in range(n_zones):
        x = round(float(rng.uniform(BBOX[0], BBOX[2])), 6)
        y = round(float(rng.uniform(BBOX[1], BBOX[3])), 6)
        d = 0.0002
        ring = [[x, y], [round(x + d, 6), y], [round(x + d, 6), round(y + d, 6)], [x, round(y + d, 6)], [x, y]]
        zones.append({"id": f"bench-{i}", "name": f"Zona uji {i}", "source": "bench",
                      "geometry": {"type": "Polygon", "coordinates": [ring]}})
    for k, start in enumerate(range(0, n_zones, per_rule), start=1):
        data["rules"].append({"id": f"BENCH-{k}", "title": {"id": f"Zona uji {k}", "en": f"Bench zones {k}"},
                              "legal_basis": [{"instrument": "bench", "grade": "I"}], "verdict": "FORBIDDEN",
                              "spatial": {"form": "inside"}, "zones": zones[start:start + per_rule]})
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=None)


def _pg_url() -> tuple[str, callable]:
    """The PostgreSQL database to bench on, and what to do after (drop it, or nothing)."""
    from tests.store.backends import create_pg_database, drop_pg_database

    given = os.environ.get("GEOZONES_BENCH_PG_URL")
    if given:
        import sqlalchemy as sa

        eng = sa.create_engine(given)
        with eng.begin() as conn:  # a clean slate: the bench migrates from nothing
            conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS postgis"))
        eng.dispose()
        return given, lambda: None
    url = create_pg_database()
    return url, lambda: drop_pg_database(url)


def run_backend(backend: str, rounds: int, n_zones: int, n_readers: int, n_publications: int) -> dict:
    cleanup = None
    tmp = tempfile.TemporaryDirectory()
    if backend == "sqlite":
        url = f"sqlite:///{tmp.name}/bench.sqlite"
    else:
        url, cleanup = _pg_url()
    store = open_store(url, migrate=True)
    started, load_before = time.perf_counter(), os.getloadavg()[0]
    out: dict = {"backend": backend, "zones": n_zones, "readers": n_readers, "publications": n_publications,
                 "zone_rules": -(-n_zones // RuleSetLimits.from_env().max_zones)}
    try:
        admin = accounts.add_account(store, PUBLIC, "admin", role="admin", password="bench-admin-1")
        ed = accounts.add_account(store, admin, "ed", role="kpu_editor", password="bench-editor-1")
        pub = accounts.add_account(store, admin, "pub", role="kpu_publisher", password="bench-pub-1")
        # parents first (each its own decree, in force from the campaign start), then the shipped level
        import_parents(store, admin)
        rulesets.import_ruleset(store, admin, DEFAULT_RULES.read_text(encoding="utf-8"), source=DEFAULT_RULES.name)
        text = ruleset_text("2024.9", n_zones)
        t0 = time.perf_counter()
        d = rulesets.create_draft(store, ed, text)
        t1 = time.perf_counter()
        rulesets.publish(store, pub, d.id, d.row_version, decree_no="SK bench", signed_on=dt.date(2024, 10, 1))
        t2 = time.perf_counter()
        out["draft_s"], out["publish_s"] = t1 - t0, t2 - t1

        # load in force vs files (the same stacked rule set, with its zones, on both sides)
        rules_file = Path(tmp.name) / "rules.yaml"
        rules_file.write_text(text, encoding="utf-8")
        at = dt.datetime(2024, 10, 15, tzinfo=WIB)
        # "cold": the process's cache of validated stored texts emptied first (a fresh process);
        # "warm": as a running app serves it, the texts validated once already.
        cold_t, store_t, file_t = [], [], []
        for r in range(rounds):
            order = [("cold", cold_t), ("store", store_t), ("file", file_t)]
            for name, acc in (order if r % 2 == 0 else order[::-1]):
                if name == "cold":
                    rulesets._PARSED.clear()
                t = time.perf_counter()
                if name in ("cold", "store"):
                    cat = StoreCatalog(store, data_dir=DATA, at=at)
                else:
                    cat = FileCatalog(rules_file, DATA)
                rs = cat.ruleset()
                cat.layers(rs.area)
                acc.append(time.perf_counter() - t)
        out["load_cold_s"], out["load_store_s"] = statistics.median(cold_t), statistics.median(store_t)
        out["load_file_s"] = statistics.median(file_t)

        # 50 readers judging single points while one writer publishes
        cat = StoreCatalog(store, data_dir=DATA)
        layers = cat.layers("jakarta-pusat")
        checkers: dict[str, Checker] = {}
        lock = threading.Lock()

        def checker_for(version: str) -> Checker:
            with lock:
                if version not in checkers:
                    rs = cat.ruleset(JP_ID, version)
                    checkers[version] = Checker(rs, layers, prepare(layers, rs))
                return checkers[version]

        checker_for(cat.version_in_force(JP_ID, dt.datetime.now(dt.UTC)))
        lat: list[float] = []
        errors: list[str] = []
        stop = threading.Event()

        def reader(seed: int) -> None:
            rng = np.random.default_rng(seed)
            while not stop.is_set():
                lon, la = rng.uniform(BBOX[0], BBOX[2]), rng.uniform(BBOX[1], BBOX[3])
                t = time.perf_counter()
                try:
                    v = cat.version_in_force(JP_ID, dt.datetime.now(dt.UTC))
                    checker_for(v).check(sites_frame([lon], [la]))
                except Exception as exc:  # noqa: BLE001 - counted and reported
                    errors.append(repr(exc))
                lat.append(time.perf_counter() - t)

        threads = [threading.Thread(target=reader, args=(i,), daemon=True) for i in range(n_readers)]
        t = time.perf_counter()
        for th in threads:
            th.start()
        write_t = []
        for k in range(n_publications):
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
        out["wall_s"], out["loadavg"] = time.perf_counter() - started, (load_before, os.getloadavg()[0])
    finally:
        store.dispose()
        if cleanup:
            cleanup()
        tmp.cleanup()
    return out


def write_results(results: list[dict], rounds: int) -> None:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    r0 = results[0]
    per_rule = RuleSetLimits.from_env().max_zones
    lines = ["<!-- store:start -->", f"## Store (bench/store.py) — {stamp}", "",
             f"Machine: {platform.machine()}, {os.cpu_count()} cores shared with other work, Python "
             f"{platform.python_version()}; data ../shared/data (BPS/HDX CC BY-IGO; © OpenStreetMap contributors, "
             "ODbL). Rule stack as shipped (national ← DKI ← Jakarta Pusat, parents imported first); the bench "
             f"versions are Jakarta Pusat versions. The draft holds {r0['zones']:,} zones in {r0['zone_rules']} "
             f"rules: the product refuses more than max_zones = {per_rule:,} zones in one rule. Load: median of "
             f"{rounds} alternating rounds per side.", "",
             "| measure | " + " | ".join(r["backend"] for r in results) + " | target |",
             "|---|" + "---:|" * len(results) + "---|"]

    def row(label, fn, target="—"):
        lines.append(f"| {label} | " + " | ".join(fn(r) for r in results) + f" | {target} |")

    row(f"draft with {r0['zones']:,} zones in {r0['zone_rules']} rules (validate, WKB + bbox rows, audit)",
        lambda r: f"{r['draft_s']:.2f} s")
    row("publish it (four eyes, stack check, supersede previous, audit)", lambda r: f"{r['publish_s']:.2f} s")
    row("stacked rule set + layers in force on a date: store, cold (fresh process) / files",
        lambda r: f"{r['load_cold_s']:.2f} s / {r['load_file_s']:.2f} s = {r['load_cold_s'] / r['load_file_s']:.2f}×",
        "≤ 1.5×")
    row("… the same, store warm (texts already validated in the process) / files",
        lambda r: f"{r['load_store_s']:.2f} s / {r['load_file_s']:.2f} s = {r['load_store_s'] / r['load_file_s']:.2f}×",
        "≤ 1.5×")
    row(f"{r0['readers']} reader threads, single points, while {r0['publications']} versions are published: "
        "reads, errors", lambda r: f"{r['reads']}, {r['errors']}", "0 errors")
    row("… read latency p50 / p95", lambda r: f"{r['read_p50_ms']:.0f} ms / {r['read_p95_ms']:.0f} ms")
    row("… one publication under that load (median)", lambda r: f"{r['publish_under_load_s']:.2f} s")
    row("whole backend run; 1-min load average before / after",
        lambda r: f"{r['wall_s']:.0f} s; {r['loadavg'][0]:.1f} / {r['loadavg'][1]:.1f}")
    lines += ["", "Reading: (written by hand after the run.)", "<!-- store:end -->"]
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
    ap.add_argument("--rounds", type=int, default=5, help="load rounds per side (store, files)")
    ap.add_argument("--zones", type=int, default=5000, help="zones of the big draft (rules of ≤ max_zones each)")
    ap.add_argument("--readers", type=int, default=50)
    ap.add_argument("--publications", type=int, default=5, help="versions published while the readers run")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    from argon2 import PasswordHasher, profiles

    accounts._HASHER = PasswordHasher.from_parameters(profiles.CHEAPEST)  # logins are not what is measured
    results = [run_backend(b, args.rounds, args.zones, args.readers, args.publications)
               for b in args.backends.split(",")]
    for r in results:
        print(r)
    if not args.no_write:
        write_results(results, args.rounds)


if __name__ == "__main__":
    main()
