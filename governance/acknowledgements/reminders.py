"""The scheduler's sweep over pending requests: a reminder after each configured number of
days, then the person's manager (or the governance leads) is told; never in quiet hours, and
never twice: each request's row says what went out, and rows another replica holds are
skipped."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance import outbox
from governance.acknowledgements.campaigns import OPEN
from governance.acknowledgements.messages import escalation_notice, reminder_notice
from governance.acknowledgements.models import AudienceKind
from governance.acknowledgements.responses import withdraw
from governance.config import OrgConfig
from governance.reviews import SYSTEM, claim_rows
from store import evidence
from store.ack_models import AckCampaign, AckRequest
from store.evidence_kinds import EvidenceKind
from store.retrieval_models import PolicyDocument


@dataclass
class ChaseResult:
    reminded: int = 0
    escalated: int = 0
    withdrawn: int = 0
    quiet: bool = False

    def summary(self) -> str:
        if self.quiet:
            return "quiet hours: no acknowledgement reminders sent"
        return (
            f"{self.reminded} acknowledgement reminders, {self.escalated} escalated, "
            f"{self.withdrawn} no longer in the audience"
        )


def quiet_now(config: OrgConfig, now: datetime) -> bool:
    local = now.astimezone(ZoneInfo(config.organisation.timezone))
    return config.acknowledgements.quiet_hours.quiet_at(local)


def next_step_after(config: OrgConfig, request: AckRequest) -> datetime | None:
    """When the next reminder or the escalation falls due; None once escalated."""
    settings = config.acknowledgements
    steps = [*settings.remind_after_days[request.reminders_sent :]]
    if request.escalated_at is None:
        steps.append(settings.escalate_after_days)
    return request.asked_at + timedelta(days=steps[0]) if steps else None


def sweep_ack_reminders(session: Session, *, config: OrgConfig, now: datetime) -> ChaseResult:
    result = ChaseResult()
    if quiet_now(config, now):
        result.quiet = True
        return result
    due = (
        select(AckRequest)
        .join(AckCampaign, AckRequest.campaign_id == AckCampaign.id)
        # Only the version in force is chased: once the document changed, nobody can
        # acknowledge the old one, and the leads were told to ask again.
        .join(
            PolicyDocument,
            (PolicyDocument.source == AckCampaign.document_source)
            & (PolicyDocument.content_hash == AckCampaign.version_sha256),
        )
        .where(
            AckRequest.status == "pending",
            AckRequest.next_step_at <= now,
            AckCampaign.status == OPEN,
        )
        .order_by(AckRequest.id)
    )
    campaigns: dict[int, AckCampaign] = {}
    escalations: dict[tuple[int, str, bool], list[str]] = defaultdict(list)
    known = {person.slack_id for person in config.people}
    for request in claim_rows(session, due, of=AckRequest):
        campaign = campaigns.get(request.campaign_id) or session.get_one(
            AckCampaign, request.campaign_id
        )
        campaigns[campaign.id] = campaign
        if campaign.audience_kind == AudienceKind.PEOPLE and request.person not in known:
            withdraw(session, request, campaign, now=now, reason="no longer under people")
            result.withdrawn += 1
            continue
        result.reminded += _remind(session, config, campaign, request, now)
        told = _escalate(session, config, campaign, request, now)
        for recipient, as_manager in told:
            escalations[(campaign.id, recipient, as_manager)].append(request.person)
        result.escalated += bool(told)
        request.next_step_at = next_step_after(config, request)
    for (campaign_id, recipient, as_manager), people in escalations.items():
        campaign = campaigns[campaign_id]
        notice = escalation_notice(config, campaign, people, as_manager=as_manager)
        key = f"ack.escalation:{campaign.ref}:{recipient}:{now:%Y-%m-%dT%H:%M}"
        outbox.notify(session, notice, key=key, to=recipient)
    return result


def _days(request: AckRequest, now: datetime) -> int:
    return (now - request.asked_at).days


def _remind(
    session: Session, config: OrgConfig, campaign: AckCampaign, request: AckRequest, now: datetime
) -> int:
    """The reminder owed now, if any: after downtime one reminder numbered for where things
    stand, not one per missed day. Returns 1 when one was queued."""
    days = _days(request, now)
    owed = sum(1 for day in config.acknowledgements.remind_after_days if day <= days)
    if owed <= request.reminders_sent:
        return 0
    request.reminders_sent = owed
    notice = reminder_notice(campaign, request.person, owed, days)
    key = f"ack.reminder:{campaign.ref}:{request.person}:{owed}"
    outbox.notify(session, notice, key=key, to=request.person)
    evidence.append(
        session,
        actor=SYSTEM,
        kind=EvidenceKind.ACK_REMINDED,
        subject=campaign.ref,
        now=now,
        payload={
            "campaign": campaign.ref,
            "person": request.person,
            "days_waiting": days,
            "number": owed,
        },
    )
    return 1


def _escalate(
    session: Session, config: OrgConfig, campaign: AckCampaign, request: AckRequest, now: datetime
) -> list[tuple[str, bool]]:
    """Past the escalation day, once: who is told (the manager or the leads)."""
    days = _days(request, now)
    if days < config.acknowledgements.escalate_after_days or request.escalated_at is not None:
        return []
    request.escalated_at = now
    told = _escalation_recipients(config, request.person)
    evidence.append(
        session,
        actor=SYSTEM,
        kind=EvidenceKind.ACK_ESCALATED,
        subject=campaign.ref,
        now=now,
        payload={
            "campaign": campaign.ref,
            "person": request.person,
            "days_waiting": days,
            "told": [who for who, _ in told],
        },
    )
    return told


def _escalation_recipients(config: OrgConfig, person: str) -> list[tuple[str, bool]]:
    """(who, as their manager): the manager when configured and known, else the leads."""
    if config.acknowledgements.escalate_to == "manager":
        listed = config.person(person)
        if listed is not None and listed.manager:
            return [(listed.manager, True)]
    return [(lead, False) for lead in config.members("governance_leads")]
