"""A management review's inputs, read (never written) from the register, the evidence ledger and
the findings, with the functions the weekly digest and the audit pack already count with.

Events are counted over the period; what stands now (open findings and incidents, overdue
reviews, campaigns, training coverage) is as of the day the inputs are prepared."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from governance.acknowledgements.campaigns import OPEN
from governance.acknowledgements.figures import campaign_figures
from governance.audit.pack_events import count, events
from governance.audit.pack_figures import reviews_done, reviews_overdue
from governance.audit.pack_usage import answer_figures
from governance.config import OrgConfig
from governance.digest_figures import (
    answers_between,
    most_common,
    new_registrations_between,
    normalised_question,
)
from governance.findings.models import FindingSource, FindingStatus
from governance.gateway.models import Outcome, RefusalReason
from governance.management_review.models import (
    ActionLine,
    Answers,
    Approvals,
    Campaign,
    Changes,
    Counted,
    FeedbackFigures,
    Findings,
    Gateway,
    Incidents,
    Performance,
    PolicyChange,
    PolicyChangeKind,
    PreviousActions,
    ReviewInputs,
    Reviews,
    Training,
)
from governance.management_review.periods import Period, moments
from governance.reviews import local_today
from governance.training import coverage
from store.approval_models import ApprovalRequest
from store.evidence_kinds import EvidenceKind as K
from store.improvement_models import CorrectiveAction, Feedback, Finding
from store.models import AIUse, EvidenceEvent
from store.review_models import Incident

NOT_TIERED = "not tiered yet"  # as the digest lists new registrations
SHADOW = {RefusalReason.NO_KEY, RefusalReason.UNKNOWN_KEY, RefusalReason.REVOKED_KEY}
DAY_SECONDS = 86_400
Span = tuple[datetime, datetime]  # [start, end) as times
INGESTED: tuple[PolicyChangeKind, ...] = ("added", "changed")  # policies.ingested lists


def collect_inputs(
    session: Session, *, config: OrgConfig, period: Period, now: datetime
) -> ReviewInputs:
    start, end = moments(period, config.organisation.timezone)
    today = local_today(config, now)
    first, last, total = evidence_range(session, (start, end))
    return ReviewInputs(
        organisation=config.organisation.name,
        period_start=period[0],
        period_end=period[1],
        as_of=today,
        first_seq=first,
        last_seq=last,
        events=total,
        previous_actions=previous_actions(session, config, start, today),
        changes=changes(session, (start, end)),
        performance=performance(session, config, (start, end), now),
    )


def evidence_range(session: Session, period: Span) -> tuple[int, int, int]:
    """The first and last sequence numbers of the ledger events in the period, and how many."""
    start, end = period
    first, last, total = session.execute(
        select(func.min(EvidenceEvent.seq), func.max(EvidenceEvent.seq), func.count()).where(
            EvidenceEvent.occurred_at >= start, EvidenceEvent.occurred_at < end
        )
    ).one()
    return int(first or 0), int(last or 0), int(total or 0)


# --- 1. actions from previous reviews --------------------------------------------------------


def previous_actions(
    session: Session, config: OrgConfig, start: datetime, today: date
) -> PreviousActions:
    """Corrective actions from earlier management reviews, unless done before the period."""
    rows = session.execute(
        select(CorrectiveAction, Finding.source_ref)
        .join(Finding, CorrectiveAction.finding_id == Finding.id)
        .where(
            Finding.source == FindingSource.MANAGEMENT_REVIEW.value,
            or_(CorrectiveAction.done_at.is_(None), CorrectiveAction.done_at >= start),
        )
        .order_by(CorrectiveAction.id)
    ).all()
    lines = [
        ActionLine(
            ref=action.ref,
            review=review,
            description=action.description,
            owner=action.owner,
            owner_name=config.display_name(action.owner),
            due_on=action.due_on,
            status=_status(action, today),
        )
        for action, review in rows
    ]
    tally = Counter(line.status for line in lines)
    return PreviousActions(
        actions=lines, open=tally["open"], overdue=tally["overdue"], done=tally["done"]
    )


def _status(action: CorrectiveAction, today: date) -> Literal["open", "overdue", "done"]:
    if action.status == "done":
        return "done"
    return "overdue" if action.due_on < today else "open"


# --- 2. changes in external and internal issues ----------------------------------------------


def changes(session: Session, period: Span) -> Changes:
    policies: dict[str, PolicyChangeKind] = {}
    for event in events(session, [K.POLICIES_INGESTED], period):
        for change in INGESTED:
            for document in event.payload.get(change) or []:
                source = str(document.get("source", ""))
                # Added, then changed again in the same period: still new to this review.
                policies[source] = "added" if policies.get(source) == "added" else change
        for source in event.payload.get("removed") or []:
            policies[str(source)] = "removed"
    catalogue: dict[str, None] = {}
    for event in events(session, [K.CATALOGUE_SYNCED], period):
        catalogue.update(dict.fromkeys(str(tool) for tool in event.payload.get("changed") or []))
    new = new_registrations_between(session, *period)
    return Changes(
        policies=[
            PolicyChange(source=source, change=change)
            for source, change in sorted(policies.items())
        ],
        new_records=[item.ref for item in new],
        new_records_by_tier=dict(Counter(item.detail or NOT_TIERED for item in new)),
        catalogue=list(catalogue),
    )


# --- 3. performance ---------------------------------------------------------------------------


def performance(session: Session, config: OrgConfig, period: Span, now: datetime) -> Performance:
    return Performance(
        approvals=approvals(session, period),
        reviews=reviews(session, config, period, local_today(config, now)),
        incidents=incidents(session, period),
        findings=findings(session, period),
        gateway=gateway(session, period),
        acknowledgements=campaigns(session, period, local_today(config, now)),
        training=[
            Training(course=c.course, trained=c.trained, required=c.required, percent=c.percent)
            for c in coverage(session, config, now)
        ],
        answers=answers(session, period),
        feedback=feedback(session, period),
    )


def approvals(session: Session, period: Span) -> Approvals:
    """Requests completed in the period, and how long each took from being requested."""
    completed = list(events(session, [K.APPROVAL_COMPLETED], period))
    requested = {
        event.payload.get("request_id"): event.occurred_at
        for event in events(
            session, [K.APPROVAL_REQUESTED], None, subjects={e.subject for e in completed}
        )
    }
    days = [
        (event.occurred_at - requested[event.payload.get("request_id")]).total_seconds()
        / DAY_SECONDS
        for event in completed
        if event.payload.get("request_id") in requested
    ]
    open_now = session.scalar(
        select(func.count()).select_from(ApprovalRequest).where(ApprovalRequest.status == "open")
    )
    return Approvals(
        decided=len(completed),
        outcomes=dict(Counter(str(e.payload.get("outcome") or "") for e in completed)),
        median_days=round(statistics.median(days), 1) if days else None,
        mean_days=round(statistics.fmean(days), 1) if days else None,
        open_now=int(open_now or 0),
    )


def reviews(session: Session, config: OrgConfig, period: Span, today: date) -> Reviews:
    """Reviews done in the period (on time: by their due date, where the organisation is), those
    that lapsed, and the records whose review is overdue now."""
    zone = ZoneInfo(config.organisation.timezone)
    done = reviews_done(session, config, period, {})
    on_time = sum(
        1
        for review in done
        if review.due_on and review.at.astimezone(zone).date() <= date.fromisoformat(review.due_on)
    )
    return Reviews(
        done=len(done),
        on_time=on_time,
        late=len(done) - on_time,
        lapsed=count(session, [K.REVIEW_LAPSED], period).count,
        overdue_now=[review.record_ref for review in reviews_overdue(session, today)],
    )


def incidents(session: Session, period: Span) -> Incidents:
    open_now = session.scalar(
        select(func.count()).select_from(Incident).where(Incident.status == "open")
    )
    return Incidents(
        reported=count(session, [K.INCIDENT_REPORTED], period).count,
        closed=count(session, [K.INCIDENT_CLOSED], period).count,
        follow_ups=count(session, [K.INCIDENT_FOLLOWED_UP], period).count,
        open_now=int(open_now or 0),
    )


def findings(session: Session, period: Span) -> Findings:
    open_by_kind = session.execute(
        select(Finding.kind, func.count())
        .where(Finding.status != FindingStatus.CLOSED.value)
        .group_by(Finding.kind)
        .order_by(Finding.kind)
    ).all()
    return Findings(
        raised=count(session, [K.FINDING_RAISED], period).count,
        closed=count(session, [K.FINDING_CLOSED], period).count,
        open_now=sum(int(n) for _, n in open_by_kind),
        open_by_kind={kind: int(n) for kind, n in open_by_kind},
    )


def gateway(session: Session, period: Span) -> Gateway | None:
    """What the gateway decided, from its gateway.decision events; None when it decided
    nothing in the period."""
    outcomes: Counter[str] = Counter()
    shadow = 0
    for event in events(session, [K.GATEWAY_DECISION], period):
        outcomes[str(event.payload.get("outcome"))] += 1
        shadow += event.payload.get("reason") in SHADOW
    if not outcomes:
        return None
    return Gateway(
        decisions=sum(outcomes.values()),
        refused=outcomes[Outcome.REFUSE.value],
        redacted=outcomes[Outcome.REDACT.value],
        without_valid_key=shadow,
    )


def campaigns(session: Session, period: Span, today: date) -> list[Campaign]:
    """Acknowledgement campaigns started in the period or still open, with their completion."""
    start, end = period
    return [
        Campaign(
            ref=c.ref,
            document=c.document,
            acknowledged=c.acknowledged,
            asked=c.asked,
            percent=round(100 * c.done_share),
        )
        for c in campaign_figures(session, today)
        if c.started_at < end and (c.status == OPEN or c.started_at >= start)
    ]


def answers(session: Session, period: Span) -> Answers:
    figures = answer_figures(session, period)
    if figures is None:
        return Answers()
    not_covered = [a for a in answers_between(session, *period) if a.get("covered") is False]
    return Answers(
        given=figures.answers.count,
        not_covered=figures.uncovered.count,
        unhelpful=figures.unhelpful.count,
        most_asked_not_covered=[
            Counted(label=c.label, count=c.count)
            for c in most_common(normalised_question(a.get("question")) for a in not_covered)
        ],
    )


def feedback(session: Session, period: Span) -> FeedbackFigures:
    start, end = period
    rows = session.execute(
        select(AIUse.ref, func.count())
        .join(Feedback, Feedback.ai_use_id == AIUse.id)
        .where(Feedback.received_at >= start, Feedback.received_at < end)
        .group_by(AIUse.ref)
        .order_by(AIUse.ref)
    ).all()
    by_record = {ref: int(n) for ref, n in rows}
    return FeedbackFigures(received=sum(by_record.values()), by_record=by_record)
