"""``geozones rules import|export|list|history``: rule-set versions in the store."""

from __future__ import annotations

import argparse
from pathlib import Path

from geozones.cli.store_common import acting_principal, add_store_options, cli_store
from geozones.core.errors import InputError
from geozones.core.time import parse_time

__all__ = ["register"]


def register(rsub: argparse._SubParsersAction) -> None:
    """Add the store commands to the ``rules`` tree."""
    imp = rsub.add_parser("import", help="store one level of a rule stack (its YAML as written) as a published "
                          "version (admin or kpu_publisher; audited)",
                          description="Store one rule-set level as a published version. A level that extends a "
                          "parent (a kota its province, a province the national base) needs its parents in the "
                          "store first; otherwise it is refused, naming every missing level, root first, with "
                          "the command that imports it. The flattened stack is checked against the kota area's "
                          "layer names.")
    imp.add_argument("file", type=Path)
    imp.add_argument("--decree", default=None, help="decree number (nomor SK)")
    imp.add_argument("--signed", default=None, help="decree signing date (YYYY-MM-DD)")
    imp.add_argument("--effective-from", default=None, help="in force from (ISO 8601, WIB if no offset; default "
                     "the file's effective_from, else the signing date, else the stack's campaign start)")
    imp.add_argument("--effective-to", default=None, help="in force until (exclusive)")
    imp.add_argument("--decree-pdf", type=Path, default=None, help="the decree PDF (its sha256 is recorded)")
    imp.add_argument("--reason", default=None)
    add_store_options(imp)
    imp.set_defaults(func=import_)
    exp = rsub.add_parser("export", help="write one stored version: its YAML as imported, or for publication "
                          "(--format yaml|geojson|gpkg|annex-xlsx|annex-pdf)",
                          description="Without --format: the stored YAML byte for byte (for re-import). With "
                          "--format: an export for publication carrying version, decree and data attribution: "
                          "yaml (the text under a comment header), geojson / gpkg (the version's zones), "
                          "annex-xlsx / annex-pdf (the decree annex per kelurahan: forbidden places and streets, "
                          "discretion points with conditions). Published versions are public; drafts and "
                          "versions in review only for kpu_editor / kpu_publisher (--user).")
    exp.add_argument("ref", help="ID or ID@VERSION (default: the version in force now)")
    exp.add_argument("--out", type=Path, required=True)
    exp.add_argument("--format", default=None, choices=("yaml", "geojson", "gpkg", "annex-xlsx", "annex-pdf"),
                     help="an export for publication (default: the stored YAML as imported)")
    exp.add_argument("--data-dir", type=Path, default=None,
                     help="layer files for the annex (default: $GEOZONES_DATA_DIR, else shapefiles/)")
    add_store_options(exp)
    exp.set_defaults(func=export)
    ls = rsub.add_parser("list", help="rule sets in the store and their versions")
    add_store_options(ls)
    ls.set_defaults(func=list_)
    hist = rsub.add_parser("history", help="versions of one rule set with their decree and dates")
    hist.add_argument("ruleset")
    add_store_options(hist)
    hist.set_defaults(func=history)


def _date(text: str | None, what: str):
    if text is None:
        return None
    try:
        return parse_time(text).date()
    except ValueError as exc:
        raise InputError(str(exc), field=what) from None


def _instant(text: str | None, what: str):
    if text is None:
        return None
    try:
        return parse_time(text).to_pydatetime()
    except ValueError as exc:
        raise InputError(str(exc), field=what) from None


def import_(args: argparse.Namespace) -> int:
    """Import a rule-set file as a published version."""
    from geozones.io.files import sha256_file
    from geozones.services import rulesets

    path: Path = args.file
    if not path.is_file():
        raise InputError("berkas aturan tidak ada / rule set file not found", source=str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError("bukan teks UTF-8 / not UTF-8 text", source=str(path)) from None
    pdf = None
    if args.decree_pdf is not None:
        if not args.decree_pdf.is_file():
            raise InputError("berkas PDF keputusan tidak ada / decree PDF not found", source=str(args.decree_pdf))
        from geozones.services import media

        if args.decree_pdf.stat().st_size > media.MAX_BYTES:
            raise InputError(f"PDF keputusan melebihi batas {media.MAX_BYTES // 1048576} MB / the decree PDF exceeds "
                             f"the {media.MAX_BYTES // 1048576} MB limit", source=str(args.decree_pdf))
        pdf = sha256_file(args.decree_pdf)
    signed = _date(args.signed, "--signed")
    start, end = _instant(args.effective_from, "--effective-from"), _instant(args.effective_to, "--effective-to")
    rulesets.parse_yaml_text(text, source=str(path))  # bad input refused before any login prompt
    with cli_store(args) as store:
        actor = acting_principal(store, args)
        v = rulesets.import_ruleset(store, actor, text, source=str(path),
                                    decree_no=args.decree, signed_on=signed, effective_from=start, effective_to=end,
                                    decree_pdf_sha256=pdf, reason=args.reason)
        if args.decree_pdf is not None:
            from geozones.services.authz import Action

            media.store_media(store, actor, args.decree_pdf.read_bytes(), mime="application/pdf",
                              filename=args.decree_pdf.name, action=Action.IMPORT_RULESET)
    from geozones.core.time import format_wib

    print(f"geozones: disimpan / stored: {v.ruleset_id}@{v.version} ({v.status}), berlaku sejak / in force from "
          f"{format_wib(v.effective_from)}, sha256 {v.sha256[:16]}")
    return 0


def export(args: argparse.Namespace) -> int:
    """Write a stored version's YAML text (byte for byte what was stored), or an export for publication."""
    from geozones.io.files import write_atomic
    from geozones.services import rulesets
    from geozones.services.store_catalog import parse_ruleset_ref

    rid, version = parse_ruleset_ref(args.ref)
    if args.format is not None:
        return _export_for_publication(args, rid, version)
    with cli_store(args) as store:
        v = rulesets.get_version(store, acting_principal(store, args, optional=True), rid, version)
    data = v.yaml_text.encode("utf-8")
    write_atomic(args.out, lambda tmp: tmp.write_bytes(data))
    print(f"geozones: ditulis / written: {args.out} ({v.ruleset_id}@{v.version}, {v.status})")
    return 0


def _export_for_publication(args: argparse.Namespace, rid: str, version: str | None) -> int:
    from geozones.io.files import write_atomic
    from geozones.services.version_exports import export_version

    if args.out.parent and not args.out.parent.is_dir():
        raise InputError("folder tujuan tidak ada / the output folder does not exist", source=str(args.out))
    with cli_store(args) as store:
        out = export_version(store, acting_principal(store, args, optional=True), rid, version, args.format,
                             data_dir=args.data_dir)
    try:
        write_atomic(args.out, lambda tmp: tmp.write_bytes(out.data))
    except OSError as exc:
        raise InputError(f"tidak dapat menulis / cannot write: {exc.strerror or exc}", source=str(args.out)) from None
    meta = out.metadata
    print(f"geozones: ditulis / written: {args.out} ({args.format}; {meta['ruleset']}@{meta['version']}, "
          f"{meta['status']}, SK / decree: {meta['decree_no']})")
    return 0


def _fmt(value) -> str:
    from geozones.core.time import format_wib

    return format_wib(value) if value is not None else "-"


def _print_versions(versions) -> None:

    print("version\tstatus\tdecree\tsigned\teffective_from\teffective_to\tpublished_at\tsuperseded_at\tpublisher")
    for v in versions:
        print(f"{v.version}\t{v.status}\t{v.decree_no or '-'}\t{v.decree_signed_on or '-'}\t{_fmt(v.effective_from)}"
              f"\t{_fmt(v.effective_to)}\t{_fmt(v.published_at)}\t{_fmt(v.superseded_at)}\t{v.publisher or '-'}")


def list_(args: argparse.Namespace) -> int:
    """List rule sets and versions."""
    from geozones.services import rulesets

    with cli_store(args) as store:
        rows = rulesets.list_rulesets(store, acting_principal(store, args, optional=True))
    if not rows:
        print("geozones: basis data belum berisi aturan / the store holds no rule set (geozones rules import FILE)")
    for rec, versions in rows:
        place = rec.level + (f" < {rec.extends}" if rec.extends else "")
        print(f"{rec.id}  [{rec.area or '-'}]  ({place})  {rec.title}")
        _print_versions(versions)
    return 0


def history(args: argparse.Namespace) -> int:
    """Versions of one rule set."""
    from geozones.services import rulesets

    with cli_store(args) as store:
        versions = rulesets.list_versions(store, acting_principal(store, args, optional=True), args.ruleset)
    _print_versions(versions)
    return 0
