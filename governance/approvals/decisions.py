"""Deciding: one decision per slot, guaranteed by the database, and the request closed with its
outcome by a conditional update when the last decision is in."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from governance.approvals import notify
from governance.approvals.checks import already_decided, check_may_act, refused
from governance.approvals.models import (
    DecisionInput,
    DecisionResult,
    RequestStatus,
    RequiredSlot,
    Verdict,
)
from governance.approvals.routing import acting_for, outcome_of
from governance.approvals.service import (
    close_request,
    decisions_of,
    pending_slots,
    slot_of,
)
from governance.config import OrgConfig
from governance.register import transition
from governance.reviews import set_next_review
from store import evidence
from store.approval_models import ApprovalDecision, ApprovalRequest
from store.models import AIUse, utcnow


def decide(
    session: Session,
    *,
    decision: DecisionInput,
    config: OrgConfig,
    now: datetime | None = None,
) -> DecisionResult:
    """Record one decision, exactly once per slot, and close the request when it is complete."""
    moment = now or utcnow()
    request = _locked_request(session, decision.request_id)
    refusal = check_may_act(
        session,
        request_id=decision.request_id,
        slot_key=decision.slot,
        version=decision.version,
        actor=decision.actor,
        config=config,
        now=moment,
    )
    if refusal is not None or request is None:
        return refusal or refused(decision.request_id, "", "invalid", "No such request.")
    problem = _text_problem(decision)
    if problem is not None:
        return refused(request.id, request.record_ref, "invalid", problem)
    slot = slot_of(session, request.id, decision.slot)
    assert slot is not None  # check_may_act refused a missing slot
    row = _insert_decision(session, request, slot, decision, config, moment)
    if row is None:
        return already_decided(session, request, slot, decision.actor, config)
    evidence.append(
        session,
        actor=decision.actor,
        kind="approval.decided",
        subject=request.record_ref,
        now=moment,
        payload={
            "request_id": request.id,
            "version": request.version,
            "slot": slot.key,
            "verdict": row.verdict,
            "on_behalf_of": row.on_behalf_of,
            "reason": row.reason,
            "conditions": row.conditions,
            "via": row.via,
        },
    )
    notify.decision_made(session, request, slot, row, config)
    outcome = _complete_if_done(session, request, decision.actor, config, moment)
    text = f"Recorded: {Verdict(row.verdict).label} for {request.record_ref} v{request.version}."
    if outcome is not None:
        text += f" The record is now {outcome.value.replace('_', ' ')}."
    return DecisionResult(
        accepted=True, message=text, request_id=request.id, ref=request.record_ref, outcome=outcome
    )


def _locked_request(session: Session, request_id: int) -> ApprovalRequest | None:
    # FOR UPDATE serialises deciders of one request on Postgres, so the last of two decisions
    # on different slots sees the other and closes the request (SQLite's write lock does this).
    return session.scalar(
        select(ApprovalRequest)
        .where(ApprovalRequest.id == request_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _text_problem(decision: DecisionInput) -> str | None:
    if decision.verdict is Verdict.APPROVE_WITH_CONDITIONS and not conditions_of(decision):
        return "Say which conditions apply (one per line)."
    if decision.verdict.needs_text and not decision.reason.strip() and not decision.conditions:
        return f"Say why ({decision.verdict.label.lower()} needs a reason)."
    return None


def conditions_of(decision: DecisionInput) -> list[str]:
    """Conditions as given, or one per line of the modal's text."""
    if decision.conditions:
        return [c.strip() for c in decision.conditions if c.strip()]
    if decision.verdict is not Verdict.APPROVE_WITH_CONDITIONS:
        return []
    return [line.strip(" -•*\t") for line in decision.reason.splitlines() if line.strip(" -•*\t")]


def _insert_decision(
    session: Session,
    request: ApprovalRequest,
    slot: RequiredSlot,
    decision: DecisionInput,
    config: OrgConfig,
    now: datetime,
) -> ApprovalDecision | None:
    """Insert under the (request, slot) unique constraint; None if someone got there first."""
    principal = acting_for(config, slot.approvers, decision.actor)
    row = ApprovalDecision(
        request_id=request.id,
        slot=slot.key,
        verdict=decision.verdict.value,
        decided_by=decision.actor,
        on_behalf_of=principal if principal != decision.actor else None,
        reason=decision.reason.strip(),
        conditions=conditions_of(decision),
        via=decision.via,
        decided_at=now,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return None
    return row


def _complete_if_done(
    session: Session,
    request: ApprovalRequest,
    actor: str,
    config: OrgConfig,
    now: datetime,
) -> RequestStatus | None:
    if pending_slots(session, request):
        return None
    decisions = decisions_of(session, request)
    result = outcome_of(Verdict(d.verdict) for d in decisions)
    if not close_request(session, request, result, now):
        return None
    record = session.get(AIUse, request.ai_use_id)
    assert record is not None
    conditions = _apply_conditions(record, decisions, result)
    next_review = _schedule_first_review(record, config, result, now)
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
        kind="approval.completed",
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


def _schedule_first_review(
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
