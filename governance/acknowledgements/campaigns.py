"""Start a campaign: check the lead, the document and the audience, quote the key rules, and
queue one request per person, all in one transaction with its evidence, so a campaign either
asks everyone or nobody."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from governance import outbox
from governance.acknowledgements.messages import request_notice
from governance.acknowledgements.models import Audience, AudienceKind, CampaignStart
from governance.config import OrgConfig
from governance.errors import NotFoundError, ValidationProblem
from governance.reviews import fmt_day
from retrieval.key_rules import ChunkText, key_rules
from store import evidence
from store.ack_models import AckCampaign, AckRequest
from store.evidence_kinds import EvidenceKind
from store.retrieval_models import PolicyChunk, PolicyDocument

START = "start an acknowledgement campaign"  # what only a lead may do
OPEN = "open"
SUPERSEDED = "superseded"


def format_campaign_ref(number: int) -> str:
    return f"ACK-{number:04d}"


def request_key(campaign_ref: str, person: str) -> str:
    """The outbox key of a person's request: updates and replies name it."""
    return f"ack.request:{campaign_ref}:{person}"


def find_document(session: Session, name: str) -> PolicyDocument:
    """The ingested document a lead named, by title (any case) or source path; the error lists
    the documents there are."""
    wanted = " ".join(name.lower().split())
    documents = session.scalars(select(PolicyDocument).order_by(PolicyDocument.title)).all()
    for document in documents:
        if wanted in (" ".join(document.title.lower().split()), document.source.lower()):
            return document
    matches = [d for d in documents if wanted and wanted in d.title.lower()]
    if len(matches) == 1:
        return matches[0]
    known = "; ".join(f"“{d.title}”" for d in documents) or "none yet: run `aims ingest` first"
    raise NotFoundError(f"no policy document called {name!r}; the documents are: {known}")


def policy_documents(session: Session) -> Sequence[PolicyDocument]:
    """The ingested documents a campaign can ask about, by title."""
    return session.scalars(select(PolicyDocument).order_by(PolicyDocument.title)).all()


def get_campaign(session: Session, ref: str) -> AckCampaign:
    campaign = session.scalar(select(AckCampaign).where(AckCampaign.ref == ref.strip().upper()))
    if campaign is None:
        raise NotFoundError(f"no campaign {ref!r}; `aims ack status` lists them")
    return campaign


def list_campaigns(session: Session, *, status: str | None = None) -> Sequence[AckCampaign]:
    query = select(AckCampaign).order_by(AckCampaign.id)
    if status:
        query = query.where(AckCampaign.status == status)
    return session.scalars(query).all()


def resolve_people(config: OrgConfig, audience: Audience) -> Audience:
    """aims.yaml people resolve here; Slack channels and groups arrive resolved."""
    if audience.kind is not AudienceKind.PEOPLE:
        return audience
    members = [person.slack_id for person in config.people]
    return audience.model_copy(update={"members": members, "label": audience.label or "everyone"})


def _rules(session: Session, document: PolicyDocument) -> list[dict[str, str]]:
    chunks = session.scalars(
        select(PolicyChunk).where(PolicyChunk.document_id == document.id)
    ).all()
    texts = [
        ChunkText(
            chunk_id=c.id,
            ordinal=c.ordinal,
            section_path=[str(s) for s in c.section_path],
            text=c.text,
        )
        for c in chunks
    ]
    return [rule.model_dump() for rule in key_rules(texts)]


def start_campaign(
    session: Session,
    *,
    config: OrgConfig,
    start: CampaignStart,
    actor: str,
    now: datetime,
    supersedes: AckCampaign | None = None,
) -> AckCampaign:
    """Ask everyone in the audience to acknowledge the document's current version."""
    config.require_lead(actor, START)
    document = find_document(session, start.policy)
    audience = resolve_people(config, start.audience)
    people = list(dict.fromkeys(p for p in audience.members if p))
    if not people:
        raise ValidationProblem(
            f"the audience {audience.label or audience.kind.value!r} resolves to nobody, so "
            "nothing was sent; choose a channel or group with members"
        )
    if start.due_on <= now.date():
        raise ValidationProblem(
            f"the due date {fmt_day(start.due_on)} is not in the future; give people time"
        )
    campaign = AckCampaign(
        ref=f"new-{uuid.uuid4().hex[:12]}",
        document_source=document.source,
        document_title=document.title,
        document_url=document.url,
        version_sha256=document.content_hash,
        summary=start.summary.strip(),
        key_rules=_rules(session, document),
        audience_kind=audience.kind.value,
        audience_ref=audience.ref,
        audience_label=audience.label,
        due_on=start.due_on,
        status=OPEN,
        started_by=actor,
        started_at=now,
    )
    session.add(campaign)
    session.flush()
    # The ref follows the id, so two leads starting at once never race for a number.
    campaign.ref = format_campaign_ref(campaign.id)
    _ask(session, config, campaign, people, now)
    evidence.append(
        session,
        actor=actor,
        kind=EvidenceKind.ACK_CAMPAIGN_STARTED,
        subject=campaign.ref,
        now=now,
        payload={
            "campaign": campaign.ref,
            "document": campaign.document_title,
            "source": campaign.document_source,
            "version_sha256": campaign.version_sha256,
            "audience": audience.label or audience.kind.value,
            "people": len(people),
            "due_on": campaign.due_on,
            "summary": campaign.summary,
            "key_rules": [rule["text"] for rule in campaign.key_rules],
            "supersedes": supersedes.ref if supersedes else None,
        },
    )
    return campaign


def first_step_at(config: OrgConfig, asked_at: datetime) -> datetime:
    settings = config.acknowledgements
    days = settings.remind_after_days[0] if settings.remind_after_days else None
    return asked_at + timedelta(days=days or settings.escalate_after_days)


def _ask(
    session: Session, config: OrgConfig, campaign: AckCampaign, people: list[str], now: datetime
) -> None:
    next_step = first_step_at(config, now)
    # Everyone is shown the same words (only the buttons name the person): hashed once.
    shown = hashlib.sha256(request_notice(campaign, people[0]).as_text().encode()).hexdigest()
    session.execute(
        insert(AckRequest),
        [
            {
                "campaign_id": campaign.id,
                "person": person,
                "status": "pending",
                "shown_sha256": shown,
                "asked_at": now,
                "reminders_sent": 0,
                "next_step_at": next_step,
                "questions": 0,
            }
            for person in people
        ],
    )
    outbox.notify_many(
        session,
        [
            (request_notice(campaign, person), request_key(campaign.ref, person), person)
            for person in people
        ],
    )


def restart_for_new_version(
    session: Session,
    *,
    config: OrgConfig,
    ref: str,
    members: list[str],
    actor: str,
    now: datetime,
) -> AckCampaign:
    """One click: ask the same audience (resolved again now) for the document's new version.
    The old campaign's acknowledgements stay on record for the old version and its reminders
    stop. Two clicks at once (two leads, two replicas) start one campaign: the old one is
    marked superseded by a conditional update before anything else is written."""
    config.require_lead(actor, START)
    old = get_campaign(session, ref)
    document = find_document(session, old.document_source)
    if document.content_hash == old.version_sha256:
        raise ValidationProblem(
            f"{old.document_title} has not changed since {old.ref} started; nothing to ask again"
        )
    taken = session.execute(
        update(AckCampaign)
        .where(AckCampaign.id == old.id, AckCampaign.status == OPEN)
        .values(status=SUPERSEDED)
        .execution_options(synchronize_session=False)
    )
    if not taken.rowcount:  # type: ignore[attr-defined]
        session.refresh(old)
        raise ValidationProblem(
            f"{old.ref} was already replaced by {old.superseded_by or 'a newer campaign'}"
        )
    # Its reminders stop; done before the new campaign's evidence takes the ledger's lock, in
    # the same order as the reminder sweep (request rows, then the ledger), so neither waits
    # on the other in a circle.
    session.execute(
        update(AckRequest)
        .where(AckRequest.campaign_id == old.id, AckRequest.status == "pending")
        .values(next_step_at=None)
    )
    allowed = max((old.due_on - old.started_at.date()).days, 1)
    start = CampaignStart(
        policy=old.document_source,
        audience=Audience(
            kind=AudienceKind(old.audience_kind),
            ref=old.audience_ref,
            label=old.audience_label,
            members=members,
        ),
        due_on=now.date() + timedelta(days=allowed),
        summary=f"This policy changed since {old.ref} asked you to acknowledge it "
        f"(version {old.version_sha256[:12]}); this is the new version.",
    )
    new = start_campaign(session, config=config, start=start, actor=actor, now=now, supersedes=old)
    session.execute(
        update(AckCampaign).where(AckCampaign.id == old.id).values(superseded_by=new.ref)
    )
    return new
