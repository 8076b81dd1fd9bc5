"""The organisation's `aims.yaml`: schema, loading, and errors that name file, key path and line."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from governance.errors import ConfigError, PermissionDenied
from governance.frameworks import frameworks
from governance.models import DataCategory, Deployment, RiskTier
from governance.pii import KNOWN_RECOGNISERS, unknown_recognisers

SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
SLACK_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")

# Roles a routing rule can name. "business_owner" is resolved to the record's own owner.
BUILTIN_ROLES = ("governance_leads", "privacy", "security", "legal", "senior_owner")
BUSINESS_OWNER = "business_owner"
# Roles every organisation must fill: someone has to own the AI management system.
REQUIRED_ROLES = ("governance_leads",)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ToolStatus(StrEnum):
    APPROVED = "approved"
    APPROVED_WITH_CONDITIONS = "approved_with_conditions"
    RESTRICTED = "restricted"
    PROHIBITED = "prohibited"
    UNDER_REVIEW = "under_review"


class Organisation(Strict):
    name: str = Field(min_length=1)
    timezone: str = "UTC"
    slack_team_id: str | None = None

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown timezone {value!r} (use an IANA name like Europe/London)"
            ) from exc
        return value


class Person(Strict):
    slack_id: str
    name: str = Field(min_length=1)
    email: str | None = None
    title: str | None = None
    delegates: list[str] = Field(default_factory=list)
    # Their manager's Slack id (listed under people): who is told when they fall behind.
    manager: str | None = None

    @field_validator("slack_id")
    @classmethod
    def _slack_user_id(cls, value: str) -> str:
        if not SLACK_USER_ID.match(value):
            raise ValueError(f"{value!r} is not a Slack user id (they look like U012ABCDEF)")
        return value


class RuleCondition(Strict):
    """All listed conditions must hold; an empty condition matches every record."""

    tiers: list[RiskTier] = Field(default_factory=list)
    data_any: list[DataCategory] = Field(default_factory=list)
    deployment_any: list[Deployment] = Field(default_factory=list)
    agent_write_access: bool | None = None
    third_party: bool | None = None


class RoutingRule(Strict):
    name: str
    when: RuleCondition = Field(default_factory=RuleCondition)
    roles: list[str] = Field(min_length=1)
    # "all": every named person in the role must approve; "any": one of them is enough.
    require: Literal["all", "any"] = "any"


class Digest(Strict):
    channel: str
    day: Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] = (
        "monday"
    )
    time: dt.time = dt.time(9, 0)

    @field_validator("time", mode="before")
    @classmethod
    def _quoted_time(cls, value: object) -> object:
        # YAML reads an unquoted 9:00 as the sexagesimal number 540; refuse the silent misread.
        if isinstance(value, int):
            raise ValueError(
                'write the time in quotes, like "09:00" (unquoted, YAML reads a number)'
            )
        return value

    @field_validator("channel")
    @classmethod
    def _channel_id(cls, value: str) -> str:
        if not SLACK_CHANNEL_ID.match(value):
            raise ValueError(f"{value!r} is not a Slack channel id (they look like C012ABCDEF)")
        return value


class ReviewSettings(Strict):
    cadence_days: dict[RiskTier, int] = Field(
        default_factory=lambda: {RiskTier.HIGH: 90, RiskTier.LIMITED: 180, RiskTier.MINIMAL: 365}
    )
    reminder_every_days: int = Field(default=7, ge=1)
    escalate_after_days: int = Field(default=14, ge=1)
    grace_days: int = Field(default=30, ge=1)
    on_lapse: Literal["flag", "suspend"] = "flag"
    max_snooze_days: int = Field(default=30, ge=0)

    @field_validator("cadence_days")
    @classmethod
    def _every_tier_has_a_positive_cadence(cls, value: dict[RiskTier, int]) -> dict[RiskTier, int]:
        defaults = {RiskTier.HIGH: 90, RiskTier.LIMITED: 180, RiskTier.MINIMAL: 365}
        for tier, days in value.items():
            if days < 1:
                raise ValueError(f"{tier}: a review cadence must be at least 1 day, not {days}")
        # A tier left out keeps its default rather than silently getting no reviews.
        return {**defaults, **value}


class QuietHours(Strict):
    """When nobody is nudged, in the organisation's timezone: from `start` until `end` (the
    span may cross midnight), and all weekend unless `weekends` is true."""

    start: dt.time = dt.time(18, 0)
    end: dt.time = dt.time(9, 0)
    weekends: bool = False

    @field_validator("start", "end", mode="before")
    @classmethod
    def _quoted_time(cls, value: object) -> object:
        if isinstance(value, int):
            raise ValueError(
                'write the time in quotes, like "18:00" (unquoted, YAML reads a number)'
            )
        return value

    def quiet_at(self, local: dt.datetime) -> bool:
        if not self.weekends and local.weekday() >= 5:
            return True
        now = local.time()
        if self.start <= self.end:
            return self.start <= now < self.end
        return now >= self.start or now < self.end


class AcknowledgementSettings(Strict):
    """`acknowledgements:` in aims.yaml: how policy acknowledgement campaigns chase people."""

    # Reminders after this many days without an acknowledgement, one per entry.
    remind_after_days: list[int] = Field(default_factory=lambda: [5, 8])
    # Then the person's manager (`manager` under people) or, without one, the leads are told.
    escalate_after_days: int = Field(default=10, ge=1)
    escalate_to: Literal["manager", "governance_leads"] = "manager"
    quiet_hours: QuietHours = Field(default_factory=QuietHours)

    @model_validator(mode="after")
    def _reminders_before_escalation(self) -> AcknowledgementSettings:
        days = self.remind_after_days
        if any(day < 1 for day in days) or days != sorted(set(days)):
            raise ValueError("remind_after_days: give whole days, at least 1, in rising order")
        if days and days[-1] >= self.escalate_after_days:
            raise ValueError(
                f"escalate_after_days ({self.escalate_after_days}) must come after the last "
                f"reminder ({days[-1]} days)"
            )
        return self


class FindingSettings(Strict):
    """`findings:` in aims.yaml: when corrective actions' owners are nudged."""

    nudge_days_before: int = Field(default=3, ge=0)  # days before an action's due date
    escalate_after_days: int = Field(default=7, ge=1)  # overdue this long: the leads are told


class ManagementReviewSettings(Strict):
    """`management_review:` in aims.yaml: how often the bot prepares the review's inputs
    (ISO/IEC 42001 9.3) and where it posts them (else the governance channel)."""

    every_months: Literal[1, 2, 3, 4, 6, 12] = 3
    channel: str | None = None

    @field_validator("channel")
    @classmethod
    def _channel_id(cls, value: str | None) -> str | None:
        if value is not None and not SLACK_CHANNEL_ID.match(value):
            raise ValueError(f"{value!r} is not a Slack channel id (they look like C012ABCDEF)")
        return value


class Modifiers(Strict):
    """Organisational modifiers that raise a tier floor (never lower it)."""

    personal_data_min_tier: RiskTier | None = RiskTier.LIMITED
    customer_facing_min_tier: RiskTier | None = RiskTier.LIMITED
    agent_write_access_min_tier: RiskTier | None = RiskTier.HIGH


class CatalogueTool(Strict):
    name: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)
    vendor: str
    status: ToolStatus
    allowed_data: list[DataCategory] = Field(default_factory=list)
    conditions: list[str] = Field(default_factory=list)
    policy_ref: str | None = None
    url: str | None = None
    # Provider model ids this tool may call through the gateway (fnmatch patterns, e.g. "gpt-4o*").
    models: list[str] = Field(default_factory=list)
    # Facts procurement already settled, so the intake does not ask a requester for them.
    data_location: str | None = Field(default=None, min_length=1)
    contract_dpa: Literal["yes", "in progress", "no", "not sure"] | None = None
    provenance: str | None = Field(default=None, min_length=1)


class Upstream(Strict):
    """An OpenAI-compatible provider the gateway forwards to."""

    name: str = Field(min_length=1)
    base_url: str = Field(pattern=r"^https?://")
    api_key_env: str | None = None  # the environment variable holding its API key
    models: list[str] = Field(min_length=1)  # fnmatch patterns of the model ids it serves
    timeout_seconds: float = Field(default=60.0, gt=0)


class GatewaySettings(Strict):
    """`gateway:` in aims.yaml: where it listens, where it forwards, what it refuses."""

    host: str = "127.0.0.1"
    port: int = Field(default=4000, ge=1, le=65535)
    upstreams: list[Upstream] = Field(default_factory=list)
    # Presidio entity types looked for; those in `block` refuse the request, the rest are
    # replaced by placeholders unless the use is approved for personal data.
    recognisers: list[str] = Field(default_factory=lambda: list(KNOWN_RECOGNISERS))
    block: list[str] = Field(default_factory=lambda: ["CREDIT_CARD", "US_SSN", "UK_NINO"])
    max_request_bytes: int = Field(default=1_000_000, ge=1_000)
    requests_per_minute: int = Field(default=600, ge=1)
    store_text: bool = False
    # The register record AIMS Bot's own LLM calls run under (AIMS_LLM); unset: the record
    # titled "AIMS Bot".
    self_record: str | None = None

    @field_validator("recognisers", "block")
    @classmethod
    def _known_recognisers(cls, names: list[str]) -> list[str]:
        unknown = unknown_recognisers(names)
        if unknown:
            raise ValueError(
                f"unknown recogniser(s) {', '.join(unknown)}; known: {', '.join(KNOWN_RECOGNISERS)}"
            )
        return names


class Intake(Strict):
    expire_after_hours: int = Field(default=72, ge=1)


class ApprovalSettings(Strict):
    """`approvals:` in aims.yaml."""

    # Separation of duties: unless this is true, every approval needs at least one decision by
    # someone other than the requester.
    allow_self_approval: bool = False
    # A minimal-tier, internal use of an approved catalogue tool within its allowed data:
    # "lead": one governance lead approves it; "conditions": it is approved at once with the
    # catalogue's conditions recorded; "off": routed like any other record.
    fast_track: Literal["off", "lead", "conditions"] = "lead"


class StatementOfApplicability(Strict):
    """`soa:` in aims.yaml: which ISO/IEC 42001 Annex A controls the organisation excludes, each
    with its justification (clause 6.1.3). Every control not listed under `not_applicable` applies;
    `applicable` may say why one does, in the organisation's words, for `aims soa` to show."""

    not_applicable: dict[str, str] = Field(default_factory=dict)  # control id -> why excluded
    applicable: dict[str, str] = Field(default_factory=dict)  # control id -> why included


class AuditSettings(Strict):
    """`audit:` in aims.yaml: the audit pack (`aims audit pack`, `/aims audit` in Slack)."""

    # `/aims audit` uploads the pack's zip to the lead's direct messages instead of naming the
    # folder it was written to on the bot's machine (evidence and register leave the server).
    upload_to_slack: bool = False
    # The AI management system's scope (ISO/IEC 42001 clause 4.3) in the organisation's words,
    # shown at the top of the pack; unset: what AIMS Bot covers.
    scope: str | None = Field(default=None, min_length=1)


class TrainingCourse(Strict):
    name: str = Field(min_length=1)
    # A completion counts for this many days; unset: it never expires.
    valid_for_days: int | None = Field(default=None, ge=1)


class TrainingRequirements(Strict):
    """Who needs which courses: everyone under people, a role's members, and the owner and
    requester of every record of a tier that is in use or on its way there."""

    everyone: list[str] = Field(default_factory=list)
    roles: dict[str, list[str]] = Field(default_factory=dict)
    tiers: dict[RiskTier, list[str]] = Field(default_factory=dict)


class TrainingSettings(Strict):
    """`training:` in aims.yaml: AI-literacy and other courses (EU AI Act Art. 4, ISO/IEC
    42001 7.2) and who must have completed them."""

    courses: list[TrainingCourse] = Field(default_factory=list)
    required: TrainingRequirements = Field(default_factory=TrainingRequirements)

    def course(self, name: str) -> TrainingCourse | None:
        """The course `name` means, in any case or spacing."""
        wanted = " ".join(name.split()).casefold()
        return next(
            (c for c in self.courses if " ".join(c.name.split()).casefold() == wanted), None
        )

    def reference_problems(
        self, roles: dict[str, list[str]]
    ) -> list[tuple[tuple[str | int, ...], str]]:
        problems: list[tuple[tuple[str | int, ...], str]] = []
        seen: set[str] = set()
        for index, course in enumerate(self.courses):
            key = " ".join(course.name.split()).casefold()
            if key in seen:
                problems.append(
                    (("training", "courses", index, "name"), f"{course.name!r} is listed twice")
                )
            seen.add(key)
        where: list[tuple[tuple[str | int, ...], list[str]]] = [
            (("training", "required", "everyone"), self.required.everyone),
            *(
                (("training", "required", "roles", role), names)
                for role, names in self.required.roles.items()
            ),
            *(
                (("training", "required", "tiers", tier.value), names)
                for tier, names in self.required.tiers.items()
            ),
        ]
        known = [course.name for course in self.courses]
        for loc, names in where:
            problems += [
                (
                    (*loc, index),
                    f"{name!r} is not listed under training.courses{_did_you_mean(name, known)}",
                )
                for index, name in enumerate(names)
                if self.course(name) is None
            ]
        problems += [
            (
                ("training", "required", "roles", role),
                f"unknown role {role!r}; known roles: {', '.join(sorted(roles))}",
            )
            for role in self.required.roles
            if role not in roles
        ]
        return problems


class OrgConfig(Strict):
    organisation: Organisation
    people: list[Person] = Field(min_length=1)
    roles: dict[str, list[str]]
    routing: list[RoutingRule] = Field(default_factory=list)
    reviews: ReviewSettings = Field(default_factory=ReviewSettings)
    approval_escalation_days: int = Field(default=3, ge=1)
    incident_follow_up_days: int = Field(default=7, ge=1)
    governance_channel: str | None = None
    digest: Digest | None = None
    modifiers: Modifiers = Field(default_factory=Modifiers)
    tier_controls: dict[RiskTier, list[str]] = Field(default_factory=dict)
    catalogue: list[CatalogueTool] = Field(default_factory=list)
    policy_sources: list[str] = Field(default_factory=list)
    intake: Intake = Field(default_factory=Intake)
    approvals: ApprovalSettings = Field(default_factory=ApprovalSettings)
    gateway: GatewaySettings | None = None
    soa: StatementOfApplicability = Field(default_factory=StatementOfApplicability)
    audit: AuditSettings = Field(default_factory=AuditSettings)
    training: TrainingSettings = Field(default_factory=TrainingSettings)
    acknowledgements: AcknowledgementSettings = Field(default_factory=AcknowledgementSettings)
    findings: FindingSettings = Field(default_factory=FindingSettings)
    management_review: ManagementReviewSettings = Field(default_factory=ManagementReviewSettings)
    _people_by_id: dict[str, Person] = PrivateAttr(default_factory=dict)
    _people_indexed: list[Person] | None = PrivateAttr(default=None)

    @field_validator("roles")
    @classmethod
    def _known_roles(cls, roles: dict[str, list[str]]) -> dict[str, list[str]]:
        for role in REQUIRED_ROLES:
            if roles.get(role):
                continue
            if role in roles:
                raise _located(("roles", role), f"name at least one person for role {role!r}")
            hint = _did_you_mean(role, [name for name in roles if not _is_builtin(name)])
            raise ValueError(f"missing role {role!r}: name at least one person for it{hint}")
        return roles

    @model_validator(mode="after")
    def _references_resolve(self) -> OrgConfig:
        problems: list[tuple[tuple[str | int, ...], str]] = []
        known_people = {person.slack_id for person in self.people}
        for role, members in self.roles.items():
            for index, member in enumerate(members):
                if member not in known_people:
                    problems.append(
                        (("roles", role, index), f"{member!r} is not listed under people")
                    )
        for p_index, person in enumerate(self.people):
            for d_index, delegate in enumerate(person.delegates):
                if delegate not in known_people:
                    problems.append(
                        (
                            ("people", p_index, "delegates", d_index),
                            f"{delegate!r} is not listed under people",
                        )
                    )
            if person.manager is not None and person.manager not in known_people:
                problems.append(
                    (
                        ("people", p_index, "manager"),
                        f"{person.manager!r} is not listed under people",
                    )
                )
        allowed_roles = set(self.roles) | {BUSINESS_OWNER}
        for r_index, rule in enumerate(self.routing):
            for role_index, role in enumerate(rule.roles):
                if role not in allowed_roles:
                    problems.append(
                        (
                            ("routing", r_index, "roles", role_index),
                            f"unknown role {role!r}; known roles: "
                            f"{', '.join(sorted(allowed_roles))}",
                        )
                    )
        problems += self._catalogue_problems() + self._empty_routed_roles() + self._soa_problems()
        problems += self.training.reference_problems(self.roles)
        if problems:
            raise _LocatedError(problems)
        return self

    def _catalogue_problems(self) -> list[tuple[tuple[str | int, ...], str]]:
        problems: list[tuple[tuple[str | int, ...], str]] = []
        owner_of: dict[str, int] = {}
        for index, tool in enumerate(self.catalogue):
            for position, name in enumerate([tool.name, *tool.aliases]):
                owner = owner_of.setdefault(" ".join(name.lower().split()), index)
                if owner == index:
                    continue
                where: tuple[str | int, ...] = (
                    ("catalogue", index, "name")
                    if position == 0
                    else ("catalogue", index, "aliases", position - 1)
                )
                problems.append(
                    (
                        where,
                        f"{name!r} is already used by "
                        f"{self.catalogue[owner].name!r}; tool names and "
                        "aliases must be unique",
                    )
                )
        return problems

    def _soa_problems(self) -> list[tuple[tuple[str | int, ...], str]]:
        known = frameworks().control_ids
        problems: list[tuple[tuple[str | int, ...], str]] = []
        for section in ("not_applicable", "applicable"):
            for control, justification in getattr(self.soa, section).items():
                where: tuple[str | int, ...] = ("soa", section, control)
                if control not in known:
                    hint = _did_you_mean(control, sorted(known))
                    problems.append(
                        (where, f"{control!r} is not an ISO/IEC 42001 Annex A control{hint}")
                    )
                elif not justification.strip():
                    problems.append(
                        (where, f"give the justification for {control} in words (clause 6.1.3)")
                    )
        problems += [
            (("soa", "applicable", control), f"{control} is also listed under not_applicable")
            for control in self.soa.applicable
            if control in self.soa.not_applicable
        ]
        return problems

    def _empty_routed_roles(self) -> list[tuple[tuple[str | int, ...], str]]:
        return [
            (
                ("routing", r_index, "roles", role_index),
                f"role {role!r} has nobody in it, so these approvals could never be given; "
                f"name someone under roles.{role}",
            )
            for r_index, rule in enumerate(self.routing)
            for role_index, role in enumerate(rule.roles)
            if role in self.roles and not self.roles[role]
        ]

    # Lookups used across the domain.
    def person(self, slack_id: str) -> Person | None:
        # Looked up for every person of a 5,000-strong audience: by id, not by scanning. The
        # index is rebuilt when `people` is another list (a copy made with other people).
        if self._people_indexed is not self.people:
            self._people_by_id = {person.slack_id: person for person in self.people}
            self._people_indexed = self.people
        return self._people_by_id.get(slack_id)

    def display_name(self, slack_id: str) -> str:
        person = self.person(slack_id)
        return person.name if person else slack_id

    def members(self, role: str) -> list[str]:
        return list(self.roles.get(role, []))

    def is_lead(self, person: str) -> bool:
        return person in self.roles.get("governance_leads", [])

    def require_lead(self, person: str, what: str) -> None:
        """PermissionDenied, before anything is changed, unless `person` is a governance lead."""
        if not self.is_lead(person):
            raise PermissionDenied(f"only a governance lead can {what}")

    def delegates_of(self, slack_id: str) -> list[str]:
        person = self.person(slack_id)
        return list(person.delegates) if person else []


class _LocatedError(ValueError):
    """One or more problems, each at its own key path (a validator's own loc is too coarse)."""

    def __init__(self, problems: list[tuple[tuple[str | int, ...], str]]) -> None:
        super().__init__("; ".join(message for _, message in problems))
        self.problems = problems
        self.loc, self.message = problems[0]


def _located(loc: tuple[str | int, ...], message: str) -> _LocatedError:
    return _LocatedError([(loc, message)])


def _is_builtin(name: str) -> bool:
    return name in BUILTIN_ROLES


def _did_you_mean(word: str, candidates: list[str] | set[str] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, sorted(candidates), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _all_field_names(model: type[BaseModel], seen: set[type[BaseModel]] | None = None) -> set[str]:
    """Every key any part of aims.yaml may use, for "did you mean" hints."""
    seen = seen if seen is not None else set()
    if model in seen:
        return set()
    seen.add(model)
    names = set(model.model_fields)
    for info in model.model_fields.values():
        for inner in _models_in(info.annotation):
            names |= _all_field_names(inner, seen)
    return names


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    from typing import get_args

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in get_args(annotation) for model in _models_in(arg)]


def key_path(loc: tuple[str | int, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "(top level)"


def _line_of(root: yaml.Node | None, loc: tuple[str | int, ...]) -> int | None:
    """The 1-based line of the deepest YAML node on `loc` that exists."""
    node = root
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            pair = next(
                ((k, v) for k, v in node.value if getattr(k, "value", None) == str(part)), None
            )
            if pair is None:
                break
            line, node = pair[0].start_mark.line + 1, pair[1]
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _yaml_syntax_error(source: str, exc: yaml.MarkedYAMLError) -> ConfigError:
    mark = exc.problem_mark or exc.context_mark
    where = f"{source}:{mark.line + 1}" if mark is not None else source
    message = f"{where}: YAML syntax error: {exc.problem or exc.context}"
    if exc.context and exc.problem and exc.context_mark is not None:
        message += f" ({exc.context} that starts on line {exc.context_mark.line + 1})"
    return ConfigError(message)


def _duplicate_keys(node: yaml.Node | None, path: tuple[str | int, ...] = ()) -> list[str]:
    """PyYAML keeps the last of two equal keys without a word; a config file must not."""
    problems: list[str] = []
    if isinstance(node, yaml.MappingNode):
        first_line: dict[str, int] = {}
        for key, value in node.value:
            name = str(getattr(key, "value", ""))
            if name in first_line:
                problems.append(
                    f"{key.start_mark.line + 1}: {key_path((*path, name))}: duplicate key "
                    f"{name!r} (first on line {first_line[name]}); merge the two"
                )
            else:
                first_line[name] = key.start_mark.line + 1
            problems += _duplicate_keys(value, (*path, name))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            problems += _duplicate_keys(item, (*path, index))
    return problems


def _describe(error: Any) -> tuple[tuple[str | int, ...], str]:
    """A pydantic error as (key path, message a person can act on)."""
    loc: tuple[str | int, ...] = tuple(error["loc"])
    if loc and loc[-1] == "[key]":  # a dict key failed validation: point at the key itself
        loc = loc[:-1]
    message = str(error["msg"])
    ctx = error.get("ctx") or {}
    if error["type"] == "extra_forbidden":
        hint = _did_you_mean(str(loc[-1]), _all_field_names(OrgConfig))
        message = f"unknown key {loc[-1]!r}{hint or ' (check the spelling)'}"
    elif error["type"] in ("enum", "literal_error") and "expected" in ctx:
        message = f"unknown value {error['input']!r}; use one of {ctx['expected']}"
    elif error["type"] == "missing":
        message = f"{loc[-1]!r} is required" if loc else message
    elif message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
    return loc, message


def parse_config(text: str, *, source: str = "aims.yaml") -> OrgConfig:
    try:
        root = yaml.compose(text)
        data: Any = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        raise _yaml_syntax_error(source, exc) from exc
    duplicates = _duplicate_keys(root)
    if duplicates:
        raise ConfigError("\n".join(f"{source}:{problem}" for problem in duplicates))
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping of settings at the top level")
    try:
        return OrgConfig.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            ctx_error = (error.get("ctx") or {}).get("error")
            located = (
                ctx_error.problems if isinstance(ctx_error, _LocatedError) else [_describe(error)]
            )
            for loc, message in located:
                line = _line_of(root, loc)
                where = f"{source}:{line}" if line else source
                problems.append(f"{where}: {key_path(loc)}: {message}")
        raise ConfigError("\n".join(problems)) from exc


def load_config(path: Path) -> OrgConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(
            f"{path}: no such file. Create one with `aims init DIR`, or point --config / "
            "AIMS_CONFIG at your aims.yaml."
        ) from exc
    return parse_config(text, source=str(path))
