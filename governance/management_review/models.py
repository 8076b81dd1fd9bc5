"""What a management review's inputs and minutes are made of (ISO/IEC 42001 9.3.2 lists the
inputs: actions from previous reviews, changes in issues, performance, opportunities for
improvement). Stored as JSON on the review and in its evidence, so every field is plain data."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Plain(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Counted(Plain):
    label: str
    count: int


# --- 1. actions from previous reviews --------------------------------------------------------


class ActionLine(Plain):
    ref: str  # ACT-0003
    review: str  # the review it came from (MR-2026-Q3)
    description: str
    owner: str  # Slack id
    owner_name: str
    due_on: date
    status: Literal["open", "overdue", "done"]


class PreviousActions(Plain):
    actions: list[ActionLine] = Field(default_factory=list)
    open: int = 0
    overdue: int = 0
    done: int = 0


# --- 2. changes in external and internal issues ----------------------------------------------


PolicyChangeKind = Literal["added", "changed", "removed"]


class PolicyChange(Plain):
    source: str
    change: PolicyChangeKind


class Changes(Plain):
    policies: list[PolicyChange] = Field(default_factory=list)
    new_records: list[str] = Field(default_factory=list)  # AIU refs registered in the period
    new_records_by_tier: dict[str, int] = Field(default_factory=dict)  # "not tiered yet" too
    catalogue: list[str] = Field(default_factory=list)  # tools added, changed or removed


# --- 3. performance of the management system -------------------------------------------------


class Approvals(Plain):
    decided: int = 0  # approval requests completed in the period
    outcomes: dict[str, int] = Field(default_factory=dict)
    median_days: float | None = None  # from requested to completed
    mean_days: float | None = None
    open_now: int = 0


class Reviews(Plain):
    done: int = 0
    on_time: int = 0
    late: int = 0
    lapsed: int = 0  # reviews that lapsed in the period
    overdue_now: list[str] = Field(default_factory=list)  # records whose review is overdue


class Incidents(Plain):
    reported: int = 0
    closed: int = 0
    follow_ups: int = 0
    open_now: int = 0


class Findings(Plain):
    raised: int = 0
    closed: int = 0
    open_now: int = 0
    open_by_kind: dict[str, int] = Field(default_factory=dict)


class Gateway(Plain):
    decisions: int = 0
    refused: int = 0
    redacted: int = 0
    without_valid_key: int = 0  # no key, an unknown or a revoked one: possible shadow AI


class Campaign(Plain):
    ref: str
    document: str
    acknowledged: int
    asked: int
    percent: int


class Training(Plain):
    course: str
    trained: int
    required: int
    percent: int


class Answers(Plain):
    given: int = 0
    not_covered: int = 0
    unhelpful: int = 0
    most_asked_not_covered: list[Counted] = Field(default_factory=list)


class FeedbackFigures(Plain):
    received: int = 0
    by_record: dict[str, int] = Field(default_factory=dict)


class Performance(Plain):
    approvals: Approvals = Field(default_factory=Approvals)
    reviews: Reviews = Field(default_factory=Reviews)
    incidents: Incidents = Field(default_factory=Incidents)
    findings: Findings = Field(default_factory=Findings)
    gateway: Gateway | None = None  # None: the gateway decided nothing in the period
    acknowledgements: list[Campaign] = Field(default_factory=list)
    training: list[Training] = Field(default_factory=list)
    answers: Answers = Field(default_factory=Answers)
    feedback: FeedbackFigures = Field(default_factory=FeedbackFigures)


class ReviewInputs(Plain):
    """Events are counted over [period_start, period_end); what stands now (open findings,
    overdue reviews, campaigns, training) is as of `as_of`, the day they were prepared."""

    organisation: str
    period_start: date
    period_end: date  # exclusive
    as_of: date
    first_seq: int = 0  # the ledger events in the period: first..last (0: none)
    last_seq: int = 0
    events: int = 0
    previous_actions: PreviousActions = Field(default_factory=PreviousActions)
    changes: Changes = Field(default_factory=Changes)
    performance: Performance = Field(default_factory=Performance)
    opportunities: list[str] = Field(default_factory=list)

    def chart_series(self) -> list[tuple[str, int]]:
        done = self.performance
        return [
            ("Records registered", len(self.changes.new_records)),
            ("Approvals decided", done.approvals.decided),
            ("Reviews done", done.reviews.done),
            ("Reviews overdue", len(done.reviews.overdue_now)),
            ("Incidents reported", done.incidents.reported),
            ("Findings raised", done.findings.raised),
            ("Questions not covered", done.answers.not_covered),
            ("Answers marked unhelpful", done.answers.unhelpful),
        ]


# --- the minutes ------------------------------------------------------------------------------


class Decision(Plain):
    text: str
    by: str
    at: datetime


class ActionEntry(Plain):
    ref: str
    description: str
    owner: str
    owner_name: str
    due_on: date
    status: str


class ReviewDocument(Plain):
    """A review as exported and shown: its inputs, then the minutes so far."""

    ref: str
    title: str  # "Q4 2026 (1 Oct 2026 to 31 Dec 2026)"
    status: str  # prepared | held
    prepared_by: str
    prepared_at: datetime
    held_on: date | None = None
    attendees: list[str] = Field(default_factory=list)  # names
    decisions: list[Decision] = Field(default_factory=list)
    decided_by: dict[str, str] = Field(default_factory=dict)  # id -> name, for the decisions
    actions: list[ActionEntry] = Field(default_factory=list)
    finding: str | None = None  # the review's own finding (its actions hang on it)
    inputs: ReviewInputs


# --- what a lead types in the review's thread ------------------------------------------------


class Decide(Plain):
    kind: Literal["decide"] = "decide"
    text: str


class Act(Plain):
    kind: Literal["action"] = "action"
    owner: str | None
    description: str
    due_on: date | None


class Other(Plain):
    kind: Literal["other"] = "other"


ThreadCommand = Decide | Act | Other
