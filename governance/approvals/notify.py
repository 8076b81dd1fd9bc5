"""Outbound effects of approvals, queued through the outbox in the caller's transaction.

Keys name the request (ref, version and request id), so a retried service call never queues a
message twice, and a later request for the same version gets messages of its own.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from governance import outbox
from governance.approvals import messages
from governance.approvals.models import ApprovalAction, RequestStatus, RequiredSlot, Verdict
from governance.config import OrgConfig
from governance.text import esc
from store.approval_models import ApprovalDecision, ApprovalRequest
from store.models import AIUse


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


def _thread_post(
    session: Session,
    request: ApprovalRequest,
    config: OrgConfig,
    *,
    key: str,
    text: str,
    kind: str,
) -> None:
    # Without a governance channel there is no thread; DMs and the requester still hear.
    if config.governance_channel is None:
        return
    outbox.enqueue(
        session,
        key=key,
        channel=config.governance_channel,
        text=text,
        kind=kind,
        subject=request.record_ref,
        thread_of=parent_key(request),
    )


def _dm(
    session: Session,
    *,
    key: str,
    user: str,
    text: str,
    kind: str,
    subject: str,
    blocks: messages.Blocks | None = None,
) -> None:
    outbox.enqueue(
        session, key=key, channel=user, text=text, kind=kind, subject=subject, blocks=blocks
    )


def request_opened(
    session: Session,
    request: ApprovalRequest,
    record: AIUse,
    slots: list[RequiredSlot],
    config: OrgConfig,
) -> None:
    summary = f"Approval requested: {record.ref} v{record.version} {record.title}"
    if config.governance_channel is not None:
        outbox.enqueue(
            session,
            key=parent_key(request),
            channel=config.governance_channel,
            text=summary,
            kind="approval.request",
            subject=record.ref,
            blocks=messages.request_post(record, slots, config),
        )
    for slot in slots:
        action = ApprovalAction(
            request_id=request.id, ref=record.ref, version=record.version, slot=slot.key
        )
        for user, acting_as in recipients(slot, config).items():
            blocks = messages.approver_dm(record, slot, action, config, acting_as, user)
            _dm(
                session,
                key=dm_key(request, user, slot.key),
                user=user,
                text=f"Your approval is needed: {summary}",
                kind="approval.dm",
                subject=record.ref,
                blocks=blocks,
            )


def decision_made(
    session: Session,
    request: ApprovalRequest,
    slot: RequiredSlot,
    decision: ApprovalDecision,
    config: OrgConfig,
) -> None:
    """Thread post, every DM for the slot loses its buttons, and the requester is told."""
    text = messages.decision_text(decision, request, config)
    base = base_key(request)
    _thread_post(
        session,
        request,
        config,
        key=f"{base}:decided:{slot.key}",
        text=text,
        kind="approval.decision",
    )
    for user in recipients(slot, config):
        _replace_dm_buttons(session, request, slot, user, text, step="decided")
    if request.requester:
        _dm(
            session,
            key=f"{base}:decided:{slot.key}:requester",
            user=request.requester,
            text=text,
            kind="approval.requester",
            subject=request.record_ref,
        )


def _replace_dm_buttons(
    session: Session,
    request: ApprovalRequest,
    slot: RequiredSlot,
    user: str,
    text: str,
    *,
    step: str,
) -> None:
    """Update the approver's DM so its buttons give way to what happened (once per step)."""
    target = dm_key(request, user, slot.key)
    outbox.enqueue(
        session,
        key=f"{target}:{step}",
        op="update",
        channel=user,
        target_of=target,
        text=text,
        blocks=[messages.section(text)],
        kind="approval.dm_update",
        subject=request.record_ref,
    )


def superseded(
    session: Session,
    request: ApprovalRequest,
    slots: list[RequiredSlot],
    config: OrgConfig,
    why: str,
) -> None:
    """Old buttons are replaced by an explanation, so nobody decides on an outdated version."""
    text = (
        f":hourglass: {request.record_ref} v{request.version}: this request was replaced "
        f"({why}). Look for the newer request in your messages."
    )
    for slot in slots:
        for user in recipients(slot, config):
            _replace_dm_buttons(session, request, slot, user, text, step="superseded")
    _thread_post(
        session,
        request,
        config,
        key=f"{base_key(request)}:superseded",
        text=text,
        kind="approval.superseded",
    )


def outcome(
    session: Session,
    request: ApprovalRequest,
    record: AIUse,
    result: RequestStatus,
    decisions: list[ApprovalDecision],
    config: OrgConfig,
) -> None:
    text = outcome_text(request, record, result, decisions, config)
    base = base_key(request)
    _thread_post(
        session, request, config, key=f"{base}:outcome", text=text, kind="approval.outcome"
    )
    if request.requester:
        _dm(
            session,
            key=f"{base}:outcome:requester",
            user=request.requester,
            text=text,
            kind="approval.outcome",
            subject=record.ref,
            blocks=_outcome_blocks(request, text, result),
        )


def _outcome_blocks(
    request: ApprovalRequest, text: str, result: RequestStatus
) -> messages.Blocks | None:
    """Changes requested: the requester gets a button that opens the record for editing."""
    if result is not RequestStatus.CHANGES_REQUESTED:
        return None
    action = ApprovalAction(
        request_id=request.id, ref=request.record_ref, version=request.version, slot="requester"
    )
    return [messages.section(text), messages.edit_button(action)]


def outcome_text(
    request: ApprovalRequest,
    record: AIUse,
    result: RequestStatus,
    decisions: list[ApprovalDecision],
    config: OrgConfig,
) -> str:
    lines = [f"*{record.ref} v{request.version} {esc(record.title)}: {status_label(result)}*"]
    if result is RequestStatus.APPROVED_WITH_CONDITIONS:
        lines.append("Conditions:")
        lines += [f"• {esc(c)}" for d in decisions for c in d.conditions]
    if result in (RequestStatus.CHANGES_REQUESTED, RequestStatus.REJECTED):
        for decision in decisions:
            if decision.verdict in (Verdict.REQUEST_CHANGES, Verdict.REJECT):
                lines.append(
                    f"• {config.display_name(decision.decided_by)}: {esc(decision.reason)}"
                )
    if result is RequestStatus.CHANGES_REQUESTED:
        lines.append(
            "Make the changes with *Edit and resubmit* below, or in a terminal with "
            f'`aims approvals resubmit {record.ref} --as YOUR_ID --set field=value --reason "..."`.'
            " The edit becomes a new version and goes back to the approvers."
        )
    return "\n".join(lines)


def status_label(result: RequestStatus) -> str:
    return result.value.replace("_", " ").capitalize()


def nudge(
    session: Session,
    request: ApprovalRequest,
    slot: RequiredSlot,
    config: OrgConfig,
    days: int,
) -> None:
    text = (
        f":alarm_clock: Reminder: {request.record_ref} v{request.version} has waited "
        f"{days} days for your decision ({slot.role}). The buttons are in the message above."
    )
    for user in slot.approvers:
        _dm(
            session,
            key=f"{base_key(request)}:nudge:{user}:{slot.key}",
            user=user,
            text=text,
            kind="approval.nudge",
            subject=request.record_ref,
        )


def escalation(
    session: Session,
    request: ApprovalRequest,
    pending: list[RequiredSlot],
    config: OrgConfig,
    days: int,
) -> None:
    waiting = "; ".join(messages.slot_label(slot, config) for slot in pending)
    text = (
        f":rotating_light: Escalated: {request.record_ref} v{request.version} has waited "
        f"{days} days for: {waiting}. Please follow up, or decide as a delegate."
    )
    _thread_post(
        session,
        request,
        config,
        key=f"{base_key(request)}:escalated",
        text=text,
        kind="approval.escalation",
    )
    for lead in config.members("governance_leads"):
        _dm(
            session,
            key=f"{base_key(request)}:escalated:{lead}",
            user=lead,
            text=text,
            kind="approval.escalation",
            subject=request.record_ref,
        )
