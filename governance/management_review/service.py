"""Prepare a management review, record its decisions and actions, hold it (the minutes).

Each step is one transaction with its evidence event and its notes in the review's thread; only
a governance lead may take one (the scheduler prepares reviews as the system). Anything refused
says what is missing and changes nothing. An action hangs on the review's own finding (an
opportunity for improvement, raised with the first action), so it is followed up, nudged and
escalated like any corrective action."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance import outbox
from governance.config import OrgConfig
from governance.digest import claim_once
from governance.errors import ValidationProblem
from governance.findings.models import FindingKind, FindingSource, NewAction, NewFinding
from governance.findings.service import plan_action, raise_finding
from governance.management_review.export import export_markdown
from governance.management_review.inputs import collect_inputs
from governance.management_review.messages import (
    action_notice,
    decision_notice,
    inputs_notice,
    minutes_notice,
)
from governance.management_review.models import Decision, ReviewInputs
from governance.management_review.opportunities import opportunities
from governance.management_review.periods import last_period, period_title, review_ref
from governance.management_review.queries import (
    find_review,
    free_ref,
    get_review,
    inputs_key,
    review_channel,
    review_document,
)
from governance.reviews import SYSTEM, local_today
from governance.training.records import known_people, resolve_person
from store import evidence
from store.evidence_kinds import EvidenceKind
from store.improvement_models import CorrectiveAction, Finding, ManagementReview
from store.models import OutboundMessage
from store.outbox_kinds import OutboxKind

Chart = Callable[[ReviewInputs], bytes]


# --- preparing ---------------------------------------------------------------------------------


def prepare_review(
    session: Session,
    *,
    config: OrgConfig,
    period_start: date,
    period_end: date,
    actor: str,
    now: datetime,
    chart: Chart | None = None,
) -> ManagementReview:
    """The inputs for [period_start, period_end), stored, recorded with the evidence range they
    summarise, and posted as a thread (the inputs, the chart, the Markdown export)."""
    if actor != SYSTEM:
        config.require_lead(actor, "prepare a management review")
    channel = review_channel(config)
    if channel is None:
        raise ValidationProblem(
            "no channel for the management review: set `governance_channel` (or "
            "`management_review: {channel: C…}`) in aims.yaml"
        )
    period = (period_start, period_end)
    if period_start >= period_end:
        raise ValidationProblem(f"the period ends ({period_end}) before it starts ({period_start})")
    if period_end > local_today(config, now):
        raise ValidationProblem(
            f"{period_title(period)} is not over yet: a management review looks back at a "
            "period that has ended"
        )
    existing = find_review(session, period)
    if existing is not None:
        raise ValidationProblem(
            f"{existing.ref} already covers {period_title(period)}: "
            f"`aims management-review show {existing.ref}`"
        )
    inputs = collect_inputs(session, config=config, period=period, now=now)
    inputs = inputs.model_copy(update={"opportunities": opportunities(inputs)})
    review = ManagementReview(
        ref=free_ref(session, review_ref(period)),
        period_start=period_start,
        period_end=period_end,
        first_seq=inputs.first_seq,
        last_seq=inputs.last_seq,
        inputs=inputs.model_dump(mode="json"),
        status="prepared",
        attendees=[],
        decisions=[],
        prepared_by=actor,
        prepared_at=now,
    )
    session.add(review)
    session.flush()
    evidence.append(
        session,
        actor=actor,
        kind=EvidenceKind.MANAGEMENT_REVIEW_PREPARED,
        subject=review.ref,
        now=now,
        payload={
            "review": review.ref,
            "period_start": period_start.isoformat(),
            "period_end": period_end.isoformat(),
            "first_seq": inputs.first_seq,
            "last_seq": inputs.last_seq,
            "inputs": review.inputs,
        },
    )
    _post_inputs(session, config, review, inputs, channel, chart)
    return review


def _post_inputs(
    session: Session,
    config: OrgConfig,
    review: ManagementReview,
    inputs: ReviewInputs,
    channel: str,
    chart: Chart | None,
) -> None:
    key = inputs_key(review.ref)
    title = period_title((review.period_start, review.period_end))
    outbox.notify(session, inputs_notice(review.ref, title, inputs), key=key, to=channel)
    files = []
    if chart is not None:
        files.append((f"{review.ref}.png", chart(inputs), "The period in numbers", "chart"))
    markdown = export_markdown(review_document(session, config, review)).encode("utf-8")
    files.append((f"{review.ref}.md", markdown, "The inputs in full (Markdown)", "export"))
    for filename, content, comment, what in files:
        outbox.enqueue(
            session,
            key=f"{key}:{what}",
            channel=channel,
            op="upload",
            thread_of=key,
            kind=OutboxKind.MANAGEMENT_REVIEW_CHART,
            subject=review.ref,
            text=comment,
            attachment=outbox.Attachment(
                filename=filename,
                content_base64=base64.b64encode(content).decode("ascii"),
                title=f"Management review {review.ref}: {comment[:1].lower()}{comment[1:]}",
            ),
        )


def prepare_due_review(
    session: Session, *, config: OrgConfig, now: datetime, worker: str, chart: Chart | None = None
) -> str:
    """The scheduler's job: the review of the period that has just ended, once across replicas;
    nothing when it exists already."""
    if review_channel(config) is None:
        return "skipped: no governance_channel (or management_review.channel) in aims.yaml"
    period = last_period(local_today(config, now), config.management_review.every_months)
    existing = find_review(session, period)
    if existing is not None:
        return f"{existing.ref} was prepared already"
    if not claim_once(
        session, key=f"management-review:{period[0]}:{period[1]}", worker=worker, now=now
    ):
        return f"the review of {period_title(period)} was claimed by another replica"
    review = prepare_review(
        session,
        config=config,
        period_start=period[0],
        period_end=period[1],
        actor=SYSTEM,
        now=now,
        chart=chart,
    )
    return f"{review.ref} prepared for {period_title(period)} and posted"


# --- the minutes -------------------------------------------------------------------------------


def _thread(session: Session, ref: str) -> tuple[str, str]:
    """The key and channel of the review's first message, for notes in its thread."""
    key = inputs_key(ref)
    channel = session.scalar(
        select(OutboundMessage.channel).where(OutboundMessage.dedupe_key == key)
    )
    if channel is None:  # prepared without a thread (never, today): nowhere to note it
        raise ValidationProblem(f"{ref} has no thread in Slack to record this in")
    return key, channel


def record_decision(
    session: Session, *, config: OrgConfig, ref: str, text: str, actor: str, now: datetime
) -> ManagementReview:
    config.require_lead(actor, "record a management review's decisions")
    review = get_review(session, ref, lock=True)
    decided = text.strip()
    if not decided:
        raise ValidationProblem("say what was decided (decide: …); nothing was recorded")
    entry = Decision(text=decided, by=actor, at=now)
    review.decisions = [*review.decisions, entry.model_dump(mode="json")]
    evidence.append(
        session,
        actor=actor,
        kind=EvidenceKind.MANAGEMENT_REVIEW_DECIDED,
        subject=review.ref,
        now=now,
        payload={"review": review.ref, "decision": decided},
    )
    key, channel = _thread(session, review.ref)
    outbox.notify(
        session,
        decision_notice(config, review.ref, decided, actor),
        key=f"{key}:decision:{len(review.decisions)}",
        to=channel,
        thread_of=key,
    )
    return review


def _missing(owner: str | None, description: str, due_on: date | None) -> list[str]:
    missing = []
    if len(description.strip()) < 3:
        missing.append("what is to be done")
    if not owner:
        missing.append("an owner (action: @owner …)")
    if due_on is None:
        missing.append("a due date (by 2026-12-20, or in 14 days)")
    return missing


def record_action(
    session: Session,
    *,
    config: OrgConfig,
    ref: str,
    owner: str | None,
    description: str,
    due_on: date | None,
    actor: str,
    now: datetime,
) -> CorrectiveAction:
    """A corrective action with an owner (a known person) and a due date (not in the past), on
    the review's own finding."""
    config.require_lead(actor, "record a management review's actions")
    review = get_review(session, ref, lock=True)
    missing = _missing(owner, description, due_on)
    if missing or owner is None or due_on is None:
        raise ValidationProblem(f"an action needs {' and '.join(missing)}; nothing was recorded")
    who = resolve_person(config, known_people(session, config), owner)
    if who is None:
        raise ValidationProblem(
            f"the action's owner {owner!r} is not a known person: name someone under people in "
            "aims.yaml (by Slack id or email); nothing was recorded"
        )
    if due_on < local_today(config, now):
        raise ValidationProblem(
            f"the due date {due_on} is in the past: give a date ahead; nothing was recorded"
        )
    finding = _review_finding(session, config, review, actor, now)
    action = plan_action(
        session,
        config=config,
        ref=finding.ref,
        action=NewAction(description=description.strip(), owner=who, due_on=due_on),
        actor=actor,
        now=now,
    )
    key, channel = _thread(session, review.ref)
    outbox.notify(
        session,
        action_notice(config, review.ref, action, actor),
        key=f"{key}:action:{action.ref}",
        to=channel,
        thread_of=key,
    )
    return action


def _review_finding(
    session: Session, config: OrgConfig, review: ManagementReview, actor: str, now: datetime
) -> Finding:
    if review.finding_id is not None:
        return session.get_one(Finding, review.finding_id)
    title = period_title((review.period_start, review.period_end))
    finding = raise_finding(
        session,
        config=config,
        finding=NewFinding(
            kind=FindingKind.OPPORTUNITY,
            source=FindingSource.MANAGEMENT_REVIEW,
            source_ref=review.ref,
            title=f"Actions from management review {review.ref}",
            description=f"Decided in the management review of {title}.",
            owner=actor,
        ),
        actor=actor,
        now=now,
    )
    review.finding_id = finding.id
    return finding


def hold(
    session: Session,
    *,
    config: OrgConfig,
    ref: str,
    attendees: Sequence[str],
    held_on: date,
    actor: str,
    now: datetime,
) -> ManagementReview:
    """The review was held: who attended, when; the minutes (its decisions and actions so far,
    and the evidence range its inputs summarise) are recorded."""
    config.require_lead(actor, "record a management review's minutes")
    review = get_review(session, ref, lock=True)
    if not attendees:
        raise ValidationProblem("name who attended (--attendee PERSON, once per person)")
    known = known_people(session, config)
    found = {given: resolve_person(config, known, given) for given in attendees}
    unknown = [given for given, who in found.items() if who is None]
    if unknown:
        raise ValidationProblem(
            f"{', '.join(unknown)}: not a known person (name people under people in aims.yaml, "
            "by Slack id or email); nothing was recorded"
        )
    if held_on > local_today(config, now):
        raise ValidationProblem(f"{held_on} is in the future: record a review once it is held")
    review.status, review.held_on = "held", held_on
    review.attendees = list(dict.fromkeys(who for who in found.values() if who))
    document = review_document(session, config, review)
    evidence.append(
        session,
        actor=actor,
        kind=EvidenceKind.MANAGEMENT_REVIEW_MINUTES,
        subject=review.ref,
        now=now,
        payload={
            "review": review.ref,
            "held_on": held_on.isoformat(),
            "attendees": review.attendees,
            "decisions": [decision.text for decision in document.decisions],
            "actions": [action.ref for action in document.actions],
            "first_seq": review.first_seq,
            "last_seq": review.last_seq,
        },
    )
    key, channel = _thread(session, review.ref)
    outbox.notify(
        session,
        minutes_notice(document),
        key=f"{key}:minutes:{int(now.timestamp())}",
        to=channel,
        thread_of=key,
    )
    return review
