"""Approval vocabulary and the edge schemas: what a button carries, what a decision says."""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from governance.models import RecordStatus

# What the intake asks, and so what a resubmission may change. The tier and its reasons follow
# from these facts (re-tiered on every resubmission); who owns and requested the use, the
# override, conditions and review dates are set by governance, never by the person answering.
RESUBMITTABLE_FIELDS: tuple[str, ...] = (
    "title",
    "purpose",
    "business_unit",
    "vendor",
    "tool",
    "model_version",
    "third_party",
    "deployment",
    "affected_people",
    "data_categories",
    "decisions_about_people",
    "decision_stakes",
    "human_oversight",
    "autonomy",
    "permissions",
    "agent_write_access",
    "provenance",
    "data_location",
    "contract_dpa",
    "logging_arrangements",
    "escalation_route",
    "eu_ai_act_role",
    "annex_iii_areas",
    "article_5_practices",
)


class Verdict(StrEnum):
    APPROVE = "approve"
    APPROVE_WITH_CONDITIONS = "approve_with_conditions"
    REQUEST_CHANGES = "request_changes"
    REJECT = "reject"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def needs_text(self) -> bool:
        """Everything but a plain approval must say why (or on which conditions)."""
        return self is not Verdict.APPROVE


_LABELS = {
    Verdict.APPROVE: "Approved",
    Verdict.APPROVE_WITH_CONDITIONS: "Approved with conditions",
    Verdict.REQUEST_CHANGES: "Changes requested",
    Verdict.REJECT: "Rejected",
}


class RequestStatus(StrEnum):
    OPEN = "open"
    APPROVED = "approved"
    APPROVED_WITH_CONDITIONS = "approved_with_conditions"
    CHANGES_REQUESTED = "changes_requested"
    REJECTED = "rejected"
    # A newer version (or a new submission) replaced this request; its buttons are stale.
    SUPERSEDED = "superseded"

    @property
    def record_status(self) -> RecordStatus:
        return RecordStatus(self.value)


class Require(StrEnum):
    ALL = "all"
    ANY = "any"


class RequiredSlot(BaseModel):
    """One approval a request needs. `approvers` are the named people; delegates come from
    the org config at the moment someone acts, so a delegate change applies to open requests."""

    model_config = ConfigDict(frozen=True)

    key: str
    role: str
    require: Require
    approvers: list[str]
    rules: list[str]


class ApprovalAction(BaseModel):
    """What an approval button (value) or the reason modal (private_metadata) carries."""

    model_config = ConfigDict(extra="forbid")

    request_id: int
    ref: str
    version: int
    slot: str
    verdict: Verdict | None = None


class DecisionInput(BaseModel):
    """A decision as a person gives it, from Slack or the CLI."""

    model_config = ConfigDict(extra="forbid")

    request_id: int
    slot: str
    verdict: Verdict
    actor: str
    reason: str = ""
    conditions: list[str] = Field(default_factory=list)
    via: str = "slack"
    # The version the person saw; a mismatch with the request means the button is stale.
    version: int | None = None


class DecisionResult(BaseModel):
    """What happened, phrased for the person who acted (an ephemeral message or CLI line)."""

    accepted: bool
    message: str
    request_id: int
    ref: str
    outcome: RequestStatus | None = None
    refusal: str | None = None  # not_allowed | own_request | stale | already_decided | invalid
    # People the message names by their id (aims.yaml does not name them): a transport that can
    # mention people shows these ids as mentions; plain text keeps the id.
    mentions: list[str] = Field(default_factory=list)


_MESSAGE_TS = re.compile(r"^\d+\.\d+$")


class RequesterThread(BaseModel):
    """Where the requester registered the use: the conversation's channel and the thread (the
    timestamp of its first message). What they are told about its approval replies there."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    channel: str = Field(min_length=1, max_length=64)
    thread_ts: str = Field(pattern=_MESSAGE_TS.pattern, max_length=32)

    @classmethod
    def of(cls, channel: str | None, thread: str) -> RequesterThread | None:
        """The thread a conversation ran in, or None when it ran where no thread can be replied
        to later (the terminal, a slash command's private answers)."""
        if not channel or not _MESSAGE_TS.match(thread):
            return None
        return cls(channel=channel, thread_ts=thread)
