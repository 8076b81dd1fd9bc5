"""The gateway's vocabulary: what a request asks, what the register allows, what was decided.

Everything here is plain data, so the decision (policy.decide) is a pure function of it and is
tested without HTTP, a database or Presidio.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from governance.models import DataCategory, RecordStatus


class ChatMessage(BaseModel):
    """One OpenAI chat message. Content is text or a list of typed parts; parts other than
    text (images, audio) pass through unscanned only if the use may send them (never today)."""

    model_config = ConfigDict(extra="allow")

    role: str = Field(min_length=1)
    content: str | list[dict[str, Any]] | None = None


class ChatRequest(BaseModel):
    """The body of POST /v1/chat/completions. Fields we do not act on are kept and forwarded."""

    model_config = ConfigDict(extra="allow")

    model: str = Field(min_length=1, max_length=200)
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False


class Outcome(StrEnum):
    ALLOW = "allow"  # forwarded as received
    REDACT = "redact"  # forwarded with personal data replaced by typed placeholders
    REFUSE = "refuse"  # not forwarded


class RefusalReason(StrEnum):
    NO_KEY = "no_key"
    UNKNOWN_KEY = "unknown_key"
    REVOKED_KEY = "revoked_key"
    NOT_APPROVED = "not_approved"  # record status or lapsed review
    MODEL_NOT_ALLOWED = "model_not_allowed"
    NO_UPSTREAM = "no_upstream"
    BLOCKED_DATA = "blocked_data"
    TOO_LARGE = "too_large"
    RATE_LIMITED = "rate_limited"
    MALFORMED = "malformed"
    SCAN_FAILED = "scan_failed"  # fail closed: never forwarded unscanned
    UPSTREAM_FAILED = "upstream_failed"
    UPSTREAM_TIMEOUT = "upstream_timeout"


# HTTP status for each refusal; OpenAI-shaped bodies carry the reason as `code`.
REFUSAL_STATUS: dict[RefusalReason, int] = {
    RefusalReason.NO_KEY: 401,
    RefusalReason.UNKNOWN_KEY: 401,
    RefusalReason.REVOKED_KEY: 401,
    RefusalReason.NOT_APPROVED: 403,
    RefusalReason.MODEL_NOT_ALLOWED: 403,
    RefusalReason.NO_UPSTREAM: 503,
    RefusalReason.BLOCKED_DATA: 403,
    RefusalReason.TOO_LARGE: 413,
    RefusalReason.RATE_LIMITED: 429,
    RefusalReason.MALFORMED: 400,
    RefusalReason.SCAN_FAILED: 503,
    RefusalReason.UPSTREAM_FAILED: 502,
    RefusalReason.UPSTREAM_TIMEOUT: 504,
}

# Statuses under which a use may call models: its last approved version applies. A record sent
# back for changes, or resubmitted, keeps its last approved terms until a new decision.
USABLE_STATUSES = frozenset(
    {RecordStatus.APPROVED, RecordStatus.APPROVED_WITH_CONDITIONS, RecordStatus.LIVE}
)
PENDING_STATUSES = frozenset(
    {RecordStatus.CHANGES_REQUESTED, RecordStatus.SUBMITTED, RecordStatus.IN_REVIEW}
)
# Data categories that, when approved for a use, let it send personal data unredacted.
PERSONAL_CATEGORIES = frozenset(
    {DataCategory.PERSONAL, DataCategory.SPECIAL_CATEGORY, DataCategory.CUSTOMER}
)


class KeyState(BaseModel):
    """A gateway key as the register holds it (never the key itself)."""

    model_config = ConfigDict(frozen=True)

    key_id: str  # KEY-0001
    prefix: str  # the first characters of the key, to recognise it by
    record_ref: str
    revoked: bool = False
    revoked_reason: str = ""


class UseTerms(BaseModel):
    """What the register decided for one use, read at request time: its status now and its last
    approved version's tool, data and conditions, and the models that tool may call."""

    model_config = ConfigDict(frozen=True)

    record_ref: str
    title: str
    status: RecordStatus
    approved_version: int | None  # None: never approved
    review_lapsed: bool = False
    tool: str = ""
    allowed_models: tuple[str, ...] = ()  # fnmatch patterns from the catalogue tool
    data_categories: frozenset[DataCategory] = frozenset()
    conditions: tuple[str, ...] = ()
    restore_placeholders: bool = False


class Finding(BaseModel):
    """One span of personal data found in a message's text."""

    model_config = ConfigDict(frozen=True)

    kind: str  # Presidio entity type, e.g. EMAIL_ADDRESS
    message: int  # index into messages
    part: int | None  # list content index; None: string content; -1, -2…: tool call arguments
    start: int
    end: int


class Scan(BaseModel):
    """What the analyzer found in a request, before anything is decided."""

    model_config = ConfigDict(frozen=True)

    findings: tuple[Finding, ...] = ()

    def counts(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for finding in self.findings:
            found[finding.kind] = found.get(finding.kind, 0) + 1
        return dict(sorted(found.items()))


class Decision(BaseModel):
    """The gateway's answer to one request, before (or instead of) forwarding it."""

    model_config = ConfigDict(frozen=True)

    outcome: Outcome
    reason: RefusalReason | None = None
    message: str = ""  # for the caller: why, and what to do
    upstream: str | None = None  # the upstream's name when forwarded
    redact_kinds: tuple[str, ...] = ()  # kinds replaced by placeholders before forwarding
    found: dict[str, int] = Field(default_factory=dict)

    @property
    def status(self) -> int:
        return 200 if self.reason is None else REFUSAL_STATUS[self.reason]
