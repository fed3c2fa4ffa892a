"""``geozones draft|grants|audit`` and ``rules diff``: the KPU workspace from the command line (issue 10 §8).

The names and options are a contract for scripts. A draft is named ``ID@VERSION``
(what ``draft new`` prints on its last line) or by its row number. Every command
acts as ``--user`` / ``$GEOZONES_USER`` and calls the same services as the app.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from geozones.cli.store_common import acting_principal, add_store_options, cli_store
from geozones.core.errors import InputError

__all__ = ["register", "register_rules"]


def _opt(p: argparse.ArgumentParser, reason: bool = True) -> None:
    if reason:
        p.add_argument("--reason", required=True, help="why (recorded in the audit trail)")
    p.add_argument("--expect-row-version", type=int, default=None,
                   help="refuse if the draft changed since this row version was read (optimistic concurrency)")
    add_store_options(p)


def register(sub: argparse._SubParsersAction, parser_class: type) -> None:
    """Add the ``draft``, ``grants`` and ``audit`` trees."""
    d = sub.add_parser("draft", help="KPU drafts: new, add zones, edit rules, submit, return, publish, withdraw")
    ds = d.add_subparsers(dest="draft_command", parser_class=parser_class, required=True)
    p = ds.add_parser("new", help="start a draft from the version in force; prints ID@VERSION last")
    p.add_argument("ruleset")
    p.add_argument("--reason", default=None)
    add_store_options(p)
    p.set_defaults(func=new)
    p = ds.add_parser("add-zone", help="every feature of FILE becomes a zone of --rule")
    p.add_argument("draft")
    p.add_argument("file", type=Path)
    p.add_argument("--rule", required=True)
    p.add_argument("--name", default=None, help="zone name (default: the feature's name/nama column)")
    p.add_argument("--category", default=None)
    p.add_argument("--legal-basis", default=None)
    p.add_argument("--buffer", default=None, help='a distance with its unit, e.g. "10 m"')
    p.add_argument("--advisory", action="store_true")
    p.add_argument("--layer", default=None, help="layer of a multi-layer file")
    p.add_argument("--data-dir", type=Path, default=None,
                   help="layer files (kelurahan for the jurisdiction; default: $GEOZONES_DATA_DIR, else shapefiles/)")
    _opt(p)
    p.set_defaults(func=add_zone)
    p = ds.add_parser("remove-zone", help="remove a zone from a draft")
    p.add_argument("draft")
    p.add_argument("zone")
    _opt(p)
    p.set_defaults(func=remove_zone)
    p = ds.add_parser("set-zone", help="give a stored zone of a draft a new outline: FILE holds exactly one feature")
    p.add_argument("draft")
    p.add_argument("zone", help="the zone id (kpu-1, taman-suropati ...)")
    p.add_argument("file", type=Path)
    p.add_argument("--layer", default=None, help="layer of a multi-layer file")
    p.add_argument("--data-dir", type=Path, default=None,
                   help="layer files (kelurahan for the jurisdiction; default: $GEOZONES_DATA_DIR, else shapefiles/)")
    _opt(p)
    p.set_defaults(func=set_zone)
    p = ds.add_parser("set-quotas", help="replace the draft level's own quotas from a YAML or CSV file")
    p.add_argument("draft")
    p.add_argument("file", type=Path, help="CSV with columns " + ",".join(_QUOTA_COLUMNS) + ", or YAML: a list of "
                   "quotas (or a mapping with 'quotas:') as in the rule-set file; an empty list removes them")
    _opt(p)
    p.set_defaults(func=set_quotas)
    p = ds.add_parser("set-schedule", help="set the draft level's own election schedule from a YAML file")
    p.add_argument("draft")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("file", type=Path, nargs="?", default=None,
                       help="YAML with campaign, quiet_period, voting_day ({start, end}, ISO 8601, WIB if no offset; "
                       "end exclusive) and source (or a mapping with 'schedule:')")
    which.add_argument("--inherit", action="store_true", help="drop the level's own schedule: its parent's applies")
    _opt(p)
    p.set_defaults(func=set_schedule)
    p = ds.add_parser("set-rule", help="set fields of a rule (YAML values): --set verdict=FORBIDDEN ...")
    p.add_argument("draft")
    p.add_argument("rule")
    p.add_argument("--set", dest="assign", action="append", default=[], metavar="FIELD=YAML",
                   help="field and its value in YAML (repeatable); FIELD= with nothing removes the field")
    _opt(p)
    p.set_defaults(func=set_rule)
    p = ds.add_parser("show", help="print a draft's YAML")
    p.add_argument("draft")
    add_store_options(p)
    p.set_defaults(func=show)
    for name, helptext, fn in (("submit", "send a draft for review", submit),
                               ("return", "send a version in review back to draft (publisher)", return_),
                               ("withdraw", "abandon a draft", withdraw)):
        p = ds.add_parser(name, help=helptext)
        p.add_argument("draft")
        _opt(p)
        p.set_defaults(func=fn)
    p = ds.add_parser("publish", help="publish under a decree (another account than the last editor)")
    p.add_argument("draft")
    p.add_argument("--decree", required=True, help="decree number (nomor SK)")
    p.add_argument("--signed", required=True, help="signing date YYYY-MM-DD")
    p.add_argument("--effective-from", required=True, help="in force from (ISO 8601, WIB if no offset)")
    p.add_argument("--effective-to", default=None, help="in force until (exclusive)")
    p.add_argument("--decree-pdf", type=Path, default=None)
    _opt(p)
    p.set_defaults(func=publish)

    g = sub.add_parser("grants", help="the discretion (diskresi) register")
    gs = g.add_subparsers(dest="grants_command", parser_class=parser_class, required=True)
    p = gs.add_parser("request", help="request a grant; prints its id")
    place = p.add_mutually_exclusive_group(required=True)
    place.add_argument("--place", type=Path, default=None, help="a vector file with the place (one feature)")
    place.add_argument("--lon", type=float, default=None)
    p.add_argument("--lat", type=float, default=None)
    p.add_argument("--radius", default=None, help='with --lon/--lat, e.g. "15 m"')
    p.add_argument("--lifts", required=True, help="rule ids, comma-separated (R05-K,R15)")
    p.add_argument("--from", dest="start", required=True)
    p.add_argument("--to", dest="end", required=True)
    p.add_argument("--addressee", required=True, help="e.g. Satpol PP, Bina Marga")
    p.add_argument("--letter-pdf", type=Path, default=None)
    p.add_argument("--ruleset", default=None, help="rule set id (default: the store's only one)")
    p.add_argument("--id", dest="grant_id", default=None, help="grant id (default: D-<n>)")
    p.add_argument("--reason", required=True)
    add_store_options(p)
    p.set_defaults(func=grant_request)
    p = gs.add_parser("decide", help="grant (with its letter) or refuse (publisher)")
    p.add_argument("grant")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--grant", dest="decision", action="store_const", const="granted")
    which.add_argument("--refuse", dest="decision", action="store_const", const="refused")
    p.add_argument("--letter", default=None, help="letter number (required with --grant)")
    p.add_argument("--conditions", default=None, help="conditions (Bahasa Indonesia; English after ' / ')")
    p.add_argument("--reason", required=True)
    add_store_options(p)
    p.set_defaults(func=grant_decide)
    p = gs.add_parser("revoke", help="revoke a granted grant (publisher)")
    p.add_argument("grant")
    p.add_argument("--reason", required=True)
    add_store_options(p)
    p.set_defaults(func=grant_revoke)
    p = gs.add_parser("list", help="grants in the register")
    p.add_argument("--ruleset", default=None)
    add_store_options(p)
    p.set_defaults(func=grant_list)

    a = sub.add_parser("audit", help="the audit trail")
    asub = a.add_subparsers(dest="audit_command", parser_class=parser_class, required=True)
    p = asub.add_parser("list", help="who changed what, when and why")
    p.add_argument("--format", choices=("table", "csv"), default="table")
    p.add_argument("--account", default=None)
    p.add_argument("--entity-type", default=None)
    p.add_argument("--entity", default=None, help="version ID@V, zone id or grant id (substring)")
    p.add_argument("--since", default=None)
    p.add_argument("--until", default=None)
    p.add_argument("--out", type=Path, default=None)
    add_store_options(p)
    p.set_defaults(func=audit_list)


def register_rules(rsub: argparse._SubParsersAction) -> None:
    """``rules diff ID@V1 ID@V2``."""
    p = rsub.add_parser("diff", help="differences between two stored versions (rules, quotas, grants, zones)")
    p.add_argument("old", help="ID@VERSION")
    p.add_argument("new", help="ID@VERSION (or VERSION of the same rule set)")
    p.add_argument("--format", choices=("table", "csv"), default="table")
    add_store_options(p)
    p.set_defaults(func=diff)


def _draft_id(store, ref: str) -> int:
    from sqlalchemy import select

    from geozones.store.models import RuleSetVersion

    if ref.isdigit():
        return int(ref)
    rid, _, version = ref.partition("@")
    with store.read() as s:
        vid = s.execute(select(RuleSetVersion.id).where(RuleSetVersion.ruleset_id == rid,
                                                        RuleSetVersion.version == version)).scalar()
    if vid is None:
        raise InputError(f"draf '{ref}' tidak ada / no draft '{ref}' (ID@VERSION)", field="DRAFT")
    return vid


def _instant(text: str | None, what: str):
    if text is None:
        return None
    from geozones.core.time import parse_time

    try:
        return parse_time(text).to_pydatetime()
    except ValueError as exc:
        raise InputError(str(exc), field=what) from None


def _status(v) -> str:
    return f"{v.ruleset_id}@{v.version} ({v.status}, row {v.row_version})"


def new(args: argparse.Namespace) -> int:
    """Start a draft."""
    from geozones.services import drafts

    with cli_store(args) as store:
        v = drafts.new_draft(store, acting_principal(store, args), args.ruleset, reason=args.reason)
    print(f"geozones: draf dibuat / draft created: {_status(v)}")
    print(f"{v.ruleset_id}@{v.version}")
    return 0


def _text(value) -> str | None:
    if value is None:
        return None
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    text = str(value).strip()
    return text or None


def add_zone(args: argparse.Namespace) -> int:
    """Every feature of a file becomes a zone of a rule."""
    import shapely.geometry

    from geozones.io.vector import read_vector
    from geozones.services import drafts

    path: Path = args.file
    if not path.is_file():
        raise InputError("berkas tidak ada / file not found", source=str(path))
    notes: list[str] = []
    gdf = read_vector(path, layer=args.layer, on_warning=notes.append)
    if gdf.empty:
        raise InputError("berkas tidak berisi fitur / the file holds no feature", source=str(path))
    cols = {c.lower(): c for c in gdf.columns}
    name_col = next((cols[c] for c in ("name", "nama", "zone_name") if c in cols), None)
    zones = []
    for i, row in enumerate(gdf.itertuples(index=False), 1):
        name = args.name if args.name and len(gdf) == 1 else None
        if name is None and args.name:
            name = f"{args.name} {i}"
        name = name or (_text(getattr(row, name_col)) if name_col else None) or f"{path.stem} {i}"
        zones.append(drafts.ZoneInput(geometry=shapely.geometry.mapping(row.geometry), name=name,
                                      category=args.category, legal_basis=args.legal_basis, buffer=args.buffer,
                                      advisory=args.advisory))
    with cli_store(args) as store:
        actor = acting_principal(store, args)
        v, ids, warns = drafts.add_zones(store, actor, _draft_id(store, args.draft), zones, args.rule,
                                         source=f"{path.name} (diimpor oleh / imported by {actor.name})",
                                         reason=args.reason, expected_row_version=args.expect_row_version,
                                         data_dir=args.data_dir)
    for w in notes + warns:
        print(f"geozones: warning: {w}", file=sys.stderr)
    print(f"geozones: {len(ids)} zona ditambahkan ke / zone(s) added to {_status(v)} for {args.rule}: "
          + ", ".join(ids))
    return 0


def remove_zone(args: argparse.Namespace) -> int:
    """Remove a zone."""
    from geozones.services import drafts

    with cli_store(args) as store:
        v = drafts.remove_zone(store, acting_principal(store, args), _draft_id(store, args.draft), args.zone,
                               reason=args.reason, expected_row_version=args.expect_row_version)
    print(f"geozones: zona dihapus / zone removed: {args.zone} from {_status(v)}")
    return 0


def set_zone(args: argparse.Namespace) -> int:
    """Give a stored zone a new outline, read from a file of exactly one feature."""
    import shapely.geometry

    from geozones.io.vector import read_vector
    from geozones.services import drafts

    path: Path = args.file
    if not path.is_file():
        raise InputError("berkas tidak ada / file not found", source=str(path))
    notes: list[str] = []
    gdf = read_vector(path, layer=args.layer, on_warning=notes.append)
    if len(gdf) != 1:
        raise InputError(f"berkas harus berisi tepat satu fitur, bukan {len(gdf)} / the file must hold exactly one "
                         f"feature, not {len(gdf)} (the new outline of zone '{args.zone}')", source=str(path))
    with cli_store(args) as store:
        v, r, warns = drafts.reshape_zone(store, acting_principal(store, args), _draft_id(store, args.draft),
                                          args.zone, shapely.geometry.mapping(gdf.geometry.iloc[0]),
                                          reason=args.reason, expected_row_version=args.expect_row_version,
                                          data_dir=args.data_dir, source=path.name)
    for w in notes + warns:
        print(f"geozones: warning: {w}", file=sys.stderr)
    print(f"geozones: bentuk zona diubah / zone reshaped: {r.zone_id} ({r.rule_id}) in {_status(v)}; "
          f"luas berubah / area changed {r.changed_m2:,.0f} m² ({r.metric_crs})")
    return 0


#: Columns of a quota CSV (the fields of a quota in the rule-set YAML; legal_basis as citations).
_QUOTA_COLUMNS = ("apk_type", "unit", "facilitated_max", "extra_pct", "legal_basis")


def _read_yaml(path: Path):
    import yaml

    if not path.is_file():
        raise InputError("berkas tidak ada / file not found", source=str(path))
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InputError(f"bukan YAML yang sah / not valid YAML: {exc}", source=str(path)) from None


def _read_quotas(path: Path) -> list[dict]:
    """Quota rows from a CSV (one quota a row) or a YAML file (a list, or a mapping with ``quotas:``)."""
    if path.suffix.lower() == ".csv":
        import csv

        if not path.is_file():
            raise InputError("berkas tidak ada / file not found", source=str(path))
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in ("apk_type", "unit", "facilitated_max") if c not in (reader.fieldnames or [])]
            if missing:
                raise InputError(f"kolom tidak ada / missing columns: {', '.join(missing)} (expected "
                                 f"{', '.join(_QUOTA_COLUMNS)})", source=str(path))
            extra = [c for c in reader.fieldnames or [] if c not in _QUOTA_COLUMNS]
            if extra:
                raise InputError(f"kolom tidak dikenal / unknown columns: {', '.join(extra)}", source=str(path))
            return [{k: (v.strip() if isinstance(v, str) else v) for k, v in row.items()} for row in reader]
    data = _read_yaml(path)
    if isinstance(data, dict) and "quotas" in data:
        data = data["quotas"]
    if data is None:
        data = []
    if not isinstance(data, list) or not all(isinstance(q, dict) for q in data):
        raise InputError("harus berupa daftar kuota (atau 'quotas:') / must be a list of quotas (or 'quotas:')",
                         source=str(path))
    unknown = sorted({k for q in data for k in q if k not in _QUOTA_COLUMNS})
    if unknown:
        raise InputError(f"kolom tidak dikenal / unknown fields: {', '.join(unknown)}", source=str(path))
    return data


def set_quotas(args: argparse.Namespace) -> int:
    """Replace the draft level's own quotas from a file."""
    from geozones.core.errors import Problem
    from geozones.rules.editing import quota_errors
    from geozones.services import drafts

    rows = _read_quotas(args.file)
    # checked here first so that every problem names the file as well as the row and field
    errors = quota_errors(rows)
    if errors:
        raise InputError([Problem(msg, str(args.file), key[0] + 1, key[1] or None) for key, msg in errors.items()])
    with cli_store(args) as store:
        v = drafts.set_quotas(store, acting_principal(store, args), _draft_id(store, args.draft), rows,
                              reason=args.reason, expected_row_version=args.expect_row_version)
    print(f"geozones: kuota diganti / quotas replaced: {len(rows)} in {_status(v)}")
    return 0


def set_schedule(args: argparse.Namespace) -> int:
    """Set (or, with --inherit, drop) the draft level's own schedule."""
    import datetime as dt

    from geozones.core.errors import Problem
    from geozones.rules.editing import schedule_errors
    from geozones.services import drafts

    schedule = None
    if not args.inherit:
        data = _read_yaml(args.file)
        if isinstance(data, dict) and isinstance(data.get("schedule"), dict):
            data = data["schedule"]
        if not isinstance(data, dict):
            raise InputError("harus berupa jadwal (campaign, quiet_period, voting_day, source) / must be a schedule "
                             "mapping (campaign, quiet_period, voting_day, source)", source=str(args.file))

        def text(value):
            # YAML reads unquoted timestamps as datetimes; the model reads ISO 8601 text the same way
            if isinstance(value, dict):
                return {k: text(v) for k, v in value.items()}
            return value.isoformat() if isinstance(value, dt.datetime | dt.date) else value

        schedule = text(data)
        errors = schedule_errors(schedule)
        if errors:
            raise InputError([Problem(msg, str(args.file), None, key or None) for key, msg in errors.items()])
    with cli_store(args) as store:
        v = drafts.set_schedule(store, acting_principal(store, args), _draft_id(store, args.draft), schedule,
                                reason=args.reason, expected_row_version=args.expect_row_version)
    what = "jadwal induk berlaku / the parent's schedule applies" if schedule is None else \
        "jadwal sendiri / own schedule"
    print(f"geozones: jadwal diubah / schedule changed: {what} in {_status(v)}")
    return 0


def set_rule(args: argparse.Namespace) -> int:
    """Set fields of a rule."""
    import yaml

    from geozones.services import drafts

    if not args.assign:
        raise InputError("beri setidaknya satu --set FIELD=NILAI / give at least one --set FIELD=VALUE", field="--set")
    values = {}
    for item in args.assign:
        key, eq, raw = item.partition("=")
        if not eq or not key.strip():
            raise InputError(f"'{item}' bukan FIELD=NILAI / is not FIELD=VALUE", field="--set")
        try:
            values[key.strip()] = yaml.safe_load(raw) if raw.strip() else None
        except yaml.YAMLError as exc:
            raise InputError(f"nilai YAML tidak sah / not a YAML value: {exc}", field=key.strip()) from None
    with cli_store(args) as store:
        v = drafts.set_rule(store, acting_principal(store, args), _draft_id(store, args.draft), args.rule, values,
                            reason=args.reason, expected_row_version=args.expect_row_version)
    print(f"geozones: aturan diubah / rule changed: {args.rule} in {_status(v)}")
    return 0


def show(args: argparse.Namespace) -> int:
    """Print a draft's YAML."""
    from geozones.services import drafts

    with cli_store(args) as store:
        text = drafts.draft_yaml(store, acting_principal(store, args), _draft_id(store, args.draft))
    sys.stdout.write(text)
    return 0


def _current_row(store, vid: int, expected: int | None) -> int:
    if expected is not None:
        return expected
    from geozones.store.models import RuleSetVersion

    with store.read() as s:
        v = s.get(RuleSetVersion, vid)
        if v is None:
            raise InputError(f"draf #{vid} tidak ada / no draft #{vid}", field="DRAFT")
        return v.row_version


def submit(args: argparse.Namespace) -> int:
    """Send for review."""
    from geozones.services import rulesets

    with cli_store(args) as store:
        actor = acting_principal(store, args)
        vid = _draft_id(store, args.draft)
        v = rulesets.submit(store, actor, vid, _current_row(store, vid, args.expect_row_version), reason=args.reason)
    print(f"geozones: diajukan / submitted: {_status(v)}")
    return 0


def return_(args: argparse.Namespace) -> int:
    """Back to draft."""
    from geozones.services import drafts

    with cli_store(args) as store:
        v = drafts.return_draft(store, acting_principal(store, args), _draft_id(store, args.draft),
                                reason=args.reason, expected_row_version=args.expect_row_version)
    print(f"geozones: dikembalikan / returned: {_status(v)}")
    return 0


def withdraw(args: argparse.Namespace) -> int:
    """Abandon a draft."""
    from geozones.services import drafts

    with cli_store(args) as store:
        v = drafts.withdraw_draft(store, acting_principal(store, args), _draft_id(store, args.draft),
                                  reason=args.reason, expected_row_version=args.expect_row_version)
    print(f"geozones: ditarik / withdrawn: {_status(v)}")
    return 0


def publish(args: argparse.Namespace) -> int:
    """Publish under a decree."""
    from geozones.core.time import format_wib
    from geozones.services import media, rulesets
    from geozones.services.authz import Action

    signed = _instant(args.signed, "--signed")
    start, end = _instant(args.effective_from, "--effective-from"), _instant(args.effective_to, "--effective-to")
    data = None
    if args.decree_pdf is not None:
        if not args.decree_pdf.is_file():
            raise InputError("berkas PDF keputusan tidak ada / decree PDF not found", source=str(args.decree_pdf))
        data = args.decree_pdf.read_bytes()
        if not data.startswith(b"%PDF"):
            raise InputError("bukan berkas PDF / not a PDF file", source=str(args.decree_pdf))
    with cli_store(args) as store:
        actor = acting_principal(store, args)
        vid = _draft_id(store, args.draft)
        row = _current_row(store, vid, args.expect_row_version)
        sha = None
        if data is not None:
            import hashlib

            sha = hashlib.sha256(data).hexdigest()
        v = rulesets.publish(store, actor, vid, row, decree_no=args.decree, signed_on=signed.date(),
                             effective_from=start, effective_to=end, decree_pdf_sha256=sha, reason=args.reason)
        if data is not None:
            media.store_media(store, actor, data, mime="application/pdf", filename=args.decree_pdf.name,
                              action=Action.PUBLISH)
    # The decree number is printed as given: it already reads "SK 200/2024" (a prefix here doubled it).
    print(f"geozones: diterbitkan / published: {_status(v)}, keputusan / decree: {v.decree_no}, "
          f"berlaku sejak / in force from {format_wib(v.effective_from)}")
    return 0


def diff(args: argparse.Namespace) -> int:
    """Differences between two versions."""
    from geozones.rules.diff import diff_frame
    from geozones.services import drafts

    rid, _, v1 = args.old.partition("@")
    rid2, at2, v2 = args.new.partition("@")
    if not at2:
        rid2, v2 = rid, args.new
    if not v1 or not v2 or rid2 != rid:
        raise InputError("tulis ID@V1 ID@V2 dari rule set yang sama / write ID@V1 ID@V2 of the same rule set",
                         field="diff")
    with cli_store(args) as store:
        changes = drafts.diff_versions(store, acting_principal(store, args, optional=True), rid, v1, v2)
    frame = diff_frame(changes)
    if args.format == "csv":
        sys.stdout.write(frame.to_csv(index=False))
        return 0
    if frame.empty:
        print(f"geozones: tidak ada perbedaan / no differences between {args.old} and {args.new}")
        return 0
    print("kind\tkey\tname\tchange\tfield\tarea_m2\told\tnew")
    for r in frame.itertuples(index=False):
        area = "" if r.area_m2 != r.area_m2 else f"{r.area_m2:.1f}"
        print(f"{r.kind}\t{r.key}\t{r.name}\t{r.change_label}\t{r.field}\t{area}\t{r.old[:60]}\t{r.new[:60]}")
    return 0


def _ruleset_id(store, ref: str | None) -> str:
    if ref:
        return ref
    from geozones.services.store_catalog import StoreCatalog

    ids = StoreCatalog(store).ruleset_ids()
    if len(ids) > 1:
        # a stack (national, province, kota): the kota level of the default area is what KPU Kota edits
        from geozones.rules.model import DEFAULT_RULES, load_ruleset

        default_id = load_ruleset(DEFAULT_RULES, resolve=False).id
        if default_id in ids:
            return default_id
    if len(ids) != 1:
        raise InputError(f"sebutkan --ruleset (basis data berisi {len(ids)}) / name --ruleset (the store holds "
                         f"{len(ids)})", field="--ruleset")
    return ids[0]


def grant_request(args: argparse.Namespace) -> int:
    """Request a grant."""
    from geozones.services import grants, media
    from geozones.services.authz import Action

    if args.place is not None:
        from geozones.io.vector import read_vector

        if not args.place.is_file():
            raise InputError("berkas tempat tidak ada / place file not found", source=str(args.place))
        gdf = read_vector(args.place)
        if len(gdf) != 1:
            raise InputError(f"berkas tempat harus berisi tepat satu fitur ({len(gdf)}) / the place file must hold "
                             f"exactly one feature ({len(gdf)})", source=str(args.place))
        import shapely.geometry

        place = {"geometry": shapely.geometry.mapping(gdf.geometry.iloc[0])}
        if args.radius:
            place["radius"] = args.radius
    else:
        if args.lat is None:
            raise InputError("--lon perlu --lat / --lon needs --lat", field="--lat")
        place = {"geometry": {"type": "Point", "coordinates": [args.lon, args.lat]}}
        if args.radius:
            place["radius"] = args.radius
    lifts = [x.strip() for x in args.lifts.split(",") if x.strip()]
    start, end = _instant(args.start, "--from"), _instant(args.end, "--to")
    data = None
    if args.letter_pdf is not None:
        if not args.letter_pdf.is_file():
            raise InputError("berkas surat tidak ada / letter PDF not found", source=str(args.letter_pdf))
        data = args.letter_pdf.read_bytes()
        if not data.startswith(b"%PDF"):
            raise InputError("bukan berkas PDF / not a PDF file", source=str(args.letter_pdf))
    with cli_store(args) as store:
        actor = acting_principal(store, args)
        rid = _ruleset_id(store, args.ruleset)
        gid = args.grant_id or f"D-{len(grants.list_grants(store, actor, rid)) + 1:03d}"
        sha = None
        if data is not None:
            sha = media.store_media(store, actor, data, mime="application/pdf", filename=args.letter_pdf.name,
                                    action=Action.EDIT_RULES).sha256
        g = grants.request_grant(store, actor, rid, {
            "id": gid, "lifts": lifts, "place": place, "window": {"start": start, "end": end},
            "reference": grants.PENDING_REFERENCE, "granted_by": "KPU"},
            addressee=args.addressee, reason=args.reason, attachment_sha256=sha)
    print(f"geozones: diskresi diajukan / grant requested: {g.grant_id} ({g.status}) lifts {', '.join(g.lifts)}")
    print(g.grant_id)
    return 0


def _conditions(text: str | None) -> dict | None:
    if not text:
        return None
    idn, sep, en = text.partition(" / ")
    return {"id": idn.strip(), "en": (en if sep else idn).strip()}


def grant_decide(args: argparse.Namespace) -> int:
    """Grant or refuse."""
    from geozones.services import grants

    with cli_store(args) as store:
        actor = acting_principal(store, args)
        cur = grants.get_grant(store, actor, args.grant)
        g = grants.decide_grant(store, actor, cur.id, cur.row_version, args.decision, reason=args.reason,
                                reference=args.letter, conditions=_conditions(args.conditions))
    print(f"geozones: diskresi / grant {g.grant_id}: {g.status}" + (f", surat / letter {g.reference}"
                                                                    if g.status == "granted" else ""))
    return 0


def grant_revoke(args: argparse.Namespace) -> int:
    """Revoke a grant."""
    from geozones.services import grants

    with cli_store(args) as store:
        actor = acting_principal(store, args)
        cur = grants.get_grant(store, actor, args.grant)
        g = grants.decide_grant(store, actor, cur.id, cur.row_version, "revoked", reason=args.reason)
    print(f"geozones: diskresi dicabut / grant revoked: {g.grant_id}")
    return 0


def grant_list(args: argparse.Namespace) -> int:
    """List grants."""
    from geozones.core.time import format_wib
    from geozones.services import grants

    with cli_store(args) as store:
        actor = acting_principal(store, args, optional=True)
        rows = grants.list_grants(store, actor, _ruleset_id(store, args.ruleset))
    print("id\tstatus\tlifts\tfrom\tto\tletter\taddressee\trequested_by\tdecided_by\tconditions")
    for g in rows:
        cond = (g.conditions or {}).get("id", "")
        print(f"{g.grant_id}\t{g.status}\t{','.join(g.lifts)}\t{format_wib(g.window_start) if g.window_start else '-'}"
              f"\t{format_wib(g.window_end) if g.window_end else '-'}\t{g.reference or '-'}\t{g.addressee or '-'}"
              f"\t{g.requested_by}\t{g.decided_by or '-'}\t{cond}")
    return 0


def audit_list(args: argparse.Namespace) -> int:
    """List audit events."""
    from geozones.services.audit_log import audit_frame, list_events

    with cli_store(args) as store:
        rows = list_events(store, acting_principal(store, args), account=args.account,
                           entity_type=args.entity_type, entity=args.entity,
                           since=_instant(args.since, "--since"), until=_instant(args.until, "--until"))
    frame = audit_frame(rows)
    if args.format == "csv":
        data = frame.to_csv(index=False).encode("utf-8-sig")
        if args.out is not None:
            from geozones.io.files import write_atomic

            write_atomic(args.out, lambda tmp: tmp.write_bytes(data))
            print(f"geozones: ditulis / written: {args.out}", file=sys.stderr)
        else:
            sys.stdout.write(frame.to_csv(index=False))
        return 0
    print("seq\tat\tactor\trole\taction\tentity\treason")
    for r in frame.itertuples(index=False):
        print(f"{r.seq}\t{r.at}\t{r.actor}\t{r.role}\t{r.action}\t{r.entity_id}\t{r.reason}")
    return 0
