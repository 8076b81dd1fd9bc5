"""Deadlines: a request pending longer than `approval_escalation_days` nudges its approvers
again; one pending that long again goes to the governance leads. The scheduler calls
`escalate_overdue`; each step is claimed by a conditional update so replicas never double up."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from governance.approvals import notify
from governance.approvals.models import RequestStatus
from governance.approvals.service import pending_slots
from governance.config import OrgConfig
from store import evidence
from store.approval_models import ApprovalRequest
from store.evidence_kinds import EvidenceKind

SYSTEM_ACTOR = "aims-scheduler"


def escalate_overdue(session: Session, config: OrgConfig, now: datetime) -> int:
    """Nudge or escalate every overdue open request; returns how many steps were taken."""
    wait = timedelta(days=config.approval_escalation_days)
    overdue = session.scalars(
        select(ApprovalRequest)
        .where(
            ApprovalRequest.status == RequestStatus.OPEN.value,
            ApprovalRequest.opened_at <= now - wait,
        )
        .order_by(ApprovalRequest.id)
    ).all()
    return sum(_step(session, request, config, now, wait) for request in overdue)


def _step(
    session: Session, request: ApprovalRequest, config: OrgConfig, now: datetime, wait: timedelta
) -> int:
    pending = pending_slots(session, request)
    if not pending:
        return 0
    days = (now - request.opened_at).days
    if request.nudged_at is None:
        if not _claim(session, request, ApprovalRequest.nudged_at, now):
            return 0
        for slot in pending:
            notify.nudge(session, request, slot, days)
        _evidence(
            session,
            request,
            EvidenceKind.APPROVAL_NUDGED,
            pending_keys=[s.key for s in pending],
            now=now,
        )
        return 1
    if request.escalated_at is None and request.nudged_at <= now - wait:
        if not _claim(session, request, ApprovalRequest.escalated_at, now):
            return 0
        notify.escalation(session, request, pending, config, days)
        _evidence(
            session,
            request,
            EvidenceKind.APPROVAL_ESCALATED,
            pending_keys=[s.key for s in pending],
            now=now,
            leads=config.members("governance_leads"),
        )
        return 1
    return 0


def _claim(
    session: Session,
    request: ApprovalRequest,
    column: InstrumentedAttribute[datetime | None],
    now: datetime,
) -> bool:
    result = session.execute(
        update(ApprovalRequest)
        .where(
            ApprovalRequest.id == request.id,
            column.is_(None),
            ApprovalRequest.status == RequestStatus.OPEN.value,
        )
        .values({column: now})
        .execution_options(synchronize_session=False)
    )
    session.refresh(request)
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _evidence(
    session: Session,
    request: ApprovalRequest,
    kind: EvidenceKind,
    *,
    pending_keys: list[str],
    now: datetime,
    leads: list[str] | None = None,
) -> None:
    payload: dict[str, object] = {
        "request_id": request.id,
        "version": request.version,
        "pending": pending_keys,
    }
    if leads is not None:
        payload["leads"] = leads
    evidence.append(
        session, actor=SYSTEM_ACTOR, kind=kind, subject=request.record_ref, payload=payload, now=now
    )
