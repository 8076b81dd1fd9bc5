"""Completion figures: per campaign (status, digest, export) and per person (App Home). Counted
in the database with one grouped query, so 5,000 people × several campaigns stay cheap."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Row, case, func, select
from sqlalchemy.orm import Session

from governance.acknowledgements.campaigns import OPEN
from governance.acknowledgements.messages import choice_for, version_of
from governance.acknowledgements.models import CampaignFigures, PersonAck
from store.ack_models import AckCampaign, AckRequest
from store.retrieval_models import PolicyDocument


def campaign_figures(
    session: Session, today: date, *, refs: Sequence[str] | None = None, open_only: bool = False
) -> list[CampaignFigures]:
    status = AckRequest.status
    pending = status == "pending"
    counts = (
        select(
            AckRequest.campaign_id,
            func.count().filter(status != "withdrawn").label("asked"),
            func.count().filter(status == "acknowledged").label("acknowledged"),
            func.count().filter(pending).label("pending"),
            func.sum(case((pending & (AckCampaign.due_on < today), 1), else_=0)).label("overdue"),
            func.count().filter(status == "withdrawn").label("withdrawn"),
        )
        .join(AckCampaign, AckRequest.campaign_id == AckCampaign.id)
        .group_by(AckRequest.campaign_id)
        .subquery()
    )
    query = (
        select(AckCampaign, counts, PolicyDocument.content_hash.label("current"))
        .join(counts, counts.c.campaign_id == AckCampaign.id, isouter=True)
        .join(PolicyDocument, PolicyDocument.source == AckCampaign.document_source, isouter=True)
        .order_by(AckCampaign.id)
    )
    if refs is not None:
        query = query.where(AckCampaign.ref.in_([ref.strip().upper() for ref in refs]))
    if open_only:
        query = query.where(AckCampaign.status == OPEN)
    return [_figures(row) for row in session.execute(query)]


def _figures(row: Row[Any]) -> CampaignFigures:
    campaign: AckCampaign = row[0]
    mapping = row._mapping
    return CampaignFigures(
        ref=campaign.ref,
        document=campaign.document_title,
        version=version_of(campaign),
        audience=campaign.audience_label or campaign.audience_kind,
        due_on=campaign.due_on,
        status=campaign.status,
        started_at=campaign.started_at,
        asked=mapping["asked"] or 0,
        acknowledged=mapping["acknowledged"] or 0,
        pending=mapping["pending"] or 0,
        overdue=int(mapping["overdue"] or 0),
        withdrawn=mapping["withdrawn"] or 0,
        stale=mapping["current"] is not None and mapping["current"] != campaign.version_sha256,
    )


def person_acks(session: Session, person: str) -> list[PersonAck]:
    """Everything a person was asked, newest first; pending ones of the version in force carry
    the choice their button sends."""
    rows = session.execute(
        select(AckRequest, AckCampaign, PolicyDocument.content_hash)
        .join(AckCampaign, AckRequest.campaign_id == AckCampaign.id)
        .join(
            PolicyDocument,
            PolicyDocument.source == AckCampaign.document_source,
            isouter=True,
        )
        .where(AckRequest.person == person)
        .order_by(AckCampaign.id.desc())
    ).all()
    result = []
    for request, campaign, current in rows:
        superseded = current != campaign.version_sha256
        can_ack = request.status == "pending" and not superseded and campaign.status == OPEN
        result.append(
            PersonAck(
                campaign=campaign.ref,
                document=campaign.document_title,
                version=version_of(campaign),
                status=request.status,
                due_on=campaign.due_on,
                acknowledged_at=request.acknowledged_at,
                superseded=superseded,
                choice=choice_for(campaign, person) if can_ack else None,
            )
        )
    return result


def requests_of(session: Session, ref: str) -> Sequence[tuple[AckRequest, AckCampaign]]:
    """Every request of a campaign, for its status listing and export."""
    return session.execute(
        select(AckRequest, AckCampaign)
        .join(AckCampaign, AckRequest.campaign_id == AckCampaign.id)
        .where(AckCampaign.ref == ref.strip().upper())
        .order_by(AckRequest.person)
    ).all()
