"""Submitting a record for approval: the one place intake, imports and reviews hand a record over."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from governance.config import OrgConfig
from governance.models import RecordStatus
from governance.register import transition
from store.models import AIUse


def submit_record(
    session: Session,
    *,
    record: AIUse,
    actor: str,
    config: OrgConfig,
    reason: str = "submitted for approval",
    now: datetime | None = None,
) -> AIUse:
    """Move the record to submitted (the approvals feature opens its approval request here)."""
    transition(session, record=record, to=RecordStatus.SUBMITTED, actor=actor, reason=reason,
               now=now)
    return record
