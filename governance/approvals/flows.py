"""Where approvals meet the register, the review clock and the people told: submitting a record,
opening and superseding its request, deciding (and completing the request with the last
decision), and resubmitting after changes were requested.

Each flow reads top to bottom: load the rows (service.py), check who is acting (checks.py),
change the rows (service.py, the register), append the evidence, queue the notices
(notify.py); the last decision completes the request (completion.py). Nothing here commits:
the caller's unit of work commits it all together.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from governance.approvals import checks, notify, service
from governance.approvals.completion import complete_if_done
from governance.approvals.duties import acting_for
from governance.approvals.fast_track import (
    FAST_TRACK_ACTOR,
    FAST_TRACK_SLOT,
    FAST_TRACK_VIA,
    fast_track_tool,
)
from governance.approvals.models import (
    DecisionInput,
    DecisionResult,
    RequesterThread,
    RequestStatus,
    RequiredSlot,
    Verdict,
)
from governance.approvals.routing import route
from governance.config import OrgConfig
from governance.errors import ValidationProblem
from governance.models import RecordFields, RecordStatus
from governance.register import read_fields, transition, update_record
from governance.tiering import apply_tier
from store import evidence
from store.approval_models import ApprovalDecision, ApprovalRequest
from store.evidence_kinds import EvidenceKind
from store.models import AIUse, utcnow

GONE = "That approval request does not exist (any more)."

# --- submitting and opening ---------------------------------------------------------------


def submit_record(
    session: Session,
    *,
    record: AIUse,
    actor: str,
    config: OrgConfig,
    reason: str = "submitted for approval",
    now: datetime | None = None,
    origin: RequesterThread | None = None,
) -> AIUse:
    """Move the record to submitted and open its approval request (which moves it to in review
    and asks every approver). `origin`, the thread where the requester registered the use, is
    where they are told how its approval goes (this request's and every later one's)."""
    moment = now or utcnow()
    transition(
        session, record=record, to=RecordStatus.SUBMITTED, actor=actor, reason=reason, now=moment
    )
    if origin is not None:
        notify.registered_in(session, record, origin)
    open_request(session, record=record, actor=actor, config=config, now=moment)
    return record


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
    for an earlier version is superseded, because `why`. A fast track "conditions" use is
    approved at once by the system."""
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
    request = service.create_request(session, record=record, slots=slots, actor=actor, now=moment)
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
        kind=EvidenceKind.APPROVAL_REQUESTED,
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
    if [slot.key for slot in slots] == [FAST_TRACK_SLOT]:
        _fast_track(session, request, record, slots[0], config, moment)
    return request


def _fast_track(
    session: Session,
    request: ApprovalRequest,
    record: AIUse,
    slot: RequiredSlot,
    config: OrgConfig,
    now: datetime,
) -> None:
    """The system's decision on a fast-track use: approved, on the catalogue tool's conditions
    (which become the record's); the decision's reason says it was the fast track, and why."""
    tool = fast_track_tool(config, read_fields(record))
    if tool is None:
        return  # no longer eligible: the slot waits for a person, never approves itself
    conditions = list(tool.conditions)
    verdict = Verdict.APPROVE_WITH_CONDITIONS if conditions else Verdict.APPROVE
    row = ApprovalDecision(
        request_id=request.id,
        slot=slot.key,
        verdict=verdict.value,
        decided_by=FAST_TRACK_ACTOR,
        on_behalf_of=None,
        reason="; ".join(slot.rules),
        conditions=conditions,
        via=FAST_TRACK_VIA,
        decided_at=now,
    )
    if service.insert_decision(session, row):
        _decided(session, request, slot, row, record, config, now)


def supersede_open(
    session: Session, *, record: AIUse, actor: str, config: OrgConfig, why: str, now: datetime
) -> int:
    """Close any open request of the record as superseded, so its buttons become stale."""
    count = 0
    for request in service.open_requests_of(session, record):
        if not service.close_request(session, request, RequestStatus.SUPERSEDED, now):
            continue
        evidence.append(
            session,
            actor=actor,
            kind=EvidenceKind.APPROVAL_SUPERSEDED,
            subject=record.ref,
            now=now,
            payload={"request_id": request.id, "version": request.version, "why": why},
        )
        notify.superseded(session, request, service.slots_of(session, request), config, why)
        count += 1
    return count


# --- deciding -------------------------------------------------------------------------------


def check_may_act(
    session: Session,
    *,
    request_id: int,
    slot_key: str,
    version: int | None,
    actor: str,
    config: OrgConfig,
    now: datetime | None = None,
    verdict: Verdict | None = None,
) -> DecisionResult | None:
    """Why `actor` may not decide this slot (with `verdict`, when known) — recorded when someone
    should see the attempt — or None. Slack asks before opening the reason form; `decide` asks
    again on submit, because the request may change while the form is open."""
    request = session.get(ApprovalRequest, request_id)
    slot = service.slot_of(session, request_id, slot_key) if request is not None else None
    if request is None or slot is None:
        return checks.refused(request_id, "", "invalid", GONE)
    record = session.get(AIUse, request.ai_use_id)
    moment = now or utcnow()
    return _refusal(session, request, slot, record, actor, version, config, moment, verdict)


def decide(
    session: Session, *, decision: DecisionInput, config: OrgConfig, now: datetime | None = None
) -> DecisionResult:
    """Record one decision, exactly once per slot, and close the request when it is complete."""
    moment = now or utcnow()
    request = service.lock_request(session, decision.request_id)
    slot = service.slot_of(session, decision.request_id, decision.slot) if request else None
    if request is None or slot is None:
        return checks.refused(decision.request_id, "", "invalid", GONE)
    record = session.get(AIUse, request.ai_use_id)
    assert record is not None  # a request's record is never deleted
    actor = decision.actor
    refusal = _refusal(
        session, request, slot, record, actor, decision.version, config, moment, decision.verdict
    )
    if refusal is not None:
        return refusal
    conditions = conditions_of(decision)
    problem = checks.text_problem(decision.verdict, decision.reason, conditions)
    if problem is not None:
        return checks.refused(request.id, request.record_ref, "invalid", problem)
    principal = acting_for(config, slot.approvers, actor)
    row = ApprovalDecision(
        request_id=request.id,
        slot=slot.key,
        verdict=decision.verdict.value,
        decided_by=actor,
        on_behalf_of=principal if principal != actor else None,
        reason=decision.reason.strip(),
        conditions=conditions,
        via=decision.via,
        decided_at=moment,
    )
    if not service.insert_decision(session, row):  # someone got there first
        first = service.decision_for(session, request.id, slot.key)
        assert first is not None
        return checks.already_decided(request, slot, first, actor, config)
    outcome = _decided(session, request, slot, row, record, config, moment)
    text = f"Recorded: {Verdict(row.verdict).label} for {request.record_ref} v{request.version}."
    if outcome is not None:
        text += f" The record is now {outcome.value.replace('_', ' ')}."
    return DecisionResult(
        accepted=True, message=text, request_id=request.id, ref=request.record_ref, outcome=outcome
    )


def _decided(
    session: Session,
    request: ApprovalRequest,
    slot: RequiredSlot,
    row: ApprovalDecision,
    record: AIUse,
    config: OrgConfig,
    now: datetime,
) -> RequestStatus | None:
    """A decision just recorded: its evidence, its notices, and the outcome if it was the last."""
    evidence.append(
        session,
        actor=row.decided_by,
        kind=EvidenceKind.APPROVAL_DECIDED,
        subject=request.record_ref,
        now=now,
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
    return complete_if_done(session, request, record, row.decided_by, config, now)


def _refusal(
    session: Session,
    request: ApprovalRequest,
    slot: RequiredSlot,
    record: AIUse | None,
    actor: str,
    version: int | None,
    config: OrgConfig,
    now: datetime,
    verdict: Verdict | None = None,
) -> DecisionResult | None:
    decided = service.decision_for(session, request.id, slot.key)
    found = checks.refusal(
        request, slot, record, decided, actor=actor, version=version, config=config
    ) or checks.sole_self_approval(
        request,
        record,
        service.pending_slots(session, request),
        service.decisions_of(session, request),
        slot=slot,
        actor=actor,
        verdict=verdict,
        config=config,
    )
    if found is not None and found.refusal in checks.RECORDED_REFUSALS:
        evidence.append(
            session,
            actor=actor,
            kind=EvidenceKind.APPROVAL_REFUSED,
            subject=request.record_ref,
            now=now,
            payload={
                "request_id": request.id,
                "slot": slot.key,
                "version": version,
                "why": found.refusal,
            },
        )
    return found


def conditions_of(decision: DecisionInput) -> list[str]:
    """Conditions as given, or one per line of the form's text."""
    if decision.conditions:
        return [c.strip() for c in decision.conditions if c.strip()]
    if decision.verdict is not Verdict.APPROVE_WITH_CONDITIONS:
        return []
    return [line.strip(" -•*\t") for line in decision.reason.splitlines() if line.strip(" -•*\t")]


# --- resubmitting after changes were requested ------------------------------------------------


def resubmit_after_changes(
    session: Session,
    *,
    record: AIUse,
    changes: dict[str, Any],
    actor: str,
    config: OrgConfig,
    reason: str,
    now: datetime | None = None,
    version: int | None = None,
) -> AIUse:
    """Apply the requested changes as a new version and open a new approval request for it;
    buttons on the previous version's request are then refused as stale."""
    checks.check_resubmit(record, actor, config, version)
    checks.check_resubmittable(changes)
    before = record.version
    update_record(
        session,
        record=record,
        changes={**changes, **_retiered(record, changes, config)},
        actor=actor,
        reason=reason,
        now=now,
    )
    if record.version == before:
        raise ValidationProblem(
            f"nothing changed on {record.ref}: give at least one field with a new value"
        )
    return submit_record(
        session,
        record=record,
        actor=actor,
        config=config,
        reason=f"resubmitted after changes: {reason}",
        now=now,
    )


def _retiered(record: AIUse, changes: dict[str, Any], config: OrgConfig) -> dict[str, Any]:
    """The tier follows the changed facts (so routing does too), unless a lead's override
    stands."""
    if record.tier_override:
        return {}
    try:
        fields = RecordFields.model_validate(
            {**read_fields(record).model_dump(mode="json"), **changes}
        )
    except ValidationError:
        return {}  # update_record reports what is wrong with the change
    tiered = apply_tier(fields, config)
    return {"risk_tier": tiered.risk_tier, "tier_reasons": tiered.tier_reasons}
