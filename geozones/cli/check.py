"""``geozones check``: judge a file of sites and write the verdict table."""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from geozones.cli.common import catalog, store_selection
from geozones.core.errors import InputError, escape_control
from geozones.core.time import resolve_at
from geozones.core.verdicts import Verdict, label
from geozones.engine.judge import GRID_MIN_SITES
from geozones.io.exports import metadata_path, table_csv, write_table
from geozones.io.sites import read_sites
from geozones.services.checking import open_checker, sign_hints

#: Inputs at least this large get a progress bar on stderr.
PROGRESS_MIN_SITES = 10_000


def _format(args: argparse.Namespace) -> str:
    if args.format:
        return args.format
    if args.out is None:
        return "csv"
    ext = args.out.suffix.lower()
    fmt = {".csv": "csv", ".geojson": "geojson", ".json": "geojson", ".gpkg": "gpkg", ".xlsx": "xlsx",
           ".parquet": "parquet", ".geoparquet": "parquet"}.get(ext)
    if fmt is None:
        raise InputError(f"cannot tell the output format from '{ext}'; use --format csv|geojson|gpkg|xlsx|parquet",
                         source=str(args.out))
    return fmt


def outside_schedule_warning(ruleset, now) -> str | None:
    """The warning (id / en) when ``now`` lies outside every period of the rule set's schedule, else None.

    Sites without ``installed_at`` are judged at ``now`` when ``--at`` is left out; after
    the election (or before the campaign) that is rarely what the user meant.
    """
    sch = ruleset.schedule
    periods = (sch.campaign, sch.quiet_period, sch.voting_day)
    t = now.to_pydatetime()
    if any(p.start <= t < p.end for p in periods):
        return None
    span = f"{sch.campaign.start:%Y-%m-%d} – {sch.voting_day.end:%Y-%m-%d}"
    when = f"{now:%Y-%m-%d %H:%M} WIB"
    suggestion = f"{sch.campaign.start:%Y-%m-%d}"
    return (f"--at tidak diberikan: titik tanpa installed_at dinilai pada sekarang ({when}), di luar setiap "
            f"jadwal aturan {ruleset.id} ({span}); beri --at, mis. --at {suggestion} / "
            f"--at not given: sites without installed_at are judged at now ({when}), outside every window of "
            f"rule set {ruleset.id} ({span}); give --at, e.g. --at {suggestion}")


def run(args: argparse.Namespace) -> int:
    """Judge the sites of ``args.sites``; write the table; summarise on stderr."""
    fmt = _format(args)
    if fmt != "csv" and args.out is None:
        raise InputError(f"--format {fmt} needs --out FILE")
    from geozones.cli.batch import run_streamed, wants_stream

    if wants_stream(args, fmt):  # chunks, --jobs, --dask, GeoParquet or a large input
        return run_streamed(args, fmt)
    with collector_paused():
        return _run_once(args, fmt)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for one batch held in memory at once; restore it after.

    Every shapely geometry is a container the collector tracks, and a batch creates
    millions of them (the sites' points, points rebuilt for index and distance queries): the
    collector's full passes over them took 0.5 s of the 6 s of 500,000 sites. The arrays
    themselves are freed by reference counting as always; only reference cycles wait
    until the batch ends. The streamed path (chunks) keeps the collector running.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _run_once(args: argparse.Namespace, fmt: str) -> int:
    """The whole batch in one piece: read, judge, explain, write."""
    at = resolve_at(args.at) if args.at else None
    # Read the sites first: a bad or hostile file is refused before the layers are loaded.
    sites = read_sites(args.sites, layer=args.layer, lon_col=getattr(args, "lon", None),
                       lat_col=getattr(args, "lat", None), id_col=getattr(args, "id", None),
                       date_order=getattr(args, "date_order", None),
                       skip_invalid=getattr(args, "skip_invalid", False), encoding=getattr(args, "encoding", None))
    if sites.attrs.get("skipped"):
        what = "dilewati / skipped"
        print(f"geozones: {what} ({len(sites.attrs['skipped'])}): " + "; ".join(sites.attrs["skipped"]),
              file=sys.stderr)
    selection = store_selection(args)
    if selection is not None and selection[2] is None:
        return _run_versioned(args, fmt, at, sites, *selection[:2])
    if selection is None:
        from geozones.services.kota_batch import is_province_wide

        cat = catalog(args)
        if is_province_wide(cat):
            return _run_kota(args, fmt, at, sites, cat)
    if selection:
        checker = open_checker(selection[0], selection[1], selection[2])
    elif len(sites) >= GRID_MIN_SITES:
        # A batch this large uses the site grid: the compiled rules, grid and nearest index come from the
        # on-disk cache (built once per rule-set version and layer digests; issue 12.3), as the streamed path.
        from geozones.services.batch import open_cached_checker

        checker, _ = open_cached_checker(catalog(args))
    else:
        checker = open_checker(catalog(args))
    bar = None
    if len(sites) >= PROGRESS_MIN_SITES and not args.no_progress:
        from tqdm import tqdm

        bar = tqdm(total=100, file=sys.stderr, unit="%", desc="geozones check",
                   bar_format="{desc}: {percentage:3.0f}% |{bar}| {postfix}")

    def progress(step: str, frac: float) -> None:
        if bar is not None:
            bar.n = int(frac * 100)
            bar.set_postfix_str(step)
            bar.refresh()

    if at is None and "installed_at" in sites.columns and sites["installed_at"].notna().all():
        warning = None  # every site carries its own time
    elif at is None:
        at = resolve_at(None)  # one "now" for the whole batch and the warning
        warning = outside_schedule_warning(checker.ruleset, at)
    else:
        warning = None
    if warning:
        print(f"geozones: peringatan / warning: {warning}", file=sys.stderr)
    # a CSV file's writer formats each distinct text once: the repeating columns come as their codes
    result = checker.check(sites, at, progress=progress, reasons=_reasons(args), lang=args.lang,
                           categorical=fmt == "csv" and args.out is not None)
    if bar is not None:
        bar.close()
    return _write(args, fmt, result, checker.attribution(), checker.layers)


def _reasons(args: argparse.Namespace) -> str:
    """``--reasons`` (compact by default: the legal basis once, in the metadata)."""
    return getattr(args, "reasons", None) or "compact"


def _run_kota(args: argparse.Namespace, fmt: str, at, sites, cat) -> int:
    """A province-wide rule set: each site judged with the stack of the kota it lies in (issue 12.7)."""
    from geozones.services.checking import check_batch

    result = check_batch(cat, sites, at, reasons=_reasons(args), lang=args.lang)
    return _write(args, fmt, result, result.provenance["attribution"], cat.layers(cat.ruleset().area))


def _run_versioned(args: argparse.Namespace, fmt: str, at, sites, catalog, ruleset_id: str) -> int:
    """Each site judged with the stored version in force at its own time (installed_at, else --at, else now)."""
    from geozones.services.versioned import check_by_version

    result, checkers = check_by_version(catalog, ruleset_id, sites, at, reasons=_reasons(args), lang=args.lang)
    attribution: list[str] = []
    for checker in checkers.values():
        attribution += [line for line in checker.attribution() if line not in attribution]
    return _write(args, fmt, result, attribution, next(iter(checkers.values())).layers)


def _write(args: argparse.Namespace, fmt: str, result, attribution: list[str], layers) -> int:
    # compact and none: kecamatan/kota columns and rule texts once, in the metadata (issue 12)
    lean = _reasons(args) != "full"
    if args.out is None:
        sys.stdout.write(table_csv(result.table, attribution=attribution, lang=args.lang,
                                   lean=lean).decode("utf-8"))
    else:
        write_table(result.table, args.out, fmt, attribution=attribution, lang=args.lang,
                    provenance=result.provenance, legend=result.legend, lean=lean)
    counts = result.table["verdict"].value_counts().to_dict()  # counted in C, not per row in Python
    lang = "en" if args.lang == "en" else "id"
    for hint in sign_hints(result.table, layers):
        print(f"geozones: peringatan / warning: {escape_control(hint)}", file=sys.stderr)
    head = "Ringkasan" if lang == "id" else "Summary"
    parts = [f"{label(v, lang)}: {counts[v.value]}" for v in Verdict if counts.get(v.value)]
    print(f"geozones: {head} ({len(result.table)} {'titik' if lang == 'id' else 'sites'}): "
          + ", ".join(parts), file=sys.stderr)
    if result.not_checked:
        what = "tidak diperiksa (lapisan tidak ada)" if lang == "id" else "not checked (layer absent)"
        print(f"geozones: {what}: " + ", ".join(
            f"{c['rule_id']} ({c['layer']}{'; ' + c['kota'] if c.get('kota') else ''})" for c in result.not_checked),
              file=sys.stderr)
    if args.out is not None:
        print(f"geozones: {'ditulis' if lang == 'id' else 'written'}: {args.out}", file=sys.stderr)
        if fmt == "csv":
            what = "metadata CSVW (sumber, versi aturan, jenis kolom)" if lang == "id" else \
                "CSVW metadata (sources, rule-set version, column types)"
            print(f"geozones: {what}: {metadata_path(args.out)}", file=sys.stderr)
    return 0
