"""A policy changed under open campaigns: the governance leads are told which, once per new
version, with a button each to ask the same audience for the new version."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance import outbox
from governance.acknowledgements.campaigns import OPEN
from governance.acknowledgements.messages import policy_changed_notice
from governance.config import OrgConfig
from store.ack_models import AckCampaign
from store.retrieval_models import PolicyDocument


def tell_leads_of_changes(session: Session, *, config: OrgConfig, now: datetime) -> list[str]:
    """Open campaigns whose document is now at another version; the leads are told once per
    document version. Returns the campaigns affected. (A document removed from the sources
    leaves its campaigns as they are: its acknowledgements still stand for what was read.)"""
    campaigns = session.scalars(
        select(AckCampaign).where(AckCampaign.status == OPEN).order_by(AckCampaign.id)
    ).all()
    versions = dict(
        session.execute(select(PolicyDocument.source, PolicyDocument.content_hash)).all()
    )
    by_document: dict[tuple[str, str], list[AckCampaign]] = {}
    for campaign in campaigns:
        current = versions.get(campaign.document_source)
        if current is not None and current != campaign.version_sha256:
            by_document.setdefault((campaign.document_source, current), []).append(campaign)
    for (source, version), affected in by_document.items():
        notice = policy_changed_notice(affected, affected[0].document_title, version)
        for lead in config.members("governance_leads"):
            # The source may be a long path or URL: its hash keeps the key whole.
            document = hashlib.sha256(source.encode()).hexdigest()[:16]
            key = f"ack.policy_changed:{document}:{version[:12]}:{lead}"
            outbox.notify(session, notice, key=key, to=lead)
    return [c.ref for group in by_document.values() for c in group]
