"""Approval requests and decisions as rows: create, lock, close and read them. State changes
only (keyword-only, in the caller's transaction, never committing); the evidence, the notices
and the register's side live in flows.py, which calls these."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from governance.approvals.models import RequestStatus, RequiredSlot
from governance.approvals.routing import acting_for
from governance.config import OrgConfig
from governance.errors import NotFoundError
from store.approval_models import ApprovalDecision, ApprovalRequest, ApprovalSlot
from store.models import AIUse

# --- changing -------------------------------------------------------------------------------


def create_request(
    session: Session, *, record: AIUse, slots: list[RequiredSlot], actor: str, now: datetime
) -> ApprovalRequest:
    """An open request for the record's current version, with one row per required slot."""
    request = ApprovalRequest(
        ai_use_id=record.id,
        record_ref=record.ref,
        version=record.version,
        tier=record.risk_tier,
        status=RequestStatus.OPEN.value,
        requester=record.requester or actor,
        opened_by=actor,
        opened_at=now,
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
    return request


def lock_request(session: Session, request_id: int) -> ApprovalRequest | None:
    """The request, locked: FOR UPDATE serialises deciders of one request on Postgres, so the
    last of two decisions on different slots sees the other and closes the request (SQLite's
    write lock does this)."""
    return session.scalar(
        select(ApprovalRequest)
        .where(ApprovalRequest.id == request_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def insert_decision(session: Session, row: ApprovalDecision) -> bool:
    """Insert under the (request, slot) unique constraint; False if someone got there first."""
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True


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


def open_requests_of(session: Session, record: AIUse) -> Sequence[ApprovalRequest]:
    return session.scalars(
        select(ApprovalRequest).where(
            ApprovalRequest.ai_use_id == record.id,
            ApprovalRequest.status == RequestStatus.OPEN.value,
        )
    ).all()


def has_open_request(session: Session, record: AIUse) -> bool:
    return bool(open_requests_of(session, record))


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


def _slot(row: ApprovalSlot) -> RequiredSlot:
    return RequiredSlot(
        key=row.slot,
        role=row.role,
        require=row.require,  # type: ignore[arg-type]
        approvers=list(row.approvers),
        rules=list(row.rules),
    )


def slots_of(session: Session, request: ApprovalRequest) -> list[RequiredSlot]:
    rows = session.scalars(
        select(ApprovalSlot).where(ApprovalSlot.request_id == request.id).order_by(ApprovalSlot.id)
    ).all()
    return [_slot(row) for row in rows]


def slot_of(session: Session, request_id: int, key: str) -> RequiredSlot | None:
    row = session.scalar(
        select(ApprovalSlot).where(ApprovalSlot.request_id == request_id, ApprovalSlot.slot == key)
    )
    return _slot(row) if row is not None else None


def decisions_of(session: Session, request: ApprovalRequest) -> list[ApprovalDecision]:
    return list(
        session.scalars(
            select(ApprovalDecision)
            .where(ApprovalDecision.request_id == request.id)
            .order_by(ApprovalDecision.id)
        ).all()
    )


def decision_for(session: Session, request_id: int, slot_key: str) -> ApprovalDecision | None:
    return session.scalar(
        select(ApprovalDecision).where(
            ApprovalDecision.request_id == request_id, ApprovalDecision.slot == slot_key
        )
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
