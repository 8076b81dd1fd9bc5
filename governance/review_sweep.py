"""The review sweep: for every record whose review is due, work out from its review cycle what
it is owed today (the due notice, a reminder, the escalation to the governance leads, the lapse)
and queue it through the outbox as a notice (the due notice, reminders and escalation offer to
start the review or snooze it).

Each record's row is claimed before deciding (FOR UPDATE SKIP LOCKED on Postgres; SQLite
serialises writers) and every notice has an outbox key per (record, due date, step), so
replicas running the same sweep at the same instant send nothing twice, and a crash before the
commit leaves everything to the next run.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from governance import outbox, register
from governance.config import OrgConfig
from governance.feedback import with_feedback
from governance.models import RecordStatus
from governance.notices import ChoiceAction, Line, Notice, NoticeChoice, Part, Tone, fact, person
from governance.reviews import (
    REVIEWABLE,
    SYSTEM,
    ReviewRef,
    claim_rows,
    effective_due,
    fmt_day,
    local_today,
    new_cycle,
    owner_or_leads,
)
from governance.training import with_missing_training
from store import evidence
from store.evidence_kinds import EvidenceKind
from store.models import AIUse
from store.outbox_kinds import OutboxKind
from store.review_models import ReviewCycle

# --- the sweep ------------------------------------------------------------------------------

log = logging.getLogger(__name__)


class Step(StrEnum):
    NOTIFY = "notify"
    REMIND = "remind"
    ESCALATE = "escalate"
    LAPSE = "lapse"


def plan_steps(cycle: ReviewCycle, config: OrgConfig, today: date) -> list[Step]:
    """What this cycle is owed today. Only the latest reminder is sent after downtime
    (coalesced), and nothing escalates or lapses before the owner has had the first notice."""
    settings = config.reviews
    overdue = (today - effective_due(cycle)).days
    if overdue < 0:
        return []
    if cycle.notified_on is None:
        return [Step.NOTIFY]
    steps = []
    if overdue // settings.reminder_every_days > cycle.reminders_sent:
        steps.append(Step.REMIND)
    if overdue >= settings.escalate_after_days and cycle.escalated_on is None:
        steps.append(Step.ESCALATE)
    if overdue >= settings.grace_days and cycle.lapsed_on is None:
        steps.append(Step.LAPSE)
    return steps


@dataclass
class SweepResult:
    checked: int = 0
    sent: dict[str, int] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)

    def count(self, step: Step) -> None:
        self.sent[step.value] = self.sent.get(step.value, 0) + 1

    def summary(self) -> str:
        done = ", ".join(f"{n} {step}" for step, n in sorted(self.sent.items())) or "nothing due"
        skipped = f"; skipped after errors: {', '.join(self.failed)}" if self.failed else ""
        return f"{self.checked} records checked: {done}{skipped}"


def due_records_query(today: date) -> Select[AIUse]:
    """Records whose review is due, not yet lapsed: the indexed query the sweep starts from."""
    return (
        select(AIUse)
        .where(
            AIUse.next_review <= today,
            AIUse.review_lapsed.is_(False),
            AIUse.status.in_([s.value for s in REVIEWABLE]),
        )
        .order_by(AIUse.id)
    )


def sweep_reviews(session: Session, *, config: OrgConfig, now: datetime) -> SweepResult:
    today = local_today(config, now)
    result = SweepResult()
    records = claim_rows(session, due_records_query(today))
    cycles = _open_cycles(session, records)
    for record in records:
        assert record.next_review is not None
        result.checked += 1
        # One savepoint per record: a record that fails is logged and skipped, and cannot roll
        # back (and so block, run after run) everyone else's notices. A database failure is not
        # about one record, so it still fails the run and nothing is committed.
        try:
            with session.begin_nested():
                cycle = cycles.get((record.id, record.next_review)) or new_cycle(session, record)
                steps = plan_steps(cycle, config, today)
                for step in steps:
                    _STEP_HANDLERS[step](session, config, record, cycle, today, now)
        except SQLAlchemyError:
            raise
        except Exception:
            log.exception("review sweep skipped %s after an error", record.ref)
            result.failed.append(record.ref)
            continue
        for step in steps:
            result.count(step)
    return result


def _open_cycles(session: Session, records: Sequence[AIUse]) -> dict[tuple[int, date], ReviewCycle]:
    found: dict[tuple[int, date], ReviewCycle] = {}
    ids = [record.id for record in records]
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        for cycle in session.scalars(select(ReviewCycle).where(ReviewCycle.ai_use_id.in_(chunk))):
            found[(cycle.ai_use_id, cycle.due_on)] = cycle
    return found


def _key(step: str, record: AIUse, cycle: ReviewCycle, *extra: object) -> str:
    return ":".join(["review", step, record.ref, cycle.due_on.isoformat(), *map(str, extra)])


def _log(
    session: Session,
    kind: EvidenceKind,
    record: AIUse,
    cycle: ReviewCycle,
    now: datetime,
    **payload: Any,
) -> None:
    evidence.append(
        session,
        actor=SYSTEM,
        kind=kind,
        subject=record.ref,
        now=now,
        payload={"due_on": cycle.due_on.isoformat(), **payload},
    )


def _notify(
    session: Session,
    config: OrgConfig,
    record: AIUse,
    cycle: ReviewCycle,
    today: date,
    now: datetime,
) -> None:
    tier = f"{record.risk_tier} risk, " if record.risk_tier else ""
    notice = _review_notice(
        record,
        cycle,
        config,
        kind=OutboxKind.REVIEW_DUE,
        tone=Tone.ASK,
        title=f"Time to review {_named(record)} ({tier}due {fmt_day(cycle.due_on)})",
        lines=[
            Line(
                text="Five quick questions: is it still in use? Have its purpose, data, model or "
                "vendor changed? Any incidents or complaints? Is it still performing as "
                "intended? Then continue, change (re-approval) or retire it."
            )
        ],
    )
    notice = with_missing_training(notice, session, config, record, now)
    notice = with_feedback(notice, session, record)
    people = owner_or_leads(config, record)
    _tell(session, record, cycle, people, notice, "due")
    cycle.notified_on = today
    _log(session, EvidenceKind.REVIEW_DUE, record, cycle, now, notified=people)


def _named(record: AIUse) -> str:
    return f"{record.ref} \u201c{record.title}\u201d"


def _review_notice(
    record: AIUse,
    cycle: ReviewCycle,
    config: OrgConfig,
    *,
    kind: OutboxKind,
    tone: Tone,
    title: str,
    lines: list[Line],
) -> Notice:
    """A review notice with its choices: start the review form, or snooze it a week (within
    the configured bound)."""
    value = ReviewRef(ref=record.ref, due_on=cycle.due_on).model_dump_json()
    choices = [
        NoticeChoice(
            action=ChoiceAction.START_REVIEW, label="Start review", value=value, style="primary"
        )
    ]
    if config.reviews.max_snooze_days > 0:
        choices.append(
            NoticeChoice(action=ChoiceAction.SNOOZE_REVIEW, label="Snooze 7 days", value=value)
        )
    return Notice(
        kind=kind,
        subject=record.ref,
        tone=tone,
        title=title,
        parts=[Part(lines=lines)],
        choices=choices,
    )


def _tell(
    session: Session,
    record: AIUse,
    cycle: ReviewCycle,
    people: list[str],
    notice: Notice,
    step: str,
    *extra: object,
) -> None:
    """DM each person the notice; the key (record, cycle, step, person) sends it once."""
    for who in people:
        outbox.notify(session, notice, key=_key(step, record, cycle, *extra, who), to=who)


def _remind(
    session: Session,
    config: OrgConfig,
    record: AIUse,
    cycle: ReviewCycle,
    today: date,
    now: datetime,
) -> None:
    settings = config.reviews
    start = effective_due(cycle)
    number = (today - start).days // settings.reminder_every_days
    escalate_on = start + timedelta(days=settings.escalate_after_days)
    lapse_on = start + timedelta(days=settings.grace_days)
    consequence = (
        "suspended" if settings.on_lapse == "suspend" else "flagged \u201creview lapsed\u201d"
    )
    then = f"The record is {consequence} on {fmt_day(lapse_on)}."
    if cycle.escalated_on is None:
        then = (
            f"It goes to the governance leads on {fmt_day(escalate_on)}; the record is "
            f"{consequence} on {fmt_day(lapse_on)}."
        )
    notice = _review_notice(
        record,
        cycle,
        config,
        kind=OutboxKind.REVIEW_REMINDER,
        tone=Tone.REMINDER,
        title=(
            f"Reminder {number}: the review of {_named(record)} is "
            f"{(today - start).days} days overdue"
        ),
        lines=[Line(text=then)],
    )
    _tell(session, record, cycle, owner_or_leads(config, record), notice, "reminder", number)
    cycle.reminders_sent = number
    _log(session, EvidenceKind.REVIEW_REMINDED, record, cycle, now, reminder=number)


def _escalate(
    session: Session,
    config: OrgConfig,
    record: AIUse,
    cycle: ReviewCycle,
    today: date,
    now: datetime,
) -> None:
    overdue = (today - effective_due(cycle)).days
    owner = (
        person("Owner", record.owner, config.display_name(record.owner))
        if record.owner
        else fact("Owner", "nobody (no owner named)")
    )
    notice = _review_notice(
        record,
        cycle,
        config,
        kind=OutboxKind.REVIEW_ESCALATION,
        tone=Tone.ESCALATION,
        title=f"Escalation: the review of {_named(record)} is {overdue} days overdue",
        lines=[
            owner,
            Line(
                text=f"Reminded {cycle.reminders_sent} time(s). Please follow up or review it "
                "yourself."
            ),
        ],
    )
    leads = config.members("governance_leads")
    _tell(session, record, cycle, leads, notice, "escalation")
    cycle.escalated_on = today
    _log(session, EvidenceKind.REVIEW_ESCALATED, record, cycle, now, to=leads, overdue_days=overdue)


def _lapse(
    session: Session,
    config: OrgConfig,
    record: AIUse,
    cycle: ReviewCycle,
    today: date,
    now: datetime,
) -> None:
    suspend = config.reviews.on_lapse == "suspend" and record.status == RecordStatus.LIVE
    register.update_record(
        session,
        record=record,
        changes={"review_lapsed": True},
        actor=SYSTEM,
        reason=f"periodic review due {cycle.due_on} not done within the "
        f"{config.reviews.grace_days}-day grace period",
        now=now,
    )
    if suspend:
        register.transition(
            session,
            record=record,
            to=RecordStatus.SUSPENDED,
            actor=SYSTEM,
            reason="review lapsed",
            now=now,
        )
    effect = "suspended" if suspend else "flagged \u201creview lapsed\u201d"
    notice = Notice(
        kind=OutboxKind.REVIEW_LAPSED,
        subject=record.ref,
        tone=Tone.ESCALATION,
        title=f"{_named(record)} is now {effect}",
        parts=[
            Part(
                lines=[
                    Line(
                        text=f"Its review was due {fmt_day(cycle.due_on)}. Completing the review "
                        "clears this."
                    )
                ]
            )
        ],
    )
    for who in sorted({*owner_or_leads(config, record), *config.members("governance_leads")}):
        outbox.notify(session, notice, key=_key("lapsed", record, cycle, who), to=who)
    cycle.lapsed_on = today
    _log(
        session,
        EvidenceKind.REVIEW_LAPSED,
        record,
        cycle,
        now,
        effect="suspended" if suspend else "flag",
    )


_STEP_HANDLERS = {
    Step.NOTIFY: _notify,
    Step.REMIND: _remind,
    Step.ESCALATE: _escalate,
    Step.LAPSE: _lapse,
}
