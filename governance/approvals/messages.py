"""What approvers, the governance channel and the requester read: text and Block Kit as plain
data. Built here, not in bot/slack, because the outbox row is written in the same transaction as
the decision (governance does no network I/O; these are only dicts)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from governance.approvals.models import ApprovalAction, RequiredSlot, Verdict
from governance.config import OrgConfig
from governance.text import esc
from store.approval_models import ApprovalDecision, ApprovalRequest
from store.models import AIUse

Blocks = list[dict[str, Any]]


class ApprovalIds(StrEnum):
    """Stable Slack ids for approval buttons and the reason modal."""

    ACTIONS_BLOCK = "approval_actions"
    APPROVE = "approval_approve"
    APPROVE_WITH_CONDITIONS = "approval_approve_with_conditions"
    REQUEST_CHANGES = "approval_request_changes"
    REJECT = "approval_reject"
    REASON_MODAL = "approval_reason_modal"
    REASON_BLOCK = "approval_reason_block"
    REASON_INPUT = "approval_reason_input"
    EDIT = "approval_edit"
    EDIT_MODAL = "approval_edit_modal"
    EDIT_REASON_BLOCK = "approval_edit_reason"
    FIELD_INPUT = "value"  # the action id of each field's input; its block id names the field


# The text fields a requester can change from Slack after review; lists and choices (data
# categories, deployment) change through `aims approvals resubmit` or a governance lead.
EDITABLE_FIELDS: dict[str, str] = {
    "title": "Title",
    "purpose": "Purpose",
    "business_unit": "Business unit",
    "tool": "Tool",
    "model_version": "Model and version",
    "decisions_about_people": "Decisions about people",
    "autonomy": "Autonomy",
    "data_location": "Where the data is processed",
    "contract_dpa": "Contract / DPA",
    "logging_arrangements": "Logging arrangements",
    "escalation_route": "Escalation route",
}
FIELD_BLOCK_PREFIX = "approval_field_"


ACTION_FOR_VERDICT = {
    Verdict.APPROVE: ApprovalIds.APPROVE,
    Verdict.APPROVE_WITH_CONDITIONS: ApprovalIds.APPROVE_WITH_CONDITIONS,
    Verdict.REQUEST_CHANGES: ApprovalIds.REQUEST_CHANGES,
    Verdict.REJECT: ApprovalIds.REJECT,
}
_BUTTON_TEXT = {
    Verdict.APPROVE: "Approve",
    Verdict.APPROVE_WITH_CONDITIONS: "Approve with conditions",
    Verdict.REQUEST_CHANGES: "Request changes",
    Verdict.REJECT: "Reject",
}
_BUTTON_STYLE = {Verdict.APPROVE: "primary", Verdict.REJECT: "danger"}
_ICON = {
    Verdict.APPROVE: ":white_check_mark:",
    Verdict.APPROVE_WITH_CONDITIONS: ":ballot_box_with_check:",
    Verdict.REQUEST_CHANGES: ":pencil2:",
    Verdict.REJECT: ":x:",
}
REASON_PROMPT = {
    Verdict.APPROVE_WITH_CONDITIONS: "Conditions (one per line)",
    Verdict.REQUEST_CHANGES: "What needs to change, and why",
    Verdict.REJECT: "Why is this rejected?",
}


def when(moment: datetime) -> str:
    return moment.strftime("%d %b %Y %H:%M UTC")


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def record_summary(record: AIUse, config: OrgConfig) -> str:
    lines = [f"*{record.ref} v{record.version}: {esc(record.title)}*"]
    tier = record.risk_tier or "not classified"
    lines.append(f"Risk tier: *{tier}*")
    lines += [f"• {esc(reason)}" for reason in record.tier_reasons or []]
    if record.purpose:
        lines.append(f"Purpose: {esc(record.purpose)}")
    if record.owner:
        lines.append(f"Business owner: {config.display_name(record.owner)}")
    if record.requester:
        lines.append(f"Requested by: {config.display_name(record.requester)}")
    return "\n".join(lines)


def slot_label(slot: RequiredSlot, config: OrgConfig) -> str:
    names = " or ".join(config.display_name(person) for person in slot.approvers)
    if slot.require == "all":
        return f"{names} ({slot.role})"
    return f"{slot.role}: {names}"


def request_post(record: AIUse, slots: list[RequiredSlot], config: OrgConfig) -> Blocks:
    needed = "\n".join(f"• {slot_label(slot, config)} — {'; '.join(slot.rules)}" for slot in slots)
    return [
        section(f":inbox_tray: Approval requested\n{record_summary(record, config)}"),
        section(f"*Approvals needed*\n{needed}"),
    ]


def approver_dm(
    record: AIUse,
    slot: RequiredSlot,
    action: ApprovalAction,
    config: OrgConfig,
    acting_as: str,
    recipient: str,
) -> Blocks:
    why = "; ".join(slot.rules)
    who = "" if acting_as == recipient else (f" as delegate for {config.display_name(acting_as)}")
    intro = f"Your approval is needed{who} ({slot.role}: {why})."
    return [section(f"{intro}\n{record_summary(record, config)}"), _buttons(action)]


def _buttons(action: ApprovalAction) -> dict[str, Any]:
    elements = []
    for verdict in Verdict:
        button: dict[str, Any] = {
            "type": "button",
            "action_id": ACTION_FOR_VERDICT[verdict].value,
            "text": {"type": "plain_text", "text": _BUTTON_TEXT[verdict]},
            "value": action.model_copy(update={"verdict": verdict}).model_dump_json(),
        }
        if verdict in _BUTTON_STYLE:
            button["style"] = _BUTTON_STYLE[verdict]
        elements.append(button)
    return {"type": "actions", "block_id": ApprovalIds.ACTIONS_BLOCK.value, "elements": elements}


def decision_text(decision: ApprovalDecision, request: ApprovalRequest, config: OrgConfig) -> str:
    verdict = Verdict(decision.verdict)
    who = config.display_name(decision.decided_by)
    if decision.on_behalf_of and decision.on_behalf_of != decision.decided_by:
        who += f" for {config.display_name(decision.on_behalf_of)}"
    text = (
        f"{_ICON[verdict]} {verdict.label} by {who} ({decision.slot}) — "
        f"{request.record_ref} v{request.version}, {when(decision.decided_at)}"
    )
    if decision.conditions:
        text += "\nConditions:\n" + "\n".join(f"• {esc(c)}" for c in decision.conditions)
    elif decision.reason:
        text += f"\n> {esc(decision.reason)}"
    return text


def reason_modal(action: ApprovalAction, record_title: str) -> dict[str, Any]:
    """The modal that asks for conditions or a reason; private_metadata carries the action."""
    assert action.verdict is not None
    return {
        "type": "modal",
        "callback_id": ApprovalIds.REASON_MODAL.value,
        "private_metadata": action.model_dump_json(),
        "title": {"type": "plain_text", "text": _BUTTON_TEXT[action.verdict][:24]},
        "submit": {"type": "plain_text", "text": "Submit"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            section(f"*{action.ref} v{action.version}*: {esc(record_title)}"),
            {
                "type": "input",
                "block_id": ApprovalIds.REASON_BLOCK.value,
                "label": {"type": "plain_text", "text": REASON_PROMPT[action.verdict]},
                "element": {
                    "type": "plain_text_input",
                    "multiline": True,
                    "action_id": ApprovalIds.REASON_INPUT.value,
                },
            },
        ],
    }


def edit_button(action: ApprovalAction) -> dict[str, Any]:
    return {
        "type": "actions",
        "block_id": ApprovalIds.ACTIONS_BLOCK.value,
        "elements": [
            {
                "type": "button",
                "action_id": ApprovalIds.EDIT.value,
                "style": "primary",
                "text": {"type": "plain_text", "text": "Edit and resubmit"},
                "value": action.model_dump_json(),
            }
        ],
    }


def edit_modal(action: ApprovalAction, record: AIUse) -> dict[str, Any]:
    """Every editable field pre-filled; what is changed becomes the next version."""
    fields = [
        _field_input(name, label, str(getattr(record, name) or ""))
        for name, label in EDITABLE_FIELDS.items()
    ]
    reason = {
        "type": "input",
        "block_id": ApprovalIds.EDIT_REASON_BLOCK.value,
        "label": {"type": "plain_text", "text": "What changed, and why"},
        "element": {
            "type": "plain_text_input",
            "multiline": True,
            "action_id": ApprovalIds.FIELD_INPUT.value,
        },
    }
    return {
        "type": "modal",
        "callback_id": ApprovalIds.EDIT_MODAL.value,
        "private_metadata": action.model_dump_json(),
        "title": {"type": "plain_text", "text": f"Edit {record.ref}"},
        "submit": {"type": "plain_text", "text": "Resubmit"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            section(
                f"*{record.ref} v{record.version}*: change what the approvers "
                "asked for; the edit becomes a new version and goes back to them."
            ),
            *fields,
            reason,
        ],
    }


def _field_input(name: str, label: str, value: str) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "multiline": len(value) > 80,
        "action_id": ApprovalIds.FIELD_INPUT.value,
    }
    if value:
        element["initial_value"] = value[:3000]
    return {
        "type": "input",
        "block_id": f"{FIELD_BLOCK_PREFIX}{name}",
        "optional": True,
        "label": {"type": "plain_text", "text": label},
        "element": element,
    }
