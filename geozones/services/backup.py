"""One portable archive of the store, and a restore that verifies every hash before it commits.

The archive is a zip file:

``manifest.json``
    format, schema revision, creation time, and the sha256 and size of every other member.
``rulesets.json``, ``versions.json`` + ``versions/<id>@<version>.yaml``
    rule sets and their versions (the YAML text, byte for byte, is the source of truth).
``zones.gpkg``
    zones of every version (GeoPackage, EPSG:4326; opens in QGIS).
``grants.json``, ``media.json`` + ``media/<sha256>``
    the discretion register and media files.
``accounts.json``, ``role_grants.json``
    accounts (password hashes only when asked) and role grants.
``audit.jsonl``
    the audit trail with its hash chain.
``casework/<table>.json``
    Bawaslu reports, photos, cases, case history, clocks and sweeps; reporter
    identities stay sealed (the key is never in the archive).

:func:`restore_archive` refuses a non-empty database and an archive whose files,
chain, media or rule-set texts do not verify, naming what differs; nothing is
written unless everything verifies.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, select, text, update

from geozones.core.errors import InputError, Problem
from geozones.services.authz import Action, Principal, authorize
from geozones.services.concurrency import now_utc
from geozones.store.audit import verify_events
from geozones.store.database import Store
from geozones.store.migrate import current_revision
from geozones.store.models import (
    Account,
    AuditEvent,
    DiskresiGrant,
    Media,
    RoleGrant,
    RuleSetRecord,
    RuleSetVersion,
    ZoneFeature,
)

__all__ = ["FORMAT", "dump_archive", "restore_archive"]

FORMAT = "geozones-store-archive/1"
_DT_FIELDS = {"created_at", "updated_at", "effective_from", "effective_to", "published_at", "superseded_at",
              "window_start", "window_end", "uploaded_at", "locked_until", "granted_at", "revoked_at", "at",
              # Bawaslu workspace
              "observed_at", "known_at", "classified_at", "decided_at", "taken_at", "added_at", "arrived_at",
              "received_at", "next_deadline", "locked_at", "opened_at", "started_at", "deadline", "policy_deadline",
              "extended_deadline", "stopped_at", "swept_at", "recorded_at"}


def _row(obj, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    out = {}
    for col in obj.__table__.columns:
        if col.key in skip or col.key == "geom_gis":
            continue
        v = getattr(obj, col.key)
        if isinstance(v, dt.datetime):
            v = v.astimezone(dt.UTC).isoformat()
        elif isinstance(v, dt.date):
            v = v.isoformat()
        out[col.key] = v
    return out


def _parse(model, data: dict[str, Any]) -> dict[str, Any]:
    out = dict(data)
    for k, v in data.items():
        if v is None:
            continue
        if k in _DT_FIELDS:
            out[k] = dt.datetime.fromisoformat(v)
        elif k == "decree_signed_on":
            out[k] = dt.date.fromisoformat(v)
    return out


def _ruleset_rows(rows: list[dict], versions: list[dict], members: dict[str, bytes]) -> list[dict]:
    """Rule-set rows of an archive, in today's columns (an archive from before migration 0004 lacks some).

    Such an archive stores a national level's area as ``""`` and has no ``level`` /
    ``extends``: they are taken, as migration 0004 takes them, from the newest version's text.
    """
    import yaml

    newest: dict[str, dict] = {}
    for v in versions:
        if v["ruleset_id"] not in newest or v["id"] > newest[v["ruleset_id"]]["id"]:
            newest[v["ruleset_id"]] = v
    out = []
    for r in rows:
        r = dict(r)
        if r.get("area") == "":
            r["area"] = None
        if "level" not in r:
            v = newest.get(r["id"])
            try:
                data = yaml.safe_load(members[f"versions/{v['ruleset_id']}@{v['version']}.yaml"]) if v else None
            except yaml.YAMLError:
                data = None
            data = data if isinstance(data, dict) else {}
            r["level"] = data.get("level") if data.get("level") in ("nasional", "provinsi", "kota") else "kota"
            r["extends"] = data.get("extends") or None
        out.append(r)
    return out


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")


def _casework_models() -> tuple:
    from geozones.store.casework import CaseClock, CaseEvent, CaseRecord, Report, ReporterIdentity, ReportPhoto, Sweep

    # parents before children, for the restore's foreign keys
    return (Report, ReporterIdentity, ReportPhoto, CaseRecord, CaseEvent, CaseClock, Sweep)


def dump_archive(store: Store, actor: Principal, out: Path, *, with_password_hashes: bool = False) -> dict:
    """Write the whole store to ``out`` (admin only). Returns the manifest."""
    import geopandas as gpd

    authorize(actor, Action.ADMIN)
    members: dict[str, bytes] = {}
    with store.read() as s:
        members["rulesets.json"] = _json([_row(r) for r in s.execute(select(RuleSetRecord)).scalars()])
        versions = s.execute(select(RuleSetVersion).order_by(RuleSetVersion.id)).scalars().all()
        members["versions.json"] = _json([_row(v, ("yaml_text",)) for v in versions])
        for v in versions:
            members[f"versions/{v.ruleset_id}@{v.version}.yaml"] = v.yaml_text.encode("utf-8")
        zones = s.execute(select(ZoneFeature).order_by(ZoneFeature.id)).scalars().all()
        vkey = {v.id: f"{v.ruleset_id}@{v.version}" for v in versions}
        if zones:
            gdf = gpd.GeoDataFrame(
                {"id": [z.id for z in zones], "version_id": [z.version_id for z in zones],
                 "version": [vkey[z.version_id] for z in zones], "zone_id": [z.zone_id for z in zones],
                 "rule_id": [z.rule_id for z in zones], "name": [z.name for z in zones],
                 "source": [z.source for z in zones],
                 "props": [json.dumps(z.props or {}, ensure_ascii=False) for z in zones]},
                geometry=[z.geom for z in zones], crs="EPSG:4326")
            buf = io.BytesIO()
            tmp = out.with_name(out.name + ".zones.gpkg")
            try:
                gdf.to_file(tmp, driver="GPKG", layer="zones")
                buf.write(tmp.read_bytes())
            finally:
                tmp.unlink(missing_ok=True)
            members["zones.gpkg"] = buf.getvalue()
        members["grants.json"] = _json([_row(g) for g in s.execute(select(DiskresiGrant)).scalars()])
        media = s.execute(select(Media).order_by(Media.sha256)).scalars().all()
        members["media.json"] = _json([_row(m, ("data",)) for m in media])
        for m in media:
            members[f"media/{m.sha256}"] = bytes(m.data)
        for model in _casework_models():
            members[f"casework/{model.__tablename__}.json"] = _json(
                [_row(r, ("geom",)) for r in s.execute(select(model)).scalars()])
        skip = () if with_password_hashes else ("password_hash",)
        members["accounts.json"] = _json([_row(a, skip) for a in s.execute(select(Account).order_by(Account.id))
                                          .scalars()])
        members["role_grants.json"] = _json([_row(g) for g in s.execute(select(RoleGrant).order_by(RoleGrant.id))
                                             .scalars()])
        events = s.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars().all()
        members["audit.jsonl"] = b"".join(json.dumps(_row(e), ensure_ascii=False, sort_keys=True).encode() + b"\n"
                                          for e in events)
    manifest = {"format": FORMAT, "schema_revision": current_revision(store), "created_at": now_utc().isoformat(),
                "created_by": actor.name, "password_hashes": with_password_hashes,
                "audit_head": events[-1].hash if events else None,
                "files": {name: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
                          for name, data in sorted(members.items())}}
    tmp = out.with_name(out.name + ".part")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", _json(manifest))
        for name, data in sorted(members.items()):
            z.writestr(name, data)
    tmp.replace(out)
    return manifest


def _read_archive(path: Path) -> tuple[dict, dict[str, bytes]]:
    src = str(path)
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            if "manifest.json" not in names:
                raise InputError("bukan arsip geozones (tanpa manifest.json) / not a geozones archive "
                                 "(no manifest.json)", source=src)
            manifest = json.loads(z.read("manifest.json"))
            members = {n: z.read(n) for n in names if n != "manifest.json"}
    except (zipfile.BadZipFile, OSError, json.JSONDecodeError) as exc:
        raise InputError(f"arsip tidak dapat dibaca / cannot read the archive: {exc}", source=src) from None
    if manifest.get("format") != FORMAT:
        raise InputError(f"format arsip tidak dikenal / unknown archive format {manifest.get('format')!r}",
                         source=src)
    problems = []
    files = manifest.get("files", {})
    for name, meta in sorted(files.items()):
        data = members.get(name)
        if data is None:
            problems.append(Problem("berkas hilang / file missing from the archive", src, name))
        elif hashlib.sha256(data).hexdigest() != meta.get("sha256"):
            problems.append(Problem("sha256 berbeda dari manifest / sha256 differs from the manifest", src, name))
    for name in sorted(set(members) - set(files)):
        problems.append(Problem("berkas tidak tercatat di manifest / file not listed in the manifest", src, name))
    if problems:
        raise InputError(problems)
    return manifest, members


def _verify_content(src: str, manifest: dict, members: dict[str, bytes]) -> dict[str, Any]:
    problems = []
    events = [json.loads(line) for line in members.get("audit.jsonl", b"").decode("utf-8").splitlines() if line]
    objs = [SimpleNamespace(**_parse(AuditEvent, e)) for e in events]
    _, brk = verify_events(objs)
    if brk is not None:
        problems.append(Problem(str(brk), src, "audit.jsonl"))
    elif (events[-1]["hash"] if events else None) != manifest.get("audit_head"):
        problems.append(Problem("ujung rantai audit berbeda / the audit chain's head differs from the manifest",
                                src, "audit.jsonl"))
    versions = json.loads(members.get("versions.json", b"[]"))
    for v in versions:
        name = f"versions/{v['ruleset_id']}@{v['version']}.yaml"
        data = members.get(name)
        if data is None or hashlib.sha256(data).hexdigest() != v["sha256"]:
            problems.append(Problem("teks YAML tidak cocok dengan sha256 versi / YAML text does not match the "
                                    "version's sha256", src, name))
    media = json.loads(members.get("media.json", b"[]"))
    for m in media:
        data = members.get(f"media/{m['sha256']}")
        if data is None or hashlib.sha256(data).hexdigest() != m["sha256"]:
            problems.append(Problem("isi media tidak cocok dengan sha256 / media content does not match its sha256",
                                    src, f"media/{m['sha256']}"))
    if problems:
        raise InputError(problems)
    return {"events": events, "versions": versions, "media": media}


def restore_archive(store: Store, path: Path) -> dict[str, int]:
    """Restore an archive into an empty database, after verifying every hash.

    An empty database has no accounts, so, like creating the first admin, restoring
    needs no login; the archive brings its accounts and grants.

    Returns
    -------
    dict
        Row counts restored per table.

    Raises
    ------
    InputError
        A non-empty database; a tampered, incomplete or foreign archive (naming what differs).
    """
    import geopandas as gpd

    src = str(path)
    manifest, members = _read_archive(path)
    checked = _verify_content(src, manifest, members)
    counts: dict[str, int] = {}
    with store.write() as s:
        for model in (Account, RuleSetRecord, AuditEvent, Media):
            if s.execute(select(func.count()).select_from(model)).scalar():
                raise InputError(f"basis data tujuan tidak kosong ({model.__tablename__}) / the target database is "
                                 f"not empty ({model.__tablename__}); restore only into an empty database",
                                 source=store.url.split("@")[-1])

        def add_all(model, rows, name):
            for r in rows:
                s.add(model(**_parse(model, r)))
            s.flush()
            counts[name] = len(rows)

        add_all(Account, json.loads(members["accounts.json"]), "account")
        add_all(RoleGrant, json.loads(members["role_grants.json"]), "role_grant")
        add_all(RuleSetRecord, _ruleset_rows(json.loads(members["rulesets.json"]), checked["versions"], members),
                "ruleset")
        for m in checked["media"]:
            s.add(Media(**_parse(Media, m), data=members[f"media/{m['sha256']}"]))
        s.flush()
        counts["media"] = len(checked["media"])
        # Versions go in as drafts, zones are added, then the real status is set: published zones are
        # frozen by a trigger that refuses inserts for published versions.
        for v in sorted(checked["versions"], key=lambda v: v["id"]):
            row = _parse(RuleSetVersion, v)
            row.pop("status")
            row["yaml_text"] = members[f"versions/{v['ruleset_id']}@{v['version']}.yaml"].decode("utf-8")
            s.add(RuleSetVersion(**row, status="draft"))
            s.flush()
        counts["ruleset_version"] = len(checked["versions"])
        if "zones.gpkg" in members:
            import tempfile

            with tempfile.TemporaryDirectory() as tmpdir:
                gpkg = Path(tmpdir) / "zones.gpkg"
                gpkg.write_bytes(members["zones.gpkg"])
                gdf = gpd.read_file(gpkg, layer="zones")
            for rec, geom in zip(gdf.drop(columns="geometry").to_dict("records"), gdf.geometry, strict=True):
                minx, miny, maxx, maxy = geom.bounds
                s.add(ZoneFeature(id=int(rec["id"]), version_id=int(rec["version_id"]), zone_id=rec["zone_id"],
                                  rule_id=rec["rule_id"], name=rec["name"], source=rec["source"],
                                  props=json.loads(rec["props"] or "{}"), geom=geom, minx=minx, miny=miny,
                                  maxx=maxx, maxy=maxy))
            s.flush()
            counts["zone_feature"] = len(gdf)
        for v in checked["versions"]:
            if v["status"] != "draft":
                s.execute(update(RuleSetVersion).where(RuleSetVersion.id == v["id"]).values(status=v["status"])
                          .execution_options(synchronize_session=False))
        add_all(DiskresiGrant, json.loads(members["grants.json"]), "diskresi_grant")
        for model in _casework_models():
            rows = json.loads(members.get(f"casework/{model.__tablename__}.json", b"[]"))
            if model.__tablename__ == "report":
                import shapely

                rows = [{**r, "geom": shapely.Point(r["lon"], r["lat"])} for r in
                        sorted(rows, key=lambda r: (r["duplicate_of"] is not None, r["id"]))]
            add_all(model, rows, model.__tablename__)
        add_all(AuditEvent, checked["events"], "audit_event")
        if s.get_bind().dialect.name == "postgresql":
            for table, pk in (("account", "id"), ("role_grant", "id"), ("ruleset_version", "id"),
                              ("zone_feature", "id"), ("diskresi_grant", "id"), ("audit_event", "seq"),
                              ("report", "id"), ("report_photo", "id"), ("bawaslu_case", "id"),
                              ("case_event", "id"), ("case_clock", "id"), ("sweep", "id")):
                s.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', '{pk}'), "
                               f"COALESCE((SELECT max({pk}) FROM {table}), 0) + 1, false)"))
    return counts
