"""Who may act on an approval, and why not: the refusals a person reads (not allowed, their own
request, an approval that would be its requester's alone, stale, already decided), and who may
resubmit what after changes were requested. Pure rules over rows the caller has loaded: no
queries, no evidence (flows.py records the refusals in RECORDED_REFUSALS). A refusal names
people as people.Names does, listing in `mentions` those Slack should show as a mention."""

from __future__ import annotations

from typing import Any

from governance.approvals.duties import LEADS, acting_for, approved_only_by
from governance.approvals.models import (
    RESUBMITTABLE_FIELDS,
    DecisionResult,
    RequestStatus,
    RequiredSlot,
    Verdict,
)
from governance.approvals.people import Names
from governance.config import BUSINESS_OWNER, OrgConfig
from governance.errors import PermissionDenied, TransitionError, ValidationProblem
from governance.models import RecordStatus
from store.approval_models import ApprovalDecision, ApprovalRequest
from store.models import AIUse

# Refusals written to the evidence ledger as approval.refused: attempts someone should see.
RECORDED_REFUSALS = ("not_allowed", "own_request", "stale")
APPROVING = (Verdict.APPROVE, Verdict.APPROVE_WITH_CONDITIONS)


def refusal(
    request: ApprovalRequest,
    slot: RequiredSlot,
    record: AIUse | None,
    decided: ApprovalDecision | None,
    *,
    actor: str,
    version: int | None,
    config: OrgConfig,
) -> DecisionResult | None:
    """Why `actor` may not decide `slot` of `request` (shown `version`), or None if they may.
    `decided` is the slot's decision so far, `record` the request's record."""
    if acting_for(config, slot.approvers, actor) is None:
        names = Names(config)
        return refused(
            request.id, request.record_ref, "not_allowed", _not_allowed(request, slot, names), names
        )
    if slot.role != BUSINESS_OWNER and actor in requesters_of(request, record):
        names = Names(config)
        return refused(
            request.id,
            request.record_ref,
            "own_request",
            _own_request(request, slot, actor, names),
            names,
        )
    stale = _stale(request, record, version)
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
    return already_decided(request, slot, decided, actor, config) if decided else None


def requesters_of(request: ApprovalRequest, record: AIUse | None) -> set[str]:
    """Who asked for this approval: the record's requester, and the one the request was opened
    for (when the record named them; a request opened for a record naming nobody names its
    opener, who may be a governance lead submitting on someone's behalf)."""
    named = {record.requester if record is not None else ""}
    if request.requester != request.opened_by:
        named.add(request.requester)
    return named - {""}


def _own_request(request: ApprovalRequest, slot: RequiredSlot, actor: str, names: Names) -> str:
    """Separation of duties: nobody approves what they asked for, except as business owner."""
    config = names.config
    others = sorted(
        {*slot.approvers, *(d for person in slot.approvers for d in config.delegates_of(person))}
        - {actor}
    )
    who = names.any_of(others) or "another approver"
    return (
        f"You requested {request.record_ref}, so you cannot decide for {slot.role} on it "
        f"(separation of duties). {who} must decide instead. Your attempt was recorded."
    )


def _stale(request: ApprovalRequest, record: AIUse | None, version: int | None) -> str | None:
    current = record.version if record is not None else request.version
    shown = version if version is not None else request.version
    if request.status != RequestStatus.SUPERSEDED.value and shown == request.version == current:
        return None
    return (
        f"This button is for v{shown} of {request.record_ref}, which has been replaced: the "
        f"record is now at v{current}. Decide on the newer approval request instead; "
        "`aims register show " + request.record_ref + "` shows what changed."
    )


def _not_allowed(request: ApprovalRequest, slot: RequiredSlot, names: Names) -> str:
    """Who may decide: the named approvers, then their delegates who are not named already
    (leads who stand in for each other are named once)."""
    config = names.config
    delegates = [
        d
        for d in dict.fromkeys(d for person in slot.approvers for d in config.delegates_of(person))
        if d not in slot.approvers
    ]
    text = f"Only {names.any_of(slot.approvers)}"
    if delegates:
        plural = "delegates" if len(delegates) > 1 else "delegate"
        text += f" (or their {plural} {names.any_of(delegates)})"
    return (
        f"{text} can decide for {slot.role} on {request.record_ref}. Your attempt was "
        "recorded. If you should be an approver, ask a governance lead to update aims.yaml."
    )


def already_decided(
    request: ApprovalRequest,
    slot: RequiredSlot,
    existing: ApprovalDecision,
    actor: str,
    config: OrgConfig,
) -> DecisionResult:
    names = Names(config)
    who = "You" if existing.decided_by == actor else names(existing.decided_by)
    verdict = Verdict(existing.verdict).label.lower()
    return refused(
        request.id,
        request.record_ref,
        "already_decided",
        f"{who} already {verdict} {request.record_ref} v{request.version} for "
        f"{slot.role}; the first decision stands.",
        names,
    )


def sole_self_approval(
    request: ApprovalRequest,
    record: AIUse | None,
    pending: list[RequiredSlot],
    decisions: list[ApprovalDecision],
    *,
    slot: RequiredSlot,
    actor: str,
    verdict: Verdict | None,
    config: OrgConfig,
) -> DecisionResult | None:
    """Separation of duties, whatever the routing did: a requester's approval may not be the
    one that approves the request when nobody but its requesters has decided it. (Routing asks
    someone independent of the requester, so this catches requests opened before that rule, or
    before aims.yaml stopped allowing self-approval.) Declining their own request is allowed."""
    if config.approvals.allow_self_approval or verdict not in APPROVING:
        return None
    requesters = requesters_of(request, record)
    last = [p.key for p in pending] == [slot.key]
    if not last or not approved_only_by([actor, *(d.decided_by for d in decisions)], requesters):
        return None
    names = Names(config)
    leads = names.any_of(config.members(LEADS))
    return refused(
        request.id,
        request.record_ref,
        "own_request",
        f"You requested {request.record_ref}, and nobody else has approved it: separation of "
        "duties needs an approval by someone other than the requester, so yours cannot be the "
        f"only one. This request asks nobody else; ask a governance lead ({leads}) to send it "
        "through approval again. Your attempt was recorded.",
        names,
    )


def text_problem(verdict: Verdict, reason: str, conditions: list[str]) -> str | None:
    """What a decision's text lacks: conditions for a conditional approval, a reason for
    anything but a plain approval."""
    if verdict is Verdict.APPROVE_WITH_CONDITIONS and not conditions:
        return "Say which conditions apply (one per line)."
    if verdict.needs_text and not reason.strip() and not conditions:
        return f"Say why ({verdict.label.lower()} needs a reason)."
    return None


def may_resubmit(record: AIUse, actor: str, config: OrgConfig) -> bool:
    """The requester, the business owner or a governance lead may answer requested changes."""
    return actor in {record.requester, record.owner, *config.members("governance_leads")} - {""}


def check_resubmit(record: AIUse, actor: str, config: OrgConfig, version: int | None) -> None:
    """Raise the reason `actor` cannot resubmit this record (at `version`) now, if any."""
    if not may_resubmit(record, actor, config):
        raise PermissionDenied(
            f"only the requester ({config.display_name(record.requester)}), the business owner "
            f"or a governance lead can change {record.ref} after review"
        )
    if record.status != RecordStatus.CHANGES_REQUESTED.value or (
        version is not None and version != record.version
    ):
        raise TransitionError(
            f"{record.ref} is now v{record.version}, {record.status.replace('_', ' ')}: it is "
            "not waiting for changes, so there is nothing to resubmit"
        )


def check_resubmittable(changes: dict[str, Any]) -> None:
    """Refuse changes to anything but the facts the intake asks for."""
    refused = [name for name in changes if name not in RESUBMITTABLE_FIELDS]
    if refused:
        raise ValidationProblem(
            f"a resubmission cannot change {', '.join(sorted(refused))}: the risk tier follows "
            "from the answers, and owner, requester, status, conditions and review dates are "
            "set by governance (ask a governance lead). Fields you can change: "
            + ", ".join(RESUBMITTABLE_FIELDS)
        )


def refused(
    request_id: int, ref: str, why: str, message: str, names: Names | None = None
) -> DecisionResult:
    return DecisionResult(
        accepted=False,
        message=message,
        request_id=request_id,
        ref=ref,
        refusal=why,
        mentions=names.mentions if names is not None else [],
    )
