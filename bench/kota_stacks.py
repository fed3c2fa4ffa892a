"""Cost of judging each kota with its own stack (issue 12.7) against one kota rule set, streamed.

Runs ``run_batch`` with the Jakarta Pusat rule set (one stack; sites elsewhere OUTSIDE_AREA) and
``run_kota_batch`` with the DKI province rule set (each site with the stack of its kota) on the same
sites, interleaved, and prints wall and CPU seconds and their ratio (kota / one). Sites: the batch
test helper's (90 % in Jakarta Pusat, the rest just outside it, in the neighbouring kota).

    PYTHONPATH=$PWD python bench/kota_stacks.py [N] [REPEATS]

Data: BPS/HDX kelurahan and kota boundaries (CC BY-IGO); © OpenStreetMap contributors (ODbL).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from geozones.core.time import resolve_at
from geozones.io.chunks import SiteChunks
from geozones.io.layers import load_layers
from geozones.rules.model import RULES_DIR
from geozones.services.batch import open_cached_checker, run_batch
from geozones.services.catalog import FileCatalog
from geozones.services.kota_batch import run_kota_batch
from tests.conftest import require_shared_data
from tests.services.batch_helpers import AT, site_table


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    reps = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    data = require_shared_data()
    at = resolve_at(AT)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "sites.csv"
        site_table(load_layers("jakarta-pusat", data), n, seed=1).to_csv(src, index=False)
        times: dict[str, list[tuple[float, float]]] = {"one": [], "kota": []}
        for _ in range(reps):
            t, c = time.perf_counter(), time.process_time()
            checker, _ = open_cached_checker(FileCatalog(None, data))
            run_batch(checker, SiteChunks(src), at, out=Path(tmp) / "one.csv", lang="id", reasons="compact")
            times["one"].append((time.perf_counter() - t, time.process_time() - c))
            t, c = time.perf_counter(), time.process_time()
            res = run_kota_batch(FileCatalog(RULES_DIR / "dki-jakarta-pilkada-2024.yaml", data), SiteChunks(src), at,
                                 out=Path(tmp) / "kota.csv", lang="id", reasons="compact")
            times["kota"].append((time.perf_counter() - t, time.process_time() - c))
    med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for k, v in times.items()}
    print(f"{n} sites, median of {reps}; stacks used: "
          + ", ".join(f"{s['kota'] or 'none'} {s['n_sites']}" for s in res.stacks))
    print("| path | wall s | CPU s |\n|---|---:|---:|")
    print(f"| one kota rule set (run_batch, cached compile) | {med['one'][0]:.2f} | {med['one'][1]:.2f} |")
    print(f"| each kota its own stack (run_kota_batch) | {med['kota'][0]:.2f} | {med['kota'][1]:.2f} |")
    print(f"| ratio kota / one | {med['kota'][0] / med['one'][0]:.2f} | {med['kota'][1] / med['one'][1]:.2f} |")


if __name__ == "__main__":
    main()
