"""``geozones rules validate|show|schema``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from geozones.areas.manifest import load_manifest
from geozones.cli.common import catalog
from geozones.core.errors import InputError
from geozones.io.files import write_atomic
from geozones.rules.describe import describe_rules
from geozones.rules.model import RuleSet, json_schema_text, load_ruleset


def _load_checked(path: Path) -> RuleSet:
    rs = load_ruleset(path)
    if rs.area is None:  # a national base names no area: its layers are checked in each kota's stack
        return rs
    try:
        manifest = load_manifest(rs.area)
    except InputError as err:
        raise InputError(f"area '{rs.area}' has no manifest ({err})", source=str(path), field="area") from None
    return load_ruleset(path, known_layers=manifest.layer_names)


def validate(args: argparse.Namespace) -> int:
    """Validate every file as ``check`` and the app will use it; report all problems of all files before failing."""
    from geozones.services.validation import validate_ruleset

    files = args.files or [catalog(args).rules_path]
    problems = []
    for f in files:
        try:
            res = validate_ruleset(Path(f), getattr(args, "data_dir", None))
        except InputError as err:
            problems.extend(err.problems)
            continue
        rs = res.ruleset
        tried = (f"; compiled against its layers, {res.sample_sites} sample sites judged" if res.compiled
                 else "")
        print(f"ok: {f}: {rs.id} v{rs.version}, {len(rs.rules)} rules, {len(rs.quotas)} quotas, "
              f"{len(rs.grants)} grants{tried}")
        for note in res.notes:
            print(f"note: {f}: {note}")
    if problems:
        raise InputError(problems)
    return 0


def show(args: argparse.Namespace) -> int:
    """Print the rules, their legal basis and windows."""
    if args.file and getattr(args, "rules", None) and Path(args.file) != Path(args.rules):
        raise InputError(f"dua berkas aturan diberikan ('{args.file}' dan --rules '{args.rules}'); beri satu saja, "
                         "dengan --rules / two rule sets given; give one, with --rules")
    path = Path(args.file) if args.file else catalog(args).rules_path
    rs = _load_checked(path)
    lang = args.lang
    out = sys.stdout
    out.write(f"{rs.title.get(lang)}\n{rs.id} v{rs.version} ({rs.status}); {rs.issued_by}\n")
    sch = rs.schedule
    out.write(f"{'Kampanye' if lang == 'id' else 'Campaign'}: {sch.campaign.start:%Y-%m-%d %H:%M} - "
              f"{sch.campaign.end:%Y-%m-%d %H:%M} WIB; "
              f"{'masa tenang' if lang == 'id' else 'quiet period'}: {sch.quiet_period.start:%Y-%m-%d} - "
              f"{sch.quiet_period.end:%Y-%m-%d %H:%M}; {'pemungutan suara' if lang == 'id' else 'voting'}: "
              f"{sch.voting_day.start:%Y-%m-%d} ({sch.source})\n")
    out.write(f"Default: {rs.default_verdict.value}\n\n")
    for r in describe_rules(rs):
        start, end = r.window
        win = f" [{start or '…'} → {end or '…'})" if start or end else ""
        adv = " advisory" if r.advisory else ""
        out.write(f"{r.id:7} {r.verdict.value:19} {r.spatial:15} {r.place}{win}{adv}\n")
        out.write(f"        {r.title_in(lang)}\n")
        for cite in r.citations:
            out.write(f"        - {cite}\n")
    for q in rs.quotas:
        out.write(f"Q {q.apk_type.value:12} per {q.unit:10} {q.facilitated_max} + {q.extra_pct}% = {q.cap}\n")
    return 0


def schema(args: argparse.Namespace) -> int:
    """Print or write the JSON Schema of the rule-set format."""
    text = json_schema_text()
    if args.out:
        write_atomic(args.out, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
        print(f"written: {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
