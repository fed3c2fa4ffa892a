"""Form-level validation for the rule editor: quotas and schedule, each error named by its field.

The KPU draft page (and :mod:`geozones.services.drafts`) check what an officer typed
before anything is saved, so each error can be shown beside the field it names
(issue 10 §2). The checks are the rule-set model's own
(:class:`~geozones.rules.model.Quota`, :class:`~geozones.rules.model.Schedule`), with
the order of the election stages and one quota per (APK type, unit) on top. Pure:
no I/O, every message in Bahasa Indonesia first, English beside.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from geozones.core.yamlsafe import bilingual
from geozones.rules.model import LegalBasis, Quota, Schedule

__all__ = ["PERIODS", "QUOTA_FIELDS", "instant_text", "legal_basis_text", "parse_legal_basis", "quota_errors",
           "schedule_errors"]

#: The editable quota fields, in table order.
QUOTA_FIELDS = ("apk_type", "unit", "facilitated_max", "extra_pct", "legal_basis")
#: The schedule's periods, in the order the election runs through them.
PERIODS = ("campaign", "quiet_period", "voting_day")
_CITE = re.compile(r"^(?P<body>.+?)\s*\[(?P<grade>[PSI])\]$")
_ARTICLE = re.compile(r"^(?P<instrument>.+?)\s+(?P<article>(Pasal|Lampiran|Bab|Angka)\b.*)$")


#: pydantic's stock messages (English only) in both languages, by error type.
_STOCK = {
    "greater_than_equal": ("harus paling kecil {ge}", "must be at least {ge}"),
    "less_than_equal": ("harus paling besar {le}", "must be at most {le}"),
    "int_parsing": ("bukan bilangan bulat", "not a whole number"),
    "int_from_float": ("bukan bilangan bulat", "not a whole number"),
    "int_type": ("bukan bilangan bulat", "not a whole number"),
    "literal_error": ("pilih salah satu: {expected}", "choose one of: {expected}"),
    "missing": ("wajib diisi", "required"),
    "string_too_short": ("wajib diisi", "required"),
    "string_type": ("harus berupa teks", "must be text"),
}
_DMY = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T](\d{1,2}):(\d{2}))?\s*$")


def _message(err: Mapping[str, Any]) -> str:
    stock = _STOCK.get(err["type"])
    if stock is None:
        return str(err["msg"]).removeprefix("Value error, ")
    ctx = {k: str(v) for k, v in (err.get("ctx") or {}).items()}
    return bilingual(stock[0].format_map(ctx), stock[1].format_map(ctx))


def _errors(model: type[BaseModel], data: Mapping[str, Any]) -> dict[str, str]:
    """``{dotted field: message}`` of validating ``data`` as ``model`` (``""`` for the whole)."""
    try:
        model.model_validate(dict(data))
    except ValidationError as exc:
        out: dict[str, str] = {}
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"] if not isinstance(p, int))
            out.setdefault(key, _message(err))
        return out
    return {}


def instant_text(text: str) -> str:
    """A typed instant as the model reads it: ``DD/MM/YYYY[ HH:MM]`` (WIB) becomes ISO 8601; other text unchanged."""
    m = _DMY.match(text or "")
    if not m:
        return (text or "").strip()
    day, month, year, hour, minute = m.groups()
    return f"{year}-{int(month):02d}-{int(day):02d}T{int(hour or 0):02d}:{int(minute or 0):02d}:00+07:00"


def legal_basis_text(bases: Sequence[LegalBasis | Mapping[str, Any]]) -> str:
    """Legal bases as one line of citations, ``"PKPU 13/2024 Pasal 70 [S]; ..."`` (the editor's cell)."""
    items = [b if isinstance(b, LegalBasis) else LegalBasis.model_validate(b) for b in bases]
    return "; ".join(b.cite("id") for b in items)


def parse_legal_basis(text: str) -> list[dict[str, Any]]:
    """Citations typed in the editor back to legal-basis mappings.

    Each ``;``-separated part is ``INSTRUMENT [ARTICLE] [GRADE]``: the article starts with
    ``Pasal``, ``Lampiran``, ``Bab`` or ``Angka``; the evidence grade ``[P]``, ``[S]`` or
    ``[I]`` is required (the model never guesses it).

    Raises
    ------
    ValueError
        A part without its grade, or nothing at all (bilingual message).
    """
    parts = [p.strip() for p in (text or "").split(";") if p.strip()]
    if not parts:
        raise ValueError(bilingual("dasar hukum wajib diisi", "a legal basis is required"))
    out = []
    for part in parts:
        m = _CITE.match(part)
        if not m:
            raise ValueError(bilingual(f"'{part[:60]}': akhiri dengan tingkat bukti [P], [S] atau [I]",
                                       f"'{part[:60]}': end with the evidence grade [P], [S] or [I]"))
        body = m.group("body")
        art = _ARTICLE.match(body)
        item: dict[str, Any] = {"instrument": art.group("instrument") if art else body, "grade": m.group("grade")}
        if art:
            item["article"] = art.group("article")
        out.append(item)
    return out


def quota_errors(rows: Sequence[Mapping[str, Any]]) -> dict[tuple[int, str], str]:
    """Errors of quota rows as typed, keyed ``(row index, field)``.

    Parameters
    ----------
    rows : sequence of mapping
        Each with the fields of :data:`QUOTA_FIELDS`; ``legal_basis`` may be the text
        of :func:`legal_basis_text` or a list of mappings.

    Returns
    -------
    dict
        Empty when every row is a valid :class:`~geozones.rules.model.Quota` and no
        (APK type, unit) is given twice; the field is ``""`` for a row-wide error.
    """
    out: dict[tuple[int, str], str] = {}
    seen: dict[tuple[str, str], int] = {}
    for i, row in enumerate(rows):
        data = {k: row.get(k) for k in QUOTA_FIELDS if row.get(k) not in (None, "")}
        basis = data.get("legal_basis")
        if isinstance(basis, str):
            try:
                data["legal_basis"] = parse_legal_basis(basis)
            except ValueError as exc:
                out[(i, "legal_basis")] = str(exc)
                data["legal_basis"] = [{"instrument": "-", "grade": "S"}]  # the other fields still checked
        elif basis is None:
            out[(i, "legal_basis")] = bilingual("dasar hukum wajib diisi", "a legal basis is required")
            data["legal_basis"] = [{"instrument": "-", "grade": "S"}]
        for key, msg in _errors(Quota, data).items():
            field = key.split(".")[0]
            out.setdefault((i, field if field in QUOTA_FIELDS else ""), msg)
        if not any(k[0] == i for k in out):
            q = Quota.model_validate(data)
            pair = (str(q.apk_type.value), q.unit)
            if pair in seen:
                out[(i, "unit")] = bilingual(f"kuota {pair[0]} per {pair[1]} sudah ada di baris {seen[pair] + 1}",
                                             f"a {pair[0]} quota per {pair[1]} is already in row {seen[pair] + 1}")
            else:
                seen[pair] = i
    return out


def schedule_errors(data: Mapping[str, Any]) -> dict[str, str]:
    """Errors of a schedule as typed, keyed by field (``campaign.start``, ``quiet_period``, ``source``).

    Besides the model's checks (dates, years, empty periods), the periods must follow
    each other: the quiet period starts no earlier than the campaign ends, and voting
    day no earlier than the quiet period ends.
    """
    out = _errors(Schedule, data)
    if out:
        return out
    sch = Schedule.model_validate(dict(data))
    for before, after in itertools.pairwise(PERIODS):
        end, start = getattr(sch, before).end, getattr(sch, after).start
        if start < end:
            out[f"{after}.start"] = bilingual(
                f"mulai {start.isoformat()} sebelum {before} berakhir ({end.isoformat()})",
                f"starts {start.isoformat()}, before {before} ends ({end.isoformat()})")
    return out
