"""``geozones data info|fetch|fetch-osm|import|coverage``: the layers, where they come from, what is missing.

:func:`register` adds the subcommands to the ``data`` subparsers; each
handler returns an exit code and raises :class:`~geozones.core.errors.InputError` for
bad input (printed without a traceback, exit 2).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from geozones.areas.manifest import load_manifest
from geozones.cli.common import catalog
from geozones.core.errors import InputError
from geozones.io.layers import load_layers
from geozones.rules.model import load_ruleset


def _err(*lines: str) -> None:
    for line in lines:
        print(line, file=sys.stderr)


def _network_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--timeout", type=float, default=60.0, help="seconds per request (default 60)")
    p.add_argument("--retries", type=int, default=3, help="extra attempts after a network error (default 3)")


def register(subparsers, add_common: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add ``fetch``, ``fetch-osm``, ``import`` and ``coverage`` to ``geozones data``.

    Parameters
    ----------
    subparsers : argparse subparsers action
        The subparsers of ``geozones data``.
    add_common : callable
        Adds ``--rules`` and ``--data-dir`` to a parser.
    """
    f = subparsers.add_parser("fetch", help="download official kelurahan/kecamatan/kota boundaries "
                              "(BPS + Kemendagri codes) for a kota or province")
    add_common(f)
    f.add_argument("--kota", default=None, help="kota/kabupaten: BPS code (3173), Kemendagri code "
                   "(31.71) or name ('Jakarta Pusat')")
    f.add_argument("--province", default=None, help="also (or only) write province-wide layers: code or name")
    f.add_argument("--mirror", default=None, help="folder or base URL holding copies of the upstream files")
    f.add_argument("--cache-dir", type=Path, default=None,
                   help="where verified downloads are kept (default $GEOZONES_CACHE_DIR or ~/.cache/geozones)")
    f.add_argument("--replace", action="store_true", help="replace existing files (kept in .previous/)")
    f.add_argument("--allow-unpinned", action="store_true",
                   help="accept an upstream file without a pinned sha256 (its hash is recorded)")
    _network_args(f)
    f.set_defaults(func=run_fetch)

    o = subparsers.add_parser("fetch-osm", help="download restricted places (worship, schools, health, "
                              "government, parks, roads, stations) from OpenStreetMap")
    add_common(o)
    o.add_argument("--kota", default=None, help="kota whose boundary (from 'geozones data fetch') bounds "
                   "the query: code or name (default: the area manifest's kota)")
    o.add_argument("--area", default=None, help="area manifest id or path (default: found from --kota)")
    o.add_argument("--overpass-url", default=None, help="Overpass API base URL (default: osmnx's)")
    o.add_argument("--layers", default=None,
                   help="comma-separated subset of: " + "worship,health,education,government,parks,"
                   "public_facilities,roads,streets")
    o.add_argument("--replace", action="store_true", help="replace existing files (kept in .previous/)")
    _network_args(o)
    o.set_defaults(func=run_fetch_osm)

    i = subparsers.add_parser("import", help="load your own official file into a layer, "
                              "checked feature by feature")
    add_common(i)
    i.add_argument("file", type=Path, help="zipped Shapefile, .shp, GeoPackage, GeoJSON, KML/KMZ, "
                   "FlatGeobuf or CSV with lon/lat")
    i.add_argument("--layer", required=True, help="manifest layer to fill (kelurahan, worship, kpu_points, ...)")
    i.add_argument("--area", default=None, help="area manifest id or path (default: jakarta-pusat)")
    i.add_argument("--source-layer", default=None, help="layer inside a GeoPackage/KML/zip to read")
    i.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN",
                   help="take layer field FIELD from the file's COLUMN (repeatable)")
    i.add_argument("--assume-crs", default=None, help="CRS for a file that declares none (e.g. EPSG:4326)")
    i.add_argument("--replace", action="store_true", help="replace the current layer file (kept in .previous/)")
    i.add_argument("--licence", default=None, help="licence of the imported data (recorded)")
    i.add_argument("--source", default=None, help="where the file comes from, e.g. the decree number")
    i.add_argument("--encoding", default=None,
                   help="text encoding of a Shapefile's DBF (default: .cpg, else UTF-8 if it decodes, else the "
                   "DBF language byte, else cp1252 with a warning)")
    i.set_defaults(func=run_import)

    c = subparsers.add_parser("coverage", help="per kelurahan: counts per category, data age, "
                              "sources, likely gaps")
    add_common(c)
    c.add_argument("--area", default=None, help="area manifest id or path (default: jakarta-pusat)")
    c.add_argument("--out", type=Path, default=None, help="write the table (.csv or .json)")
    c.add_argument("--gaps-only", action="store_true", help="print only kelurahan with likely gaps")
    c.set_defaults(func=run_coverage)


def _data_dir(args) -> Path:
    from geozones.io.layers import resolve_data_dir

    return resolve_data_dir(args.data_dir)


def run_fetch(args) -> int:
    """Handler of ``geozones data fetch``."""
    from geozones.sources.fetch import fetch_boundaries

    if args.retries < 0 or args.timeout <= 0:
        raise InputError("--retries must be >= 0 and --timeout > 0", field="--retries/--timeout")
    data_dir = _data_dir(args)
    res = fetch_boundaries(data_dir=data_dir, kota=args.kota, province=args.province, mirror=args.mirror,
                           cache_dir=args.cache_dir, replace=args.replace,
                           allow_unpinned=args.allow_unpinned, timeout=args.timeout, retries=args.retries)
    for name, status in res.files.items():
        print(f"{status:9s} {data_dir / name} ({res.counts[name]} features)")
    if res.manifest is not None:
        print(("generated" if res.manifest_generated else "uses") + f" area manifest {res.manifest}")
    print(f"provenance recorded in {data_dir / 'provenance.json'}")
    if res.report_lines:
        print("name join report (BPS -> Kemendagri, matched within each kecamatan):")
        for line in res.report_lines:
            print("  " + line)
    unmatched = res.boundaries.report.unmatched if res.boundaries else []
    if unmatched:
        _err(f"geozones: warning: {len(unmatched)} unit(s) found no partner in the other code table; "
             "their Kemendagri codes are empty (listed above)")
    return 0


def run_fetch_osm(args) -> int:
    """Handler of ``geozones data fetch-osm``."""
    from geozones.sources.osm import fetch_osm

    data_dir = _data_dir(args)
    layers = [s.strip() for s in args.layers.split(",")] if args.layers else None
    res = fetch_osm(data_dir=data_dir, kota=args.kota, area=args.area, overpass_url=args.overpass_url,
                    only=layers, replace=args.replace, timeout=args.timeout)
    for name, (status, n) in res.items():
        print(f"{status:9s} {data_dir / name} ({n} features)")
    print("© OpenStreetMap contributors, ODbL 1.0 (https://www.openstreetmap.org/copyright); "
          "a database you publish from these layers must also be ODbL")
    return 0


def run_import(args) -> int:
    """Handler of ``geozones data import``."""
    from geozones.sources.importer import import_file, parse_mappings

    data_dir = _data_dir(args)
    res = import_file(args.file, layer=args.layer, data_dir=data_dir, area=args.area,
                      source_layer=args.source_layer, mapping=parse_mappings(args.map),
                      assume_crs=args.assume_crs, replace=args.replace, licence=args.licence,
                      source=args.source, encoding=getattr(args, "encoding", None))
    print(f"{res.status} {res.path}: {res.loaded} feature(s) loaded, {len(res.skipped)} skipped, "
          f"{len(res.repaired)} repaired")
    for line in res.report_lines():
        print("  " + line)
    if res.previous:
        print(f"previous version kept at {res.previous}")
    return 0


def run_coverage(args) -> int:
    """Handler of ``geozones data coverage``."""
    from geozones.sources.coverage import coverage, write_coverage

    data_dir = _data_dir(args)
    cov = coverage(data_dir=data_dir, area=args.area)
    print(format_coverage(cov, gaps_only=args.gaps_only))
    if args.out:
        write_coverage(cov, args.out)
        print(f"written {args.out}")
    return 0


def format_coverage(cov, *, gaps_only: bool = False) -> str:
    """Plain-text coverage report: the layers, then one line per kelurahan.

    Gap records (:class:`geozones.sources.coverage.Gap`) render in Bahasa Indonesia / English.
    """
    lines = ["Layers:"]
    for r in cov.layers.itertuples():
        age = f"{r.age_days:.0f} days old ({r.data_date})" if r.age_days == r.age_days and r.age_days is not None \
            else "age unknown"
        state = f"{r.features} features, {age}" if r.present else "ABSENT"
        lines.append(f"  {r.layer:18s} {state}; {r.licence}; {r.source}")
    lines += [f"  ! {g.bilingual()}" for g in cov.absent]
    count_cols = [c for c in cov.kelurahan.columns if c.startswith("n_")]
    lines.append("Kelurahan (" + ", ".join(c[2:] for c in count_cols) + "):")
    rows = cov.gaps if gaps_only else cov.kelurahan
    for r in rows.itertuples(index=False):
        d = r._asdict()
        counts = " ".join(f"{c[2:]}={d[c]}" for c in count_cols)
        flag = ("  CELAH / GAPS: " + "; ".join(g.bilingual() for g in d["gaps"])) if d["gaps"] else ""
        lines.append(f"  {d.get('kode_kemendagri', '')} {d.get('kelurahan', '')} ({d.get('kecamatan', '')}): "
                     f"{counts}{flag}")
    n, total = len(cov.gaps), len(cov.kelurahan)
    lines.append(f"{n} dari {total} kelurahan punya kemungkinan celah data / "
                 f"{n} of {total} kelurahan have likely or possible gaps")
    return "\n".join(lines)


def info(args: argparse.Namespace) -> int:
    """Print every layer of the area: found or missing, count, CRS, source, licence, date."""
    area = args.area or load_ruleset(catalog(args).rules_path).area
    manifest = load_manifest(area)
    layers = load_layers(manifest, args.data_dir)
    out = sys.stdout
    out.write(f"area: {manifest.id} ({manifest.title.get('id', '')})\n")
    out.write(f"data dir: {layers.data_dir}\n")
    out.write(f"stored CRS: EPSG:4326; distances in: {layers.metric_crs.to_string()} "
              f"({layers.metric_crs.name})\n\n")
    for lyr in layers.layers.values():
        s = lyr.spec
        if lyr.present:
            geom = ",".join(sorted(set(lyr.gdf.geom_type.dropna()))) or "-"
            out.write(f"  ok       {s.name:18} {len(lyr):6d} {geom:24} {s.file}\n")
        else:
            out.write(f"  MISSING  {s.name:18} {'':6} {'':24} {s.file}: {lyr.problem}\n")
        out.write(f"           role {s.role}; source: {s.source}; licence: {s.licence}"
                  f"{'; date ' + s.date.isoformat() if s.date else ''}\n")
        for w in lyr.warnings[:5]:
            out.write(f"           warning: {w}\n")
        if len(lyr.warnings) > 5:
            out.write(f"           ... {len(lyr.warnings) - 5} more warnings\n")
    missing = [lyr.name for lyr in layers.absent]
    out.write("\n" + ("missing: " + ", ".join(missing) if missing else "all layers present") + "\n")
    out.write("attribution: " + " | ".join(layers.attributions()) + "\n")
    return 0
