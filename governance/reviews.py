"""Periodic reviews: the next review date from the tier's cadence (set on approval), snooze
within the configured bound, and the three outcomes of a review: continue, change (a new
version goes back for approval) or retire. The sweep that tells owners a review is due lives
in governance/review_sweep.py; helpers both use are here, the cadence in review_cadence.py."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from governance import register
from governance.approvals.flows import submit_record
from governance.config import OrgConfig
from governance.errors import PermissionDenied, ValidationProblem
from governance.models import RecordStatus
from governance.review_cadence import cadence_days
from store import evidence
from store.evidence_kinds import EvidenceKind
from store.models import AIUse
from store.review_models import ReviewCycle

SYSTEM = "aims-scheduler"
FOUND_MIN, FOUND_TITLE_MAX = 3, 120  # what a review found: its first line is the title
# Statuses whose records are in use and so owe periodic reviews.
REVIEWABLE = (RecordStatus.APPROVED, RecordStatus.APPROVED_WITH_CONDITIONS, RecordStatus.LIVE)

T = TypeVar("T")


class ReviewOutcome(StrEnum):
    CONTINUE = "continue"
    CHANGE = "change"
    RETIRE = "retire"


class ReviewRef(BaseModel):
    """Which review a choice is about: the record and the due date it was asked for."""

    ref: str
    due_on: date


class ReviewAnswers(BaseModel):
    """The short review form."""

    still_in_use: bool
    changed: bool = Field(description="purpose, data, model or vendor changed?")
    incidents: bool = Field(description="incidents or complaints since the last review?")
    performing: bool = Field(description="still performing as intended?")
    notes: str = ""


class Retirement(BaseModel):
    reason: str = Field(min_length=1)
    retire_on: date
    data_disposal: str = Field(min_length=1)


# --- shared helpers (incidents and digest use them too) -----------------------------------


def local_today(config: OrgConfig, now: datetime) -> date:
    """Due dates are calendar days where the organisation is, not in UTC."""
    return now.astimezone(ZoneInfo(config.organisation.timezone)).date()


def claim_rows(session: Session, query: Select[T], *, of: Any = None) -> Sequence[T]:
    """Lock the rows a sweep will act on; rows another replica holds are skipped, not waited
    for. `of` names the table to lock when the query joins others (so the joined rows stay
    free for other writers). On SQLite every write transaction is already serial (BEGIN
    IMMEDIATE, see store.db)."""
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=of)
    return session.scalars(query).all()


def may_act_for(config: OrgConfig, record: AIUse, actor: str) -> bool:
    owners = {record.owner, *config.delegates_of(record.owner)} - {""}
    return actor in owners or actor in config.members("governance_leads")


def owner_or_leads(config: OrgConfig, record: AIUse) -> list[str]:
    """Who to tell about a record: its owner, else its requester, else the governance leads."""
    person = record.owner or record.requester
    return [person] if person else config.members("governance_leads")


def fmt_day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def effective_due(cycle: ReviewCycle) -> date:
    return max(cycle.due_on, cycle.snoozed_until or cycle.due_on)


def new_cycle(session: Session, record: AIUse) -> ReviewCycle:
    assert record.next_review is not None
    cycle = ReviewCycle(ai_use_id=record.id, due_on=record.next_review, reminders_sent=0)
    session.add(cycle)
    return cycle


# --- snooze and outcomes --------------------------------------------------------------------


def current_cycle(session: Session, record: AIUse) -> ReviewCycle:
    """The open cycle for the record's due date, opened now if the sweep has not reached it
    (an owner may review early)."""
    if record.next_review is None:
        raise ValidationProblem(f"{record.ref} has no review date: it is not approved yet")
    cycle = session.scalar(
        select(ReviewCycle).where(
            ReviewCycle.ai_use_id == record.id, ReviewCycle.due_on == record.next_review
        )
    )
    return cycle or new_cycle(session, record)


def snooze_review(
    session: Session, *, record: AIUse, config: OrgConfig, actor: str, days: int, now: datetime
) -> date:
    """Push reminders back to `days` after the due date (after today, if that has passed);
    never beyond max_snooze_days after the due date. Relative to the due date, not to an
    earlier snooze, so the same snooze repeated (a double click) changes nothing."""
    _check_actor(config, record, actor)
    cycle = current_cycle(session, record)
    limit = cycle.due_on + timedelta(days=config.reviews.max_snooze_days)
    until = max(local_today(config, now), cycle.due_on) + timedelta(days=days)
    if days < 1 or until > limit:
        raise ValidationProblem(
            f"a review can be snoozed at most {config.reviews.max_snooze_days} days past its due "
            f"date, so {record.ref} can wait until {fmt_day(limit)} at the latest"
        )
    cycle.snoozed_until = until
    evidence.append(
        session,
        actor=actor,
        kind=EvidenceKind.REVIEW_SNOOZED,
        subject=record.ref,
        now=now,
        payload={"due_on": cycle.due_on.isoformat(), "until": until.isoformat()},
    )
    return until


@dataclass(frozen=True)
class ReviewResult:
    outcome: ReviewOutcome
    next_review: date | None
    message: str
    finding: str | None = None  # the observation "this review found…" raised


def complete_review(
    session: Session,
    *,
    record: AIUse,
    config: OrgConfig,
    actor: str,
    answers: ReviewAnswers,
    outcome: ReviewOutcome,
    now: datetime,
    retirement: Retirement | None = None,
    changes: dict[str, Any] | None = None,
    found: str = "",
) -> ReviewResult:
    """Record the review and apply its outcome, with evidence, in the caller's transaction.
    What the review `found`, when given, is raised as an observation on the record."""
    _check_actor(config, record, actor)
    _check_outcome(answers, outcome, retirement)
    if found.strip() and len(found.strip()) < FOUND_MIN:
        raise ValidationProblem("say in a few words what the review found")
    if record.status not in {*REVIEWABLE, RecordStatus.SUSPENDED}:
        raise ValidationProblem(
            f"{record.ref} is {record.status}: only approved, live or suspended uses are reviewed"
        )
    cycle = current_cycle(session, record)
    cycle.outcome, cycle.answers = outcome.value, answers.model_dump(mode="json")
    cycle.completed_by, cycle.completed_at = actor, now
    evidence.append(
        session,
        actor=actor,
        kind=EvidenceKind.REVIEW_COMPLETED,
        subject=record.ref,
        now=now,
        payload={
            "due_on": cycle.due_on.isoformat(),
            "outcome": outcome.value,
            "answers": cycle.answers,
        },
    )
    finding = _observation(session, config, record, actor, now, found) if found.strip() else None
    result = _outcome(session, config, record, actor, now, answers, outcome, retirement, changes)
    if finding is None:
        return result
    return replace(
        result,
        finding=finding,
        message=f"{result.message} Observation {finding} is raised; its owner is told.",
    )


def _outcome(
    session: Session,
    config: OrgConfig,
    record: AIUse,
    actor: str,
    now: datetime,
    answers: ReviewAnswers,
    outcome: ReviewOutcome,
    retirement: Retirement | None,
    changes: dict[str, Any] | None,
) -> ReviewResult:
    if outcome is ReviewOutcome.CONTINUE:
        return _continue(session, config, record, actor, now)
    if outcome is ReviewOutcome.CHANGE:
        return _change(session, config, record, actor, now, answers, changes or {})
    assert retirement is not None
    retire_record(session, record=record, actor=actor, retirement=retirement, now=now)
    return ReviewResult(outcome, None, f"{record.ref} is retired.")


def _observation(
    session: Session, config: OrgConfig, record: AIUse, actor: str, now: datetime, found: str
) -> str:
    """What a review found, as an observation on the record that its owner owns."""
    # Imported here: governance.findings builds on this module (local_today, claim_rows).
    from governance.findings.models import FindingKind, FindingSource, NewFinding, finding_title
    from governance.findings.service import raise_finding

    text = found.strip()
    title = text.splitlines()[0].strip()
    if len(title) < FOUND_MIN:
        title = " ".join(text.split())
    title = finding_title(title, FOUND_TITLE_MAX)
    return raise_finding(
        session,
        config=config,
        actor=actor,
        now=now,
        finding=NewFinding(
            kind=FindingKind.OBSERVATION,
            source=FindingSource.REVIEW,
            source_ref=record.ref,
            title=title,
            description=text if text != title else "",
            records=[record.ref],
            owner=record.owner or actor,
        ),
    ).ref


def _check_actor(config: OrgConfig, record: AIUse, actor: str) -> None:
    if not may_act_for(config, record, actor):
        raise PermissionDenied(
            f"only the owner of {record.ref}, their delegates or a governance lead can review it"
        )


def _check_outcome(
    answers: ReviewAnswers, outcome: ReviewOutcome, retirement: Retirement | None
) -> None:
    if outcome is ReviewOutcome.CONTINUE and answers.changed:
        raise ValidationProblem(
            "a change to purpose, data, model or vendor needs re-approval: "
            "choose \u201cchange\u201d instead of \u201ccontinue\u201d"
        )
    if outcome is ReviewOutcome.CONTINUE and not answers.still_in_use:
        raise ValidationProblem("it is no longer in use: choose \u201cretire\u201d instead")
    if outcome is ReviewOutcome.RETIRE and retirement is None:
        raise ValidationProblem(
            "retiring needs a reason, a date and a note on how the data is disposed of"
        )


def _continue(
    session: Session, config: OrgConfig, record: AIUse, actor: str, now: datetime
) -> ReviewResult:
    today = local_today(config, now)
    due = today + timedelta(days=cadence_days(config, record.risk_tier))
    register.update_record(
        session,
        record=record,
        actor=actor,
        now=now,
        changes={"next_review": due.isoformat(), "review_lapsed": False},
        reason="periodic review: continue unchanged",
    )
    if record.status == RecordStatus.SUSPENDED:
        register.transition(
            session,
            record=record,
            to=RecordStatus.LIVE,
            actor=actor,
            now=now,
            reason="periodic review completed after a lapse",
        )
    return ReviewResult(
        ReviewOutcome.CONTINUE, due, f"Thanks: {record.ref} continues; next review {fmt_day(due)}."
    )


def _change(
    session: Session,
    config: OrgConfig,
    record: AIUse,
    actor: str,
    now: datetime,
    answers: ReviewAnswers,
    changes: dict[str, Any],
) -> ReviewResult:
    # Clearing the review date makes a new version even when no field edits came with the
    # review; the re-approval sets a fresh date.
    note = f": {answers.notes}" if answers.notes else ""
    register.update_record(
        session,
        record=record,
        actor=actor,
        now=now,
        changes={**changes, "next_review": None, "review_lapsed": False},
        reason=f"periodic review found a change{note}",
    )
    submit_record(
        session,
        record=record,
        actor=actor,
        config=config,
        now=now,
        reason="re-approval after a periodic review found a change",
    )
    return ReviewResult(
        ReviewOutcome.CHANGE, None, f"{record.ref} v{record.version} is submitted for re-approval."
    )


def retire_record(
    session: Session, *, record: AIUse, actor: str, retirement: Retirement, now: datetime
) -> AIUse:
    """The retirement workflow: reason, effective date and data disposal, all as evidence."""
    register.transition(
        session,
        record=record,
        to=RecordStatus.RETIRED,
        actor=actor,
        now=now,
        reason=retirement.reason,
    )
    evidence.append(
        session,
        actor=actor,
        kind=EvidenceKind.RECORD_RETIRED,
        subject=record.ref,
        now=now,
        payload=retirement.model_dump(mode="json"),
    )
    return record
