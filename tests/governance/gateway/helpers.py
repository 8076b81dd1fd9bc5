"""Approved records of the sample organisation (examples/acme) to issue gateway keys for."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from governance.approvals.models import Verdict
from governance.approvals.service import open_request_for, slots_of
from governance.config import OrgConfig
from governance.models import DataCategory, RecordFields, RecordStatus, RiskTier
from governance.register import create_record, transition
from store.models import AIUse
from tests.governance.approvals.helpers import OLIVER, PRIYA, REQUESTER, TOM, act, submitted

__all__ = ["OLIVER", "PRIYA", "REQUESTER", "TOM", "approved", "record_in"]

MARCUS = "U0ACME0005"  # CISO: neither owner nor lead


def approved(
    session: Session,
    config: OrgConfig,
    now: datetime,
    *,
    conditions: list[str] | None = None,
    **extra: Any,
) -> AIUse:
    """A minimal-tier use of ChatGPT Enterprise for internal data, approved by its owner."""
    fields = {"tool": "ChatGPT Enterprise", "data_categories": [DataCategory.INTERNAL], **extra}
    record = submitted(session, config, RiskTier.MINIMAL, now, **fields)
    request = open_request_for(session, record.ref)
    for slot in slots_of(session, request):
        verdict = Verdict.APPROVE_WITH_CONDITIONS if conditions else Verdict.APPROVE
        result = act(
            session,
            config,
            record.ref,
            slot.key,
            slot.approvers[0],
            verdict,
            reason="\n".join(conditions or []),
            now=now,
        )
        assert result.accepted, result.message
    return record


def record_in(session: Session, config: OrgConfig, now: datetime, status: RecordStatus) -> AIUse:
    """A record in `status`, reached by the lifecycle's own transitions."""
    if status is RecordStatus.DRAFT:
        fields = RecordFields(title="Draft use", owner=OLIVER, requester=REQUESTER)
        return create_record(session, fields=fields, actor=REQUESTER, now=now)
    if status in (RecordStatus.REJECTED, RecordStatus.CHANGES_REQUESTED):
        record = submitted(session, config, RiskTier.MINIMAL, now, tool="ChatGPT Enterprise")
        verdict = Verdict.REJECT if status is RecordStatus.REJECTED else Verdict.REQUEST_CHANGES
        act(session, config, record.ref, "business_owner", OLIVER, verdict, "no", now=now)
        return record
    record = approved(session, config, now)
    path = {
        RecordStatus.LIVE: [RecordStatus.LIVE],
        RecordStatus.SUSPENDED: [RecordStatus.LIVE, RecordStatus.SUSPENDED],
        RecordStatus.RETIRED: [RecordStatus.RETIRED],
        RecordStatus.APPROVED: [],
    }[status]
    for step in path:
        transition(session, record=record, to=step, actor=PRIYA, reason="test", now=now)
    return record


LEADS = (PRIYA, TOM)
