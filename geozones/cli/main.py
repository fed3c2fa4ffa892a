"""The ``geozones`` command line.

Exit codes: 0 success; 2 bad input or usage (one clear message per problem,
naming file, row or feature, and field; no traceback); 1 internal error.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

from geozones.core.errors import DataWarning, InputError, escape_control
from geozones.rules.model import DEFAULT_RULES

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT = 0, 1, 2


class UsageError(InputError):
    """Bad command-line usage (exit code 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse would exit 2 with its own format
        # main() prints "geozones: error: ..."; name the subcommand, never "geozones" twice
        sub = self.prog.removeprefix("geozones").strip()
        raise UsageError(f"{sub}: {message}" if sub else message)


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--rules", type=Path, default=None,
                   help=f"rule set YAML (default: {DEFAULT_RULES.relative_to(DEFAULT_RULES.parents[1])})")
    p.add_argument("--data-dir", type=Path, default=None,
                   help="directory with the layer files (default: $GEOZONES_DATA_DIR, else shapefiles/)")


def _add_reading(p: argparse.ArgumentParser) -> None:
    """How to read a sites file: named columns, date order, skipping non-points, DBF encoding."""
    p.add_argument("--lon", default=None, metavar="COLUMN", help="column holding the longitude")
    p.add_argument("--lat", default=None, metavar="COLUMN", help="column holding the latitude")
    p.add_argument("--id", default=None, metavar="COLUMN", help="column holding the site id")
    order = p.add_mutually_exclusive_group()
    order.add_argument("--dayfirst", dest="date_order", action="store_const", const="dayfirst",
                       help="dates a/b/YYYY are day/month (Indonesian order)")
    order.add_argument("--monthfirst", dest="date_order", action="store_const", const="monthfirst",
                       help="dates a/b/YYYY are month/day (US order)")
    p.add_argument("--skip-invalid", action="store_true",
                   help="leave out features that are not points (listed on stderr) and judge the rest")
    p.add_argument("--encoding", default=None, help="text encoding of a Shapefile's DBF (default: detected)")


def _add_scale(p: argparse.ArgumentParser) -> None:
    """Large batches: chunks, worker processes, a Dask cluster."""
    p.add_argument("--chunk-size", type=int, default=None, metavar="N",
                   help="judge and write N sites at a time (bounded memory; default: streamed from 100 MB of "
                        "input or with --jobs/--dask/GeoParquet, 100000 a chunk)")
    p.add_argument("--jobs", type=int, default=1, metavar="N", help="worker processes for the chunks (default 1)")
    p.add_argument("--dask", default=None, metavar="ADDRESS",
                   help="run on a Dask cluster: a scheduler address (tcp://host:8786) or local:N for N local "
                        "workers; input GeoParquet, e.g. partitioned by kab/kota code")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = _Parser(prog="geozones", description="Where may campaign props (APK) stand? "
                     "Verdicts with reasons that cite the legal basis.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    check = sub.add_parser("check", help="judge a file of sites")
    check.add_argument("sites", type=Path, help="CSV/XLSX with id, lon, lat (+ apk_type, paslon, "
                       "installed_at) or a vector file of points")
    _add_common(check)
    check.add_argument("--ruleset", default=None, help="a rule set in the store: ID or ID@VERSION (default: the "
                       "store's rule set in force at each site's time, else the default file)")
    check.add_argument("--database-url", default=None, help="SQLAlchemy URL of the store")
    check.add_argument("--at", default=None, help="judge at this time (ISO 8601; WIB if no offset); "
                       "a site's own installed_at wins")
    check.add_argument("--out", type=Path, default=None, help="output file (default: print CSV)")
    check.add_argument("--format", choices=("csv", "geojson", "gpkg", "xlsx", "parquet"), default=None,
                       help="output format (default: from --out's extension, else csv)")
    check.add_argument("--lang", choices=("id", "en", "both"), default="id",
                       help="language of the reasons and the summary (both: reasons in id and en)")
    check.add_argument("--reasons", choices=("compact", "full", "none"), default="compact",
                       help="compact: rule, feature, distance per site, legal basis once in the metadata; "
                       "full: every reason with its legal basis (both languages); none: rule ids only")
    check.add_argument("--layer", default=None, help="layer of a multi-layer sites file, or the one sheet of "
                       "a workbook (default: every sheet with coordinate columns)")
    check.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    _add_reading(check)
    _add_scale(check)
    check.set_defaults(func=_lazy("geozones.cli.check", "run"))

    rules = sub.add_parser("rules", help="validate, show or export the schema of rule sets")
    rsub = rules.add_subparsers(dest="rules_command", parser_class=_Parser, required=True)
    rv = rsub.add_parser("validate", help="validate rule set files")
    rv.add_argument("files", type=Path, nargs="*", help="rule set files (default: the default rule set)")
    rv.add_argument("--data-dir", type=Path, default=None,
                    help="layer files to compile the rules against (default: $GEOZONES_DATA_DIR, else shapefiles/)")
    rv.set_defaults(func=_lazy("geozones.cli.rules", "validate"))
    rs = rsub.add_parser("show", help="print the rules of a rule set")
    rs.add_argument("file", type=Path, nargs="?", default=None, help=argparse.SUPPRESS)  # old form: use --rules
    _add_common(rs)
    rs.add_argument("--lang", choices=("id", "en"), default="id")
    rs.set_defaults(func=_lazy("geozones.cli.rules", "show"))
    rj = rsub.add_parser("schema", help="print (or write) the JSON Schema of the rule-set format")
    rj.add_argument("--out", type=Path, default=None)
    rj.set_defaults(func=_lazy("geozones.cli.rules", "schema"))
    from geozones.cli import db as db_commands
    from geozones.cli import kpu, store_rules, users

    store_rules.register(rsub)
    kpu.register_rules(rsub)
    db_commands.register(sub, _Parser)
    users.register(sub, _Parser)
    from geozones.cli import casework

    casework.register(sub, _Parser)
    kpu.register(sub, _Parser)

    data = sub.add_parser("data", help="layers: what is there, fetch, import, coverage")
    dsub = data.add_subparsers(dest="data_command", parser_class=_Parser, required=True)
    info = dsub.add_parser("info", help="layers found, counts, CRS, source, licence, what is missing")
    _add_common(info)
    info.add_argument("--area", default=None, help="area manifest id or path (default: the rule set's)")
    info.set_defaults(func=_lazy("geozones.cli.data", "info"))
    from geozones.cli import data as data_commands

    data_commands.register(dsub, _add_common)
    return parser


def _lazy(module: str, func: str) -> Callable[[argparse.Namespace], int]:
    """Import the command's module only when it runs (keeps ``--help`` fast)."""
    def run(args: argparse.Namespace) -> int:
        return getattr(importlib.import_module(module), func)(args)
    run.__name__ = f"{module}.{func}"
    return run


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    prefix = "warning" if issubclass(category, DataWarning) else category.__name__
    print(f"geozones: {prefix}: {escape_control(str(message))}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    warnings.showwarning = _show_warning
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.version:
            from geozones import __version__
            print(f"geozones {__version__}")
            return EXIT_OK
        if not getattr(args, "func", None):
            parser.print_help(sys.stderr)
            return EXIT_INPUT
        return int(args.func(args) or EXIT_OK)
    except InputError as err:
        for line in str(err).split("\n"):
            print(f"geozones: error: {escape_control(line)}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("geozones: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader (e.g. `head`) went away; that is not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception:  # noqa: BLE001 - the last line of defence: report a bug, exit 1
        print("geozones: internal error (this is a bug; please report it with the lines below):",
              file=sys.stderr)
        traceback.print_exc()
        return EXIT_INTERNAL
