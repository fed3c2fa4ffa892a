"""Replay the large hostile inputs of issue 13 against the CLI; record time, peak memory and exit code.

Not a test. Each case is built in a temporary folder, then run as a subprocess of a
fresh wrapper process, so ``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`` is the
peak memory of that one run. Every run has a wall-clock timeout and an address-space
cap (the machine is shared: a runaway case is killed, and reported as such, rather
than taking the machine down).

Cases (default sizes in brackets; ``--full`` uses the sizes of the issue), after two baselines
(``check`` of a one-site CSV and ``rules validate`` of the published rule set: the normal cost):

* ``csv-cols``: a one-row CSV with many columns → ``geozones check``
  [1,000 and 3,000; full 3,000 and 10,000]
* ``csv-oneline``: a CSV that is one line of N MB, no newline → ``check`` [3 MB; full 30 MB]
* ``xlsx-cell``: an XLSX whose one cell holds N MB (the file is a few hundred KB) → ``check`` [20 MB; full 400 MB]
* ``zip-bomb``: a zipped GeoJSON of points that declares 2 KB and inflates to N MB → ``data import``
  [60 MB; full 600 MB]
* ``yaml-alias``: a rule set whose rule's ``where`` holds a chain of aliases (9^8 values)
  → ``rules validate``, ``check``
* ``yaml-rules``: a rule set with 60,000 rules → ``rules validate``

Usage::

    python bench/hostile.py                  # small sizes, write bench/RESULTS.md
    python bench/hostile.py --full --timeout 120 --mem-cap-gb 4
    python bench/hostile.py --cases yaml-alias,zip-bomb --no-write

Data: ../shared/data when present (GEOZONES_DATA_DIR), for ``check``'s layers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "RESULTS.md"
SHARED_DATA = ROOT.parent / "shared" / "data"
START, END = "<!-- hostile:start -->", "<!-- hostile:end -->"
MB = 1_000_000
INPUT_SUFFIXES = (".csv", ".xlsx", ".zip", ".yaml")

# Runs the command given as JSON in argv[1] with a timeout and an address-space cap, then
# prints its exit code, wall time and peak RSS (this wrapper has no other child).
_WRAPPER = r"""
import json, resource, subprocess, sys, time
cmd, timeout, cap = json.loads(sys.argv[1])
def limit():
    if cap:
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
t0 = time.perf_counter()
try:
    p = subprocess.run(cmd, capture_output=True, timeout=timeout, preexec_fn=limit)
    code, err = p.returncode, p.stderr.decode("utf-8", "replace")
except subprocess.TimeoutExpired as exc:
    code, err = "timeout", (exc.stderr or b"").decode("utf-8", "replace")
wall = time.perf_counter() - t0
peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"code": code, "wall": wall, "peak_mb": peak_kb / 1024, "stderr": err[-2000:]}))
"""


def geozones(*args: str) -> list[str]:
    return [sys.executable, "-m", "geozones", *args]


def run(cmd: list[str], *, timeout: float, cap_bytes: int, env: dict) -> dict:
    """Run ``cmd`` in a fresh wrapper process; return code, wall seconds, peak MB and stderr's tail."""
    out = subprocess.run([sys.executable, "-c", _WRAPPER, json.dumps([cmd, timeout, cap_bytes])],
                         capture_output=True, text=True, env=env, timeout=timeout + 60)
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---- building the inputs -------------------------------------------------------------------

def csv_columns(folder: Path, n: int) -> Path:
    path = folder / f"cols{n}.csv"
    extra = [f"c{i}" for i in range(n - 3)]
    path.write_text(",".join(["id", "lon", "lat", *extra]) + "\n"
                    + ",".join(["1", "106.8272", "-6.1754", *("x" * len(extra))]) + "\n", encoding="utf-8")
    return path


def csv_one_line(folder: Path, megabytes: float) -> Path:
    path = folder / "oneline.csv"
    with path.open("w", encoding="utf-8") as fh:
        fh.write("id,lon,lat,")
        chunk = "a" * MB
        for _ in range(int(megabytes)):
            fh.write(chunk)
    return path


_XLSX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
        'Target="worksheets/sheet1.xml"/></Relationships>'),
}


def xlsx_huge_cell(folder: Path, megabytes: float) -> Path:
    """A valid XLSX (id, lon, lat, note) whose ``note`` cell holds ``megabytes`` MB, written in streamed chunks."""
    path = folder / "hugecell.xlsx"

    def cell(ref: str, text: str) -> str:
        return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in _XLSX_PARTS.items():
            zf.writestr(name, text)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            fh.write(('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                      '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                      '<row r="1">' + cell("A1", "id") + cell("B1", "lon") + cell("C1", "lat") + cell("D1", "note")
                      + '</row><row r="2">' + cell("A2", "1") + '<c r="B2"><v>106.8272</v></c>'
                      '<c r="C2"><v>-6.1754</v></c><c r="D2" t="inlineStr"><is><t>').encode())
            chunk = b"a" * MB
            for _ in range(int(megabytes)):
                fh.write(chunk)
            fh.write(b"</t></is></c></row></sheetData></worksheet>")
    return path


def zip_bomb(folder: Path, megabytes: float) -> Path:
    """A zip holding one GeoJSON of repeated points (``megabytes`` MB), its sizes rewritten to declare 2 KB."""
    path = folder / "bomb.zip"
    feature = (b'{"type":"Feature","geometry":{"type":"Point","coordinates":[106.8272,-6.1754]},'
               b'"properties":{"name":"Masjid"}},')
    per_mb = MB // len(feature)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf, zf.open("worship.geojson", "w") as fh:
        fh.write(b'{"type":"FeatureCollection","features":[')
        for _ in range(int(megabytes)):
            fh.write(feature * per_mb)
        fh.write(feature[:-1] + b"]}")
    data = bytearray(path.read_bytes())
    declared = (2048).to_bytes(4, "little")
    local = data.find(b"PK\x03\x04")
    central = data.rfind(b"PK\x01\x02")
    flags = int.from_bytes(data[local + 6:local + 8], "little")
    if not flags & 0x08:  # sizes in the local header (not in a data descriptor)
        data[local + 22:local + 26] = declared
    data[central + 24:central + 28] = declared
    path.write_bytes(bytes(data))
    return path


def _base_rules() -> dict:
    # the national base holds R01 (places of worship) since rule sets stack
    return yaml.safe_load((ROOT / "rules" / "nasional-pilkada-2024.yaml").read_text(encoding="utf-8"))


def yaml_alias(folder: Path, levels: int = 8) -> Path:
    """The published rule set with R01's ``where`` fed by a chain of anchors (9**levels values)."""
    text = yaml.safe_dump(_base_rules(), sort_keys=False, allow_unicode=True)
    chain = ["  a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    chain += [f"  a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels)]
    text = "x-chain:\n" + "\n".join(chain) + "\n" + text
    rule = re.search(r"(?m)^- id: R01\n(?:  .*\n)+", text)
    body = rule.group(0)
    if "  where:" in body:
        new = re.sub(r"(?m)^  where:\n(    .*\n)+", f"  where:\n    religion: *a{levels - 1}\n", body)
    else:
        new = body + f"  where:\n    religion: *a{levels - 1}\n"
    text = text.replace(body, new)
    path = folder / "alias.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def yaml_many_rules(folder: Path, n: int = 60_000) -> Path:
    data = _base_rules()
    template = next(r for r in data["rules"] if r["spatial"]["form"] == "anywhere")
    data["rules"] = [{**template, "id": f"X{i}"} for i in range(n)]
    path = folder / "rules60k.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


# ---- the cases -----------------------------------------------------------------------------

Case = tuple[str, str, Callable[[Path], list[str]]]


def cases(full: bool, folder: Path) -> list[Case]:
    cols = (3_000, 10_000) if full else (1_000, 3_000)
    line_mb, cell_mb, bomb_mb = (30, 400, 600) if full else (3, 20, 60)
    at = ("--at", "2024-10-15T10:00")
    out: list[Case] = [
        ("baseline: 1 site", "check",
         lambda d: geozones("check", str(csv_columns(d, 3)), *at, "--out", str(d / "o.csv"))),
        ("baseline: published rules", "rules validate",
         lambda d: geozones("rules", "validate", str(ROOT / "rules" / "dki-jakarta-pusat-pilkada-2024.yaml"))),
    ]
    for n in cols:
        out.append((f"csv-cols {n:,}", "check",
                    lambda d, n=n: geozones("check", str(csv_columns(d, n)), *at, "--out", str(d / "o.csv"))))
    out.append((f"csv-oneline {line_mb} MB", "check",
                lambda d: geozones("check", str(csv_one_line(d, line_mb)), *at, "--out", str(d / "o.csv"))))
    out.append((f"xlsx-cell {cell_mb} MB", "check",
                lambda d: geozones("check", str(xlsx_huge_cell(d, cell_mb)), *at, "--out", str(d / "o.csv"))))
    out.append((f"zip-bomb 2 KB → {bomb_mb} MB", "data import",
                lambda d: geozones("data", "import", str(zip_bomb(d, bomb_mb)), "--layer", "worship",
                                   "--data-dir", str(_import_dir(d)), "--licence", "CC0", "--source", "bench")))
    out.append(("yaml-alias 9^8", "rules validate", lambda d: geozones("rules", "validate", str(yaml_alias(d)))))
    out.append(("yaml-alias 9^8", "check", lambda d: geozones("check", str(csv_columns(d, 3)), *at,
                                                               "--rules", str(yaml_alias(d)))))
    out.append(("yaml-rules 60,000", "rules validate",
                lambda d: geozones("rules", "validate", str(yaml_many_rules(d)))))
    return out


def _import_dir(folder: Path) -> Path:
    """A copy of the data directory's layers an import may replace (never ../shared/data itself)."""
    target = folder / "import-data"
    if not target.exists():
        target.mkdir()
        src = SHARED_DATA if SHARED_DATA.is_dir() else None
        if src is not None:
            for p in src.glob("jakpus_*.geojson"):
                if p.name != "jakpus_worship.geojson":  # the layer being imported
                    (target / p.name).symlink_to(p)
            (target / "jakarta_kota.geojson").symlink_to(src / "jakarta_kota.geojson")
    return target


def write_section(rows: list[dict], args: argparse.Namespace) -> None:
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [START, f"## Hostile inputs (issue 13): `bench/hostile.py` — {stamp}", "",
             f"Machine: {platform.machine()}, {os.cpu_count()} CPU(s), Python {platform.python_version()}, "
             f"load average {os.getloadavg()[0]:.1f}; {'full' if args.full else 'small'} sizes; timeout "
             f"{args.timeout:g} s, address-space cap {args.mem_cap_gb:g} GB per run; peak = max RSS of the "
             f"child (getrusage RUSAGE_CHILDREN in a fresh wrapper). Target (issue 13): ≤ 1 GB and ≤ 60 s "
             "beyond normal cost, exit 2 with a message.", "",
             "| case | command | input | exit | wall s | peak MB | last message |", "|---|---|---:|---|---:|---:|---|"]
    for r in rows:
        msg = (r["stderr"].strip().splitlines() or [""])[-1].replace("|", "\\|")
        msg = msg if len(msg) <= 160 else msg[:157] + "..."
        lines.append(f"| {r['case']} | {r['command']} | {r['input_kb']:,.0f} KB | {r['code']} | {r['wall']:.1f} | "
                     f"{r['peak_mb']:.0f} | {msg} |")
    lines += ["", "Exit: 0 accepted, 2 refused with a message, 1 internal error, -9/-6 or MemoryError in the "
              "message: killed at the address-space cap, timeout: killed at the time limit.", END]
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    section = "\n".join(lines)
    if START in text and END in text:
        text = text[:text.index(START)] + section + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    RESULTS.write_text(text, encoding="utf-8")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--full", action="store_true", help="the sizes of issue 13 (slow; needs memory)")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds per run (default 60)")
    p.add_argument("--mem-cap-gb", type=float, default=2.0, help="address-space cap per run, GB (default 2)")
    p.add_argument("--cases", default=None, help="comma-separated case name prefixes (default: all)")
    p.add_argument("--no-write", action="store_true", help="print only; leave bench/RESULTS.md alone")
    args = p.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if SHARED_DATA.is_dir():
        env.setdefault("GEOZONES_DATA_DIR", str(SHARED_DATA))
    wanted = [c.strip() for c in args.cases.split(",")] if args.cases else None
    rows = []
    with tempfile.TemporaryDirectory(prefix="geozones-hostile-") as tmp:
        for i, (name, command, build) in enumerate(cases(args.full, Path(tmp))):
            if wanted and not any(name.startswith(w) for w in wanted):
                continue
            folder = Path(tmp) / f"case{i}"
            folder.mkdir()
            cmd = build(folder)
            size = sum(Path(a).stat().st_size for a in cmd[3:] if a.endswith(INPUT_SUFFIXES) and Path(a).is_file())
            res = run(cmd, timeout=args.timeout, cap_bytes=int(args.mem_cap_gb * 2**30), env=env)
            row = {"case": name, "command": command, "input_kb": size / 1000, **res}
            rows.append(row)
            last = (res["stderr"].strip().splitlines() or [""])[-1][:140]
            print(f"{name:24} {command:15} exit {res['code']!s:8} {res['wall']:7.1f} s "
                  f"{res['peak_mb']:7.0f} MB  {last}", flush=True)
            for f in folder.iterdir():  # free the disk before the next case
                if f.is_file():
                    f.unlink()
    if not args.no_write:
        write_section(rows, args)
        print(f"written: {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
