"""What approvers, the governance channel and the requester read, as transport-free notices
(governance.notices): built from rows already loaded, with no queries and no markup.
bot/slack/notices.py renders them; notify.py decides who gets which, under which key.

People are named through people.Names: by their aims.yaml name, else by id, listed in the
notice's mentions so Slack shows them as a mention."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from governance.approvals.models import ApprovalAction, RequestStatus, RequiredSlot, Verdict
from governance.approvals.people import Names
from governance.config import OrgConfig
from governance.notices import (
    ChoiceAction,
    Line,
    Notice,
    NoticeChoice,
    Part,
    Style,
    Tone,
    bullets,
    fact,
)
from store.approval_models import ApprovalDecision, ApprovalRequest
from store.models import AIUse
from store.outbox_kinds import OutboxKind

ButtonStyle = Literal["primary", "danger"] | None
VERDICT_CHOICES: dict[Verdict, tuple[ChoiceAction, str, ButtonStyle]] = {
    Verdict.APPROVE: (ChoiceAction.APPROVE, "Approve", "primary"),
    Verdict.APPROVE_WITH_CONDITIONS: (
        ChoiceAction.APPROVE_WITH_CONDITIONS,
        "Approve with conditions",
        None,
    ),
    Verdict.REQUEST_CHANGES: (ChoiceAction.REQUEST_CHANGES, "Request changes", None),
    Verdict.REJECT: (ChoiceAction.REJECT, "Reject", "danger"),
}
TONE = {
    Verdict.APPROVE: Tone.APPROVED,
    Verdict.APPROVE_WITH_CONDITIONS: Tone.CONDITIONS,
    Verdict.REQUEST_CHANGES: Tone.CHANGES,
    Verdict.REJECT: Tone.REJECTED,
}
OUTCOME_TONE = {
    RequestStatus.APPROVED: Tone.APPROVED,
    RequestStatus.APPROVED_WITH_CONDITIONS: Tone.CONDITIONS,
    RequestStatus.CHANGES_REQUESTED: Tone.CHANGES,
    RequestStatus.REJECTED: Tone.REJECTED,
}


def when(moment: datetime) -> str:
    return moment.strftime("%d %b %Y %H:%M UTC")


def status_label(result: RequestStatus) -> str:
    return result.value.replace("_", " ").capitalize()


def slot_label(slot: RequiredSlot, names: Names) -> str:
    who = names.any_of(slot.approvers)
    if slot.require == "all":
        return f"{who} ({slot.role})"
    return f"{slot.role}: {who}"


def record_card(record: AIUse, names: Names) -> Part:
    """The record as an approver needs to see it: version, tier and why, purpose, people."""
    lines = [fact("Risk tier", record.risk_tier or "not classified", strong=True)]
    lines += bullets(list(record.tier_reasons or []))
    if record.purpose:
        lines.append(fact("Purpose", record.purpose))
    if record.owner:
        lines.append(fact("Business owner", names(record.owner)))
    if record.requester:
        lines.append(fact("Requested by", names(record.requester)))
    return Part(heading=f"{record.ref} v{record.version}: {record.title}", lines=lines)


def request_posted(record: AIUse, slots: list[RequiredSlot], config: OrgConfig) -> Notice:
    """The governance channel's post; every later step of the request is a reply to it."""
    names = Names(config)
    needed = [f"{slot_label(slot, names)} — {'; '.join(slot.rules)}" for slot in slots]
    return Notice(
        kind=OutboxKind.APPROVAL_REQUEST,
        subject=record.ref,
        tone=Tone.REQUEST,
        title="Approval requested",
        parts=[
            record_card(record, names),
            Part(heading="Approvals needed", lines=bullets(needed)),
        ],
        mentions=names.mentions,
    )


def approver_asked(
    record: AIUse,
    slot: RequiredSlot,
    action: ApprovalAction,
    config: OrgConfig,
    *,
    acting_as: str,
    recipient: str,
) -> Notice:
    """An approver's (or their delegate's) DM, with one choice per verdict."""
    names = Names(config)
    who = "" if acting_as == recipient else f" as delegate for {names(acting_as)}"
    choices = [
        NoticeChoice(
            action=choice,
            label=label,
            value=action.model_copy(update={"verdict": verdict}).model_dump_json(),
            style=style,
        )
        for verdict, (choice, label, style) in VERDICT_CHOICES.items()
    ]
    return Notice(
        kind=OutboxKind.APPROVAL_DM,
        subject=record.ref,
        tone=Tone.ASK,
        title=f"Your approval is needed{who} ({slot.role}: {'; '.join(slot.rules)})",
        parts=[record_card(record, names)],
        choices=choices,
        mentions=names.mentions,
    )


def decision_made(
    decision: ApprovalDecision, request: ApprovalRequest, config: OrgConfig, *, kind: OutboxKind
) -> Notice:
    verdict = Verdict(decision.verdict)
    names = Names(config)
    who = decided_by(decision, names)
    parts = []
    if decision.conditions:
        parts.append(Part(heading="Conditions", lines=bullets(list(decision.conditions))))
    elif decision.reason:
        parts.append(Part(lines=[Line(text=decision.reason, style=Style.QUOTE)]))
    return Notice(
        kind=kind,
        subject=request.record_ref,
        tone=TONE[verdict],
        title=(
            f"{verdict.label} by {who} ({decision.slot}) — {request.record_ref} "
            f"v{request.version}, {when(decision.decided_at)}"
        ),
        parts=parts,
        mentions=names.mentions,
    )


def decided_by(decision: ApprovalDecision, names: Names) -> str:
    """ "Daniel Costa", or "Daniel Costa for Sarah Whitfield" when a delegate decided."""
    who = names(decision.decided_by)
    if decision.on_behalf_of and decision.on_behalf_of != decision.decided_by:
        who += f" for {names(decision.on_behalf_of)}"
    return who


def outcome(
    request: ApprovalRequest,
    record: AIUse,
    result: RequestStatus,
    decisions: list[ApprovalDecision],
    config: OrgConfig,
    *,
    edit: ApprovalAction | None = None,
    gateway_key: bool = False,
) -> Notice:
    """The request's outcome; with `edit`, the requester's choice to edit and resubmit; with
    `gateway_key`, the owner's choice to get a key for the gateway."""
    names = Names(config)
    parts = []
    if result is RequestStatus.APPROVED_WITH_CONDITIONS:
        conditions = [c for d in decisions for c in d.conditions]
        parts.append(Part(heading="Conditions", lines=bullets(conditions)))
    if result in (RequestStatus.CHANGES_REQUESTED, RequestStatus.REJECTED):
        reasons = [
            f"{names(d.decided_by)}: {d.reason}"
            for d in decisions
            if d.verdict in (Verdict.REQUEST_CHANGES, Verdict.REJECT)
        ]
        parts.append(Part(lines=bullets(reasons)))
    if result is RequestStatus.CHANGES_REQUESTED:
        parts.append(_how_to_resubmit(record))
    choices = []
    if edit is not None:
        choices.append(
            NoticeChoice(
                action=ChoiceAction.EDIT_AND_RESUBMIT,
                label="Edit and resubmit",
                value=edit.model_dump_json(),
                style="primary",
            )
        )
    if gateway_key:
        choices.append(
            NoticeChoice(
                action=ChoiceAction.GET_GATEWAY_KEY, label="Get a gateway key", value=record.ref
            )
        )
    return Notice(
        kind=OutboxKind.APPROVAL_OUTCOME,
        subject=record.ref,
        tone=OUTCOME_TONE.get(result, Tone.NEWS),
        title=f"{record.ref} v{request.version} {record.title}: {status_label(result)}",
        parts=parts,
        choices=choices,
        mentions=names.mentions,
    )


def _how_to_resubmit(record: AIUse) -> Part:
    command = f'aims approvals resubmit {record.ref} --as YOUR_ID --set field=value --reason "..."'
    return Part(
        lines=[
            Line(text="Make the changes with Edit and resubmit, or in a terminal with"),
            Line(text=command, style=Style.COMMAND),
            Line(text="The edit becomes a new version and goes back to the approvers."),
        ]
    )


def replaced(request: ApprovalRequest, why: str, *, kind: OutboxKind) -> Notice:
    """Old buttons give way to this, so nobody decides on an outdated version."""
    return Notice(
        kind=kind,
        subject=request.record_ref,
        tone=Tone.REPLACED,
        title=f"{request.record_ref} v{request.version}: this request was replaced ({why})",
        parts=[Part(lines=[Line(text="Look for the newer request in your messages.")])],
    )


def nudge(request: ApprovalRequest, slot: RequiredSlot, days: int) -> Notice:
    return Notice(
        kind=OutboxKind.APPROVAL_NUDGE,
        subject=request.record_ref,
        tone=Tone.REMINDER,
        title=(
            f"Reminder: {request.record_ref} v{request.version} has waited {days} days for "
            f"your decision ({slot.role})"
        ),
        parts=[Part(lines=[Line(text="The buttons are in the message above.")])],
    )


def escalation(
    request: ApprovalRequest, pending: list[RequiredSlot], config: OrgConfig, days: int
) -> Notice:
    names = Names(config)
    waiting = "; ".join(slot_label(slot, names) for slot in pending)
    return Notice(
        kind=OutboxKind.APPROVAL_ESCALATION,
        subject=request.record_ref,
        tone=Tone.ESCALATION,
        title=f"Escalated: {request.record_ref} v{request.version} has waited {days} days",
        parts=[
            Part(
                lines=[
                    fact("Waiting for", waiting),
                    Line(text="Please follow up, or decide as a delegate."),
                ]
            )
        ],
        mentions=names.mentions,
    )


def requester_status(
    request: ApprovalRequest,
    title: str,
    slots: list[RequiredSlot],
    decisions: list[ApprovalDecision],
    config: OrgConfig,
    *,
    kind: OutboxKind,
    replaced: str = "",
) -> Notice:
    """The requester's one status message for a request: how each approval stands, and why it
    is asked for. Posted when the request opens, then updated (so it reads the same, newer)."""
    names = Names(config)
    by_slot = {decision.slot: decision for decision in decisions}
    lines = [fact(slot.role.replace("_", " "), _slot_state(slot, by_slot, names)) for slot in slots]
    rules = list(dict.fromkeys(rule for slot in slots for rule in slot.rules))
    status = RequestStatus(request.status)
    head = f"{request.record_ref} v{request.version} {title}"
    if replaced:
        state, tone = f"replaced ({replaced})", Tone.REPLACED
    elif status is RequestStatus.OPEN:
        state, tone = f"in review, {len(by_slot)} of {len(slots)} approvals decided", Tone.REQUEST
    else:
        state, tone = status_label(status).lower(), OUTCOME_TONE.get(status, Tone.NEWS)
    return Notice(
        kind=kind,
        subject=request.record_ref,
        tone=tone,
        title=f"{head}: {state}",
        parts=[
            Part(heading="Approvals", lines=lines),
            Part(heading="Why", lines=bullets(rules)),
        ],
        mentions=names.mentions,
    )


def _slot_state(slot: RequiredSlot, decisions: dict[str, ApprovalDecision], names: Names) -> str:
    decision = decisions.get(slot.key)
    if decision is None:
        return f"waiting for {names.any_of(slot.approvers)}"
    verdict = Verdict(decision.verdict).label
    return f"{verdict} by {decided_by(decision, names)}, {when(decision.decided_at)}"
