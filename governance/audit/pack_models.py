"""What the audit pack reports, as typed figures: each one carries the sequence numbers of the
evidence events behind it (governance.audit.pack_events.Cited), so an auditor can look every
number up in evidence.jsonl."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from governance.audit.pack_events import Cited
from governance.gateway.stats import GatewayStats
from governance.soa import ControlStatus, Period, SoaStatus


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class PackInfo(Frozen):
    organisation: str
    scope: str
    timezone: str
    period_start: datetime | None  # None: from the first event
    period_end: datetime | None  # exclusive; None: up to the pack's time
    generated_at: datetime
    generated_by: str
    events: int = 0  # events in evidence.jsonl
    head_hash: str | None = None  # hash of its last event
    key_fingerprint: str | None = None  # the signing key's, when one is configured
    digest: int | None = None  # the latest signed digest's number

    @property
    def period(self) -> Period | None:
        if self.period_start is None and self.period_end is None:
            return None
        return self.period_start, self.period_end


class RegisterEntry(Frozen):
    ref: str
    title: str
    tier: str | None
    status: str
    owner: str
    next_review: date | None
    version: int
    conditions: list[str]
    seqs: list[int]  # its newest register and approval events


class TierCount(Frozen):
    tier: str  # a RiskTier value, or "not tiered"
    records: list[str]
    cited: Cited  # the newest register event of each record in the tier


class Decision(Frozen):
    slot: str
    verdict: str  # as people read it: "Approved with conditions"
    by: str
    on_behalf_of: str | None
    at: datetime | None


class ApprovalDone(Frozen):
    """A request decided in the period (its approval.completed event)."""

    seq: int
    at: datetime
    record_ref: str
    title: str
    version: int
    outcome: str
    conditions: list[str]
    next_review: str | None
    decisions: list[Decision]
    seqs: list[int]  # the completion and each approval.decided event of the request


class ApprovalOpen(Frozen):
    """A request still waiting at the pack's time."""

    record_ref: str
    title: str
    version: int
    opened_at: datetime
    waiting_for: list[str]
    seqs: list[int]


class ReviewDone(Frozen):
    seq: int
    at: datetime
    record_ref: str
    title: str
    due_on: str
    outcome: str
    by: str


class ReviewOverdue(Frozen):
    record_ref: str
    title: str
    due_on: date
    days: int
    lapsed: bool
    seqs: list[int]  # the approval that set the date and the review notices since


class IncidentEntry(Frozen):
    ref: str
    reported_at: datetime
    severity: str
    serious: str
    people_harmed: bool
    what_happened: str
    about: str  # the register record, or the unregistered tool
    status: str
    closed_at: datetime | None
    root_cause: str
    corrective_action: str
    seqs: list[int]  # reported, followed up, closed


class Named(Frozen):
    name: str
    cited: Cited


class AnswerFigures(Frozen):
    """Policy answers in the period."""

    answers: Cited
    covered: Cited  # the policies covered the question
    uncovered: Cited  # they did not: a gap to fix in the policies
    helpful: Cited  # 👍 on an answer
    unhelpful: Cited  # 👎
    unknown_tools: list[Named]  # tools asked about that the catalogue does not list


class GatewayFigures(Frozen):
    stats: GatewayStats
    decisions: Cited
    per_use: dict[str, list[int]]  # record ref -> its newest gateway events
    shadow: Cited  # requests with no key or a key no use holds


class CitedEvent(Frozen):
    """An event the pack cites, listed at its end so a number can be checked at a glance."""

    seq: int
    at: datetime
    kind: str
    actor: str
    subject: str
    hash: str


class PackFigures(Frozen):
    info: PackInfo
    soa: list[ControlStatus]
    soa_summary: dict[SoaStatus, int]
    records: list[RegisterEntry]
    tiers: list[TierCount]
    approvals_done: list[ApprovalDone]
    approvals_open: list[ApprovalOpen]
    reviews_done: list[ReviewDone]
    reviews_overdue: list[ReviewOverdue]
    incidents: list[IncidentEntry]
    answers: AnswerFigures | None  # None: no policy answer in the period
    gateway: GatewayFigures | None  # None: nothing went through the gateway, no key exists
    cited: list[CitedEvent] = []
