"""Benchmark: ``geozones check`` end to end (CSV to CSV) against a plain geopandas script.

Not a test. For each size the same seeded random Jakarta Pusat sites (95 % inside
the kota, 5 % in its bounding box outside it; :func:`bench.rule_check.make_sites`)
are written to a CSV, then, interleaved with the order rotated each round:

* ``geozones``: ``python -m geozones check sites.csv --out out.csv --at ...``
  (default: compact reasons in one language);
* ``geozones full both``: the same with ``--reasons full --lang both``;
* ``gpd_script``: a plain geopandas script — read the CSV, ``points_from_xy``,
  project, ``sjoin(within)`` for the kelurahan, ``sjoin(intersects)`` for the
  areas, one ``sjoin(dwithin)`` per radius, ``sjoin_nearest(max_distance=1000)``,
  verdicts with pandas, write a CSV (site_id, verdict, rule_ids, nearest_m,
  kelurahan). Its layer inputs are prepared beforehand as projected GeoParquet
  (the script does not load or compile the rule set: that favours it).

Each run is a subprocess started by a small fresh launcher that waits for it and
reads ``getrusage(RUSAGE_CHILDREN)``: wall time, CPU time (user + system) and peak
memory (max RSS) of that run alone. Output bytes per site are the CSV's size
divided by N. A gate checks that geozones and the script give the same verdict
class per site (FORBIDDEN vs not) and the same full verdict and rule ids.

The machine is shared and loaded: read the ratios within a run, not the seconds.

Usage::

    python bench/cli_e2e.py                          # N = 1e5, 5e5, 1e6
    python bench/cli_e2e.py --sizes 1e5 --rounds 1 --no-write

Data: ../shared/data (BPS/HDX CC BY-IGO; © OpenStreetMap contributors, ODbL).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

AT = "2024-10-15T10:00"

#: The plain geopandas script; argv: sites.csv, prepared dir, out.csv.
GPD_SCRIPT = r'''
import json, sys
import geopandas as gpd, numpy as np, pandas as pd
sites_csv, prep_dir, out_csv = sys.argv[1:4]
meta = json.load(open(f"{prep_dir}/meta.json"))
df = pd.read_csv(sites_csv, dtype={"site_id": str, "apk_type": str})
n = len(df)
sm = gpd.GeoDataFrame({"site": np.arange(n)}, geometry=gpd.points_from_xy(df["lon"], df["lat"]), crs=4326)
sm = sm.to_crs(meta["crs"])
kel = gpd.read_parquet(f"{prep_dir}/kel.parquet")
k = gpd.sjoin(sm, kel, predicate="within", how="inner").sort_values("unit").drop_duplicates("site")
unit = np.full(n, -1)
unit[k["site"].to_numpy()] = k["unit"].to_numpy()
parts = [gpd.sjoin(sm, gpd.read_parquet(f"{prep_dir}/inside.parquet"), predicate="intersects")[["site", "rule"]]]
for r in meta["radii"]:
    feats = gpd.read_parquet(f"{prep_dir}/radius_{r}.parquet")
    parts.append(gpd.sjoin(sm, feats, predicate="dwithin", distance=float(r))[["site", "rule"]])
for rule in meta["anywhere"]:
    parts.append(pd.DataFrame({"site": np.flatnonzero(unit >= 0), "rule": rule}))
pairs = pd.concat(parts, ignore_index=True)
forb = gpd.read_parquet(f"{prep_dir}/forb.parquet")
near = gpd.sjoin_nearest(sm[unit >= 0], forb, how="left", max_distance=1000, distance_col="d")
near = near.groupby("site")["d"].min()
nd = np.full(n, np.nan)
nd[near.index.to_numpy()] = near.to_numpy()
t_ns = pd.Timestamp(meta["at"], tz="Asia/Jakarta").value
apk_code = pd.Categorical(df["apk_type"], categories=meta["apk_codes"]).codes
s, r = pairs["site"].to_numpy(), pairs["rule"].to_numpy()
r_start, r_end = np.array(meta["start_ns"]), np.array(meta["end_ns"])
r_apk, r_rank = np.array(meta["apk_mask"], bool), np.array(meta["rank"])
ok = (unit[s] >= 0) & (t_ns >= r_start[r]) & (t_ns < r_end[r]) & r_apk[r, apk_code[s]]
pairs = pairs[ok].drop_duplicates()
pairs["rank"] = r_rank[pairs["rule"].to_numpy()]
pairs["rule_id"] = np.array(meta["rule_ids"], dtype=object)[pairs["rule"].to_numpy()]
top = pairs.groupby("site")["rank"].max()
rank = np.full(n, meta["default_rank"])
rank[top.index.to_numpy()] = top.to_numpy()
rank[unit < 0] = meta["outside_rank"]
ids = pairs.sort_values(["site", "rule_id"]).groupby("site")["rule_id"].agg(";".join)
rule_ids = np.full(n, "", dtype=object)
rule_ids[ids.index.to_numpy()] = ids.to_numpy()
kname = np.append(np.array(meta["kelurahan"], dtype=object), "")
out = pd.DataFrame({"site_id": df["site_id"], "verdict": np.array(meta["by_rank"], dtype=object)[rank],
                    "kelurahan": kname[unit], "rule_ids": rule_ids, "nearest_m": np.round(nd, 1)})
out.to_csv(out_csv, index=False)
'''

#: The launcher: runs argv, prints wall, cpu and peak RSS of that child alone (JSON).
LAUNCHER = r'''
import json, resource, subprocess, sys, time
t = time.perf_counter()
proc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
rc = proc.returncode
wall = time.perf_counter() - t
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
sys.stderr.write(proc.stderr.decode()[-3000:] if rc else "")
print(json.dumps({"rc": rc, "wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "peak_mb": ru.ru_maxrss / 1024}))
'''


def prepare_baseline(ctx, tmp: Path) -> Path:
    """Write the baseline script's inputs (projected layers per rule group, rule metadata)."""
    from rule_check import _baseline_context

    from geozones.core.verdicts import BY_RANK, RANK
    from geozones.engine.compile import APK_CODES

    prep = ctx["prep"]
    b = _baseline_context(ctx)
    d = tmp / "gpd_prep"
    d.mkdir(exist_ok=True)
    b["kel"].to_parquet(d / "kel.parquet")
    b["inside"].to_parquet(d / "inside.parquet")
    for r, g in b["radius"].items():
        g.to_parquet(d / f"radius_{r:g}.parquet")
    b["forb"].to_parquet(d / "forb.parquet")
    rules = prep.rules
    meta = {"crs": prep.crs.to_string() if hasattr(prep.crs, "to_string") else str(prep.crs), "at": AT,
            "radii": [f"{r:g}" for r in b["radius"]],
            "anywhere": [c.index for c in rules if c.status == "active" and c.rule.spatial.form == "anywhere"],
            "apk_codes": [getattr(a, "value", a) for a in APK_CODES],
            "start_ns": [int(c.start_ns) for c in rules], "end_ns": [int(c.end_ns) for c in rules],
            "apk_mask": [[bool(v) for v in c.apk_mask] for c in rules], "rank": [int(c.rank) for c in rules],
            "rule_ids": [c.rule.id for c in rules], "default_rank": int(RANK[prep.ruleset.default_verdict]),
            "outside_rank": int(RANK["OUTSIDE_AREA"]), "by_rank": [str(v) for v in BY_RANK],
            "kelurahan": [str(v) for v in prep.admin["kelurahan"]]}
    (d / "meta.json").write_text(json.dumps(meta))
    return d


def write_sites(ctx, n: int, path: Path) -> None:
    from rule_check import make_sites

    s = make_sites(ctx["layers"], n)
    pd.DataFrame({"site_id": s["site_id"], "lon": np.round(s.geometry.x, 7), "lat": np.round(s.geometry.y, 7),
                  "apk_type": s["apk_type"]}).to_csv(path, index=False)


def commands(sites: Path, tmp: Path, prep_dir: Path, data_dir: str) -> dict[str, tuple[list[str], Path]]:
    py = sys.executable
    gz = [py, "-m", "geozones", "check", str(sites), "--at", AT, "--data-dir", data_dir, "--no-progress"]
    script = tmp / "gpd_script.py"
    script.write_text(GPD_SCRIPT)
    return {
        "geozones": ([*gz, "--out", str(tmp / "gz.csv")], tmp / "gz.csv"),
        "geozones full both": ([*gz, "--reasons", "full", "--lang", "both", "--out", str(tmp / "gzfull.csv")],
                               tmp / "gzfull.csv"),
        "gpd_script": ([py, str(script), str(sites), str(prep_dir), str(tmp / "gpd.csv")], tmp / "gpd.csv"),
    }


def launch(cmd: list[str], tmp: Path) -> dict:
    launcher = tmp / "launcher.py"
    if not launcher.exists():
        launcher.write_text(LAUNCHER)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, str(launcher), *cmd], capture_output=True, text=True, env=env, check=True)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    if res["rc"] != 0:
        raise RuntimeError(f"{cmd} exited {res['rc']}: {out.stderr[-2000:]}")
    return res


def agree(gz_csv: Path, gpd_csv: Path) -> dict:
    """Per site: same FORBIDDEN-or-not, same verdict, same rule ids (as sets)."""
    a = pd.read_csv(gz_csv, dtype=str, keep_default_na=False, usecols=["site_id", "verdict", "rule_ids"])
    b = pd.read_csv(gpd_csv, dtype=str, keep_default_na=False, usecols=["site_id", "verdict", "rule_ids"])
    assert (a["site_id"].to_numpy() == b["site_id"].to_numpy()).all(), "site order differs"
    forb = int(((a["verdict"] == "FORBIDDEN") != (b["verdict"] == "FORBIDDEN")).sum())
    verdict = int((a["verdict"] != b["verdict"]).sum())
    norm = lambda s: s.map(lambda v: ";".join(sorted(x for x in v.split(";") if x)))  # noqa: E731
    rules = int((norm(a["rule_ids"]) != norm(b["rule_ids"])).sum())
    return {"forbidden_differ": forb, "verdict_differ": verdict, "rule_ids_differ": rules,
            "forbidden": int((a["verdict"] == "FORBIDDEN").sum())}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1e5,5e5,1e6")
    ap.add_argument("--rounds", type=int, default=0, help="rounds per size (default: 3 up to 1e5, else 2)")
    ap.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    args = ap.parse_args(argv)
    from rule_check import context

    ctx = context(args.data_dir)
    rows, gates = [], []
    with tempfile.TemporaryDirectory(prefix="geozones-e2e-") as td:
        tmp = Path(td)
        prep_dir = prepare_baseline(ctx, tmp)
        for n in [int(float(s)) for s in args.sizes.split(",")]:
            sites = tmp / f"sites_{n}.csv"
            write_sites(ctx, n, sites)
            cmds = commands(sites, tmp, prep_dir, args.data_dir)
            names = list(cmds)
            rounds = args.rounds or (3 if n <= 100_000 else 2)
            got: dict[str, list[dict]] = {a: [] for a in names}
            for r in range(rounds):
                for a in names[r % len(names):] + names[: r % len(names)]:
                    got[a].append(launch(cmds[a][0], tmp))
                    print(f"N={n} round {r} {a}: {got[a][-1]}", flush=True)
            size = {a: cmds[a][1].stat().st_size for a in names}
            gate = agree(cmds["geozones"][1], cmds["gpd_script"][1])
            gate_full = agree(cmds["geozones full both"][1], cmds["gpd_script"][1])
            gates.append((n, gate, gate_full))
            med = {a: {k: statistics.median(x[k] for x in got[a]) for k in ("wall", "cpu", "peak_mb")}
                   for a in names}
            for a in names:
                rows.append({"n": n, "approach": a, "rounds": rounds, **med[a],
                             "wall_ratio": med[a]["wall"] / med["gpd_script"]["wall"],
                             "cpu_ratio": med[a]["cpu"] / med["gpd_script"]["cpu"],
                             "bytes_per_site": size[a] / n})
            print(f"N={n}: gate {gate}; full {gate_full}", flush=True)
    report = render(rows, gates, ctx)
    print(report)
    if not args.no_write:
        write_section(ROOT / "bench" / "RESULTS.md", report)
    return 0 if all(g["forbidden_differ"] == 0 and f["forbidden_differ"] == 0 for _, g, f in gates) else 1


def render(rows, gates, ctx) -> str:
    import geopandas
    import shapely

    lines = ["<!-- cli_e2e:start -->", "## End to end (issue #12): `bench/cli_e2e.py`", "",
             f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {platform.machine()}, "
             f"{os.cpu_count()} CPUs shared with other jobs (load average {os.getloadavg()[0]:.1f} at the end), "
             f"Python {platform.python_version()}, geopandas {geopandas.__version__}, shapely {shapely.__version__}. "
             f"Seeded random Jakarta Pusat sites (95 % inside), judged {AT} WIB, CSV in and out; "
             "medians of the rounds; each run a fresh process (peak = its max RSS).", "",
             "| N | run | rounds | wall s | CPU s | wall vs script | CPU vs script | peak MB | bytes/site |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['n']:,} | {r['approach']} | {r['rounds']} | {r['wall']:.1f} | {r['cpu']:.1f} | "
                     f"{r['wall_ratio']:.2f} | {r['cpu_ratio']:.2f} | {r['peak_mb']:.0f} | "
                     f"{r['bytes_per_site']:.0f} |")
    lines += ["", "Same answers (per site, against the script's CSV):", ""]
    for n, g, f in gates:
        lines.append(f"- N={n:,}: FORBIDDEN vs not differs at {g['forbidden_differ']} sites "
                     f"({g['forbidden']:,} FORBIDDEN); verdict differs at {g['verdict_differ']}, rule ids at "
                     f"{g['rule_ids_differ']}; with `--reasons full --lang both`: {f['forbidden_differ']} / "
                     f"{f['verdict_differ']} / {f['rule_ids_differ']}.")
    lines += ["", "`geozones` = `geozones check sites.csv --out out.csv` (compact reasons, one language); "
              "`geozones full both` adds `--reasons full --lang both`; `gpd_script` is the plain geopandas script "
              "in this file (its layers prepared beforehand, so it pays no layer loading nor rule compiling).",
              "<!-- cli_e2e:end -->"]
    return "\n".join(lines) + "\n"


def write_section(path: Path, section: str) -> None:
    """Replace this benchmark's section of RESULTS.md (other sections stay as they are)."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n\n"
    start, end = "<!-- cli_e2e:start -->", "<!-- cli_e2e:end -->"
    if start in text and end in text:
        text = text[: text.index(start)] + section.rstrip("\n") + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
