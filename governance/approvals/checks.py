"""Who may act on an approval, and why not: the refusals a person reads (not allowed, stale,
already decided), with evidence of attempts that were not allowed or stale."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.approvals.models import DecisionResult, RequestStatus, RequiredSlot, Verdict
from governance.approvals.routing import acting_for
from governance.approvals.service import slot_of
from governance.config import BUSINESS_OWNER, OrgConfig
from store import evidence
from store.approval_models import ApprovalDecision, ApprovalRequest
from store.models import AIUse, utcnow

# Refusals written to the evidence ledger as approval.refused: attempts someone should see.
RECORDED_REFUSALS = ("not_allowed", "own_request", "stale")


def check_may_act(
    session: Session,
    *,
    request_id: int,
    slot_key: str,
    version: int | None,
    actor: str,
    config: OrgConfig,
    now: datetime | None = None,
) -> DecisionResult | None:
    """The refusal for `actor` on this slot (recorded as evidence), or None if they may act.
    Slack calls it before opening the reason modal, and `decide` calls it again on submit."""
    moment = now or utcnow()
    request = session.get(ApprovalRequest, request_id)
    slot = slot_of(session, request_id, slot_key) if request is not None else None
    if request is None or slot is None:
        return refused(
            request_id, "", "invalid", "That approval request does not exist (any more)."
        )
    refusal = _refusal(session, request, slot, actor, version, config)
    if refusal is not None and refusal.refusal in RECORDED_REFUSALS:
        evidence.append(
            session,
            actor=actor,
            kind="approval.refused",
            subject=request.record_ref,
            now=moment,
            payload={
                "request_id": request.id,
                "slot": slot.key,
                "version": version,
                "why": refusal.refusal,
            },
        )
    return refusal


def _refusal(
    session: Session,
    request: ApprovalRequest,
    slot: RequiredSlot,
    actor: str,
    version: int | None,
    config: OrgConfig,
) -> DecisionResult | None:
    if acting_for(config, slot.approvers, actor) is None:
        return refused(
            request.id, request.record_ref, "not_allowed", _not_allowed_text(request, slot, config)
        )
    if slot.role != BUSINESS_OWNER and actor in requesters_of(session, request):
        text = _own_request_text(request, slot, actor, config)
        return refused(request.id, request.record_ref, "own_request", text)
    stale = _stale_text(session, request, version)
    if stale is not None:
        return refused(request.id, request.record_ref, "stale", stale)
    if request.status != RequestStatus.OPEN.value:
        status = request.status.replace("_", " ")
        return refused(
            request.id,
            request.record_ref,
            "already_decided",
            f"{request.record_ref} v{request.version} is already {status}; nothing more to decide.",
        )
    return (
        already_decided(session, request, slot, actor, config)
        if _decided(session, request, slot)
        else None
    )


def requesters_of(session: Session, request: ApprovalRequest) -> set[str]:
    """Who asked for this approval: the record's requester, and the one the request was opened
    for (when the record named them; a request opened for a record naming nobody names its
    opener, who may be a governance lead submitting on someone's behalf)."""
    record = session.get(AIUse, request.ai_use_id)
    named = {record.requester if record is not None else ""}
    if request.requester != request.opened_by:
        named.add(request.requester)
    return named - {""}


def _own_request_text(
    request: ApprovalRequest, slot: RequiredSlot, actor: str, config: OrgConfig
) -> str:
    """Separation of duties: nobody approves what they asked for, except as business owner."""
    others = sorted(
        {*slot.approvers, *(d for person in slot.approvers for d in config.delegates_of(person))}
        - {actor}
    )
    who = " or ".join(config.display_name(person) for person in others) or "another approver"
    return (
        f"You requested {request.record_ref}, so you cannot decide for {slot.role} on it "
        f"(separation of duties). {who} must decide instead. Your attempt was recorded."
    )


def _stale_text(session: Session, request: ApprovalRequest, version: int | None) -> str | None:
    record = session.get(AIUse, request.ai_use_id)
    current = record.version if record is not None else request.version
    shown = version if version is not None else request.version
    if request.status != RequestStatus.SUPERSEDED.value and shown == request.version == current:
        return None
    return (
        f"This button is for v{shown} of {request.record_ref}, which has been replaced: the "
        f"record is now at v{current}. Decide on the newer approval request instead; "
        "`aims register show " + request.record_ref + "` shows what changed."
    )


def _not_allowed_text(request: ApprovalRequest, slot: RequiredSlot, config: OrgConfig) -> str:
    named = " or ".join(config.display_name(person) for person in slot.approvers)
    delegates = sorted({d for person in slot.approvers for d in config.delegates_of(person)})
    text = f"Only {named}"
    if delegates:
        text += f" (or their delegate {', '.join(config.display_name(d) for d in delegates)})"
    return (
        f"{text} can decide for {slot.role} on {request.record_ref}. Your attempt was "
        "recorded. If you should be an approver, ask a governance lead to update aims.yaml."
    )


def _decided(session: Session, request: ApprovalRequest, slot: RequiredSlot) -> bool:
    return (
        session.scalar(
            select(ApprovalDecision.id).where(
                ApprovalDecision.request_id == request.id, ApprovalDecision.slot == slot.key
            )
        )
        is not None
    )


def already_decided(
    session: Session, request: ApprovalRequest, slot: RequiredSlot, actor: str, config: OrgConfig
) -> DecisionResult:
    existing = session.scalar(
        select(ApprovalDecision).where(
            ApprovalDecision.request_id == request.id, ApprovalDecision.slot == slot.key
        )
    )
    assert existing is not None
    who = "You" if existing.decided_by == actor else config.display_name(existing.decided_by)
    verdict = Verdict(existing.verdict).label.lower()
    return refused(
        request.id,
        request.record_ref,
        "already_decided",
        f"{who} already {verdict} {request.record_ref} v{request.version} for "
        f"{slot.role}; the first decision stands.",
    )


def refused(request_id: int, ref: str, why: str, message: str) -> DecisionResult:
    return DecisionResult(
        accepted=False, message=message, request_id=request_id, ref=ref, refusal=why
    )
