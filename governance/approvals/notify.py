"""Who is told what about an approval, under which outbox key, in the caller's transaction.

Keys name the request (ref, version and request id), so a retried service call never queues a
notice twice, and a later request for the same version gets notices of its own. Every step of
a request is a reply in its governance-channel thread, sent in the order it was queued.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from governance import outbox
from governance.approvals import messages
from governance.approvals.models import ApprovalAction, RequestStatus, RequiredSlot
from governance.config import OrgConfig
from governance.notices import Notice
from store.approval_models import ApprovalDecision, ApprovalRequest
from store.models import AIUse
from store.outbox_kinds import OutboxKind


def base_key(request: ApprovalRequest) -> str:
    return f"approval:{request.record_ref}:v{request.version}:r{request.id}"


def parent_key(request: ApprovalRequest) -> str:
    return f"{base_key(request)}:request"


def dm_key(request: ApprovalRequest, user: str, slot: str) -> str:
    return f"{base_key(request)}:dm:{user}:{slot}"


def recipients(slot: RequiredSlot, config: OrgConfig) -> dict[str, str]:
    """Who gets buttons for a slot, and whom each acts as: the named people, then their
    delegates (so a delegate can act while the approver is away)."""
    out = {person: person for person in slot.approvers}
    for person in slot.approvers:
        for delegate in config.delegates_of(person):
            out.setdefault(delegate, person)
    return out


def _in_thread(
    session: Session, request: ApprovalRequest, config: OrgConfig, notice: Notice, step: str
) -> None:
    # Without a governance channel there is no thread; DMs and the requester still hear.
    if config.governance_channel is not None:
        outbox.notify(
            session,
            notice,
            key=f"{base_key(request)}:{step}",
            to=config.governance_channel,
            thread_of=parent_key(request),
        )


def request_opened(
    session: Session,
    request: ApprovalRequest,
    record: AIUse,
    slots: list[RequiredSlot],
    config: OrgConfig,
) -> None:
    """The thread's first post, and every approver's (and delegate's) DM with the buttons."""
    if config.governance_channel is not None:
        posted = messages.request_posted(record, slots, config)
        outbox.notify(session, posted, key=parent_key(request), to=config.governance_channel)
    for slot in slots:
        action = ApprovalAction(
            request_id=request.id, ref=record.ref, version=record.version, slot=slot.key
        )
        for user, acting_as in recipients(slot, config).items():
            asked = messages.approver_asked(
                record, slot, action, config, acting_as=acting_as, recipient=user
            )
            outbox.notify(session, asked, key=dm_key(request, user, slot.key), to=user)


def decision_made(
    session: Session,
    request: ApprovalRequest,
    slot: RequiredSlot,
    decision: ApprovalDecision,
    config: OrgConfig,
) -> None:
    """A reply in the thread, every DM for the slot loses its buttons, and the requester hears."""
    step = f"decided:{slot.key}"
    notice = messages.decision_made(decision, request, config, kind=OutboxKind.APPROVAL_DECISION)
    _in_thread(session, request, config, notice, step)
    for user in recipients(slot, config):
        _replace_buttons(session, request, slot, user, notice, step="decided")
    if request.requester:
        told = notice.model_copy(update={"kind": OutboxKind.APPROVAL_REQUESTER})
        outbox.notify(
            session, told, key=f"{base_key(request)}:{step}:requester", to=request.requester
        )


def _replace_buttons(
    session: Session,
    request: ApprovalRequest,
    slot: RequiredSlot,
    user: str,
    notice: Notice,
    *,
    step: str,
) -> None:
    """The approver's DM gives way to what happened (once per step)."""
    target = dm_key(request, user, slot.key)
    update = notice.model_copy(update={"kind": OutboxKind.APPROVAL_DM_UPDATE})
    outbox.replace(session, update, key=f"{target}:{step}", to=user, target_of=target)


def superseded(
    session: Session,
    request: ApprovalRequest,
    slots: list[RequiredSlot],
    config: OrgConfig,
    why: str,
) -> None:
    notice = messages.replaced(request, why, kind=OutboxKind.APPROVAL_SUPERSEDED)
    for slot in slots:
        for user in recipients(slot, config):
            _replace_buttons(session, request, slot, user, notice, step="superseded")
    _in_thread(session, request, config, notice, "superseded")


def outcome(
    session: Session,
    request: ApprovalRequest,
    record: AIUse,
    result: RequestStatus,
    decisions: list[ApprovalDecision],
    config: OrgConfig,
) -> None:
    """The last reply in the thread; the requester hears too, with a way to edit and resubmit
    when changes were requested. An approved use's owner is offered a gateway key (told on
    their own when someone else requested it)."""
    notice = messages.outcome(request, record, result, decisions, config)
    _in_thread(session, request, config, notice, "outcome")
    approved = result in (RequestStatus.APPROVED, RequestStatus.APPROVED_WITH_CONDITIONS)
    if approved and record.owner and record.owner != request.requester:
        owner = messages.outcome(request, record, result, decisions, config, gateway_key=True)
        outbox.notify(session, owner, key=f"{base_key(request)}:outcome:owner", to=record.owner)
    if not request.requester:
        return
    edit = None
    if result is RequestStatus.CHANGES_REQUESTED:
        edit = ApprovalAction(
            request_id=request.id, ref=record.ref, version=request.version, slot="requester"
        )
    key = approved and request.requester == record.owner
    told = messages.outcome(request, record, result, decisions, config, edit=edit, gateway_key=key)
    outbox.notify(session, told, key=f"{base_key(request)}:outcome:requester", to=request.requester)


def nudge(session: Session, request: ApprovalRequest, slot: RequiredSlot, days: int) -> None:
    notice = messages.nudge(request, slot, days)
    for user in slot.approvers:
        outbox.notify(session, notice, key=f"{base_key(request)}:nudge:{user}:{slot.key}", to=user)


def escalation(
    session: Session,
    request: ApprovalRequest,
    pending: list[RequiredSlot],
    config: OrgConfig,
    days: int,
) -> None:
    notice = messages.escalation(request, pending, config, days)
    _in_thread(session, request, config, notice, "escalated")
    for lead in config.members("governance_leads"):
        outbox.notify(session, notice, key=f"{base_key(request)}:escalated:{lead}", to=lead)
