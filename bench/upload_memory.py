"""Does the app server's memory return after hostile uploads? (issue 13)

Not a test. Plays the web app's upload path (:func:`geozones.app.widgets.uploads.parse_upload`,
which reads in a capped child interpreter) in this process, as the Streamlit server would, with
the hostile inputs of ``bench/hostile.py`` at full size plus a legitimate million-row CSV, and
records for each: the outcome, the wall time, the child's peak RSS (sampled by the same watchdog
that enforces the cap) and this process's RSS after the upload. The figure that matters is the
server's RSS after the last upload against its RSS after the first, small one.

Usage::

    python bench/upload_memory.py            # write the section of bench/RESULTS.md
    python bench/upload_memory.py --no-write
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import hostile  # noqa: E402  (the builders of the hostile files)

from geozones.app.widgets.uploads import app_limits, parse_upload  # noqa: E402
from geozones.core.errors import InputError  # noqa: E402
from geozones.io import isolated  # noqa: E402

RESULTS = ROOT / "bench" / "RESULTS.md"
START, END = "<!-- upload-memory:start -->", "<!-- upload-memory:end -->"
MB = 1024 * 1024


def _peak_watch():
    """Wrap the watchdog's sampler so the child's peak RSS of the last upload can be read back."""
    seen = {"peak": 0}
    real = psutil.Process.memory_info

    def memory_info(self):
        info = real(self)
        if self.pid != os.getpid():
            seen["peak"] = max(seen["peak"], info.rss)
        return info

    psutil.Process.memory_info = memory_info
    return seen


def _million_rows(folder: Path) -> Path:
    path = folder / "sejuta.csv"
    with open(path, "w", encoding="utf-8") as f:
        f.write("id,lon,lat,apk_type,paslon\n")
        f.writelines(f"S{i},106.8{i % 1000:03d},-6.1{i % 997:03d},spanduk,{1 + i % 3}\n"
                     for i in range(1_000_000))
    return path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    seen = _peak_watch()
    me = psutil.Process()
    rows = []
    with tempfile.TemporaryDirectory(prefix="geozones-upload-bench-") as tmp:
        folder = Path(tmp)
        small = folder / "satu.csv"
        small.write_text("id,lon,lat\nA,106.856,-6.183\n", encoding="utf-8")
        cases = [("one site", small), ("csv-cols 10,000", hostile.csv_columns(folder, 10_000)),
                 ("csv-oneline 30 MB", hostile.csv_one_line(folder, 30)),
                 ("xlsx-cell 400 MB", hostile.xlsx_huge_cell(folder, 400)),
                 ("csv 1,000,000 rows (legitimate)", _million_rows(folder)),
                 ("one site again", small)]
        for label, path in cases:
            data = path.read_bytes()
            seen["peak"] = 0
            t0 = time.perf_counter()
            try:
                out = f"accepted, {len(parse_upload(data, path.name)):,} sites"
            except InputError as err:
                out = "refused: " + str(err).split(": ", 1)[-1][:90]
            wall = time.perf_counter() - t0
            del data
            gc.collect()
            rows.append({"case": label, "bytes": path.stat().st_size, "out": out, "wall": wall,
                         "child_mb": seen["peak"] / MB, "server_mb": me.memory_info().rss / MB})
            print(rows[-1], flush=True)
    lim = app_limits()
    text = "\n".join([
        START,
        f"## App uploads: server memory after hostile files (`bench/upload_memory.py`) — "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPU(s), Python {platform.python_version()}, load average "
        f"{os.getloadavg()[0]:.1f}. Each upload goes through `parse_upload` as in the app: read in a fresh "
        f"interpreter watched every {isolated.POLL_SECONDS * 1000:.0f} ms, RSS cap "
        f"{lim.max_memory_bytes / MB:.0f} MB, {lim.max_seconds:g} s. Child peak = the watchdog's highest RSS "
        "sample; server RSS = this process after the upload (and `gc.collect()`).",
        "",
        "| upload | file | outcome | wall s | child peak MB | server RSS MB |",
        "|---|---:|---|---:|---:|---:|",
        *[f"| {r['case']} | {r['bytes'] / 1e6:.1f} MB | {r['out'].replace('|', '/')} | {r['wall']:.1f} | "
          f"{r['child_mb']:.0f} | {r['server_mb']:.0f} |" for r in rows],
        "",
        f"Server RSS after the last upload minus after the first: {rows[-1]['server_mb'] - rows[0]['server_mb']:+.0f} "
        "MB. The readers' memory goes with their interpreters; the server itself holds the accepted frame while "
        "the app shows it, and gives the freed heap back after each upload (`isolated.return_free_memory`: "
        "without it, +328 MB stayed after the million-row upload in this bench).",
        END,
    ])
    if not args.no_write:
        old = RESULTS.read_text(encoding="utf-8")
        if START in old:
            head, _, rest = old.partition(START)
            _, _, tail = rest.partition(END)
            new = head + text + tail
        else:
            new = old.rstrip("\n") + "\n\n" + text + "\n"
        RESULTS.write_text(new, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
