"""AI incidents: report, follow up every N days until closed, close with a root cause and a
corrective action. Every step is evidence; every notice goes through the outbox, offering the
owner and the leads to close the incident while it is open."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from governance import outbox
from governance.config import OrgConfig
from governance.errors import NotFoundError, PermissionDenied, ValidationProblem
from governance.models import RecordStatus
from governance.notices import ChoiceAction, Line, Notice, NoticeChoice, Part, Style, fact, person
from governance.register import get_record
from governance.reviews import SYSTEM, claim_rows
from store import evidence
from store.evidence_kinds import EvidenceKind
from store.improvement_models import Finding
from store.models import AIUse
from store.outbox_kinds import OutboxKind
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


# The uses an incident can be reported against: everything that may be in use.
REPORTABLE = (
    RecordStatus.APPROVED,
    RecordStatus.APPROVED_WITH_CONDITIONS,
    RecordStatus.LIVE,
    RecordStatus.SUSPENDED,
    RecordStatus.SUBMITTED,
    RecordStatus.IN_REVIEW,
)


def reportable_uses(session: Session, *, limit: int = 99) -> list[tuple[str, str]]:
    """(ref, title) of the newest uses an incident can be about, for a reporter to pick."""
    rows = session.execute(
        select(AIUse.ref, AIUse.title)
        .where(AIUse.status.in_([s.value for s in REPORTABLE]))
        .order_by(AIUse.id.desc())
        .limit(limit)
    ).all()
    return [(ref, title) for ref, title in rows]


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
        kind=EvidenceKind.INCIDENT_REPORTED,
        subject=incident.ref,
        now=now,
        payload={
            **report.model_dump(mode="json"),
            "ref": incident.ref,
            "record": record.ref if record else None,
        },
    )
    _tell(session, config, incident, record, _reported(config, incident, record))
    return incident


def subject_of(incident: Incident, record: AIUse | None) -> str:
    if record is not None:
        return f"{record.ref} \u201c{record.title}\u201d"
    return f"an unregistered tool ({incident.unregistered_tool or ''})"


def _reported(config: OrgConfig, incident: Incident, record: AIUse | None) -> Notice:
    harmed = "People were harmed." if incident.people_harmed else "No one was harmed."
    lines = [
        person("Reported by", incident.reported_by, config.display_name(incident.reported_by)),
        Line(text=incident.what_happened, style=Style.QUOTE),
        fact("Happened", f"{incident.occurred_at:%d %b %Y %H:%M} UTC"),
        Line(text=harmed),
    ]
    if incident.serious_incident != "no":
        lines.append(Line(text=ARTICLE_73_NOTE))
    if record is None:
        lines.append(Line(text="The tool is not in the register: register it or stop its use."))
    return _notice(
        incident,
        kind=OutboxKind.INCIDENT_REPORTED,
        title=(
            f"New AI incident {incident.ref} ({incident.severity}) about "
            f"{subject_of(incident, record)}"
        ),
        lines=lines,
    )


def _notice(incident: Incident, *, kind: OutboxKind, title: str, lines: list[Line]) -> Notice:
    """An incident notice; while the incident is open, it offers to close it."""
    choices = []
    if incident.status == "open":
        choices.append(
            NoticeChoice(
                action=ChoiceAction.CLOSE_INCIDENT, label="Close incident", value=incident.ref
            )
        )
    return Notice(
        kind=kind, subject=incident.ref, title=title, parts=[Part(lines=lines)], choices=choices
    )


def _audience(config: OrgConfig, incident: Incident, record: AIUse | None) -> list[str]:
    people = [record.owner] if record is not None and record.owner else [incident.reported_by]
    people += config.members("governance_leads")
    return list(dict.fromkeys(who for who in people if who))


def _tell(
    session: Session,
    config: OrgConfig,
    incident: Incident,
    record: AIUse | None,
    notice: Notice,
    *,
    step: str = "",
) -> None:
    for who in _audience(config, incident, record):
        key = ":".join(part for part in (notice.kind, incident.ref, step, who) if part)
        outbox.notify(session, notice, key=key, to=who)


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
    notice = _notice(
        incident,
        kind=OutboxKind.INCIDENT_FOLLOW_UP,
        title=(
            f"Follow-up {number} on incident {incident.ref} ({incident.severity}, {age} days "
            f"open) about {subject_of(incident, record)}"
        ),
        lines=[
            Line(
                text="What is the root cause, and what corrective action is in place? Close it "
                "once both are known."
            )
        ],
    )
    _tell(session, config, incident, record, notice, step=str(number))
    incident.follow_ups_sent = number
    incident.next_follow_up_at = incident.reported_at + every * (number + 1)
    evidence.append(
        session,
        actor=SYSTEM,
        kind=EvidenceKind.INCIDENT_FOLLOWED_UP,
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
    raise_finding: bool = False,
) -> Incident:
    """Closing needs a root cause and a corrective action; it stops the follow-ups. With
    `raise_finding`, a nonconformity is raised from it in the same transaction, so its
    corrective actions are followed up until they are verified (ISO/IEC 42001 10.2)."""
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
        kind=EvidenceKind.INCIDENT_CLOSED,
        subject=incident.ref,
        now=now,
        payload={
            "root_cause": incident.root_cause,
            "corrective_action": incident.corrective_action,
        },
    )
    lines = [
        person("Closed by", actor, config.display_name(actor)),
        fact("Root cause", incident.root_cause),
        fact("Corrective action", incident.corrective_action),
    ]
    if raise_finding:
        finding = _raise_finding(session, config, incident, record, actor, now)
        lines.append(fact("Finding raised", f"{finding.ref}: {finding.title}"))
    closed_notice = _notice(
        incident,
        kind=OutboxKind.INCIDENT_CLOSED,
        title=f"Incident {incident.ref} is closed",
        lines=lines,
    )
    _tell(session, config, incident, record, closed_notice)
    return incident


def _raise_finding(
    session: Session,
    config: OrgConfig,
    incident: Incident,
    record: AIUse | None,
    actor: str,
    now: datetime,
) -> Finding:
    """The nonconformity an incident's closure raises: its record, root cause and severity;
    owned by the record's owner (else whoever closed it), under A.8.4 (incident communication)."""
    # Imported here: governance.findings builds on this module (Severity, the incident refs).
    from governance.findings.models import FindingKind, FindingSource, NewFinding, finding_title
    from governance.findings.service import raise_finding

    owner = record.owner if record is not None and record.owner else actor
    return raise_finding(
        session,
        config=config,
        actor=actor,
        now=now,
        finding=NewFinding(
            kind=FindingKind.NONCONFORMITY,
            source=FindingSource.INCIDENT,
            source_ref=incident.ref,
            title=finding_title(f"Incident {incident.ref}: {incident.what_happened}"),
            description=(
                f"{incident.what_happened}\n"
                f"Corrective action on closing: {incident.corrective_action}"
            ),
            records=[record.ref] if record is not None else [],
            controls=["A.8.4"],
            severity=Severity(incident.severity),
            owner=owner,
            root_cause=incident.root_cause,
        ),
    )
