"""The rule-set format: pydantic models, loading from YAML and JSON Schema export.

A rule set is the published, versioned decision of a KPU office: its schedule,
its rules (each with a legal basis and evidence grade), quotas and discretion
grants. YAML is the source of truth; :func:`load_ruleset` validates it and every
error names the file, the rule id and the field.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
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
from pydantic.json_schema import SkipJsonSchema

from geozones.core.apk import ApkType, normalize_apk_type
from geozones.core.errors import InputError, Problem
from geozones.core.field_errors import field_error_texts
from geozones.core.time import TIMEZONE, WIB
from geozones.core.verdicts import Verdict
from geozones.core.yamlsafe import YamlLimits, bilingual, load_yaml

SCHEMA_VERSION = 1
#: The folder of published rule sets; parents named by ``extends`` are looked up here by id.
RULES_DIR = Path(__file__).resolve().parents[2] / "rules"
#: The published rule set used when none is named (Jakarta Pusat, Pilkada 2024; extends DKI and the national base).
DEFAULT_RULES = RULES_DIR / "dki-jakarta-pusat-pilkada-2024.yaml"

#: Identifiers that name files (areas, rule sets) or layers: never a path.
AREA_ID = r"^[a-z0-9][a-z0-9-]{0,63}$"
RULESET_ID = r"^[a-z0-9][a-z0-9-]*(\.[a-z0-9-]+)*$"
LAYER_NAME = r"^[a-z][a-z0-9_]{0,63}$"
#: Bounds of numbers in a rule set: beyond them a figure is a typo, and some would overflow
#: what the engine and the app compute from it (nanosecond timestamps end in 2262).
MAX_DISTANCE_M = 10_000.0
MAX_FACILITATED = 100_000
MAX_EXTRA_PCT = 1_000
YEARS = (1900, 2100)
ENV_LIMITS = "GEOZONES_RULES_LIMITS"


@dataclass(frozen=True)
class RuleSetLimits:
    """Bounds on a rule set, checked before it is validated (so no file can exhaust time or memory).

    Defaults hold every rule set a KPU office writes with room to spare (the Jakarta Pusat one
    has 23 rules and 16 KB); raise them for large deployments with
    ``GEOZONES_RULES_LIMITS="max_rules=5000,max_bytes=50000000"``.

    Attributes
    ----------
    max_bytes, max_nodes, max_depth : int
        YAML file size in bytes; nodes once aliases are expanded; nesting depth.
    max_rules, max_quotas, max_grants : int
        Entries of each list.
    max_zones : int
        Zones of one rule.
    max_vertices : int
        Vertices of one zone or grant geometry.
    max_total_vertices : int
        Vertices of all geometries together.
    max_text : int
        Characters of one text (a title, a note, an article, a value of ``where``).
    max_list : int
        Entries of any other list or mapping (e.g. the values of one ``where`` column).
    """

    max_bytes: int = 4_000_000
    max_nodes: int = 500_000
    max_depth: int = 64
    max_rules: int = 2_000
    max_quotas: int = 200
    max_grants: int = 10_000
    max_zones: int = 1_000
    max_vertices: int = 20_000
    max_total_vertices: int = 100_000
    max_text: int = 4_000
    max_list: int = 10_000

    @property
    def yaml(self) -> YamlLimits:
        """The YAML-level part of the limits."""
        return YamlLimits(max_bytes=self.max_bytes, max_nodes=self.max_nodes, max_depth=self.max_depth)

    @classmethod
    def from_env(cls, value: str | None = None) -> RuleSetLimits:
        """Defaults, overridden by ``name=value`` pairs in ``$GEOZONES_RULES_LIMITS`` (or ``value``)."""
        text = os.environ.get(ENV_LIMITS, "") if value is None else value
        names = {f.name for f in dataclasses.fields(cls)}
        changes: dict[str, int] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            name, _, number = part.partition("=")
            name = name.strip()
            if name not in names or not number.strip().isdigit():
                raise InputError(bilingual(f"batas tidak dikenal atau bukan bilangan: '{part}'",
                                           f"unknown limit or not a whole number: '{part}'"),
                                 source=f"${ENV_LIMITS}", field=name or None)
            changes[name] = int(number)
        return cls(**changes)


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
        raise ValueError(bilingual(f"jarak {value!r} tanpa satuan; tulis misalnya '{value} m'",
                                   f"distance {value!r} has no unit; write it as e.g. '{value} m'"))
    text = str(value)[:40]
    m = re.fullmatch(r"\s*([0-9]{1,12}(?:\.[0-9]{1,12})?)\s*(m|km|meter|metre|meters|metres)\s*", str(value))
    if not m:
        raise ValueError(bilingual(f"jarak {text!r} bukan bilangan dengan satuan seperti '50 m' atau '0.1 km'",
                                   f"distance {text!r} is not a number with a unit such as '50 m' or '0.1 km'"))
    number, unit = float(m.group(1)), m.group(2)
    metres = number * 1000.0 if unit == "km" else number
    if metres > MAX_DISTANCE_M:
        raise ValueError(bilingual(f"jarak {metres:.12g} m melebihi batas {MAX_DISTANCE_M:g} m",
                                   f"distance {metres:.12g} m is beyond the limit of {MAX_DISTANCE_M:g} m"))
    return metres


#: A distance written with its unit ("50 m", "0.1 km"), held in metres; written back as "50 m".
Distance = Annotated[
    float, BeforeValidator(_parse_distance),
    PlainSerializer(lambda v: f"{v:g} m", return_type=str),
    WithJsonSchema({"type": "string",
                    "pattern": r"^\s*[0-9]{1,12}(\.[0-9]{1,12})?\s*(m|km|meter|metre|meters|metres)\s*$",
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
            shown = value[:60]
            raise ValueError(bilingual(f"'{shown}' bukan tanggal/waktu atau rujukan jadwal seperti 'campaign.start'",
                                       f"'{shown}' is neither a date/time nor a schedule reference "
                                       "such as 'campaign.start'")) from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=WIB)
    return value


def _in_years(value: Any) -> Any:
    """Instants outside 1900-2100 are typos, and beyond 2262 they overflow the engine's ns clock."""
    if isinstance(value, dt.datetime) and not YEARS[0] <= value.year <= YEARS[1]:
        raise ValueError(bilingual(f"tahun {value.year} di luar {YEARS[0]}-{YEARS[1]}",
                                   f"year {value.year} is outside {YEARS[0]}-{YEARS[1]}"))
    return value


Instant = Annotated[dt.datetime, BeforeValidator(_as_instant), AfterValidator(_in_years)]
#: A time bound: an instant, or a reference to the schedule ("campaign.end").
Bound = Annotated[dt.datetime | str, BeforeValidator(_as_instant), AfterValidator(_in_years)]


class Period(_Model):
    """A half-open period ``[start, end)``; ``end`` is the first instant after it."""

    start: Instant
    end: Instant

    @model_validator(mode="after")
    def _not_empty(self) -> Period:
        if self.end <= self.start:
            raise ValueError(bilingual(f"periode kosong: akhir {self.end.isoformat()} tidak setelah "
                                       f"awal {self.start.isoformat()}",
                                       f"period is empty: end {self.end.isoformat()} is not after "
                                       f"start {self.start.isoformat()}"))
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
            choices = ("campaign.start, campaign.end, quiet_period.start, quiet_period.end, "
                       "voting_day.start, voting_day.end")
            raise ValueError(bilingual(f"rujukan jadwal '{ref[:60]}' tidak dikenal; pakai {choices}",
                                       f"unknown schedule reference '{ref[:60]}'; use {choices}"))
        return getattr(period, edge)


class Window(_Model):
    """When a rule or grant is in force: ``[start, end)``, open where omitted."""

    start: Bound | None = None
    end: Bound | None = None


#: How a basis whose article is not yet checked against the published text says so.
UNVERIFIED = {"id": "pasal belum diverifikasi", "en": "article not yet verified"}
_VERIFY_MARK = re.compile(r"\s*verify\b\s*(?:\((?P<subject>.*)\))?\s*", re.I | re.S)


class LegalBasis(_Model):
    """A legal instrument and article, with the evidence grade of what we know of it.

    ``verified: false`` says the article is not yet checked against the published text
    (JDIH KPU); the older shorthand ``article: "verify (subject)"`` means the same, with
    the subject of the provision in brackets.
    """

    instrument: str = Field(min_length=1, examples=["PKPU 13/2024"])
    article: str | None = Field(None, examples=["Pasal 70 ayat (1)"])
    verified: bool = Field(True, description="False while the article is not checked against the published text")
    subject: str | None = Field(None, description="What the provision is about, e.g. while its article is unknown",
                                examples=["fasilitasi APK oleh KPU"])
    grade: Literal["P", "S", "I"] = Field(
        description="P: primary text seen; S: reported by a named official; I: inferred or precedent")
    note: str | None = None
    url: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _verify_shorthand(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("article"), str):
            m = _VERIFY_MARK.fullmatch(data["article"])
            if m:
                data = {**data, "article": None, "verified": False}
                if m.group("subject") and not data.get("subject"):
                    data["subject"] = m.group("subject").strip()
        return data

    def cite(self, lang: str | None = None) -> str:
        """Short citation, e.g. ``PKPU 13/2024 Pasal 70 [S]``.

        An unverified article says so in words: ``PKPU 13/2024 (fasilitasi APK oleh KPU;
        pasal belum diverifikasi) [S]`` in Indonesian (``lang="id"``), "article not yet
        verified" in English (``"en"``), both joined with " / " when ``lang`` is None.
        """
        art = f" {self.article}" if self.article else ""
        notes = [self.subject] if self.subject else []
        if not self.verified:
            notes.append(UNVERIFIED[lang] if lang in UNVERIFIED else bilingual(UNVERIFIED["id"], UNVERIFIED["en"]))
        extra = f" ({'; '.join(notes)})" if notes else ""
        return f"{self.instrument}{art}{extra} [{self.grade}]"


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
            raise ValueError(bilingual(f"bukan geometri GeoJSON: {exc}", f"not a GeoJSON geometry: {exc}")) from None
        if geom.is_empty:
            raise ValueError(bilingual("geometri kosong", "geometry is empty"))
        if not geom.is_valid:
            why = shapely.is_valid_reason(geom)
            raise ValueError(bilingual(f"geometri tidak sah ({why}); perbaiki garis batasnya",
                                       f"geometry is not valid ({why}); fix the outline"))
        minx, miny, maxx, maxy = geom.bounds
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            raise ValueError(bilingual("koordinat bukan derajat lon/lat", "coordinates are not lon/lat degrees"))
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
            raise ValueError(bilingual("bentuk 'within' memerlukan distance, mis. distance: 50 m",
                                       "form 'within' needs a distance, e.g. distance: 50 m"))
        if self.form == "corridor" and self.half_width is None:
            raise ValueError(bilingual("bentuk 'corridor' memerlukan half_width, mis. half_width: 15 m",
                                       "form 'corridor' needs a half_width, e.g. half_width: 15 m"))
        if self.form in ("inside", "anywhere") and (self.distance or self.half_width):
            raise ValueError(bilingual(f"bentuk '{self.form}' tidak memakai jarak",
                                       f"form '{self.form}' takes no distance"))
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
        shown = repr(value)[:60]
        raise ValueError(bilingual(f"apk_types harus daftar seperti [spanduk, baliho] atau 'all', bukan {shown}",
                                   f"apk_types must be a list such as [spanduk, baliho] or 'all', not {shown}"))
    return [normalize_apk_type(v) for v in value]


LevelKind = Literal["nasional", "provinsi", "kota"]
#: How each level is cited in reasons when its rule set gives no ``label``.
LEVEL_LABELS = {"nasional": ("nasional", "national"), "provinsi": ("provinsi", "province"),
                "kota": ("kota", "city")}


class LevelRef(_Model):
    """One level of a rule stack as it was used: what a reason cites and provenance records."""

    ruleset_id: str
    version: str
    level: LevelKind
    label: Text
    status: str = "published"


class Rule(_Model):
    """One rule: a place (layer + filter, or typed zones), a verdict and its legal basis."""

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    title: Text
    legal_basis: list[LegalBasis] = Field(min_length=1)
    verdict: Verdict
    spatial: Spatial
    layer: str | None = Field(None, pattern=LAYER_NAME, description="Layer name in the area manifest")
    where: dict[str, list[str | bool | int | float | None]] = Field(
        default_factory=dict, description="Attribute filter: column -> allowed values (text, numbers, true/false)")
    zones: list[Zone] = Field(default_factory=list)
    apk_types: Annotated[list[ApkType] | None, BeforeValidator(_apk_list)] = Field(
        None, description="APK types the rule applies to; omitted or 'all' for every type")
    window: Window = Field(default_factory=Window)
    advisory: bool = Field(False, description="True when the geometry stands in for unknown data")
    note: Text | None = Field(None, description="Shown with the reason, e.g. what the advisory stands for")
    #: The level (rule set id, version, label) the rule came from; set by stacking
    #: (:func:`geozones.rules.stack.flatten`), never written in a file.
    origin: SkipJsonSchema[LevelRef | None] = Field(None, exclude=True)

    @model_validator(mode="after")
    def _place(self) -> Rule:
        import shapely.geometry

        if self.spatial.form == "inside":
            for z in self.zones:
                if shapely.geometry.shape(z.geometry).geom_type not in ("Polygon", "MultiPolygon"):
                    raise ValueError(bilingual(f"zona {z.id}: aturan 'inside' memerlukan Polygon atau MultiPolygon",
                                               f"zone {z.id}: an 'inside' rule needs a Polygon or MultiPolygon"))
        if self.verdict == Verdict.OUTSIDE_AREA:
            raise ValueError(bilingual("OUTSIDE_AREA ditetapkan oleh mesin, bukan oleh aturan",
                                       "OUTSIDE_AREA is set by the engine, not by rules"))
        if self.spatial.form == "anywhere":
            if self.layer or self.zones:
                raise ValueError(bilingual("bentuk 'anywhere' tidak memakai layer atau zones",
                                           "form 'anywhere' takes no layer or zones"))
        elif bool(self.layer) == bool(self.zones):
            raise ValueError(bilingual("beri tepat satu dari 'layer' atau 'zones'",
                                       "give exactly one of 'layer' or 'zones'"))
        if self.where and not self.layer:
            raise ValueError(bilingual("'where' menyaring sebuah layer; aturan ini tidak punya layer",
                                       "'where' filters a layer; this rule has none"))
        return self


class Amendment(_Model):
    """A child level's change to an inherited rule, which it must name: tighten it or lift it.

    ``tighten`` may set a stricter ``verdict`` (never a weaker one), a wider ``spatial``
    distance of the same form, or more ``apk_types``; ``lift`` removes the rule for this
    level and those below it. Checked when the stack is flattened
    (:func:`geozones.rules.stack.flatten`).
    """

    rule: str = Field(min_length=1, description="Id of the inherited rule")
    action: Literal["tighten", "lift"]
    legal_basis: list[LegalBasis] = Field(min_length=1, description="The child's authority for the change")
    reason: Text
    verdict: Verdict | None = None
    spatial: Spatial | None = None
    apk_types: Annotated[list[ApkType] | None, BeforeValidator(_apk_list)] = None

    @model_validator(mode="after")
    def _what(self) -> Amendment:
        changes = [k for k in ("verdict", "spatial", "apk_types") if k in self.model_fields_set]
        if self.action == "lift" and changes:
            raise ValueError(f"a lift removes rule {self.rule}; it takes no {', '.join(changes)}")
        if self.action == "tighten" and not changes:
            raise ValueError(f"tighten rule {self.rule}: give a stricter verdict, spatial or apk_types")
        return self


class Quota(_Model):
    """APK count limit per paslon per admin unit (PKPU 13/2024; grade S/I)."""

    apk_type: Annotated[ApkType, BeforeValidator(lambda v: normalize_apk_type(v) or v)]
    unit: Literal["kelurahan", "kecamatan", "kota"]
    facilitated_max: int = Field(ge=0, le=MAX_FACILITATED)
    extra_pct: int = Field(200, ge=0, le=MAX_EXTRA_PCT, description="Extra APK a paslon may add, % of facilitated_max")
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
            raise ValueError(bilingual("beri tepat satu dari 'site_id' atau 'geometry'",
                                       "give exactly one of 'site_id' or 'geometry'"))
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
    """A published rule set for one jurisdiction and one election: one level of a stack.

    A level may name a parent (``extends``): a kota extends its province, a province the
    national base. A child adds rules, and changes an inherited rule only by naming it in
    ``amendments``; :func:`geozones.rules.stack.flatten` resolves the stack into the one
    rule set the engine compiles, with each rule's :attr:`Rule.origin` and all the
    levels used in :attr:`levels`. A root (no ``extends``) must give the schedule and
    the default reason; a kota level must name its ``area`` and ``jurisdiction``.
    """

    schema_version: Literal[1] = 1
    id: str = Field(min_length=1, max_length=128, pattern=RULESET_ID)
    title: Text
    version: str = Field(min_length=1)
    supersedes: list[Annotated[str, Field(pattern=RULESET_ID, max_length=128)]] = Field(default_factory=list)
    status: Literal["draft", "published", "superseded"] = "draft"
    issued_by: str = Field(min_length=1)
    level: LevelKind = Field("kota", description="nasional (PKPU), provinsi (KPU Provinsi) or kota (KPU Kab/Kota)")
    label: Text | None = Field(None, description="How reasons cite this level, e.g. {id: DKI, en: DKI}")
    extends: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9.-]*$",
                                description="Id of the parent rule set (a kota's province, a province's national base)")
    effective_from: Instant | None = Field(
        None, description="When this version comes into force (WIB if naive); open when omitted")
    jurisdiction: dict[Literal["kemendagri", "bps"], list[Annotated[str, Field(pattern=r"^[0-9.]+$")]]] = Field(
        default_factory=dict,
        description="Codes: kota {'kemendagri': ['31.71'], 'bps': ['3173']}, province {'kemendagri': ['31']}; "
                    "empty for the national base")
    area: str | None = Field(None, pattern=AREA_ID, description="Area manifest id (shapefiles/<area>.yaml); "
                             "on a province level, the province-wide area used for a kota without its own level; "
                             "never a path")
    # Only WIB for now: naive times in the file and in site lists are read as WIB throughout.
    timezone: Literal["Asia/Jakarta"] = TIMEZONE
    schedule: Schedule | None = None
    default_verdict: Verdict = Verdict.NEEDS_OWNER_CONSENT
    default_reason: Text | None = None
    default_legal_basis: list[LegalBasis] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)
    amendments: list[Amendment] = Field(default_factory=list,
                                        description="Inherited rules this level tightens or lifts, by id")
    quotas: list[Quota] = Field(default_factory=list)
    grants: list[Grant] = Field(default_factory=list)
    #: The levels a flattened rule set was built from, root first; set by stacking, never in a file.
    levels: SkipJsonSchema[list[LevelRef]] = Field(default_factory=list)

    @property
    def level_ref(self) -> LevelRef:
        """The rule set as one level (id, version, kind, label) for reasons and provenance."""
        label = self.label or Text(id=LEVEL_LABELS[self.level][0], en=LEVEL_LABELS[self.level][1])
        return LevelRef(ruleset_id=self.id, version=self.version, level=self.level, label=label,
                        status=self.status)

    @model_validator(mode="after")
    def _consistent(self) -> RuleSet:
        if self.extends is None and (self.schedule is None or self.default_reason is None):
            raise ValueError("a rule set without a parent ('extends') must give 'schedule' and 'default_reason'")
        if self.extends is None and self.amendments:
            raise ValueError("'amendments' change inherited rules; this rule set has no parent ('extends')")
        if self.level == "kota" and (not self.area or not self.jurisdiction):
            raise ValueError("a kota rule set must name its 'area' and 'jurisdiction'")
        if self.extends == self.id:
            raise ValueError(f"rule set {self.id} extends itself")
        ids = [r.id for r in self.rules]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(bilingual(f"id aturan ganda: {', '.join(dup)}", f"duplicate rule id(s): {', '.join(dup)}"))
        gids = [g.id for g in self.grants]
        gdup = sorted({i for i in gids if gids.count(i) > 1})
        if gdup:
            raise ValueError(bilingual(f"id diskresi ganda: {', '.join(gdup)}",
                                       f"duplicate grant id(s): {', '.join(gdup)}"))
        # A child's windows may use its parent's schedule and its grants may lift inherited
        # rules: both are checked once the stack is flattened.
        for r in self.rules:
            self._check_window(r.window, f"rule {r.id}")
        for g in self.grants:
            unknown = [x for x in g.lifts if x not in ids]
            if unknown and self.extends is None:
                raise ValueError(bilingual(f"diskresi {g.id} mencabut aturan yang tidak ada: {', '.join(unknown)}",
                                           f"grant {g.id} lifts unknown rule(s): {', '.join(unknown)}"))
            self._check_window(g.window, f"grant {g.id}")
        keys = [(q.apk_type, q.unit) for q in self.quotas]
        if len(set(keys)) != len(keys):
            raise ValueError(bilingual("dua kuota untuk jenis APK dan satuan wilayah yang sama",
                                       "two quotas for the same APK type and unit"))
        return self

    def _check_window(self, w: Window, what: str) -> None:
        if self.schedule is None and any(isinstance(b, str) for b in (w.start, w.end)):
            return
        start = self.instant(w.start) if w.start is not None else None
        end = self.instant(w.end) if w.end is not None else None
        if start is not None and end is not None and end <= start:
            span = f"{start.isoformat()} - {end.isoformat()}"
            raise ValueError(bilingual(f"{what}: rentang waktu kosong ({span})", f"{what}: window is empty ({span})"))

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
        if isinstance(bound, dt.datetime):
            return bound
        if self.schedule is None:
            raise ValueError(f"'{bound}' refers to the schedule, which rule set {self.id} inherits; "
                             "resolve the stack first")
        return self.schedule.resolve(bound)

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
        if isinstance(key, int) and i > 0 and loc[i - 1] in ("rules", "grants", "quotas", "amendments") \
                and isinstance(node, list) and key < len(node):
            item = node[key]
            label = loc[i - 1][:-1]
            ident = item.get("id") if isinstance(item, dict) else None
            if loc[i - 1] == "quotas" and isinstance(item, dict):
                ident = f"{item.get('apk_type')}/{item.get('unit')}"
            if loc[i - 1] == "amendments" and isinstance(item, dict):
                ident = item.get("rule")
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


def _message(err: dict) -> str:
    """A pydantic error as a message in Bahasa Indonesia and English, naming the limit and the value."""
    id_text, en_text = field_error_texts(err)
    return id_text if id_text == en_text else bilingual(id_text, en_text)


def _vertices(geometry: Any, limit: int) -> int:
    """Vertices in a GeoJSON geometry's coordinates (counting stops soon after ``limit``)."""
    count, stack = 0, [geometry.get("coordinates") if isinstance(geometry, dict) else None]
    if isinstance(geometry, dict) and isinstance(geometry.get("geometries"), list):
        stack.extend(g.get("coordinates") for g in geometry["geometries"] if isinstance(g, dict))
    while stack and count <= limit:
        node = stack.pop()
        if isinstance(node, list):
            if node and all(isinstance(x, int | float) for x in node):
                count += 1
            else:
                stack.extend(node)
    return count


#: Control characters (tab and newline excepted) and bidirectional overrides: in a title or note they
#: would reach terminals, spreadsheets and pages, where they can hide or rewrite what is shown.
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _size_problems(data: dict, limits: RuleSetLimits, source: str) -> list[Problem]:
    """Problems with the size of a raw rule-set mapping, found before any validation.

    Walks at most ``limits.max_nodes`` values, so a mapping built with shared (aliased)
    parts cannot make the walk itself run away.
    """
    def problem(loc: tuple, id_text: str, en_text: str) -> Problem:
        owner, fieldpath = _locate(data, loc)
        return Problem(bilingual(id_text, en_text), source, owner, fieldpath)

    out: list[Problem] = []
    for key, limit_name in (("rules", "max_rules"), ("quotas", "max_quotas"), ("grants", "max_grants")):
        items, limit = data.get(key), getattr(limits, limit_name)
        if isinstance(items, list) and len(items) > limit:
            out.append(problem((key,), f"{len(items):,} entri, batas {limit_name}={limit:,}",
                               f"{len(items):,} entries, limit {limit_name}={limit:,}"))
    if out:
        return out  # nothing more is looked at in a file that large
    total = 0
    geometries: list[tuple[tuple, Any]] = []
    for i, rule in enumerate(data.get("rules") or []):
        zones = rule.get("zones") if isinstance(rule, dict) else None
        if isinstance(zones, list):
            if len(zones) > limits.max_zones:
                out.append(problem(("rules", i, "zones"), f"{len(zones):,} zona, batas max_zones={limits.max_zones:,}",
                                   f"{len(zones):,} zones, limit max_zones={limits.max_zones:,}"))
                continue
            geometries += [(("rules", i, "zones", j, "geometry"), z.get("geometry"))
                           for j, z in enumerate(zones) if isinstance(z, dict)]
    for i, grant in enumerate(data.get("grants") or []):
        place = grant.get("place") if isinstance(grant, dict) else None
        if isinstance(place, dict) and place.get("geometry") is not None:
            geometries.append((("grants", i, "place", "geometry"), place["geometry"]))
    for loc, geometry in geometries:
        n = _vertices(geometry, limits.max_vertices)
        total += n
        if n > limits.max_vertices:
            out.append(problem(loc, f"geometri dengan lebih dari {limits.max_vertices:,} titik sudut "
                               f"(batas max_vertices={limits.max_vertices:,})",
                               f"geometry with more than {limits.max_vertices:,} vertices "
                               f"(limit max_vertices={limits.max_vertices:,})"))
    if total > limits.max_total_vertices:
        out.append(problem((), f"{total:,} titik sudut di semua geometri, batas "
                           f"max_total_vertices={limits.max_total_vertices:,}",
                           f"{total:,} vertices in all geometries, limit "
                           f"max_total_vertices={limits.max_total_vertices:,}"))
    if out:
        return out
    seen, stack = 0, [((), data)]
    while stack:
        loc, node = stack.pop()
        seen += 1
        if seen > limits.max_nodes:
            return [problem((), f"lebih dari {limits.max_nodes:,} nilai, batas max_nodes={limits.max_nodes:,}",
                            f"more than {limits.max_nodes:,} values, limit max_nodes={limits.max_nodes:,}")]
        if isinstance(node, str) and len(node) > limits.max_text:
            out.append(problem(loc, f"teks {len(node):,} karakter, batas max_text={limits.max_text:,}",
                               f"text of {len(node):,} characters, limit max_text={limits.max_text:,}"))
        elif isinstance(node, str) and (bad := _CONTROL_CHARS.search(node)):
            code = f"U+{ord(bad.group()):04X}"
            out.append(problem(loc, f"teks memuat karakter kendali {code}; hapus", f"text holds control character "
                               f"{code}; remove it"))
        elif isinstance(node, dict | list):
            is_coords = loc[-1:] == ("coordinates",)
            if len(node) > limits.max_list and not is_coords and not (loc and loc[-1] in ("rules", "grants")):
                out.append(problem(loc, f"{len(node):,} entri, batas max_list={limits.max_list:,}",
                                   f"{len(node):,} entries, limit max_list={limits.max_list:,}"))
                continue
            if is_coords:
                continue  # counted as vertices above
            items = node.items() if isinstance(node, dict) else enumerate(node)
            for k, v in items:
                if isinstance(k, str) and len(k) > limits.max_text:
                    out.append(problem(loc, f"kunci {len(k):,} karakter, batas max_text={limits.max_text:,}",
                                       f"key of {len(k):,} characters, limit max_text={limits.max_text:,}"))
                    continue
                stack.append(((*loc, k), v))
        if len(out) >= 50:
            break
    return out


def parse_ruleset(data: Any, *, source: str = "<rules>",
                  known_layers: set[str] | None = None, limits: RuleSetLimits | None = None) -> RuleSet:
    """Validate a rule-set mapping; errors name ``source``, the rule id and field.

    Parameters
    ----------
    data : mapping
        The parsed YAML (the format of ``rules/ruleset.schema.json``).
    source : str
        File name for messages.
    known_layers : set of str, optional
        Layer names of the area manifest; rules naming any other layer are refused.
    limits : RuleSetLimits, optional
        Size bounds, checked before validation (default: :meth:`RuleSetLimits.from_env`).

    Returns
    -------
    RuleSet
        Frozen; naive times read as WIB.

    Raises
    ------
    InputError
        Every problem found, in Bahasa Indonesia and English, naming rule and field;
        a size beyond ``limits`` names the limit and the size found.
    """
    if not isinstance(data, dict):
        raise InputError(bilingual("aturan harus berupa pemetaan YAML (kunci: nilai)",
                                   "a rule set must be a YAML mapping (key: value)"), source=source)
    limits = limits or RuleSetLimits.from_env()
    problems = _size_problems(data, limits, source)
    if problems:
        raise InputError(problems)
    # Stacking sets these; a file that wrote them would pass off its rules as another level's.
    stacked = [Problem(bilingual("'levels' diisi saat susunan aturan diselesaikan, tidak ditulis di berkas aturan",
                                 "'levels' is set when a stack is resolved, not written in a rule file"), source, None,
                       "levels")] if data.get("levels") else []
    stacked += [Problem(bilingual("'origin' diisi saat susunan aturan diselesaikan, tidak ditulis di berkas aturan",
                                 "'origin' is set when a stack is resolved, not written in a rule file"), source,
                        f"rule {r.get('id')}", "origin")
                for r in data.get("rules") or [] if isinstance(r, dict) and "origin" in r]
    if stacked:
        raise InputError(stacked)
    try:
        rs = RuleSet.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            owner, fieldpath = _locate(data, tuple(err["loc"]))
            problems.append(Problem(_message(err), source, owner, fieldpath))
        raise InputError(problems) from None
    check_layers(rs, known_layers, source)
    return rs


def check_layers(rs: RuleSet, known_layers: set[str] | None, source: str) -> None:
    """Refuse rules naming a layer the area manifest does not have.

    Parameters
    ----------
    rs : RuleSet
        One level or a flattened stack (an inherited rule is named with its level).
    known_layers : set of str or None
        Layer names of the area manifest; None checks nothing.
    source : str
        File name for messages.

    Raises
    ------
    InputError
        One problem per rule naming an unknown layer.
    """
    if known_layers is None:
        return
    # An inherited rule is named with the level that holds it (its file is the parent's).
    names = ", ".join(sorted(known_layers))
    problems = [Problem(bilingual(f"layer '{r.layer}' tidak dikenal; manifes wilayah memuat: {names}",
                                  f"unknown layer '{r.layer}'; the area manifest has: {names}"),
                        f"{source} (level {r.origin.ruleset_id})" if r.origin and r.origin.ruleset_id != rs.id
                        else source, f"rule {r.id}", "layer")
                for r in rs.rules if r.layer and r.layer not in known_layers]
    if problems:
        raise InputError(problems)


def load_ruleset(path: str | os.PathLike, *, known_layers: set[str] | None = None, resolve: bool = True,
                 at: dt.datetime | None = None, limits: RuleSetLimits | None = None) -> RuleSet:
    """Read and validate a rule-set YAML file, with the levels it extends.

    The file's size is checked before it is read, its aliases before they are expanded and
    its keys for duplicates (see :mod:`geozones.core.yamlsafe`), then :func:`parse_ruleset`.

    Parameters
    ----------
    path : path-like
        A rule-set YAML file (e.g. :data:`DEFAULT_RULES`, the published Jakarta Pusat set).
    known_layers : set of str, optional
        Layer names of the area manifest (see :func:`parse_ruleset`); checked on the
        flattened stack.
    resolve : bool
        With ``extends``: look each parent up by id in the file's folder, then in
        :data:`RULES_DIR`, and return the flattened stack
        (:func:`geozones.rules.stack.flatten`). False returns the level alone (for editing
        and diffs).
    at : datetime, optional
        Choose each parent's version in force at this instant (default: the newest).

    Returns
    -------
    RuleSet

    Raises
    ------
    InputError
        If a file is missing, too large, not UTF-8, not YAML (naming the line), has a duplicate
        key, does not validate, or a parent is missing, circular or breaks a stacking rule.
    """
    rs = read_level(path, limits=limits)
    if resolve and rs.extends:
        from geozones.rules.stack import flatten  # stack builds on this module

        index = level_index(Path(path).parent, RULES_DIR)
        chain = [rs]
        while chain[-1].extends:
            parent_id = chain[-1].extends
            if parent_id in {c.id for c in chain}:
                raise InputError(f"rule sets extend each other in a circle: "
                                 f"{' -> '.join([*(c.id for c in chain), parent_id])}", source=str(path),
                                 field="extends")
            found = index.get(parent_id)
            if not found:
                raise InputError(f"parent rule set '{parent_id}' not found in {Path(path).parent} or {RULES_DIR}",
                                 source=str(path), field="extends")
            chain.append(in_force(found, at, parent_id))
        rs = flatten(chain[::-1], source=str(path))
    check_layers(rs, known_layers, str(path))
    return rs


def in_force(versions: list[RuleSet], at: dt.datetime | None, ruleset_id: str) -> RuleSet:
    """The version of one rule set in force at ``at``: the latest ``effective_from`` not after it.

    Parameters
    ----------
    versions : list of RuleSet
        Versions of one rule set id; one without ``effective_from`` is in force from the start.
    at : datetime or None
        Aware instant; None picks the newest.
    ruleset_id : str
        For messages.

    Returns
    -------
    RuleSet

    Raises
    ------
    InputError
        When no version is in force yet at ``at``.
    """
    floor = dt.datetime.min.replace(tzinfo=dt.UTC)
    ordered = sorted(versions, key=lambda r: (r.effective_from or floor, r.version))
    if at is not None:
        ordered = [r for r in ordered if (r.effective_from or floor) <= at]
    if not ordered:
        raise InputError(f"no version of rule set '{ruleset_id}' is in force on {at}", source=ruleset_id,
                         field="effective_from")
    return ordered[-1]


def level_index(*folders: Path) -> dict[str, list[RuleSet]]:
    """Every rule set (one level, unresolved) in ``folders``, by id; earlier folders win for a version.

    Parameters
    ----------
    *folders : pathlib.Path
        Folders of ``*.yaml`` rule files; missing folders, and YAML files that are not rule sets
        (no ``issued_by``, e.g. area manifests), are skipped.

    Returns
    -------
    dict of str to list of RuleSet
        Each id's versions (a version in a later folder is dropped when an earlier one has it).

    Raises
    ------
    InputError
        When a ``*.yaml`` file there is not a valid rule set.
    """
    out: dict[str, list[RuleSet]] = {}
    seen: set[Path] = set()
    for folder in folders:
        if not folder.is_dir():
            continue
        for f in sorted(folder.glob("*.yaml")):
            if f.resolve() in seen:
                continue
            seen.add(f.resolve())
            try:
                head = load_yaml(f, limits=RuleSetLimits.from_env().yaml)
            except InputError:
                head = None
            # Area manifests and other YAML may share the folder: only files that claim to be a
            # rule set (every one names its issuer) are read, and then must be valid.
            if not (isinstance(head, dict) and "issued_by" in head):
                continue
            rs = read_level(f)
            if all(v.version != rs.version for v in out.get(rs.id, [])):
                out.setdefault(rs.id, []).append(rs)
    return out


def read_level(path: str | os.PathLike, *, limits: RuleSetLimits | None = None) -> RuleSet:
    """Read and validate one rule-set file as written (its ``extends`` not resolved).

    The file's size is checked before it is read, its aliases before they are expanded and
    its keys for duplicates (see :mod:`geozones.core.yamlsafe`), then :func:`parse_ruleset`.

    Raises
    ------
    InputError
        If the file is missing, too large, not UTF-8, not YAML (naming the line), has a duplicate
        key, or does not validate.
    """
    path = Path(path)
    limits = limits or RuleSetLimits.from_env()
    if not path.is_file():
        raise InputError(bilingual("berkas aturan tidak ditemukan", "rule set file not found"), source=str(path))
    data = load_yaml(path, limits=limits.yaml)
    return parse_ruleset(data, source=str(path), limits=limits)


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
