"""Who is told what about an approval, under which outbox key, in the caller's transaction.

Keys name the request (ref, version and request id), so a retried service call never queues a
notice twice, and a later request for the same version gets notices of its own. Every step of
a request is a reply in its governance-channel thread, sent in the order it was queued.

The requester hears in the thread where they registered the use (recorded once per record as
an outbox anchor, so later versions' requests reply there too), or else in their DM: one
status message per request, posted when it opens and updated as approvers decide, then the
outcome as a reply, so they are told once, not once per decision.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from governance import outbox
from governance.approvals import messages, service
from governance.approvals.fast_track import FAST_TRACK_ACTOR
from governance.approvals.models import (
    ApprovalAction,
    RequesterThread,
    RequestStatus,
    RequiredSlot,
)
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


def origin_key(ref: str) -> str:
    return f"approval:{ref}:origin"


def status_key(request: ApprovalRequest) -> str:
    return f"{base_key(request)}:requester:status"


def recipients(slot: RequiredSlot, config: OrgConfig) -> dict[str, str]:
    """Who gets buttons for a slot, and whom each acts as: the named people, then their
    delegates (so a delegate can act while the approver is away). The fast track's system
    approver is nobody to message."""
    people = [person for person in slot.approvers if person != FAST_TRACK_ACTOR]
    out = {person: person for person in people}
    for person in people:
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


def registered_in(session: Session, record: AIUse, origin: RequesterThread) -> None:
    """Remember where the requester registered `record` (the first place stands)."""
    outbox.anchor(
        session,
        key=origin_key(record.ref),
        channel=origin.channel,
        ts=origin.thread_ts,
        kind=OutboxKind.APPROVAL_ORIGIN,
        subject=record.ref,
    )


def _requester_place(session: Session, request: ApprovalRequest) -> tuple[str, str | None]:
    """Where the requester hears about `request`: (channel or user, thread parent's key)."""
    origin = outbox.find_sent(session, origin_key(request.record_ref))
    if origin is not None:
        return origin.channel, origin.dedupe_key
    return request.requester, None


def _status(
    session: Session, request: ApprovalRequest, config: OrgConfig, kind: OutboxKind, why: str = ""
) -> Notice:
    record = session.get(AIUse, request.ai_use_id)
    return messages.requester_status(
        request,
        record.title if record is not None else "",
        service.slots_of(session, request),
        service.decisions_of(session, request),
        config,
        kind=kind,
        replaced=why,
    )


def _status_posted(session: Session, request: ApprovalRequest, config: OrgConfig) -> None:
    if request.requester:
        to, thread = _requester_place(session, request)
        notice = _status(session, request, config, OutboxKind.APPROVAL_REQUESTER)
        outbox.notify(session, notice, key=status_key(request), to=to, thread_of=thread)


def _status_updated(
    session: Session, request: ApprovalRequest, config: OrgConfig, step: str, why: str = ""
) -> None:
    """The status message again, as it stands now (once per step). A request opened before
    requesters had a status message has none to update."""
    if request.requester and outbox.queued(session, status_key(request)):
        to, _ = _requester_place(session, request)
        notice = _status(session, request, config, OutboxKind.APPROVAL_REQUESTER_UPDATE, why)
        target = status_key(request)
        outbox.replace(session, notice, key=f"{target}:{step}", to=to, target_of=target)


def request_opened(
    session: Session,
    request: ApprovalRequest,
    record: AIUse,
    slots: list[RequiredSlot],
    config: OrgConfig,
) -> None:
    """The thread's first post, every approver's (and delegate's) DM with the buttons, and the
    requester's status message."""
    session.flush()  # the slots, for the requester's status
    _status_posted(session, request, config)
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
    """A reply in the thread, every DM for the slot loses its buttons, and the requester's
    status message shows the decision."""
    step = f"decided:{slot.key}"
    notice = messages.decision_made(decision, request, config, kind=OutboxKind.APPROVAL_DECISION)
    _in_thread(session, request, config, notice, step)
    for user in recipients(slot, config):
        _replace_buttons(session, request, slot, user, notice, step="decided")
    session.flush()  # the decision, for the requester's status
    _status_updated(session, request, config, step)


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
    _status_updated(session, request, config, "superseded", why)


def outcome(
    session: Session,
    request: ApprovalRequest,
    record: AIUse,
    result: RequestStatus,
    decisions: list[ApprovalDecision],
    config: OrgConfig,
) -> None:
    """The last reply in the thread; the requester's status shows the outcome, and they hear it
    in a reply (an update notifies nobody), with a way to edit and resubmit when changes were
    requested. An approved use's owner is offered a gateway key (told on their own when
    someone else requested it)."""
    notice = messages.outcome(request, record, result, decisions, config)
    _in_thread(session, request, config, notice, "outcome")
    _status_updated(session, request, config, "outcome")
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
    offer = approved and request.requester == record.owner
    told = messages.outcome(
        request, record, result, decisions, config, edit=edit, gateway_key=offer
    )
    # In the registration's thread, else under the status message in the requester's DM.
    to, thread = _requester_place(session, request)
    if thread is None and outbox.queued(session, status_key(request)):
        thread = status_key(request)
    outbox.notify(
        session, told, key=f"{base_key(request)}:outcome:requester", to=to, thread_of=thread
    )


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
