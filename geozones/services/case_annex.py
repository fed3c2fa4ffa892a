"""The recommendation-letter annex: the selected cases as a table per kota, kecamatan, paslon or rule.

Bawaslu sends KPU a recommendation letter with an annex listing the cases it is
about (issue 11 §5). :func:`annex_rows` builds that table from the store (case,
report, steps: letter and order numbers, the running deadline) with each rule's
legal basis taken from the rule-set version the case was judged with;
:func:`write_annex` writes it as XLSX or PDF (:mod:`geozones.io.case_annex`)
and records the file's sha256 in the audit trail. Bawaslu only; the reporter's
identity is never read here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

import pandas as pd
from sqlalchemy import select

from geozones.cases.states import parse_state
from geozones.core.errors import InputError
from geozones.core.time import format_wib
from geozones.io.case_annex import GROUP_KEYS, CaseAnnexMeta, annex_frame, case_annex_pdf, case_annex_xlsx
from geozones.services.authz import Action, Principal, authorize
from geozones.store.audit import append_event
from geozones.store.casework import CaseEvent, CaseRecord, Report
from geozones.store.database import Store

__all__ = ["FORMATS", "GROUP_KEYS", "annex_bytes", "annex_rows", "write_annex"]

#: Output formats of the annex.
FORMATS = ("xlsx", "pdf")
#: Group label of a case without a value for the key (no paslon, no rule, outside any kelurahan).
NONE_LABEL = "(tidak ada / none)"


def _basis_from_reasons(text: str | None) -> dict[str, str]:
    """``rule id -> legal basis`` read from stored reasons (``R01 ... Dasar: ...`` joined by `` | ``)."""
    out: dict[str, str] = {}
    for part in (text or "").split(" | "):
        rule_id, _, rest = part.strip().partition(" ")
        for marker in (" Dasar: ", " Basis: ", "Dasar: ", "Basis: "):
            if marker in rest:
                out.setdefault(rule_id, rest.partition(marker)[2].strip())
                break
    return out


def _basis_of_version(s, ruleset_id: str | None, version: str | None, cache: dict) -> dict[str, str]:
    """``rule id -> legal basis`` of a rule-set version: the stored stack, else the packaged rule file."""
    key = (ruleset_id, version)
    if key in cache:
        return cache[key]
    out: dict[str, str] = {}
    levels = []
    try:
        from geozones.services.rulesets import stack_rows, stored_level
        from geozones.store.models import RuleSetVersion

        row = s.execute(select(RuleSetVersion).where(RuleSetVersion.ruleset_id == ruleset_id,
                                                     RuleSetVersion.version == version)).scalars().first()
        if row is not None:
            levels = [stored_level(v) for v in stack_rows(s, row)]
    except InputError:
        levels = []
    if not levels:
        from geozones.rules.model import DEFAULT_RULES, load_ruleset

        default = load_ruleset(DEFAULT_RULES)
        if default.id == ruleset_id:
            levels = [default]
    for level in levels:  # root first: a lower level's rule of the same id wins
        for rule in level.rules:
            out[rule.id] = "; ".join(b.cite() for b in rule.legal_basis)
    cache[key] = out
    return out


def _attribution(digest_keys: set[str]) -> list[str]:
    """Attribution lines of the layers named in the reports' data digests (``layer`` or ``area:layer``)."""
    from geozones.areas.manifest import load_manifest
    from geozones.rules.model import DEFAULT_RULES, load_ruleset

    default_area = load_ruleset(DEFAULT_RULES).area
    lines: list[str] = []
    manifests: dict[str, object] = {}
    for key in sorted(digest_keys):
        area, _, layer = key.rpartition(":")
        area = area or default_area
        try:
            man = manifests.get(area) or load_manifest(area)
            manifests[area] = man
            line = man.spec(layer).attribution
        except (InputError, KeyError, OSError):
            continue
        if line not in lines:
            lines.append(line)
    return lines


def _kota_names() -> dict[str, str]:
    from geozones.areas.manifest import load_manifest
    from geozones.rules.model import DEFAULT_RULES, load_ruleset

    try:
        man = load_manifest(load_ruleset(DEFAULT_RULES).area)
    except (InputError, OSError):
        return {}
    code = man.kota.get("kemendagri")
    return {code: man.title.get("id") or code} if code else {}


def _in_group(label: str, wanted: str) -> bool:
    """A group label matches by itself or by the code in its brackets (``31.71`` for a kota)."""
    wanted = wanted.strip()
    return label.casefold() == wanted.casefold() or label.endswith(f"({wanted})")


def annex_rows(store: Store, actor: Principal, *, by: str, state: str | None = None,
               case_ids: list[int | str] | None = None,
               group: str | None = None) -> tuple[pd.DataFrame, CaseAnnexMeta]:
    """The annex table of the selected cases, grouped by ``by``.

    Parameters
    ----------
    store : Store
    actor : Principal
        Must hold the ``bawaslu`` role.
    by : {"kota", "kecamatan", "paslon", "rule"}
        The grouping key. With ``rule`` a case judged against two rules is listed
        under each (its ``rule_ids`` cell still names both).
    state : str, optional
        Only cases in this state (a name of :class:`geozones.cases.states.CaseState`).
    case_ids : list, optional
        Only these cases (``12`` or ``#12``); all by default.
    group : str, optional
        Only the lines of this group, for a letter to one kota, kecamatan, paslon or
        about one rule (a kota also by its code, e.g. ``31.71``; case-insensitive).

    Returns
    -------
    (pandas.DataFrame, CaseAnnexMeta)
        The columns of :data:`geozones.io.case_annex.ANNEX_COLUMNS`, all text, sorted by
        group then case number; times in WIB. The meta lists the rule-set versions
        used and the attribution of the layers the classification rests on.

    Raises
    ------
    Forbidden
        Not bawaslu.
    InputError
        An unknown key or state, or a case number that does not exist.
    """
    authorize(actor, Action.CASEWORK)
    if by not in GROUP_KEYS:
        raise InputError(f"pengelompokan '{by}' tidak dikenal; pilih {', '.join(GROUP_KEYS)} / unknown grouping "
                         f"'{by}'; use {', '.join(GROUP_KEYS)}", field="by")
    wanted_state = parse_state(state).value if state else None
    wanted_ids = None
    if case_ids:
        wanted_ids = set()
        for c in case_ids:
            try:
                wanted_ids.add(int(str(c).lstrip("#")))
            except ValueError:
                raise InputError(f"nomor kasus '{c}' tidak sah / invalid case number '{c}'", field="case") from None
    kota_names = _kota_names()
    rows: list[dict] = []
    versions: list[str] = []
    digest_keys: set[str] = set()
    cache: dict = {}
    with store.read() as s:
        q = select(CaseRecord, Report).join(Report, Report.id == CaseRecord.report_id).order_by(CaseRecord.id)
        if wanted_state:
            q = q.where(CaseRecord.state == wanted_state)
        if wanted_ids is not None:
            q = q.where(CaseRecord.id.in_(sorted(wanted_ids)))
        found = s.execute(q).all()
        if wanted_ids is not None:
            missing = sorted(wanted_ids - {rec.id for rec, _ in found})
            if missing and not wanted_state:
                raise InputError(f"kasus tidak ada / no such case: {', '.join(f'#{m}' for m in missing)}",
                                 field="case")
        for rec, rep in found:
            fields: dict[str, str] = {}
            for ev in s.execute(select(CaseEvent).where(CaseEvent.case_id == rec.id).order_by(CaseEvent.seq)) \
                    .scalars():
                for k in ("letter", "order"):
                    if (ev.fields or {}).get(k):
                        fields[k] = str(ev.fields[k])
            rule_ids = rep.rule_ids if rep.rule_ids is not None else (rep.suggested_rule_ids or "")
            rules = [r.strip() for r in rule_ids.split(";") if r.strip()]
            basis = {**_basis_from_reasons(rep.suggested_reasons_id),
                     **_basis_of_version(s, rep.ruleset_id, rep.ruleset_version, cache)}
            if rep.ruleset_id:
                v = f"{rep.ruleset_id}@{rep.ruleset_version}"
                if v not in versions:
                    versions.append(v)
            digest_keys.update((rep.data_digests or {}).keys())
            code = rep.kode_kemendagri or ""
            kota_code = ".".join(code.split(".")[:2]) if code else ""
            base = {"case_id": str(rec.id), "kelurahan": rep.kelurahan or "", "kecamatan": rep.kecamatan or "",
                    "kode_kemendagri": code, "paslon": rep.paslon or "", "apk_type": rep.apk_type or "",
                    "verdict": rep.verdict or rep.suggested_verdict or "", "rule_ids": "; ".join(rules),
                    "dasar_hukum": " | ".join(f"{r}: {basis.get(r) or '-'}" for r in rules),
                    "observed_wib": format_wib(rep.observed_at), "state": rec.state,
                    "letter": fields.get("letter", ""), "order": fields.get("order", ""),
                    "deadline_wib": format_wib(rec.next_deadline) if rec.next_deadline else "",
                    "ruleset": f"{rep.ruleset_id}@{rep.ruleset_version}" if rep.ruleset_id else ""}
            if by == "rule":
                groups = rules or [NONE_LABEL]
            elif by == "kota":
                groups = [f"{kota_names.get(kota_code, kota_code)} ({kota_code})" if kota_code else NONE_LABEL]
            else:
                groups = [(rep.kecamatan if by == "kecamatan" else rep.paslon) or NONE_LABEL]
            rows += [{"grup": g, **base} for g in groups]
    if group:
        rows = [r for r in rows if _in_group(r["grup"], group)]
    table = annex_frame(rows)
    if not table.empty:
        table = table.assign(_n=table["case_id"].astype(int)).sort_values(["grup", "_n"], kind="stable") \
            .drop(columns="_n").reset_index(drop=True)
    selection = []
    if wanted_state:
        selection.append(f"status / state: {wanted_state}")
    if wanted_ids is not None:
        selection.append("kasus / cases: " + ", ".join(f"#{i}" for i in sorted(wanted_ids)))
    if group:
        selection.append(f"{GROUP_KEYS[by].lower()}: {group.strip()}")
    meta = CaseAnnexMeta(by=by, selection="; ".join(selection) or "semua / all", rulesets=versions,
                         attribution=_attribution(digest_keys))
    return table, meta


def write_annex(store: Store, actor: Principal, out: str | os.PathLike, *, by: str, fmt: str, now: dt.datetime,
                state: str | None = None, case_ids: list[int | str] | None = None,
                group: str | None = None) -> tuple[Path, str, int]:
    """Write the annex (XLSX or PDF) atomically and record its sha256 in the audit trail.

    Parameters
    ----------
    out : path-like
        The file to write; a failure leaves no half-written file.
    by, state, case_ids, group
        As :func:`annex_rows`.
    fmt : {"xlsx", "pdf"}
    now : datetime
        Generation time (shown in the header, WIB) and audit time.

    Returns
    -------
    (Path, str, int)
        Where it was written, its sha256 and the number of table rows.

    Raises
    ------
    Forbidden, InputError
        As :func:`annex_rows`; an unknown format.
    """
    from dataclasses import replace

    from geozones.io.files import write_atomic

    role = authorize(actor, Action.CASEWORK)
    if fmt not in FORMATS:
        raise InputError(f"format '{fmt}' tidak dikenal; pilih xlsx atau pdf / unknown format '{fmt}'; use xlsx or "
                         "pdf", field="format")
    table, meta = annex_rows(store, actor, by=by, state=state, case_ids=case_ids, group=group)
    meta = replace(meta, generated=format_wib(now))
    data = case_annex_xlsx(table, meta) if fmt == "xlsx" else case_annex_pdf(table, meta)
    path = write_atomic(out, lambda tmp: tmp.write_bytes(data))
    digest = hashlib.sha256(data).hexdigest()
    with store.write() as s:
        append_event(s, actor=actor.name, role=role, action="annex.export", entity_type="case",
                     entity_id=f"annex:{by}", after={"sha256": digest, "format": fmt, "rows": len(table),
                                                     "cases": sorted({int(x) for x in table["case_id"]}),
                                                     "selection": meta.selection}, at=now)
    return path, digest, len(table)


def annex_bytes(store: Store, actor: Principal, *, by: str, fmt: str, now: dt.datetime, state: str | None = None,
                case_ids: list[int | str] | None = None, group: str | None = None) -> tuple[bytes, str]:
    """The annex as bytes (for a download) and its sha256; audited like :func:`write_annex`."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path, digest, _ = write_annex(store, actor, Path(tmp) / f"lampiran.{fmt}", by=by, fmt=fmt, now=now,
                                      state=state, case_ids=case_ids, group=group)
        return path.read_bytes(), digest
