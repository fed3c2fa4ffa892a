"""``geozones reports ...`` and ``geozones cases ...``: the Bawaslu workspace from the command line.

The names are a contract (issue 11 §6). Every command acts as ``--user`` /
``$GEOZONES_USER`` (the public may run ``reports add --source informasi_awal``
without an account) and calls the same services as the app, with the same
authorization. ``reports add`` prints the new case's number as its last line.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from geozones.cli.store_common import acting_principal, add_store_options, open_cli_store
from geozones.core.errors import InputError

__all__ = ["register"]

STATES = ("informasi_awal, temuan, laporan, registered, not_registered, under_study, recommended, ordered, "
          "compliance_check, referred, removed, closed, dismissed")


def _time(value: str | None, field: str):
    if value is None:
        return None
    from geozones.core.time import parse_time

    try:
        return parse_time(value).to_pydatetime()
    except ValueError as exc:
        raise InputError(f"{field}: {exc}", field=field) from None


def register(sub: argparse._SubParsersAction, parser_class: type) -> None:
    """Add the ``reports`` and ``cases`` command trees."""
    rep = sub.add_parser("reports", help="Bawaslu: take in reports of APK (temuan, laporan, informasi awal)")
    rsub = rep.add_subparsers(dest="reports_command", parser_class=parser_class, required=True)
    a = rsub.add_parser("add", help="take in one report; prints the new case's number as the last line")
    a.add_argument("--lon", type=float, default=None)
    a.add_argument("--lat", type=float, default=None)
    a.add_argument("--observed-at", default=None, help="when the APK was seen (WIB if no offset; default: EXIF)")
    a.add_argument("--known-at", default=None, help="when the violation became known (default: observed)")
    a.add_argument("--source", required=True, choices=("temuan", "laporan", "informasi_awal"))
    a.add_argument("--apk-type", default=None)
    a.add_argument("--paslon", default=None)
    a.add_argument("--description", default=None)
    a.add_argument("--address", default=None)
    a.add_argument("--photo", action="append", default=[], type=Path, help="a photo (repeatable); EXIF place/time "
                   "used when --lon/--lat or --observed-at are not given")
    a.add_argument("--reporter-name", default=None, help="pelapor (kept encrypted; readable by Bawaslu only)")
    a.add_argument("--reporter-contact", default="")
    a.add_argument("--reporter-address", default="")
    a.add_argument("--reporter-nik", default="")
    a.add_argument("--data-dir", default=None, help="layer files (default: $GEOZONES_DATA_DIR)")
    add_store_options(a)
    a.set_defaults(func=add_report)
    im = rsub.add_parser("import", help="a table of reports (any format `check` reads) or a ZIP of geotagged "
                         "photos, one report each; all or nothing")
    im.add_argument("file", type=Path)
    im.add_argument("--source", default="temuan", choices=("temuan", "laporan", "informasi_awal"))
    im.add_argument("--data-dir", default=None)
    add_store_options(im)
    im.set_defaults(func=import_reports)
    mg = rsub.add_parser("merge", help="mark a report a duplicate of another and dismiss its case")
    mg.add_argument("report", type=int)
    mg.add_argument("--into", type=int, required=True)
    mg.add_argument("--reason", required=True)
    add_store_options(mg)
    mg.set_defaults(func=merge)

    cases = sub.add_parser("cases", help="Bawaslu: cases, their states and legal deadlines, evidence")
    csub = cases.add_subparsers(dest="cases_command", parser_class=parser_class, required=True)
    ls = csub.add_parser("list", help="cases, overdue and due within 24 h first")
    ls.add_argument("--state", default=None, help=f"one of: {STATES}")
    ls.add_argument("--overdue", action="store_true")
    ls.add_argument("--at", default=None, help="judge deadlines at this time (default now)")
    ls.add_argument("--format", default="table", choices=("table", "csv"))
    add_store_options(ls)
    ls.set_defaults(func=list_cases)
    sh = csub.add_parser("show", help="one case: report, suggestion, history, clocks")
    sh.add_argument("case")
    sh.add_argument("--reporter", action="store_true", help="also show the reporter's identity (Bawaslu; audited)")
    add_store_options(sh)
    sh.set_defaults(func=show)
    asg = csub.add_parser("assign", help="assign a case to a Bawaslu account")
    asg.add_argument("case")
    asg.add_argument("account")
    add_store_options(asg)
    asg.set_defaults(func=assign)
    cf = csub.add_parser("confirm", help="confirm the engine's suggestion, or override it with --verdict/--rules "
                         "and --reason")
    cf.add_argument("case")
    cf.add_argument("--verdict", default=None)
    cf.add_argument("--rules", default=None, help="rule ids, ';'-separated")
    cf.add_argument("--reason", default=None)
    add_store_options(cf)
    cf.set_defaults(func=confirm)
    adv = csub.add_parser("advance", help="move a case to its next state")
    adv.add_argument("case")
    adv.add_argument("--to", required=True, help=f"one of: {STATES}")
    adv.add_argument("--letter", default=None, help="recommendation letter number (recommended)")
    adv.add_argument("--order", default=None, help="KPU order number (ordered)")
    adv.add_argument("--deadline", default=None, help="deadline stated in the KPU order (ordered)")
    adv.add_argument("--photo", type=Path, default=None, help="photo after (compliance_check)")
    adv.add_argument("--count", type=int, default=None, help="number of APK removed (removed)")
    adv.add_argument("--storage", default=None, help="where the removed APK are stored (removed)")
    adv.add_argument("--grounds", default=None, choices=("late", "incomplete"), help="not_registered")
    adv.add_argument("--referred-to", default=None)
    adv.add_argument("--removed-by", default=None)
    adv.add_argument("--reason", required=True)
    add_store_options(adv)
    adv.set_defaults(func=advance)
    for name, helptext in (("lock", "take the edit lock of a case"), ("unlock", "release the edit lock")):
        lk = csub.add_parser(name, help=helptext)
        lk.add_argument("case")
        add_store_options(lk)
        lk.set_defaults(func=lock if name == "lock" else unlock)
    ev = csub.add_parser("evidence", help="the evidence ZIP of one case or several: one PDF, the original photos, "
                         "manifest.sha256")
    ev.add_argument("case", nargs="+", help="case number(s); several make one bundle covering all of them")
    ev.add_argument("--out", type=Path, required=True)
    ev.add_argument("--lang", default="id", choices=("id", "en"))
    ev.add_argument("--data-dir", default=None)
    add_store_options(ev)
    ev.set_defaults(func=evidence)
    ax = csub.add_parser("annex", help="annex of a recommendation letter: the cases grouped per kota, kecamatan, "
                         "paslon or rule (XLSX or PDF)")
    ax.add_argument("--by", required=True, choices=("kota", "kecamatan", "paslon", "rule"))
    ax.add_argument("--state", default=None, help=f"only cases in this state, one of: {STATES}")
    ax.add_argument("--case", action="append", default=None, dest="cases", metavar="CASE",
                    help="only this case (repeatable; default: all)")
    ax.add_argument("--group", default=None, help="only this kota (name or code, e.g. 31.71), kecamatan, paslon "
                    "or rule")
    ax.add_argument("--format", default=None, choices=("xlsx", "pdf"), help="default: from the --out suffix")
    ax.add_argument("--out", type=Path, required=True)
    add_store_options(ax)
    ax.set_defaults(func=annex)
    sw = csub.add_parser("sweep", help="record a quiet-period sweep in a kecamatan (counts per APK type)")
    sw.add_argument("--kecamatan", required=True)
    sw.add_argument("--count", action="append", default=[], metavar="TYPE=N", required=True)
    sw.add_argument("--at", default=None)
    sw.add_argument("--note", default=None)
    add_store_options(sw)
    sw.set_defaults(func=sweep)


def _open(args: argparse.Namespace, *, optional: bool = False):
    store = open_cli_store(args)
    try:
        return store, acting_principal(store, args, optional=optional)
    except BaseException:
        store.dispose()
        raise


def add_report(args: argparse.Namespace) -> int:
    """``reports add``."""
    from geozones.io.sealing import ReporterIdentity
    from geozones.services.clock import now
    from geozones.services.reports import ReportInput, read_file_photos, submit_report

    photos = read_file_photos(args.photo)
    reporter = None
    if args.reporter_name:
        reporter = ReporterIdentity(args.reporter_name, args.reporter_address, args.reporter_contact,
                                    args.reporter_nik)
    inp = ReportInput(source=args.source, lon=args.lon, lat=args.lat, observed_at=_time(args.observed_at,
                      "--observed-at"), known_at=_time(args.known_at, "--known-at"), apk_type=args.apk_type,
                      paslon=args.paslon, description=args.description, address=args.address, photos=photos,
                      reporter=reporter)
    store, who = _open(args, optional=args.source == "informasi_awal")
    try:
        sub = submit_report(store, who, inp, now=now(), data_dir=args.data_dir)
        if who.is_public:
            print("informasi awal diterima / initial information received")
        else:
            from geozones.services.cases import case_detail

            rep = case_detail(store, who, sub.case_id, at=now())["report"]
            print(f"laporan / report #{sub.report_id}: {rep['kelurahan'] or '-'} ({rep['kecamatan'] or '-'}), "
                  f"{rep['suggested_verdict'] or '-'} {rep['suggested_rule_ids'] or ''} "
                  f"[{rep['ruleset_id']}@{rep['ruleset_version']}]")
    finally:
        store.dispose()
    for note in sub.notes:
        print(f"geozones: catatan / note: {note}", file=sys.stderr)
    print(sub.case_id)
    return 0


def import_reports(args: argparse.Namespace) -> int:
    """``reports import``."""
    from geozones.services.clock import now
    from geozones.services.reports import import_reports as run

    store, who = _open(args)
    try:
        done = run(store, who, args.file, now=now(), source=args.source, data_dir=args.data_dir)
    finally:
        store.dispose()
    for s in done:
        print(f"{s.report_id}\t{s.case_id}" + ("\tduplikat/duplicate? " + ",".join(map(str, s.duplicates))
                                              if s.duplicates else ""))
    print(f"geozones: {len(done)} laporan diterima / reports taken in", file=sys.stderr)
    return 0


def merge(args: argparse.Namespace) -> int:
    """``reports merge``."""
    from geozones.services.clock import now
    from geozones.services.reports import merge_duplicate

    store, who = _open(args)
    try:
        merge_duplicate(store, who, args.report, args.into, reason=args.reason, now=now())
    finally:
        store.dispose()
    print(f"#{args.report} → #{args.into}")
    return 0


COLUMNS = ("case_id", "state", "kelurahan", "kecamatan", "kode_kemendagri", "verdict", "rule_ids", "apk_type",
           "paslon", "deadline", "overdue", "due_soon", "assigned_to", "lock_holder")


def list_cases(args: argparse.Namespace) -> int:
    """``cases list``."""
    from geozones.core.time import format_wib
    from geozones.services.cases import list_cases as run
    from geozones.services.clock import now

    at = _time(args.at, "--at") or now()
    store, who = _open(args)
    try:
        rows = run(store, who, at=at, state=args.state, overdue=args.overdue)
    finally:
        store.dispose()
    from geozones.core.time import to_wib

    def cells(r) -> list[str]:
        d = r.as_dict()
        d["deadline"] = to_wib(r.deadline).isoformat() if r.deadline else ""
        d["overdue"], d["due_soon"] = str(r.overdue).lower(), str(r.due_soon).lower()
        return [str(d[c]) for c in COLUMNS]

    if args.format == "csv":
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(COLUMNS)
        for r in rows:
            w.writerow(cells(r))
        return 0
    if not rows:
        print("tidak ada kasus / no cases")
        return 0
    for r in rows:
        flag = "TERLAMBAT/OVERDUE " if r.overdue else "≤24 jam/h " if r.due_soon else ""
        print(f"#{r.case_id}\t{r.state}\t{r.kelurahan or '-'}\t{r.verdict or '-'}\t{r.rule_ids or '-'}\t"
              f"{flag}{format_wib(r.deadline) if r.deadline else '-'}")
    return 0


def show(args: argparse.Namespace) -> int:
    """``cases show``."""
    from geozones.core.time import format_wib
    from geozones.services.cases import case_detail
    from geozones.services.clock import now
    from geozones.services.reports import open_reporter

    store, who = _open(args)
    try:
        d = case_detail(store, who, args.case, at=now())
        ident = open_reporter(store, who, d["report"]["id"], now=now()) if args.reporter else None
    finally:
        store.dispose()
    c, r = d["case"], d["report"]
    print(f"kasus / case #{c['id']}: {c['state']} ({d['label']} / {d['label_en']})")
    print(f"sumber / source: {c['source']}; ditugaskan / assigned: {c['assigned_to'] or '-'}; "
          f"dikunci / locked by: {c['lock_holder'] or '-'}")
    print(f"tempat / place: {r['lon']:.6f}, {r['lat']:.6f} — {r['kelurahan'] or '-'}, {r['kecamatan'] or '-'} "
          f"({r['kode_kemendagri'] or '-'})")
    print(f"diamati / observed: {format_wib(r['observed_at'])}; diketahui / known: {format_wib(r['known_at'])}")
    print(f"APK: {r['apk_type'] or '-'}; paslon: {r['paslon'] or '-'}")
    print(f"saran mesin / suggested: {r['suggested_verdict']} {r['suggested_rule_ids'] or ''} "
          f"[{r['ruleset_id']}@{r['ruleset_version']}]")
    print(f"dasar hukum / legal basis: {r['legal_basis'] or '-'}")
    print(f"keputusan / decision: {r['decision'] or '-'} {r['verdict'] or ''} {r['rule_ids'] or ''}"
          + (f" — {r['override_reason']}" if r["override_reason"] else ""))
    print("riwayat / history:")
    for e in d["history"]:
        extra = ", ".join(f"{k}={v}" for k, v in e.fields.items())
        print(f"  {format_wib(e.at)}  {e.actor} ({e.role})  {e.from_state or '-'} → {e.to_state}  {extra}")
    print("batas waktu / clocks:")
    for k in d["clocks"]:
        state = "berhenti/stopped " + format_wib(k.stopped_at) if k.stopped_at else (
            "TERLAMBAT/OVERDUE" if k.clock_id in d["overdue"] else "berjalan/running")
        print(f"  {k.clock_id}: {format_wib(k.deadline)} ({k.duration} {k.unit}; {k.policy_id} {k.policy_version}) "
              f"{state}")
    for p in d["photos"]:
        print(f"  foto / photo {p['sha256']} ({p['role']})")
    if ident is not None:
        print(f"pelapor / reporter: {ident.name}; {ident.contact}; {ident.address}; {ident.id_number}")
    return 0


def assign(args: argparse.Namespace) -> int:
    """``cases assign``."""
    from geozones.services.cases import assign_case
    from geozones.services.clock import now

    store, who = _open(args)
    try:
        assign_case(store, who, args.case, args.account, now=now())
    finally:
        store.dispose()
    print(f"#{args.case} → {args.account}")
    return 0


def confirm(args: argparse.Namespace) -> int:
    """``cases confirm``."""
    from geozones.services.cases import case_detail
    from geozones.services.clock import now
    from geozones.services.reports import decide

    store, who = _open(args)
    try:
        rid = case_detail(store, who, args.case, at=now())["report"]["id"]
        kind = decide(store, who, rid, now=now(), verdict=args.verdict, rule_ids=args.rules, reason=args.reason)
    finally:
        store.dispose()
    print({"confirmed": "dikonfirmasi / confirmed", "overridden": "diubah / overridden"}[kind])
    return 0


def advance(args: argparse.Namespace) -> int:
    """``cases advance``."""
    from geozones.services.cases import advance_case
    from geozones.services.clock import now
    from geozones.services.reports import read_file_photos

    photo = read_file_photos([args.photo])[0] if args.photo else None
    fields = {"reason": args.reason, "letter": args.letter, "order": args.order,
              "deadline": _time(args.deadline, "--deadline"), "count": args.count, "storage": args.storage,
              "grounds": args.grounds, "referred_to": args.referred_to, "removed_by": args.removed_by}
    store, who = _open(args)
    try:
        state = advance_case(store, who, args.case, args.to, fields, now=now(), photo=photo)
    finally:
        store.dispose()
    print(f"#{str(args.case).lstrip('#')}: {state.value}")
    return 0


def lock(args: argparse.Namespace) -> int:
    """``cases lock``."""
    from geozones.services.cases import lock_case
    from geozones.services.clock import now

    store, who = _open(args)
    try:
        lock_case(store, who, args.case, now=now())
    finally:
        store.dispose()
    return 0


def unlock(args: argparse.Namespace) -> int:
    """``cases unlock``."""
    from geozones.services.cases import unlock_case
    from geozones.services.clock import now

    store, who = _open(args)
    try:
        unlock_case(store, who, args.case, now=now())
    finally:
        store.dispose()
    return 0


def evidence(args: argparse.Namespace) -> int:
    """``cases evidence``."""
    from geozones.services.cases import write_evidence
    from geozones.services.clock import now

    store, who = _open(args)
    try:
        which = args.case[0] if len(args.case) == 1 else list(args.case)
        bundle = write_evidence(store, who, which, args.out, now=now(), lang=args.lang, data_dir=args.data_dir)
    finally:
        store.dispose()
    print(f"{bundle.path}\t{bundle.sha256}")
    return 0


def annex(args: argparse.Namespace) -> int:
    """``cases annex``."""
    from geozones.services.case_annex import write_annex
    from geozones.services.clock import now

    fmt = args.format or args.out.suffix.lower().lstrip(".")
    if fmt not in ("xlsx", "pdf"):
        raise InputError(f"{args.out}: pilih --format xlsx atau pdf / choose --format xlsx or pdf", field="--format")
    store, who = _open(args)
    try:
        path, digest, n = write_annex(store, who, args.out, by=args.by, fmt=fmt, now=now(), state=args.state,
                                      case_ids=args.cases, group=args.group)
    finally:
        store.dispose()
    print(f"geozones: {n} baris / rows", file=sys.stderr)
    print(f"{path}\t{digest}")
    return 0


def sweep(args: argparse.Namespace) -> int:
    """``cases sweep``."""
    from geozones.services.cases import record_sweep
    from geozones.services.clock import now

    counts = {}
    for item in args.count:
        kind, _, n = item.partition("=")
        if not kind or not n.strip().isdigit():
            raise InputError(f"'{item}': tulis JENIS=JUMLAH / write TYPE=N (e.g. baliho=3)", field="--count")
        counts[kind.strip()] = int(n)
    store, who = _open(args)
    try:
        sid = record_sweep(store, who, args.kecamatan, counts, swept_at=_time(args.at, "--at") or now(), now=now(),
                           note=args.note)
    finally:
        store.dispose()
    print(sid)
    return 0
