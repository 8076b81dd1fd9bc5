"""Records to submit and people to act as, from the sample organisation (examples/acme)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.approvals.flows import decide, submit_record
from governance.approvals.models import DecisionInput, DecisionResult, Verdict
from governance.approvals.service import open_request_for, slots_of
from governance.config import OrgConfig
from governance.models import DataCategory, Deployment, RecordFields, RiskTier
from governance.register import create_record
from store.models import AIUse, OutboundMessage

PRIYA, TOM = "U0ACME0001", "U0ACME0002"  # governance leads, each the other's delegate
SARAH, DANIEL = "U0ACME0003", "U0ACME0004"  # DPO, and her delegate
MARCUS = "U0ACME0005"  # CISO
ELEANOR, JAMES = "U0ACME0007", "U0ACME0008"  # legal
CATHERINE, RAJESH = "U0ACME0009", "U0ACME0010"  # senior owners (require: all)
HANNAH = "U0ACME0011"  # model risk
OLIVER = "U0ACME0012"  # procurement: the business owner in these tests, approver of nothing
REQUESTER = "U0ACMEREQ1"

TIER_FIELDS: dict[RiskTier, dict[str, Any]] = {
    RiskTier.MINIMAL: {"title": "DeepL for internal memos"},
    RiskTier.LIMITED: {
        "title": "Support chat assistant",
        "data_categories": [DataCategory.PERSONAL],
        "tier_reasons": ["personal data: limited at least"],
    },
    RiskTier.HIGH: {
        "title": "Credit limit agent",
        "deployment": Deployment.CUSTOMER_FACING,
        "agent_write_access": True,
        "tier_reasons": ["decides credit limits (Annex III 5(b))"],
    },
}


def submitted(
    session: Session, config: OrgConfig, tier: RiskTier, now: datetime, **extra: Any
) -> AIUse:
    fields = RecordFields(
        **{**TIER_FIELDS[tier], "risk_tier": tier, "owner": OLIVER, "requester": REQUESTER, **extra}
    )
    record = create_record(session, fields=fields, actor=REQUESTER, now=now)
    submit_record(session, record=record, actor=REQUESTER, config=config, now=now)
    return record


def act(
    session: Session,
    config: OrgConfig,
    ref: str,
    slot: str,
    actor: str,
    verdict: Verdict = Verdict.APPROVE,
    reason: str = "",
    now: datetime | None = None,
    **extra: Any,
) -> DecisionResult:
    request = open_request_for(session, ref)
    return decide(
        session,
        config=config,
        now=now,
        decision=DecisionInput(
            request_id=request.id,
            slot=slot,
            verdict=verdict,
            actor=actor,
            reason=reason,
            version=request.version,
            via="cli",
            **extra,
        ),
    )


def approve_all(session: Session, config: OrgConfig, ref: str) -> None:
    request = open_request_for(session, ref)
    for slot in slots_of(session, request):
        act(session, config, ref, slot.key, slot.approvers[0])


def outbox(session: Session, kind: str | None = None) -> list[OutboundMessage]:
    query = select(OutboundMessage).order_by(OutboundMessage.id)
    if kind:
        query = query.where(OutboundMessage.kind == kind)
    return list(session.scalars(query).all())
