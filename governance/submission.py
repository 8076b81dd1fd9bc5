"""Submitting a record for approval: where intake, imports and reviews hand a record over."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from governance.approvals.service import open_request
from governance.config import OrgConfig
from governance.models import RecordStatus
from governance.register import transition
from store.models import AIUse, utcnow


def submit_record(
    session: Session,
    *,
    record: AIUse,
    actor: str,
    config: OrgConfig,
    reason: str = "submitted for approval",
    now: datetime | None = None,
) -> AIUse:
    """Move the record to submitted and open its approval request (which moves it to in review
    and asks every approver), all in the caller's transaction."""
    moment = now or utcnow()
    transition(
        session, record=record, to=RecordStatus.SUBMITTED, actor=actor, reason=reason, now=moment
    )
    open_request(session, record=record, actor=actor, config=config, now=moment)
    return record
