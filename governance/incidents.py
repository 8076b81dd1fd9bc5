"""AI incidents: report, follow up every N days until closed, close with a root cause and a
corrective action. Every step is evidence; every notice goes through the outbox."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from governance import outbox
from governance.config import OrgConfig
from governance.errors import NotFoundError, PermissionDenied, ValidationProblem
from governance.register import get_record
from governance.reviews import SYSTEM, claim_rows
from governance.text import esc
from store import evidence
from store.models import AIUse
from store.review_models import Incident

ARTICLE_73_NOTE = (
    "It may be a serious incident under EU AI Act Article 73: a provider of a high-risk system "
    "reports it to the market surveillance authority within 15 days of becoming aware (2 days "
    "for a widespread infringement or serious disruption of critical infrastructure, 10 days "
    "after a death); a deployer tells the provider first. Start the clock now."
)


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class IncidentAction(StrEnum):
    """Slack action ids on incident messages (bot/slack/incidents.py handles them)."""

    CLOSE = "incident_close"


class IncidentReport(BaseModel):
    """What a reporter tells us (/ai-incident or `aims incident report`)."""

    ai_use_ref: str | None = None  # chosen from the register, or None when unregistered
    unregistered_tool: str = ""
    what_happened: str = Field(min_length=3)
    occurred_at: datetime
    severity: Severity
    people_harmed: bool
    harm_details: str = ""
    serious_incident: Literal["yes", "no", "unsure"] = "no"

    @field_validator("occurred_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return value if value.tzinfo else value.replace(tzinfo=UTC)


def occurred_on(day: date) -> datetime:
    """A day given without a time counts from its start, so follow-up maths stays simple."""
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


def format_incident_ref(number: int) -> str:
    return f"INC-{number:04d}"


def get_incident(session: Session, ref: str) -> Incident:
    incident = session.scalar(select(Incident).where(Incident.ref == ref.strip().upper()))
    if incident is None:
        raise NotFoundError(f"no incident {ref!r}; `aims incident list` shows the open ones")
    return incident


def list_incidents(session: Session, *, status: str | None = "open") -> Sequence[Incident]:
    query = select(Incident).order_by(Incident.id)
    if status:
        query = query.where(Incident.status == status)
    return session.scalars(query).all()


def _record_for(session: Session, report: IncidentReport) -> AIUse | None:
    if report.ai_use_ref:
        return get_record(session, report.ai_use_ref)
    if not report.unregistered_tool.strip():
        raise ValidationProblem(
            "say which AI use this is about: pick it from the register, or "
            "name the unregistered tool"
        )
    return None


def report_incident(
    session: Session, *, config: OrgConfig, report: IncidentReport, actor: str, now: datetime
) -> Incident:
    """Record the incident and tell the AI use's owner and the governance leads."""
    if report.occurred_at > now + timedelta(minutes=5):
        raise ValidationProblem("the incident cannot have happened in the future; check the date")
    record = _record_for(session, report)
    incident = Incident(
        ref=f"new-{uuid.uuid4().hex[:12]}",
        ai_use_id=record.id if record else None,
        unregistered_tool=report.unregistered_tool.strip(),
        reported_by=actor,
        what_happened=report.what_happened.strip(),
        occurred_at=report.occurred_at,
        severity=report.severity.value,
        people_harmed=report.people_harmed,
        harm_details=report.harm_details.strip(),
        serious_incident=report.serious_incident,
        status="open",
        follow_ups_sent=0,
        root_cause="",
        corrective_action="",
        next_follow_up_at=now + timedelta(days=config.incident_follow_up_days),
        reported_at=now,
    )
    session.add(incident)
    session.flush()
    # The ref follows the id, so two reporters at the same instant never race for a number.
    incident.ref = format_incident_ref(incident.id)
    evidence.append(
        session,
        actor=actor,
        kind="incident.reported",
        subject=incident.ref,
        now=now,
        payload={
            **report.model_dump(mode="json"),
            "ref": incident.ref,
            "record": record.ref if record else None,
        },
    )
    _tell(
        session,
        config,
        incident,
        record,
        kind="incident.reported",
        text=_reported_text(config, incident, record),
    )
    return incident


def subject_of(incident: Incident, record: AIUse | None) -> str:
    if record is not None:
        return f"{record.ref} \u201c{esc(record.title)}\u201d"
    return f"an unregistered tool ({esc(incident.unregistered_tool or '')})"


def _reported_text(config: OrgConfig, incident: Incident, record: AIUse | None) -> str:
    harmed = "people were harmed" if incident.people_harmed else "no one was harmed"
    text = (
        f"New AI incident {incident.ref} ({incident.severity}) about "
        f"{subject_of(incident, record)}, reported by <@{incident.reported_by}>: "
        f"{esc(incident.what_happened)} (happened {incident.occurred_at:%d %b %Y %H:%M} UTC; "
        f"{harmed})."
    )
    if incident.serious_incident != "no":
        text += " " + ARTICLE_73_NOTE
    if record is None:
        text += " The tool is not in the register: register it or stop its use."
    return text


def _audience(config: OrgConfig, incident: Incident, record: AIUse | None) -> list[str]:
    people = [record.owner] if record is not None and record.owner else [incident.reported_by]
    people += config.members("governance_leads")
    return list(dict.fromkeys(person for person in people if person))


def _tell(
    session: Session,
    config: OrgConfig,
    incident: Incident,
    record: AIUse | None,
    *,
    kind: str,
    text: str,
    step: str = "",
) -> None:
    for person in _audience(config, incident, record):
        key = ":".join(part for part in (kind, incident.ref, step, person) if part)
        outbox.enqueue(
            session,
            key=key,
            channel=person,
            text=text,
            kind=kind,
            subject=incident.ref,
            blocks=_blocks(incident, text),
        )


def _blocks(incident: Incident, text: str) -> list[dict[str, Any]]:
    section: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": text[:2900]}}
    if incident.status != "open":
        return [section]
    button = {
        "type": "button",
        "action_id": IncidentAction.CLOSE.value,
        "value": incident.ref,
        "text": {"type": "plain_text", "text": "Close incident"},
    }
    return [
        section,
        {"type": "actions", "block_id": f"incident:{incident.ref}", "elements": [button]},
    ]


@dataclass
class FollowUpResult:
    sent: int = 0

    def summary(self) -> str:
        return f"{self.sent} incident follow-ups sent"


def sweep_incident_follow_ups(
    session: Session, *, config: OrgConfig, now: datetime
) -> FollowUpResult:
    """Every N days an open incident's owner and the leads are asked where it stands."""
    due = (
        select(Incident)
        .where(Incident.status == "open", Incident.next_follow_up_at <= now)
        .order_by(Incident.id)
    )
    result = FollowUpResult()
    for incident in claim_rows(session, due):
        _follow_up(session, config, incident, now)
        result.sent += 1
    return result


def _follow_up(session: Session, config: OrgConfig, incident: Incident, now: datetime) -> None:
    every = timedelta(days=config.incident_follow_up_days)
    # After downtime send one follow-up numbered for today, not one per missed period.
    number = max(incident.follow_ups_sent + 1, (now - incident.reported_at) // every)
    record = session.get(AIUse, incident.ai_use_id) if incident.ai_use_id else None
    age = (now - incident.reported_at).days
    text = (
        f"Follow-up {number} on incident {incident.ref} ({incident.severity}, {age} days "
        f"open) about {subject_of(incident, record)}: what is the root cause, and what "
        "corrective action is in place? Close it once both are known."
    )
    _tell(session, config, incident, record, kind="incident.follow_up", text=text, step=str(number))
    incident.follow_ups_sent = number
    incident.next_follow_up_at = incident.reported_at + every * (number + 1)
    evidence.append(
        session,
        actor=SYSTEM,
        kind="incident.followed_up",
        subject=incident.ref,
        now=now,
        payload={"follow_up": number, "open_days": age},
    )


def close_incident(
    session: Session,
    *,
    config: OrgConfig,
    incident: Incident,
    actor: str,
    root_cause: str,
    corrective_action: str,
    now: datetime,
) -> Incident:
    """Closing needs a root cause and a corrective action; it stops the follow-ups."""
    if incident.status != "open":
        raise ValidationProblem(f"{incident.ref} is already closed")
    if not root_cause.strip() or not corrective_action.strip():
        raise ValidationProblem(
            f"to close {incident.ref}, give both the root cause and the corrective action"
        )
    record = session.get(AIUse, incident.ai_use_id) if incident.ai_use_id else None
    allowed = {incident.reported_by, *config.members("governance_leads")}
    if record is not None and record.owner:
        allowed |= {record.owner, *config.delegates_of(record.owner)}
    if actor not in allowed:
        raise PermissionDenied(
            f"only the reporter, the AI use's owner or a governance lead can close {incident.ref}"
        )
    # Conditional, so two people closing at once (two replicas) close it once.
    closed = session.execute(
        update(Incident)
        .where(Incident.id == incident.id, Incident.status == "open")
        .values(
            status="closed",
            closed_by=actor,
            closed_at=now,
            root_cause=root_cause.strip(),
            corrective_action=corrective_action.strip(),
            next_follow_up_at=None,
        )
        .execution_options(synchronize_session="fetch")
    )
    if not closed.rowcount:  # type: ignore[attr-defined]
        raise ValidationProblem(f"{incident.ref} is already closed")
    session.refresh(incident)
    evidence.append(
        session,
        actor=actor,
        kind="incident.closed",
        subject=incident.ref,
        now=now,
        payload={
            "root_cause": incident.root_cause,
            "corrective_action": incident.corrective_action,
        },
    )
    _tell(
        session,
        config,
        incident,
        record,
        kind="incident.closed",
        text=f"Incident {incident.ref} is closed by <@{actor}>. Root cause: "
        f"{esc(incident.root_cause)}. Corrective action: {esc(incident.corrective_action)}.",
    )
    return incident
