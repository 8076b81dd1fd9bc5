"""The last decision in: close the request with its outcome (once, on any replica), carry it to
the record (status, approval conditions, the first review date), record it and tell everyone.
flows.py calls this after every recorded decision."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from governance.approvals import notify, service
from governance.approvals.models import RequestStatus, Verdict
from governance.approvals.routing import outcome_of
from governance.config import OrgConfig
from governance.register import transition
from governance.review_cadence import set_next_review
from store import evidence
from store.approval_models import ApprovalDecision, ApprovalRequest
from store.evidence_kinds import EvidenceKind
from store.models import AIUse


def complete_if_done(
    session: Session,
    request: ApprovalRequest,
    record: AIUse,
    actor: str,
    config: OrgConfig,
    now: datetime,
) -> RequestStatus | None:
    """With the last decision in: close the request with its outcome (once, on any replica),
    carry it to the record, start the review clock, and tell everyone."""
    if service.pending_slots(session, request):
        return None
    decisions = service.decisions_of(session, request)
    result = outcome_of(Verdict(d.verdict) for d in decisions)
    if not service.close_request(session, request, result, now):
        return None
    conditions = _apply_conditions(record, decisions, result)
    next_review = _first_review(record, config, result, now)
    transition(
        session,
        record=record,
        to=result.record_status,
        actor=actor,
        reason=f"approval request #{request.id} decided",
        now=now,
    )
    evidence.append(
        session,
        actor=actor,
        kind=EvidenceKind.APPROVAL_COMPLETED,
        subject=record.ref,
        now=now,
        payload={
            "request_id": request.id,
            "version": request.version,
            "outcome": result.value,
            "conditions": conditions,
            "next_review": next_review.isoformat() if next_review else None,
            "decisions": [_summary(d) for d in decisions],
        },
    )
    notify.outcome(session, request, record, result, decisions, config)
    return result


def _first_review(
    record: AIUse, config: OrgConfig, result: RequestStatus, now: datetime
) -> date | None:
    """An approval starts the review clock at the tier's cadence (the approval event says when)."""
    if result not in (RequestStatus.APPROVED, RequestStatus.APPROVED_WITH_CONDITIONS):
        return None
    today = now.astimezone(ZoneInfo(config.organisation.timezone)).date()
    return set_next_review(record, config, today)


def _apply_conditions(
    record: AIUse, decisions: list[ApprovalDecision], result: RequestStatus
) -> list[str]:
    """Approval conditions join the record's conditions, so they show wherever it is shown."""
    if result is not RequestStatus.APPROVED_WITH_CONDITIONS:
        return []
    added = [c for d in decisions for c in d.conditions]
    record.conditions = list(dict.fromkeys([*(record.conditions or []), *added]))
    return added


def _summary(decision: ApprovalDecision) -> dict[str, Any]:
    return {
        "slot": decision.slot,
        "verdict": decision.verdict,
        "by": decision.decided_by,
        "on_behalf_of": decision.on_behalf_of,
        "at": decision.decided_at.isoformat(),
    }
