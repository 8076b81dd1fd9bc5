"""The organisation's `aims.yaml`: schema, loading, and errors that name file, key path and line."""

from __future__ import annotations

import re
import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from governance.errors import ConfigError
from governance.models import DataCategory, Deployment, RiskTier

SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
SLACK_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")

# Roles a routing rule can name. "business_owner" is resolved to the record's own owner.
BUILTIN_ROLES = ("governance_leads", "privacy", "security", "legal", "senior_owner")
BUSINESS_OWNER = "business_owner"


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
            raise ValueError(f"unknown timezone {value!r} (use an IANA name like Europe/London)") from exc
        return value


class Person(Strict):
    slack_id: str
    name: str = Field(min_length=1)
    email: str | None = None
    title: str | None = None
    delegates: list[str] = Field(default_factory=list)

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


class Intake(Strict):
    expire_after_hours: int = Field(default=72, ge=1)


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

    @field_validator("roles")
    @classmethod
    def _known_roles(cls, roles: dict[str, list[str]]) -> dict[str, list[str]]:
        missing = [role for role in ("governance_leads",) if not roles.get(role)]
        if missing:
            raise ValueError(f"missing role {missing[0]!r}: name at least one person for it")
        return roles

    @model_validator(mode="after")
    def _references_resolve(self) -> OrgConfig:
        known_people = {person.slack_id for person in self.people}
        for role, members in self.roles.items():
            for index, member in enumerate(members):
                if member not in known_people:
                    raise _located(
                        ("roles", role, index), f"{member!r} is not listed under people"
                    )
        for p_index, person in enumerate(self.people):
            for d_index, delegate in enumerate(person.delegates):
                if delegate not in known_people:
                    raise _located(
                        ("people", p_index, "delegates", d_index),
                        f"{delegate!r} is not listed under people",
                    )
        allowed_roles = set(self.roles) | {BUSINESS_OWNER}
        for r_index, rule in enumerate(self.routing):
            for role_index, role in enumerate(rule.roles):
                if role not in allowed_roles:
                    raise _located(
                        ("routing", r_index, "roles", role_index),
                        f"unknown role {role!r}; known roles: {', '.join(sorted(allowed_roles))}",
                    )
        return self

    # Lookups used across the domain.
    def person(self, slack_id: str) -> Person | None:
        return next((p for p in self.people if p.slack_id == slack_id), None)

    def display_name(self, slack_id: str) -> str:
        person = self.person(slack_id)
        return person.name if person else slack_id

    def members(self, role: str) -> list[str]:
        return list(self.roles.get(role, []))

    def delegates_of(self, slack_id: str) -> list[str]:
        person = self.person(slack_id)
        return list(person.delegates) if person else []


class _LocatedError(ValueError):
    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message


def _located(loc: tuple[str | int, ...], message: str) -> _LocatedError:
    return _LocatedError(loc, message)


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
            match = next((v for k, v in node.value if getattr(k, "value", None) == str(part)), None)
            key = next((k for k, _ in node.value if getattr(k, "value", None) == str(part)), None)
            if match is None or key is None:
                break
            line, node = key.start_mark.line + 1, match
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def parse_config(text: str, *, source: str = "aims.yaml") -> OrgConfig:
    try:
        root = yaml.compose(text)
        data: Any = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{source}{line}: YAML syntax error: {exc.problem}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping of settings at the top level")
    try:
        return OrgConfig.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = tuple(error["loc"])
            message = str(error["msg"])
            ctx_error = (error.get("ctx") or {}).get("error")
            if isinstance(ctx_error, _LocatedError):
                loc, message = ctx_error.loc, ctx_error.message
            elif error["type"] == "extra_forbidden":
                message = f"unknown key {loc[-1]!r} (check the spelling)"
            elif message.startswith("Value error, "):
                message = message.removeprefix("Value error, ")
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
