"""``geozones data info``: which layers are there, and which are missing."""

from __future__ import annotations

import argparse
import sys

from geozones.commands.common import rules_path
from geozones.layers import load_layers, load_manifest
from geozones.ruleset import load_ruleset


def info(args: argparse.Namespace) -> int:
    """Print every layer of the area: found or missing, count, CRS, source, licence, date."""
    area = args.area or load_ruleset(rules_path(args)).area
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
