"""Benchmark: the complete rule check on the real Jakarta Pusat layers.

Not a test. Compares, in one process, round-robin with the order rotated each
round (the machines are noisy, so ratios within a run are what count):

* ``geozones``: :func:`geozones.engine.judge` — kelurahan, every rule match,
  grants, quotas, verdict and the exact nearest forbidden feature (bound 1 km);
* ``geozones+reasons``: the same plus :func:`geozones.engine.explain` (the
  bilingual reason strings and the matches table);
* ``gpd_sjoin``: a geopandas baseline — ``sjoin(within)`` for the kelurahan,
  ``sjoin(intersects)`` for parcels and areas, one ``sjoin(dwithin)`` per
  radius, ``sjoin_nearest(max_distance=1000)``, verdicts with pandas;
* ``naive``: a per-site Python loop with scalar shapely calls (N = 1e3 only).

A correctness gate checks, per N, that geozones and the baseline (and the naive
loop) find the same (site, rule) matches, kelurahan, verdicts and nearest
distances (|Δ| < 1e-3 m). Peak memory is the max RSS of a fresh process running
one approach at the largest N. Runs on one core (CPU affinity set to core 0).

Usage::

    python bench/rule_check.py                    # N = 1e3, 1e4, 1e5, 1e6
    python bench/rule_check.py --sizes 1e3,1e4 --rounds 3 --no-write

Data: ../shared/data (BPS/HDX CC BY-IGO; © OpenStreetMap contributors, ODbL).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geozones.core.verdicts import BY_RANK, RANK  # noqa: E402
from geozones.engine import explain, judge  # noqa: E402
from geozones.engine.compile import APK_CODES, prepare  # noqa: E402
from geozones.io.layers import load_layers  # noqa: E402
from geozones.rules.model import load_ruleset  # noqa: E402

RULES = ROOT / "rules" / "dki-jakarta-pusat-pilkada-2024.yaml"
AT = "2024-10-15T10:00"
SEED = 20241127
APK = np.array(["spanduk", "baliho", "billboard", "umbul_umbul"], dtype=object)


def make_sites(layers, n: int, seed: int = SEED) -> gpd.GeoDataFrame:
    """Seeded sites: 95 % uniform inside Jakarta Pusat, 5 % in its bounding box outside it."""
    rng = np.random.default_rng(seed)
    kota = layers.get("kota").geometry.iloc[0]
    minx, miny, maxx, maxy = kota.bounds
    n_in = round(n * 0.95)
    xs, ys = [], []
    got = 0
    while got < n_in:
        x = rng.uniform(minx, maxx, 2 * n_in)
        y = rng.uniform(miny, maxy, 2 * n_in)
        keep = shapely.contains_xy(kota, x, y)
        xs.append(x[keep])
        ys.append(y[keep])
        got += int(keep.sum())
    x_in, y_in = np.concatenate(xs)[:n_in], np.concatenate(ys)[:n_in]
    xo, yo = [], []
    got = 0
    while got < n - n_in:
        x = rng.uniform(minx, maxx, 4 * (n - n_in) + 16)
        y = rng.uniform(miny, maxy, 4 * (n - n_in) + 16)
        keep = ~shapely.contains_xy(kota, x, y)
        xo.append(x[keep])
        yo.append(y[keep])
        got += int(keep.sum())
    x = np.concatenate([x_in, np.concatenate(xo)[: n - n_in]])
    y = np.concatenate([y_in, np.concatenate(yo)[: n - n_in]])
    perm = rng.permutation(n)
    sites = gpd.GeoDataFrame({"site_id": np.char.add("S", np.arange(n).astype(str)).astype(object),
                              "apk_type": rng.choice(APK, n), "paslon": np.full(n, None, dtype=object)},
                             geometry=shapely.points(x[perm], y[perm]), crs=4326)
    sites["installed_at"] = pd.Series(pd.NaT, index=sites.index, dtype="datetime64[ns, Asia/Jakarta]")
    return sites


# ----------------------------------------------------------------------------- approaches
def run_geozones(ctx, sites):
    j = judge(sites, ctx["prep"], AT)
    return {"rank": j.rank, "unit": j.unit, "pairs": _pairs(j.m_site, j.m_rule, j.m_lift),
            "near": j.near_dist}


def run_geozones_reasons(ctx, sites):
    j = judge(sites, ctx["prep"], AT)
    ev = explain(j)
    return {"rank": j.rank, "unit": j.unit, "pairs": _pairs(j.m_site, j.m_rule, j.m_lift), "near": j.near_dist,
            "rows": len(ev.table)}


def _pairs(site, rule, lift=None):
    keep = np.ones(len(site), bool) if lift is None else lift < 0
    return np.unique(site[keep].astype(np.int64) * 1000 + rule[keep])


def _baseline_context(ctx):
    """What the geopandas baseline needs: per rule, its features as GeoDataFrames."""
    prep = ctx["prep"]
    kel = gpd.GeoDataFrame({"unit": np.arange(len(prep.admin))}, geometry=prep.admin_geoms, crs=prep.crs)
    inside, by_radius = [], {}
    for c in prep.rules:
        if c.status != "active" or c.rule.spatial.form == "anywhere":
            continue
        g = gpd.GeoDataFrame({"rule": c.index, "feat": c.features}, geometry=prep.geoms[c.features], crs=prep.crs)
        if c.rule.spatial.form == "inside":
            inside.append(g)
        else:
            by_radius.setdefault(c.rule.spatial.metres, []).append(g)
    forb = gpd.GeoDataFrame({"feat": prep.nearest_feat}, geometry=prep.geoms[prep.nearest_feat], crs=prep.crs)
    return {"kel": kel, "inside": pd.concat(inside, ignore_index=True),
            "radius": {r: pd.concat(v, ignore_index=True) for r, v in by_radius.items()}, "forb": forb}


def _combine(ctx, n, unit, site, rule, t_ns, apk_code):
    """Verdicts from (site, rule) pairs, with the rule set's time and type filters (pandas)."""
    prep = ctx["prep"]
    rules = prep.rules
    r_start = np.array([c.start_ns for c in rules])
    r_end = np.array([c.end_ns for c in rules])
    r_apk = np.stack([c.apk_mask for c in rules])
    r_rank = np.array([c.rank for c in rules])
    df = pd.DataFrame({"site": site, "rule": rule})
    for c in rules:
        if c.status == "active" and c.rule.spatial.form == "anywhere":
            df = pd.concat([df, pd.DataFrame({"site": np.flatnonzero(unit >= 0), "rule": c.index})])
    s, r = df["site"].to_numpy(), df["rule"].to_numpy()
    ok = (unit[s] >= 0) & (t_ns[s] >= r_start[r]) & (t_ns[s] < r_end[r]) & r_apk[r, apk_code[s]]
    df = df[ok].drop_duplicates()
    df["rank"] = r_rank[df["rule"].to_numpy()]
    top = df.groupby("site")["rank"].max()
    rank = np.full(n, RANK[prep.ruleset.default_verdict])
    rank[top.index.to_numpy()] = top.to_numpy()
    rank[unit < 0] = RANK["OUTSIDE_AREA"]
    return rank, np.unique(df["site"].to_numpy().astype(np.int64) * 1000 + df["rule"].to_numpy())


def run_gpd(ctx, sites):
    b = ctx["baseline"]
    n = len(sites)
    sm = sites[["geometry"]].to_crs(ctx["prep"].crs)
    sm["site"] = np.arange(n)
    k = gpd.sjoin(sm, b["kel"], predicate="within", how="inner")
    k = k.sort_values("unit").drop_duplicates("site")
    unit = np.full(n, -1)
    unit[k["site"].to_numpy()] = k["unit"].to_numpy()
    parts = [gpd.sjoin(sm, b["inside"], predicate="intersects", how="inner")[["site", "rule"]]]
    for r, feats in b["radius"].items():
        parts.append(gpd.sjoin(sm, feats, predicate="dwithin", distance=r, how="inner")[["site", "rule"]])
    pairs = pd.concat(parts, ignore_index=True)
    near = gpd.sjoin_nearest(sm[unit >= 0], b["forb"], how="left", max_distance=1000, distance_col="d")
    near = near.groupby("site")["d"].min()
    nd = np.full(n, np.nan)
    nd[near.index.to_numpy()] = near.to_numpy()
    t_ns = np.full(n, pd.Timestamp(AT, tz="Asia/Jakarta").value)
    apk_code = np.array([APK_CODES.index(a) for a in sites["apk_type"]])
    rank, pr = _combine(ctx, n, unit, pairs["site"].to_numpy(), pairs["rule"].to_numpy(), t_ns, apk_code)
    return {"rank": rank, "unit": unit, "pairs": pr, "near": nd}


def run_naive(ctx, sites):
    prep = ctx["prep"]
    n = len(sites)
    pts = np.asarray(sites.to_crs(prep.crs).geometry.values, dtype=object)
    unit = np.full(n, -1)
    site_l, rule_l = [], []
    nd = np.full(n, np.nan)
    forb = prep.geoms[prep.nearest_feat]
    for i, p in enumerate(pts):
        for u, g in enumerate(prep.admin_geoms):
            if g.covers(p):
                unit[i] = u
                break
        if unit[i] < 0:
            continue
        for c in prep.rules:
            if c.status != "active" or c.rule.spatial.form == "anywhere":
                continue
            for f in c.features:
                g = prep.geoms[f]
                hit = g.intersects(p) if c.rule.spatial.form == "inside" else g.distance(p) <= c.rule.spatial.metres
                if hit:
                    site_l.append(i)
                    rule_l.append(c.index)
                    break
        d = min(g.distance(p) for g in forb)
        nd[i] = d if d <= 1000 else np.nan
    t_ns = np.full(n, pd.Timestamp(AT, tz="Asia/Jakarta").value)
    apk_code = np.array([APK_CODES.index(a) for a in sites["apk_type"]])
    rank, pr = _combine(ctx, n, unit, np.array(site_l, int), np.array(rule_l, int), t_ns, apk_code)
    return {"rank": rank, "unit": unit, "pairs": pr, "near": nd}


APPROACHES = {"geozones": run_geozones, "geozones+reasons": run_geozones_reasons, "gpd_sjoin": run_gpd,
              "naive": run_naive}


def agree(a, b) -> tuple[bool, str]:
    """Correctness gate between two results."""
    issues = []
    if not np.array_equal(a["unit"], b["unit"]):
        issues.append(f"{int((a['unit'] != b['unit']).sum())} kelurahan differ")
    if not np.array_equal(a["rank"], b["rank"]):
        issues.append(f"{int((a['rank'] != b['rank']).sum())} verdicts differ")
    if not np.array_equal(a["pairs"], b["pairs"]):
        issues.append(f"{len(np.setxor1d(a['pairs'], b['pairs']))} (site, rule) matches differ")
    na, nb = np.isnan(a["near"]), np.isnan(b["near"])
    if not np.array_equal(na, nb):
        issues.append(f"{int((na != nb).sum())} nearest found/not found differ")
    elif (~na).any():
        worst = float(np.max(np.abs(a["near"][~na] - b["near"][~na])))
        if worst >= 1e-3:
            issues.append(f"nearest differs by up to {worst:.4f} m")
    return not issues, "; ".join(issues) or "same"


def context(data_dir):
    layers = load_layers("jakarta-pusat", data_dir)
    rules = load_ruleset(RULES, known_layers=layers.manifest.layer_names)
    t = time.perf_counter()
    prep = prepare(layers, rules)
    t_prep = time.perf_counter() - t
    ctx = {"layers": layers, "rules": rules, "prep": prep, "t_prepare": t_prep}
    t = time.perf_counter()
    prep.nearest_index.build()
    ctx["t_nearest_build"] = time.perf_counter() - t
    t = time.perf_counter()
    prep.site_grid()
    ctx["t_grid_build"] = time.perf_counter() - t
    ctx["baseline"] = _baseline_context(ctx)
    return ctx


def _vm_hwm_mb() -> float:
    """Peak RSS of this process image (VmHWM). Unlike ``ru_maxrss``, it is not
    inherited across fork+exec from the parent benchmark process."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def memory_probe(approach: str, n: int, data_dir: str) -> None:
    """Run one approach once in this (fresh) process and print its peak RSS."""
    ctx = context(data_dir)
    sites = make_sites(ctx["layers"], n)
    base = _vm_hwm_mb()
    APPROACHES[approach](ctx, sites)
    print(json.dumps({"approach": approach, "n": n, "peak_mb": _vm_hwm_mb(), "before_mb": base}))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1e3,1e4,1e5,1e6")
    ap.add_argument("--rounds", type=int, default=0, help="rounds per size (default: 5, 3 for 1e5, 2 for 1e6)")
    ap.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    ap.add_argument("--no-memory", action="store_true")
    ap.add_argument("--memory-probe", nargs=2, metavar=("APPROACH", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    if args.memory_probe:
        memory_probe(args.memory_probe[0], int(float(args.memory_probe[1])), args.data_dir)
        return 0
    ctx = context(args.data_dir)
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    rows, gates = [], []
    for n in sizes:
        sites = make_sites(ctx["layers"], n)
        names = ["geozones", "geozones+reasons", "gpd_sjoin"] + (["naive"] if n <= 1000 else [])
        rounds = args.rounds or (5 if n <= 1e4 else 3 if n <= 1e5 else 2)
        times = {a: [] for a in names}
        results = {}
        for r in range(rounds):
            order = names[r % len(names):] + names[: r % len(names)]
            for a in order:
                t = time.perf_counter()
                results[a] = APPROACHES[a](ctx, sites)
                times[a].append(time.perf_counter() - t)
        med = {a: statistics.median(v) for a, v in times.items()}
        for a in names:
            ok, why = agree(results[a], results["gpd_sjoin"])
            if a != "gpd_sjoin":
                gates.append((n, a, ok, why))
            rows.append({"n": n, "approach": a, "seconds": med[a], "sites_s": n / med[a],
                         "vs_gpd": med[a] / med["gpd_sjoin"], "rounds": rounds,
                         "vs_naive": (med["naive"] / med[a]) if "naive" in med else None})
        verdicts = pd.Series(BY_RANK[results["geozones"]["rank"]]).value_counts().to_dict()
        rows[-1]["verdicts"] = verdicts
        print(f"N={n:>8}: " + ", ".join(f"{a} {med[a]:.3f}s ({n / med[a]:,.0f}/s, x{med[a] / med['gpd_sjoin']:.2f})"
                                      for a in names), flush=True)
    mem = []
    if not args.no_memory:
        top = max(sizes)
        for a in ("geozones", "gpd_sjoin"):
            out = subprocess.run([sys.executable, __file__, "--memory-probe", a, str(top), "--data-dir",
                                  args.data_dir], capture_output=True, text=True, check=True)
            mem.append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(f"peak RSS {a} N={top}: {mem[-1]['peak_mb']:.0f} MB (after load {mem[-1]['before_mb']:.0f} MB)")
    for n, a, ok, why in gates:
        print(f"gate N={n} {a} vs gpd_sjoin: {'PASS' if ok else 'FAIL'} ({why})")
    report = render(ctx, rows, gates, mem)
    if not args.no_write:
        write_section(ROOT / "bench" / "RESULTS.md", report)
    print(report)
    return 0 if all(ok for *_, ok, _ in gates) else 1


def render(ctx, rows, gates, mem) -> str:
    import geopandas
    import scipy

    lines = ["<!-- rule_check:start -->", "## Rule check (issue #2): `bench/rule_check.py`", "",
             f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on "
             f"{platform.processor() or platform.machine()}, "
             f"one core (affinity), Python {platform.python_version()}, shapely {shapely.__version__} "
             f"(GEOS {shapely.geos_version_string}), geopandas {geopandas.__version__}, scipy {scipy.__version__}.",
             f"Real Jakarta Pusat layers ({len(ctx['prep'].admin)} kelurahan; restricted features by layer: "
             + ", ".join(f"{k} {v}" for k, v in ctx["prep"].features["layer"].value_counts().sort_index().items())
             + f"; {len(ctx['prep'].rules)} rules). Sites: seed {SEED}, 95 % inside the kota, 5 % outside; "
             f"judged {AT} WIB.",
             f"Prepare (compile rules, once per rule-set version): {ctx['t_prepare'] * 1000:.0f} ms; "
             f"nearest quadtree build: {ctx['t_nearest_build'] * 1000:.0f} ms; site grid build: "
             f"{ctx['t_grid_build'] * 1000:.0f} ms (all three once per rule set and layer set; the app caches them, "
             "the CLI pays them once per run; below 20,000 sites the grid is not used).", "",
             "| N | approach | rounds | median s | sites/s | time vs gpd_sjoin | naive / this |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        vs_naive = f"{r['vs_naive']:.0f}x" if r["vs_naive"] else ""
        lines.append(f"| {r['n']:,} | {r['approach']} | {r['rounds']} | {r['seconds']:.3f} | {r['sites_s']:,.0f} | "
                     f"{r['vs_gpd']:.2f} | {vs_naive} |")
    lines += ["", "Correctness gate (same kelurahan, verdicts, (site, rule) matches, nearest |Δ| < 1e-3 m "
              "as the geopandas baseline):", ""]
    lines += [f"- N={n:,} {a}: {'PASS' if ok else 'FAIL'} ({why})" for n, a, ok, why in gates]
    if mem:
        lines += ["", "Peak memory (max RSS of a fresh process, largest N):", ""]
        lines += [f"- {m['approach']}: {m['peak_mb']:.0f} MB (of which {m['before_mb']:.0f} MB after loading "
                  "data, libraries and the sites)" for m in mem]
    lines += ["", "`geozones` is the complete check (kelurahan, every match, grants, quotas, verdict, exact nearest "
              "forbidden feature within 1 km). `geozones+reasons` adds the bilingual reason strings and the "
              "matches table. The baseline computes the same matches and nearest with geopandas sjoin / "
              "sjoin_nearest and pandas.", "<!-- rule_check:end -->"]
    return "\n".join(lines) + "\n"


def write_section(path: Path, section: str) -> None:
    """Replace this benchmark's section of RESULTS.md (other sections stay as they are)."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n\n"
    start, end = "<!-- rule_check:start -->", "<!-- rule_check:end -->"
    if start in text and end in text:
        text = text[: text.index(start)] + section.rstrip("\n") + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
