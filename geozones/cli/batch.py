"""``geozones check`` for large batches: streamed in chunks, over worker processes or a Dask cluster.

:func:`geozones.cli.check.run` hands over here when ``--chunk-size``, ``--jobs`` above 1,
``--dask`` or GeoParquet (in or out) is asked for, or when the input is larger than
:data:`STREAM_FROM_BYTES`. The output is the same as the one-shot path's.
"""

from __future__ import annotations

import argparse
import sys
import time

from geozones.cli.common import catalog
from geozones.core.errors import InputError
from geozones.core.time import resolve_at
from geozones.core.verdicts import Verdict, label
from geozones.engine.explain import unique_not_checked
from geozones.io.chunks import DEFAULT_CHUNK_ROWS, SiteChunks, csv_bytes_size
from geozones.io.exports import metadata_path
from geozones.io.parquet import is_parquet

__all__ = ["STREAM_FROM_BYTES", "run_streamed", "wants_stream"]

#: Inputs at least this large stream by default (about two million sites of a plain CSV).
STREAM_FROM_BYTES = 100 * 1024 * 1024


def wants_stream(args: argparse.Namespace, fmt: str) -> bool:
    """True when the check should run chunk by chunk."""
    return bool(getattr(args, "chunk_size", None) or getattr(args, "jobs", 1) > 1 or getattr(args, "dask", None)
                or fmt == "parquet" or is_parquet(args.sites) or csv_bytes_size(args.sites) >= STREAM_FROM_BYTES)


def run_streamed(args: argparse.Namespace, fmt: str) -> int:
    """Judge ``args.sites`` in chunks and write the table; summary on stderr like the one-shot path."""
    from geozones.cli.check import outside_schedule_warning
    from geozones.services.batch import open_cached_checker, run_batch

    chunk = args.chunk_size or DEFAULT_CHUNK_ROWS
    jobs = getattr(args, "jobs", 1) or 1
    if chunk < 1:
        raise InputError("--chunk-size harus 1 atau lebih / --chunk-size must be 1 or more", field="--chunk-size")
    if jobs < 1:
        raise InputError("--jobs harus 1 atau lebih / --jobs must be 1 or more", field="--jobs")
    if fmt == "parquet" and args.out is None:
        raise InputError("--format parquet needs --out FILE")
    source = SiteChunks(args.sites, chunk_rows=chunk, layer=args.layer, lon_col=getattr(args, "lon", None),
                        lat_col=getattr(args, "lat", None), id_col=getattr(args, "id", None),
                        date_order=getattr(args, "date_order", None),
                        skip_invalid=getattr(args, "skip_invalid", False), encoding=getattr(args, "encoding", None))
    # one day/month order for the whole file, not one per chunk
    source = source.with_file_date_order()
    at = resolve_at(args.at) if args.at else resolve_at(None)
    from geozones.services.kota_batch import is_province_wide

    cat = catalog(args)
    if is_province_wide(cat):  # issue 12.7: each kota with its own stack, never one stack for all
        return _run_kota(args, fmt, cat, source, at, jobs)
    t0 = time.perf_counter()
    checker, status = open_cached_checker(cat)
    lang = args.lang
    print(f"geozones: {'aturan terkompilasi' if lang == 'id' else 'compiled rules'}: "
          f"{'dari cache' if status == 'hit' and lang == 'id' else status} ({time.perf_counter() - t0:.2f} s)",
          file=sys.stderr)
    if args.dask:
        from geozones.services.dask_batch import run_dask

        result = run_dask(checker, source, at, address=args.dask, out=args.out, fmt=fmt, lang=lang,
                             reasons=getattr(args, "reasons", None) or "compact")
    else:
        bar = None
        if not args.no_progress:
            from tqdm import tqdm

            bar = tqdm(total=100, file=sys.stderr, unit="%", desc="geozones check",
                       bar_format="{desc}: {percentage:3.0f}% |{bar}| {postfix}")

        def progress(step: str, frac: float) -> None:
            if bar is not None:
                bar.n = int(frac * 100)
                bar.set_postfix_str(step)
                bar.refresh()

        try:
            result = run_batch(checker, source, at, out=args.out, fmt=fmt, lang=lang, jobs=jobs, progress=progress,
                               reasons=getattr(args, "reasons", None) or "compact")
        finally:
            if bar is not None:
                bar.close()
    if not args.at and result.untimed:
        warning = outside_schedule_warning(checker.ruleset, at)
        if warning:
            print(f"geozones: peringatan / warning: {warning}", file=sys.stderr)
    return _summary(args, fmt, result, checker.prepared.not_checked)


def _run_kota(args: argparse.Namespace, fmt: str, cat, source, at, jobs: int) -> int:
    """A province-wide rule set: each site judged with the stack of the kota polygon it lies in."""
    from geozones.core.errors import escape_control
    from geozones.services.kota_batch import run_kota_batch

    reasons = getattr(args, "reasons", None) or "compact"
    if args.dask:
        from geozones.services.dask_batch import run_dask_kota

        result = run_dask_kota(cat, source, at, address=args.dask, out=args.out, fmt=fmt, lang=args.lang,
                               reasons=reasons)
    else:
        result = run_kota_batch(cat, source, at, out=args.out, fmt=fmt, lang=args.lang, jobs=jobs, reasons=reasons)
    for s in result.stacks:
        where = s["kota"] or "di luar setiap kota / outside every kota"
        note = "" if s["local"] else f" ({s['note']['id']} / {s['note']['en']})"
        levels = " > ".join(f"{lv['label']['id'] if isinstance(lv.get('label'), dict) else lv['ruleset_id']} "
                            f"{lv['version']}" for lv in s["levels"])
        print(f"geozones: {escape_control(where)}: {levels}{note}, {s['n_sites']} titik / sites", file=sys.stderr)
    if len(result.misplaced):
        rows = ", ".join(str(int(r) + 1) for r in result.misplaced[:5]) + (" ..." if len(result.misplaced) > 5
                                                                          else "")
        print(f"geozones: peringatan / warning: {len(result.misplaced)} titik berada di kota lain daripada yang "
              f"disebut kode_kota-nya; dinilai dengan aturan kota tempat titik itu berada (baris {rows}) / "
              f"{len(result.misplaced)} sites lie in another kota than their kode_kota names; judged with the "
              f"rules of the kota they lie in (rows {rows})", file=sys.stderr)
    not_checked = unique_not_checked([{**c, "kota": s["kota"]} for s in result.stacks
                                     for c in s.get("not_checked", [])])
    return _summary(args, fmt, result, not_checked)


def _summary(args: argparse.Namespace, fmt: str, result, not_checked: list[dict]) -> int:
    lang = args.lang
    counts = result.counts
    head = "Ringkasan" if lang == "id" else "Summary"
    parts = [f"{label(v, lang)}: {counts[v.value]}" for v in Verdict if counts.get(v.value)]
    print(f"geozones: {head} ({result.sites} {'titik' if lang == 'id' else 'sites'}, {result.chunks} "
          f"{'potong' if lang == 'id' else 'chunks'}): " + ", ".join(parts), file=sys.stderr)
    if not_checked:
        what = "tidak diperiksa (lapisan tidak ada)" if lang == "id" else "not checked (layer absent)"
        print(f"geozones: {what}: " + ", ".join(
            f"{c['rule_id']} ({c['layer']}{'; ' + c['kota'] if c.get('kota') else ''})" for c in not_checked),
              file=sys.stderr)
    if args.out is not None:
        print(f"geozones: {'ditulis' if lang == 'id' else 'written'}: {args.out}", file=sys.stderr)
        if fmt == "csv":
            what = "metadata CSVW (sumber, versi aturan, jenis kolom)" if lang == "id" else \
                "CSVW metadata (sources, rule-set version, column types)"
            print(f"geozones: {what}: {metadata_path(args.out)}", file=sys.stderr)
    return 0
