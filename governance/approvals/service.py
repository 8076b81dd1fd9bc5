"""Approval requests: open one for a record version, supersede it, close it, and read them.
Deciding lives in decisions.py and the checks on who may act in checks.py. Each service writes
evidence and queues messages in the caller's transaction and never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from governance.approvals import notify
from governance.approvals.models import (
    RequestStatus,
    RequiredSlot,
)
from governance.approvals.routing import acting_for, route
from governance.config import OrgConfig
from governance.errors import NotFoundError
from governance.models import RecordStatus
from governance.register import read_fields, transition
from store import evidence
from store.approval_models import ApprovalDecision, ApprovalRequest, ApprovalSlot
from store.models import AIUse, utcnow


def open_request(
    session: Session,
    *,
    record: AIUse,
    actor: str,
    config: OrgConfig,
    now: datetime | None = None,
    why: str | None = None,
) -> ApprovalRequest:
    """Route the record's current version, move it to in review (a record already in review,
    changed while its request was open, stays there) and ask every approver. Any open request
    for an earlier version is superseded, because `why`."""
    moment = now or utcnow()
    supersede_open(
        session,
        record=record,
        actor=actor,
        config=config,
        now=moment,
        why=why or f"v{record.version} was submitted",
    )
    slots = route(config, read_fields(record))
    request = ApprovalRequest(
        ai_use_id=record.id,
        record_ref=record.ref,
        version=record.version,
        tier=record.risk_tier,
        status=RequestStatus.OPEN.value,
        requester=record.requester or actor,
        opened_by=actor,
        opened_at=moment,
    )
    session.add(request)
    session.flush()
    session.add_all(
        ApprovalSlot(
            request_id=request.id,
            slot=slot.key,
            role=slot.role,
            require=slot.require.value,
            approvers=slot.approvers,
            rules=slot.rules,
        )
        for slot in slots
    )
    if record.status != RecordStatus.IN_REVIEW.value:
        transition(
            session,
            record=record,
            to=RecordStatus.IN_REVIEW,
            actor=actor,
            reason=f"approval request #{request.id} opened",
            now=moment,
        )
    evidence.append(
        session,
        actor=actor,
        kind="approval.requested",
        subject=record.ref,
        now=moment,
        payload={
            "request_id": request.id,
            "version": record.version,
            "tier": record.risk_tier,
            "tier_reasons": list(record.tier_reasons or []),
            "slots": [slot.model_dump(mode="json") for slot in slots],
        },
    )
    notify.request_opened(session, request, record, slots, config)
    return request


def has_open_request(session: Session, record: AIUse) -> bool:
    return (
        session.scalar(
            select(ApprovalRequest.id).where(
                ApprovalRequest.ai_use_id == record.id,
                ApprovalRequest.status == RequestStatus.OPEN.value,
            )
        )
        is not None
    )


def supersede_open(
    session: Session,
    *,
    record: AIUse,
    actor: str,
    config: OrgConfig,
    why: str,
    now: datetime,
) -> int:
    """Close any open request of the record as superseded, so its buttons become stale."""
    count = 0
    for request in session.scalars(
        select(ApprovalRequest).where(
            ApprovalRequest.ai_use_id == record.id,
            ApprovalRequest.status == RequestStatus.OPEN.value,
        )
    ).all():
        if not close_request(session, request, RequestStatus.SUPERSEDED, now):
            continue
        evidence.append(
            session,
            actor=actor,
            kind="approval.superseded",
            subject=record.ref,
            now=now,
            payload={"request_id": request.id, "version": request.version, "why": why},
        )
        notify.superseded(session, request, slots_of(session, request), config, why)
        count += 1
    return count


def close_request(
    session: Session, request: ApprovalRequest, status: RequestStatus, now: datetime
) -> bool:
    """Conditional update: only one transaction, on any replica, closes an open request."""
    result = session.execute(
        update(ApprovalRequest)
        .where(ApprovalRequest.id == request.id, ApprovalRequest.status == RequestStatus.OPEN.value)
        .values(status=status.value, closed_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(request)
    return bool(result.rowcount)  # type: ignore[attr-defined]


# --- reading -------------------------------------------------------------------------------


def get_request(session: Session, request_id: int) -> ApprovalRequest:
    request = session.get(ApprovalRequest, request_id)
    if request is None:
        raise NotFoundError(f"no approval request #{request_id}; `aims approvals list` shows them")
    return request


def open_request_for(session: Session, ref: str) -> ApprovalRequest:
    request = session.scalar(
        select(ApprovalRequest).where(
            ApprovalRequest.record_ref == ref.strip().upper(),
            ApprovalRequest.status == RequestStatus.OPEN.value,
        )
    )
    if request is None:
        raise NotFoundError(f"{ref} has no open approval request; `aims approvals list` shows them")
    return request


def requests_of(session: Session, record: AIUse) -> Sequence[ApprovalRequest]:
    return session.scalars(
        select(ApprovalRequest)
        .where(ApprovalRequest.ai_use_id == record.id)
        .order_by(ApprovalRequest.id)
    ).all()


def list_requests(session: Session, *, status: str | None = "open") -> Sequence[ApprovalRequest]:
    query = select(ApprovalRequest).order_by(ApprovalRequest.id)
    if status:
        query = query.where(ApprovalRequest.status == status)
    return session.scalars(query).all()


def slots_of(session: Session, request: ApprovalRequest) -> list[RequiredSlot]:
    rows = session.scalars(
        select(ApprovalSlot).where(ApprovalSlot.request_id == request.id).order_by(ApprovalSlot.id)
    ).all()
    return [
        RequiredSlot(
            key=row.slot,
            role=row.role,
            require=row.require,  # type: ignore[arg-type]
            approvers=list(row.approvers),
            rules=list(row.rules),
        )
        for row in rows
    ]


def decisions_of(session: Session, request: ApprovalRequest) -> list[ApprovalDecision]:
    return list(
        session.scalars(
            select(ApprovalDecision)
            .where(ApprovalDecision.request_id == request.id)
            .order_by(ApprovalDecision.id)
        ).all()
    )


def pending_slots(session: Session, request: ApprovalRequest) -> list[RequiredSlot]:
    decided = {decision.slot for decision in decisions_of(session, request)}
    return [slot for slot in slots_of(session, request) if slot.key not in decided]


def slots_for_actor(
    session: Session, request: ApprovalRequest, actor: str, config: OrgConfig
) -> list[RequiredSlot]:
    """Pending slots `actor` may decide, as a named approver or a delegate."""
    return [
        slot
        for slot in pending_slots(session, request)
        if acting_for(config, slot.approvers, actor) is not None
    ]


def slot_of(session: Session, request_id: int, key: str) -> RequiredSlot | None:
    row = session.scalar(
        select(ApprovalSlot).where(ApprovalSlot.request_id == request_id, ApprovalSlot.slot == key)
    )
    if row is None:
        return None
    return RequiredSlot(
        key=row.slot,
        role=row.role,
        require=row.require,  # type: ignore[arg-type]
        approvers=list(row.approvers),
        rules=list(row.rules),
    )
