"""What people do with a request: acknowledge it (once, only the addressee, only the version
in force), ask about it, or leave the audience; and the record that it reached them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from governance import outbox
from governance.acknowledgements.campaigns import OPEN, get_campaign, request_key
from governance.acknowledgements.messages import choice_for, done_notice, question_notice
from governance.acknowledgements.models import AckChoice, AckResult, AudienceKind, Outcome
from governance.config import OrgConfig
from governance.errors import NotFoundError, PermissionDenied, StaleActionError
from governance.reviews import fmt_day
from store import evidence
from store.ack_models import AckCampaign, AckRequest
from store.evidence_kinds import EvidenceKind
from store.models import OutboundMessage
from store.retrieval_models import PolicyDocument

NOT_ADDRESSEE = "not the addressee"
SUPERSEDED_VERSION = "superseded version"


def current_version(session: Session, campaign: AckCampaign) -> str | None:
    """The document's version now; None when it is no longer ingested."""
    return session.scalar(
        select(PolicyDocument.content_hash).where(PolicyDocument.source == campaign.document_source)
    )


def _refuse(
    session: Session, campaign: AckCampaign, actor: str, reason: str, now: datetime
) -> None:
    evidence.append(
        session,
        actor=actor,
        kind=EvidenceKind.ACK_REFUSED,
        subject=campaign.ref,
        now=now,
        payload={"campaign": campaign.ref, "person": actor, "reason": reason},
    )


def _current_request(
    session: Session, campaign: AckCampaign, person: str, version: str | None
) -> AckChoice | None:
    """The open campaign for the document's version in force that asks this person, if any."""
    if version is None:
        return None
    newer = session.scalar(
        select(AckCampaign)
        .join(AckRequest, AckRequest.campaign_id == AckCampaign.id)
        .where(
            AckCampaign.document_source == campaign.document_source,
            AckCampaign.version_sha256 == version,
            AckCampaign.status == OPEN,
            AckRequest.person == person,
            AckRequest.status != "acknowledged",
        )
        .order_by(AckCampaign.id.desc())
    )
    return choice_for(newer, person) if newer else None


def acknowledge(
    session: Session,
    *,
    config: OrgConfig,
    choice: AckChoice,
    actor: str,
    now: datetime,
    via: str = "message",
) -> AckResult:
    """Record that `actor` read the version their request showed and will follow it. `via`
    says where they clicked: "message" (the request itself) or "home" (App Home)."""
    try:
        campaign = get_campaign(session, choice.campaign)
    except NotFoundError:
        return AckResult(
            outcome=Outcome.REFUSED, message=f"There is no campaign {choice.campaign}."
        )
    if actor != choice.person:
        _refuse(session, campaign, actor, NOT_ADDRESSEE, now)
        return AckResult(
            outcome=Outcome.REFUSED,
            message=f"This request was sent to {config.display_name(choice.person)}; only they "
            "can acknowledge it. If you were asked too, use the message sent to you.",
        )
    request = session.scalar(
        select(AckRequest).where(AckRequest.campaign_id == campaign.id, AckRequest.person == actor)
    )
    if request is None:
        _refuse(session, campaign, actor, NOT_ADDRESSEE, now)
        return AckResult(outcome=Outcome.REFUSED, message=f"{campaign.ref} did not ask you.")
    if request.status == "acknowledged" and request.acknowledged_at is not None:
        return AckResult(
            outcome=Outcome.ALREADY,
            message=f"You acknowledged {campaign.document_title} on "
            f"{fmt_day(request.acknowledged_at.date())}; it is counted once.",
        )
    if request.delivered_at is None:
        # The words it records as read (shown_sha256) have not reached them yet.
        return AckResult(
            outcome=Outcome.REFUSED,
            message=f"Your request to read {campaign.document_title} is on its way; please "
            "read it and acknowledge it from that message.",
        )
    version = current_version(session, campaign)
    asked_for = campaign.version_sha256[:12] == choice.version
    if version != campaign.version_sha256 or not asked_for or campaign.status != OPEN:
        _refuse(session, campaign, actor, SUPERSEDED_VERSION, now)
        current = _current_request(session, campaign, actor, version)
        offer = (
            "Here is the current version to acknowledge instead."
            if current
            else "The governance leads have been told; you will be sent the current version."
        )
        return AckResult(
            outcome=Outcome.REFUSED,
            message=f"{campaign.document_title} has changed since this request was sent, so "
            f"this version can no longer be acknowledged. {offer}",
            current=current,
        )
    # Conditional, so a double click or two replicas record it once.
    done = session.execute(
        update(AckRequest)
        .where(AckRequest.id == request.id, AckRequest.status != "acknowledged")
        .values(status="acknowledged", acknowledged_at=now, next_step_at=None)
        .execution_options(synchronize_session=False)
    )
    if not done.rowcount:  # type: ignore[attr-defined]
        return AckResult(outcome=Outcome.ALREADY, message="You have already acknowledged it.")
    evidence.append(
        session,
        actor=actor,
        kind=EvidenceKind.ACK_ACKNOWLEDGED,
        subject=campaign.ref,
        now=now,
        payload={
            "campaign": campaign.ref,
            "person": actor,
            "document": campaign.document_title,
            "version_sha256": campaign.version_sha256,
            "shown_sha256": request.shown_sha256,
            "via": via,
        },
    )
    key = request_key(campaign.ref, actor)
    outbox.replace(
        session, done_notice(campaign, now.date()), key=f"{key}:done", to=actor, target_of=key
    )
    return AckResult(
        outcome=Outcome.ACKNOWLEDGED,
        message=f"Thank you: you acknowledged {campaign.document_title} "
        f"(version {campaign.version_sha256[:12]}) on {fmt_day(now.date())}.",
    )


def note_question(
    session: Session, *, choice: AckChoice, actor: str, now: datetime
) -> tuple[AckCampaign, str, str]:
    """The addressee wants to ask about the policy: counted and recorded, and where to open
    the conversation is returned (the request message: channel, ts). Someone else's button,
    or a request not yet delivered, is refused before anything is recorded."""
    campaign = get_campaign(session, choice.campaign)
    if actor != choice.person:
        raise PermissionDenied("this request was sent to someone else; ask from your own message")
    request = session.scalar(
        select(AckRequest).where(AckRequest.campaign_id == campaign.id, AckRequest.person == actor)
    )
    sent = outbox.find_sent(session, request_key(campaign.ref, actor)) if request else None
    if request is None or sent is None or not sent.slack_channel or not sent.slack_ts:
        raise StaleActionError("Your request has not reached you yet; try again shortly.")
    request.questions += 1
    evidence.append(
        session,
        actor=actor,
        kind=EvidenceKind.ACK_QUESTION,
        subject=campaign.ref,
        now=now,
        payload={"campaign": campaign.ref, "person": actor, "routed_to_leads": False},
    )
    return campaign, sent.slack_channel, sent.slack_ts


def route_question(
    session: Session,
    *,
    config: OrgConfig,
    campaign_ref: str,
    person: str,
    question: str,
    now: datetime,
) -> list[str]:
    """A question the policy does not answer goes to the governance leads; returns them."""
    campaign = get_campaign(session, campaign_ref)
    leads = config.members("governance_leads")
    notice = question_notice(config, campaign, person, question.strip())
    stamp = int(now.timestamp())
    for lead in leads:
        outbox.notify(
            session, notice, key=f"ack.question:{campaign.ref}:{person}:{stamp}:{lead}", to=lead
        )
    evidence.append(
        session,
        actor=person,
        kind=EvidenceKind.ACK_QUESTION,
        subject=campaign.ref,
        now=now,
        payload={
            "campaign": campaign.ref,
            "person": person,
            "routed_to_leads": True,
            "question": question.strip(),
        },
    )
    return leads


def asked_in_thread(
    session: Session, *, person: str, channel: str, thread: str
) -> AckCampaign | None:
    """The campaign whose request to `person` is the message `thread` (its ts) in `channel`:
    what they write in its thread is a question about that policy. Read from the request's
    outbox row, so a restart forgets no thread."""
    campaigns = session.scalars(
        select(AckCampaign)
        .join(AckRequest, AckRequest.campaign_id == AckCampaign.id)
        .where(AckRequest.person == person)
    ).all()
    by_key = {request_key(campaign.ref, person): campaign for campaign in campaigns}
    if not by_key:
        return None
    key = session.scalar(
        select(OutboundMessage.dedupe_key).where(
            OutboundMessage.dedupe_key.in_(list(by_key)),
            OutboundMessage.slack_channel == channel,
            OutboundMessage.slack_ts == thread,
        )
    )
    return by_key.get(key) if key else None


def leave_audience(
    session: Session, *, kind: AudienceKind, ref: str, person: str, now: datetime, reason: str
) -> list[str]:
    """Someone left a channel or group: their pending requests in open campaigns for that
    audience are withdrawn, so nobody chases them. Returns the campaigns concerned."""
    rows = session.execute(
        select(AckRequest, AckCampaign)
        .join(AckCampaign, AckRequest.campaign_id == AckCampaign.id)
        .where(
            AckCampaign.status == OPEN,
            AckCampaign.audience_kind == kind.value,
            AckCampaign.audience_ref == ref,
            AckRequest.person == person,
            AckRequest.status == "pending",
        )
    ).all()
    for request, campaign in rows:
        withdraw(session, request, campaign, now=now, reason=reason)
    return [campaign.ref for _, campaign in rows]


def withdraw(
    session: Session, request: AckRequest, campaign: AckCampaign, *, now: datetime, reason: str
) -> None:
    request.status, request.withdrawn_at, request.next_step_at = "withdrawn", now, None
    evidence.append(
        session,
        actor=request.person,
        kind=EvidenceKind.ACK_WITHDRAWN,
        subject=campaign.ref,
        now=now,
        payload={"campaign": campaign.ref, "person": request.person, "reason": reason},
    )


def record_delivery(session: Session, message: OutboundMessage, now: datetime) -> None:
    """A request reached its addressee (the outbox marked it sent): one ack.sent event."""
    _, campaign_ref, person = message.dedupe_key.split(":", 2)
    row = session.execute(
        select(AckRequest, AckCampaign)
        .join(AckCampaign, AckRequest.campaign_id == AckCampaign.id)
        .where(AckCampaign.ref == campaign_ref, AckRequest.person == person)
    ).first()
    if row is None or row[0].delivered_at is not None:
        return
    request, campaign = row
    request.delivered_at = now
    evidence.append(
        session,
        actor="aims-bot",
        kind=EvidenceKind.ACK_SENT,
        subject=campaign.ref,
        now=now,
        payload={
            "campaign": campaign.ref,
            "person": person,
            "version_sha256": campaign.version_sha256,
            "shown_sha256": request.shown_sha256,
        },
    )


def record_undeliverable(session: Session, message: OutboundMessage, now: datetime) -> None:
    """A request Slack would not deliver, after every retry (the person is a bot, or their
    account is gone): withdrawn, with Slack's reason, so nobody is chased for it."""
    _, campaign_ref, person = message.dedupe_key.split(":", 2)
    row = session.execute(
        select(AckRequest, AckCampaign)
        .join(AckCampaign, AckRequest.campaign_id == AckCampaign.id)
        .where(
            AckCampaign.ref == campaign_ref,
            AckRequest.person == person,
            AckRequest.status == "pending",
        )
    ).first()
    if row is not None:
        reason = f"the request could not be delivered: {(message.error or 'no reason')[:200]}"
        withdraw(session, row[0], row[1], now=now, reason=reason)
