"""The rule-set format: pydantic models, loading from YAML and JSON Schema export.

A rule set is the published, versioned decision of a KPU office: its schedule,
its rules (each with a legal basis and evidence grade), quotas and discretion
grants. YAML is the source of truth; :func:`load_ruleset` validates it and every
error names the file, the rule id and the field.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from geozones.core.apk import ApkType, normalize_apk_type
from geozones.core.errors import InputError, Problem
from geozones.core.time import TIMEZONE, WIB
from geozones.core.verdicts import Verdict

SCHEMA_VERSION = 1
#: The published rule set used when none is named (Jakarta Pusat, Pilkada 2024).
DEFAULT_RULES = Path(__file__).resolve().parents[2] / "rules" / "dki-jakarta-pusat-pilkada-2024.yaml"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Text(_Model):
    """A text in Bahasa Indonesia (``id``) and English (``en``)."""

    id: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        """The text in ``lang``, falling back to Indonesian.

        Parameters
        ----------
        lang : str
            ``"en"`` for English; anything else gives Bahasa Indonesia.

        Returns
        -------
        str
        """
        return self.en if lang == "en" else self.id


def _parse_distance(value: Any) -> float:
    if isinstance(value, bool) or isinstance(value, int | float):
        raise ValueError(f"distance {value!r} has no unit; write it as e.g. '{value} m'")
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(m|km|meter|metre|meters|metres)\s*", str(value))
    if not m:
        raise ValueError(f"distance {value!r} is not a number with a unit such as '50 m' or '0.1 km'")
    number, unit = float(m.group(1)), m.group(2)
    return number * 1000.0 if unit == "km" else number


#: A distance written with its unit ("50 m", "0.1 km"), held in metres; written back as "50 m".
Distance = Annotated[
    float, BeforeValidator(_parse_distance),
    PlainSerializer(lambda v: f"{v:g} m", return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^\s*[0-9]+(\.[0-9]+)?\s*(m|km|meter|metre|meters|metres)\s*$",
                    "examples": ["50 m", "0.1 km"]}),
]


def _as_instant(value: Any) -> Any:
    """Dates become 00:00 WIB of that day; naive datetimes are read as WIB."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=WIB)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(0), tzinfo=WIB)
    if isinstance(value, str) and not re.fullmatch(r"[a-z_]+\.(start|end)", value):
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"'{value}' is neither a date/time nor a schedule reference "
                             "such as 'campaign.start'") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=WIB)
    return value


Instant = Annotated[dt.datetime, BeforeValidator(_as_instant)]
#: A time bound: an instant, or a reference to the schedule ("campaign.end").
Bound = Annotated[dt.datetime | str, BeforeValidator(_as_instant)]


class Period(_Model):
    """A half-open period ``[start, end)``; ``end`` is the first instant after it."""

    start: Instant
    end: Instant

    @model_validator(mode="after")
    def _not_empty(self) -> Period:
        if self.end <= self.start:
            raise ValueError(f"period is empty: end {self.end.isoformat()} is not after "
                             f"start {self.start.isoformat()}")
        return self


class Schedule(_Model):
    """Election schedule, in WIB. Every ``end`` is exclusive."""

    campaign: Period
    quiet_period: Period
    voting_day: Period
    source: str = Field(min_length=1, description="Legal instrument of the schedule")

    def resolve(self, ref: str) -> dt.datetime:
        """Resolve a reference such as ``"campaign.end"`` to an instant.

        Parameters
        ----------
        ref : str
            ``<period>.<edge>`` with period ``campaign``, ``quiet_period`` or ``voting_day`` and edge
            ``start`` or ``end``.

        Returns
        -------
        datetime.datetime
            Time-zone aware (WIB when the rule set wrote it naive).

        Raises
        ------
        ValueError
            For an unknown reference (the message lists the valid ones).
        """
        name, _, edge = ref.partition(".")
        period = getattr(self, name, None)
        if not isinstance(period, Period) or edge not in ("start", "end"):
            raise ValueError(f"unknown schedule reference '{ref}'; use campaign.start, "
                             "campaign.end, quiet_period.start, quiet_period.end, "
                             "voting_day.start or voting_day.end")
        return getattr(period, edge)


class Window(_Model):
    """When a rule or grant is in force: ``[start, end)``, open where omitted."""

    start: Bound | None = None
    end: Bound | None = None


class LegalBasis(_Model):
    """A legal instrument and article, with the evidence grade of what we know of it."""

    instrument: str = Field(min_length=1, examples=["PKPU 13/2024"])
    article: str | None = Field(None, examples=["Pasal 70 ayat (1)"])
    grade: Literal["P", "S", "I"] = Field(
        description="P: primary text seen; S: reported by a named official; I: inferred or precedent")
    note: str | None = None
    url: str | None = None

    def cite(self) -> str:
        """Short citation, e.g. ``PKPU 13/2024 Pasal 70 [S]``."""
        art = f" {self.article}" if self.article else ""
        return f"{self.instrument}{art} [{self.grade}]"


class Zone(_Model):
    """A polygon typed into the rule set (e.g. a named kawasan), in EPSG:4326."""

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    source: str = Field(min_length=1, description="Where the outline comes from")
    geometry: dict[str, Any] = Field(description="GeoJSON geometry in lon/lat")

    @field_validator("geometry")
    @classmethod
    def _geojson(cls, value: dict[str, Any]) -> dict[str, Any]:
        import shapely.geometry

        try:
            geom = shapely.geometry.shape(value)
        except Exception as exc:  # noqa: BLE001
            raise ValueError(f"not a GeoJSON geometry: {exc}") from None
        if geom.is_empty:
            raise ValueError("geometry is empty")
        if not geom.is_valid:
            raise ValueError(f"geometry is not valid ({shapely.is_valid_reason(geom)}); fix the outline")
        minx, miny, maxx, maxy = geom.bounds
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            raise ValueError("coordinates are not lon/lat degrees")
        return value


class Spatial(_Model):
    """Where a rule applies, relative to its features.

    ``inside``: the site is in or on the feature (a parcel or area polygon).
    ``within``: the site is within ``distance`` of the feature.
    ``corridor``: the site is within ``half_width`` of a road centreline.
    ``anywhere``: everywhere in the jurisdiction (time and type rules).
    """

    form: Literal["inside", "within", "corridor", "anywhere"]
    distance: Distance | None = None
    half_width: Distance | None = None

    @model_validator(mode="after")
    def _distances(self) -> Spatial:
        if self.form == "within" and self.distance is None:
            raise ValueError("form 'within' needs a distance, e.g. distance: 50 m")
        if self.form == "corridor" and self.half_width is None:
            raise ValueError("form 'corridor' needs a half_width, e.g. half_width: 15 m")
        if self.form in ("inside", "anywhere") and (self.distance or self.half_width):
            raise ValueError(f"form '{self.form}' takes no distance")
        return self

    @property
    def metres(self) -> float:
        """Search distance in metres (0 for ``inside``)."""
        return float(self.distance or self.half_width or 0.0)


def _apk_list(value: Any) -> Any:
    if value in (None, "all", ["all"]):
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise ValueError(f"apk_types must be a list such as [spanduk, baliho] or 'all', not {value!r}")
    return [normalize_apk_type(v) for v in value]


class Rule(_Model):
    """One rule: a place (layer + filter, or typed zones), a verdict and its legal basis."""

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    title: Text
    legal_basis: list[LegalBasis] = Field(min_length=1)
    verdict: Verdict
    spatial: Spatial
    layer: str | None = Field(None, description="Layer name in the area manifest")
    where: dict[str, list[Any]] = Field(default_factory=dict,
                                        description="Attribute filter: column -> allowed values")
    zones: list[Zone] = Field(default_factory=list)
    apk_types: Annotated[list[ApkType] | None, BeforeValidator(_apk_list)] = Field(
        None, description="APK types the rule applies to; omitted or 'all' for every type")
    window: Window = Field(default_factory=Window)
    advisory: bool = Field(False, description="True when the geometry stands in for unknown data")
    note: Text | None = Field(None, description="Shown with the reason, e.g. what the advisory stands for")

    @model_validator(mode="after")
    def _place(self) -> Rule:
        import shapely.geometry

        if self.spatial.form == "inside":
            for z in self.zones:
                if shapely.geometry.shape(z.geometry).geom_type not in ("Polygon", "MultiPolygon"):
                    raise ValueError(f"zone {z.id}: an 'inside' rule needs a Polygon or MultiPolygon")
        if self.verdict == Verdict.OUTSIDE_AREA:
            raise ValueError("OUTSIDE_AREA is set by the engine, not by rules")
        if self.spatial.form == "anywhere":
            if self.layer or self.zones:
                raise ValueError("form 'anywhere' takes no layer or zones")
        elif bool(self.layer) == bool(self.zones):
            raise ValueError("give exactly one of 'layer' or 'zones'")
        if self.where and not self.layer:
            raise ValueError("'where' filters a layer; this rule has none")
        return self


class Quota(_Model):
    """APK count limit per paslon per admin unit (PKPU 13/2024; grade S/I)."""

    apk_type: Annotated[ApkType, BeforeValidator(lambda v: normalize_apk_type(v) or v)]
    unit: Literal["kelurahan", "kecamatan", "kota"]
    facilitated_max: int = Field(ge=0)
    extra_pct: int = Field(200, ge=0, description="Extra APK a paslon may add, % of facilitated_max")
    legal_basis: list[LegalBasis] = Field(min_length=1)

    @property
    def cap(self) -> int:
        """Total allowed per paslon per unit: facilitated plus the extra share."""
        return self.facilitated_max + (self.facilitated_max * self.extra_pct) // 100


class GrantPlace(_Model):
    """Where a grant applies: a site id, or a geometry with an optional radius."""

    site_id: str | None = None
    geometry: dict[str, Any] | None = None
    radius: Distance = 0.0

    @model_validator(mode="after")
    def _one(self) -> GrantPlace:
        if (self.site_id is None) == (self.geometry is None):
            raise ValueError("give exactly one of 'site_id' or 'geometry'")
        if self.geometry is not None:
            Zone._geojson(self.geometry)
        return self


class Grant(_Model):
    """A written discretion (diskresi): lifts named rules at a place for a time."""

    id: str = Field(min_length=1)
    lifts: list[str] = Field(min_length=1, description="Rule ids the grant lifts")
    place: GrantPlace
    window: Window
    reference: str = Field(min_length=1, description="Letter or decree number")
    granted_by: str = Field(min_length=1)
    conditions: Text | None = None


class RuleSet(_Model):
    """A published rule set for one jurisdiction and one election."""

    schema_version: Literal[1] = 1
    id: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9.-]*$")
    title: Text
    version: str = Field(min_length=1)
    supersedes: list[str] = Field(default_factory=list)
    status: Literal["draft", "published", "superseded"] = "draft"
    issued_by: str = Field(min_length=1)
    jurisdiction: dict[Literal["kemendagri", "bps"], list[Annotated[str, Field(pattern=r"^[0-9.]+$")]]] = Field(
        min_length=1, description="Kota codes: {'kemendagri': ['31.71'], 'bps': ['3173']}")
    area: str = Field(min_length=1, description="Area manifest id (shapefiles/<area>.yaml)")
    # Only WIB for now: naive times in the file and in site lists are read as WIB throughout.
    timezone: Literal["Asia/Jakarta"] = TIMEZONE
    schedule: Schedule
    default_verdict: Verdict = Verdict.NEEDS_OWNER_CONSENT
    default_reason: Text
    default_legal_basis: list[LegalBasis] = Field(default_factory=list)
    rules: list[Rule] = Field(min_length=1)
    quotas: list[Quota] = Field(default_factory=list)
    grants: list[Grant] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> RuleSet:
        ids = [r.id for r in self.rules]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"duplicate rule id(s): {', '.join(dup)}")
        gids = [g.id for g in self.grants]
        gdup = sorted({i for i in gids if gids.count(i) > 1})
        if gdup:
            raise ValueError(f"duplicate grant id(s): {', '.join(gdup)}")
        for r in self.rules:
            self._check_window(r.window, f"rule {r.id}")
        for g in self.grants:
            unknown = [x for x in g.lifts if x not in ids]
            if unknown:
                raise ValueError(f"grant {g.id} lifts unknown rule(s): {', '.join(unknown)}")
            self._check_window(g.window, f"grant {g.id}")
        keys = [(q.apk_type, q.unit) for q in self.quotas]
        if len(set(keys)) != len(keys):
            raise ValueError("two quotas for the same APK type and unit")
        return self

    def _check_window(self, w: Window, what: str) -> None:
        start = self.instant(w.start) if w.start is not None else None
        end = self.instant(w.end) if w.end is not None else None
        if start is not None and end is not None and end <= start:
            raise ValueError(f"{what}: window is empty ({start.isoformat()} to {end.isoformat()})")

    def instant(self, bound: dt.datetime | str) -> dt.datetime:
        """Resolve a window bound (an instant or a schedule reference).

        Parameters
        ----------
        bound : datetime.datetime or str
            An aware instant, or a reference such as ``"campaign.start"`` (:meth:`Schedule.resolve`).

        Returns
        -------
        datetime.datetime
            Time-zone aware.

        Raises
        ------
        ValueError
            For an unknown schedule reference.
        """
        return bound if isinstance(bound, dt.datetime) else self.schedule.resolve(bound)

    def rule(self, rule_id: str) -> Rule:
        """The rule with id ``rule_id``.

        Parameters
        ----------
        rule_id : str

        Returns
        -------
        Rule

        Raises
        ------
        KeyError
            When no rule has that id.
        """
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    def rules_by_layer(self) -> dict[str, list[str]]:
        """Rule ids per layer name (what an absent layer leaves unchecked).

        Returns
        -------
        dict of str to list of str
            Layer name to the ids of the rules reading it, in rule-set order.
        """
        out: dict[str, list[str]] = {}
        for r in self.rules:
            if r.layer:
                out.setdefault(r.layer, []).append(r.id)
        return out

    def filter_columns(self, layer: str) -> dict[str, list[str]]:
        """Columns the rules filter ``layer`` on, with the ids of the rules that use them.

        Parameters
        ----------
        layer : str
            Layer name of the area manifest.

        Returns
        -------
        dict of str to list of str
            Column name to rule ids, in rule-set order.
        """
        out: dict[str, list[str]] = {}
        for r in self.rules:
            if r.layer == layer:
                for col in r.where:
                    out.setdefault(col, []).append(r.id)
        return out


def _locate(data: Any, loc: tuple) -> tuple[str | None, str]:
    """Turn a pydantic error location into (rule or grant id, field path)."""
    owner = None
    parts: list[str] = []
    node = data
    for i, key in enumerate(loc):
        if isinstance(key, int) and i > 0 and loc[i - 1] in ("rules", "grants", "quotas") \
                and isinstance(node, list) and key < len(node):
            item = node[key]
            label = loc[i - 1][:-1]
            ident = item.get("id") if isinstance(item, dict) else None
            if loc[i - 1] == "quotas" and isinstance(item, dict):
                ident = f"{item.get('apk_type')}/{item.get('unit')}"
            owner = f"{label} {ident}" if ident else f"{label} #{key + 1}"
            parts = []
        else:
            parts.append(str(key))
        if isinstance(node, dict):
            node = node.get(key) if isinstance(key, str) else None
        elif isinstance(node, list) and isinstance(key, int) and key < len(node):
            node = node[key]
        else:
            node = None
    return owner, ".".join(p for p in parts if not p.startswith("function-")) or "(top level)"


def parse_ruleset(data: Any, *, source: str = "<rules>",
                  known_layers: set[str] | None = None) -> RuleSet:
    """Validate a rule-set mapping; errors name ``source``, the rule id and field.

    Parameters
    ----------
    data : mapping
        The parsed YAML (the format of ``rules/ruleset.schema.json``).
    source : str
        File name for messages.
    known_layers : set of str, optional
        Layer names of the area manifest; rules naming any other layer are refused.

    Returns
    -------
    RuleSet
        Frozen; naive times read as WIB.

    Raises
    ------
    InputError
        With one :class:`~geozones.core.errors.Problem` per invalid field (owner such as
        ``"rule R01"``, dotted field path), or per rule naming an unknown layer.
    """
    if not isinstance(data, dict):
        raise InputError("a rule set must be a YAML mapping (key: value)", source=source)
    try:
        rs = RuleSet.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            owner, fieldpath = _locate(data, tuple(err["loc"]))
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(Problem(msg, source, owner, fieldpath))
        raise InputError(problems) from None
    if known_layers is not None:
        problems = [Problem(f"unknown layer '{r.layer}'; the area manifest has: "
                            + ", ".join(sorted(known_layers)), source, f"rule {r.id}", "layer")
                    for r in rs.rules if r.layer and r.layer not in known_layers]
        if problems:
            raise InputError(problems)
    return rs


def load_ruleset(path: str | os.PathLike, *, known_layers: set[str] | None = None) -> RuleSet:
    """Read and validate a rule-set YAML file.

    Parameters
    ----------
    path : path-like
        A rule-set YAML file (e.g. :data:`DEFAULT_RULES`, the published Jakarta Pusat set).
    known_layers : set of str, optional
        Layer names of the area manifest (see :func:`parse_ruleset`).

    Returns
    -------
    RuleSet

    Raises
    ------
    InputError
        If the file is missing, not UTF-8, not YAML (naming the line), or does not validate.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("rule set file not found", source=str(path))
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except RecursionError:
        raise InputError("YAML nested too deeply to be a rule set", source=str(path)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else None
        raise InputError(f"not valid YAML: {getattr(exc, 'problem', exc)}", source=str(path),
                         row=where) from None
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", source=str(path)) from None
    return parse_ruleset(data, source=str(path), known_layers=known_layers)


def json_schema() -> dict[str, Any]:
    """JSON Schema of the rule-set format, for editors and CI.

    Returns
    -------
    dict
        JSON Schema draft 2020-12, generated from the pydantic models.
    """
    schema = RuleSet.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://geozones.example/rules/ruleset.schema.json"
    schema["title"] = "geozones rule set"
    return schema


def json_schema_text() -> str:
    """The JSON Schema as stable, indented text (what ``rules/ruleset.schema.json`` holds).

    Returns
    -------
    str
        Sorted keys, two-space indent, trailing newline.
    """
    return json.dumps(json_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
