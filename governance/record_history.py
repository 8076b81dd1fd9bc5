"""What happened to a record after approval, as lines an auditor reads: reviews and incidents."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import AIUse
from store.review_models import Incident, ReviewCycle


def review_lines(session: Session, record: AIUse) -> list[str]:
    cycles = session.scalars(
        select(ReviewCycle).where(ReviewCycle.ai_use_id == record.id).order_by(ReviewCycle.due_on)
    ).all()
    lines = []
    for cycle in cycles:
        if cycle.outcome and cycle.completed_at:
            state = (
                f"{cycle.outcome} by {cycle.completed_by} on "
                f"{cycle.completed_at.date().isoformat()}"
            )
        elif cycle.lapsed_on:
            state = f"lapsed on {cycle.lapsed_on.isoformat()}"
        else:
            state = "open"
            if cycle.snoozed_until:
                state += f", snoozed until {cycle.snoozed_until.isoformat()}"
            if cycle.reminders_sent:
                state += f", {cycle.reminders_sent} reminder(s)"
            if cycle.escalated_on:
                state += f", escalated on {cycle.escalated_on.isoformat()}"
        lines.append(f"due {cycle.due_on.isoformat()}: {state}")
    if record.next_review and not any(c.due_on == record.next_review for c in cycles):
        lines.append(f"next due {record.next_review.isoformat()}")
    return lines


def incident_lines(session: Session, record: AIUse) -> list[str]:
    incidents = session.scalars(
        select(Incident).where(Incident.ai_use_id == record.id).order_by(Incident.id)
    ).all()
    lines = []
    for incident in incidents:
        line = (
            f"{incident.ref} ({incident.severity}, {incident.status}) reported "
            f"{incident.reported_at.date().isoformat()} by {incident.reported_by}"
        )
        if incident.status == "closed":
            line += f"; root cause: {incident.root_cause}; action: {incident.corrective_action}"
        lines.append(line)
    return lines
