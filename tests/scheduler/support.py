"""Helpers for the scheduler tests: live records with a review date, and what was queued."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from governance import register
from governance.models import RecordFields, RecordStatus, RiskTier
from store.db import Database
from store.models import OutboundMessage

OWNER = "U0ACME0003"
LEADS = ["U0ACME0001", "U0ACME0002"]


def live_record(
    db: Database,
    *,
    due: date | None,
    now: datetime,
    title: str = "Claims triage",
    tier: RiskTier = RiskTier.HIGH,
    owner: str = OWNER,
) -> str:
    with db.session() as session:
        record = register.create_record(
            session,
            status=RecordStatus.LIVE,
            actor="U0ACME0002",
            now=now,
            fields=RecordFields(title=title, owner=owner, risk_tier=tier, next_review=due),
        )
        return record.ref


def queued(db: Database, kind: str | None = None) -> list[OutboundMessage]:
    with db.session() as session:
        query = select(OutboundMessage).order_by(OutboundMessage.id)
        if kind:
            query = query.where(OutboundMessage.kind == kind)
        rows = list(session.scalars(query))
        session.expunge_all()
        return rows


def kinds(db: Database) -> list[tuple[str, str]]:
    return [(m.kind, m.channel) for m in queued(db)]
