"""``geozones check``: judge a file of sites and write the verdict table."""

from __future__ import annotations

import argparse
import sys
from collections import Counter

from geozones.cli.common import catalog, store_selection
from geozones.core.errors import InputError
from geozones.core.time import resolve_at
from geozones.core.verdicts import Verdict, label
from geozones.io.exports import table_csv, write_table
from geozones.io.sites import read_sites
from geozones.services.checking import open_checker

#: Inputs at least this large get a progress bar on stderr.
PROGRESS_MIN_SITES = 10_000


def _format(args: argparse.Namespace) -> str:
    if args.format:
        return args.format
    if args.out is None:
        return "csv"
    ext = args.out.suffix.lower()
    fmt = {".csv": "csv", ".geojson": "geojson", ".json": "geojson", ".gpkg": "gpkg", ".xlsx": "xlsx"}.get(ext)
    if fmt is None:
        raise InputError(f"cannot tell the output format from '{ext}'; use --format csv|geojson|gpkg|xlsx",
                         source=str(args.out))
    return fmt


def run(args: argparse.Namespace) -> int:
    """Judge the sites of ``args.sites``; write the table; summarise on stderr."""
    fmt = _format(args)
    if fmt != "csv" and args.out is None:
        raise InputError(f"--format {fmt} needs --out FILE")
    at = resolve_at(args.at) if args.at else None
    selection = store_selection(args)
    if selection is not None and selection[2] is None:
        return _run_versioned(args, fmt, at, *selection[:2])
    checker = open_checker(selection[0], selection[1], selection[2]) if selection else open_checker(catalog(args))
    sites = read_sites(args.sites, layer=args.layer)
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

    result = checker.check(sites, at, progress=progress)
    if bar is not None:
        bar.close()
    return _write(args, fmt, result, checker.attribution())


def _run_versioned(args: argparse.Namespace, fmt: str, at, catalog, ruleset_id: str) -> int:
    """Each site judged with the stored version in force at its own time (installed_at, else --at, else now)."""
    from geozones.services.versioned import check_by_version

    sites = read_sites(args.sites, layer=args.layer)
    result, checkers = check_by_version(catalog, ruleset_id, sites, at)
    attribution: list[str] = []
    for checker in checkers.values():
        attribution += [line for line in checker.attribution() if line not in attribution]
    return _write(args, fmt, result, attribution)


def _write(args: argparse.Namespace, fmt: str, result, attribution: list[str]) -> int:
    if args.out is None:
        sys.stdout.write(table_csv(result.table, attribution=attribution, lang=args.lang).decode("utf-8-sig"))
    else:
        write_table(result.table, args.out, fmt, attribution=attribution, lang=args.lang)
    counts = Counter(result.table["verdict"])
    lang = args.lang
    head = "Ringkasan" if lang == "id" else "Summary"
    parts = [f"{label(v, lang)}: {counts[v.value]}" for v in Verdict if counts.get(v.value)]
    print(f"geozones: {head} ({len(result.table)} {'titik' if lang == 'id' else 'sites'}): "
          + ", ".join(parts), file=sys.stderr)
    if result.not_checked:
        what = "tidak diperiksa (lapisan tidak ada)" if lang == "id" else "not checked (layer absent)"
        print(f"geozones: {what}: " + ", ".join(f"{c['rule_id']} ({c['layer']})" for c in result.not_checked),
              file=sys.stderr)
    if args.out is not None:
        print(f"geozones: {'ditulis' if lang == 'id' else 'written'}: {args.out}", file=sys.stderr)
    return 0
