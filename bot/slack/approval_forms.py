"""The approval forms in Block Kit: the reason (or conditions) modal a verdict button opens, and
the requester's edit-and-resubmit modal; and reading them back."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from bot.slack.blocks import sections
from bot.slack.ids import ApprovalIds
from bot.slack.payloads import ViewState
from governance.approvals.models import ApprovalAction, Verdict
from governance.errors import StaleActionError
from governance.text import esc
from store.models import AIUse

BROKEN = "This approval button could not be read. Use `aims approvals list` to find the request."
REASON_PROMPT = {
    Verdict.APPROVE_WITH_CONDITIONS: "Conditions (one per line)",
    Verdict.REQUEST_CHANGES: "What needs to change, and why",
    Verdict.REJECT: "Why is this rejected?",
}
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


def action_of(raw: str | None) -> ApprovalAction:
    """What an approval button (value) or form (private_metadata) carries."""
    try:
        return ApprovalAction.model_validate_json(raw or "")
    except ValidationError:
        raise StaleActionError(BROKEN) from None


def _text_input(block_id: str, label: str, action_id: str, *, value: str = "") -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "multiline": len(value) > 80,
        "action_id": action_id,
    }
    if value:
        element["initial_value"] = value[:3000]
    return {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": label},
        "element": element,
    }


def _modal(callback_id: str, title: str, submit: str, action: ApprovalAction) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": action.model_dump_json(),
        "title": {"type": "plain_text", "text": title[:24]},
        "submit": {"type": "plain_text", "text": submit},
        "close": {"type": "plain_text", "text": "Cancel"},
    }


def reason_modal(action: ApprovalAction, record_title: str) -> dict[str, Any]:
    """The modal that asks for conditions or a reason; private_metadata carries the action."""
    assert action.verdict is not None
    label = REASON_PROMPT[action.verdict]
    reason = _text_input(ApprovalIds.REASON_BLOCK, label, ApprovalIds.REASON_INPUT)
    reason["element"]["multiline"] = True
    head = sections(f"*{action.ref} v{action.version}*: {esc(record_title)}")
    title = {
        Verdict.APPROVE_WITH_CONDITIONS: "Approve with conditions",
        Verdict.REQUEST_CHANGES: "Request changes",
        Verdict.REJECT: "Reject",
    }[action.verdict]
    return {
        **_modal(ApprovalIds.REASON_MODAL, title, "Submit", action),
        "blocks": [*head, reason],
    }


def edit_modal(action: ApprovalAction, record: AIUse) -> dict[str, Any]:
    """Every editable field pre-filled; what is changed becomes the next version."""
    fields = []
    for name, label in EDITABLE_FIELDS.items():
        field = _text_input(
            f"{FIELD_BLOCK_PREFIX}{name}",
            label,
            ApprovalIds.FIELD_INPUT,
            value=str(getattr(record, name) or ""),
        )
        fields.append({**field, "optional": True})
    reason = _text_input(
        ApprovalIds.EDIT_REASON_BLOCK, "What changed, and why", ApprovalIds.FIELD_INPUT
    )
    reason["element"]["multiline"] = True
    intro = (
        f"*{record.ref} v{record.version}*: change what the approvers asked for; the edit "
        "becomes a new version and goes back to them."
    )
    return {
        **_modal(ApprovalIds.EDIT_MODAL, f"Edit {record.ref}", "Resubmit", action),
        "blocks": [*sections(intro), *fields, reason],
    }


def reason_of(state: ViewState) -> str:
    return state.answer(ApprovalIds.REASON_BLOCK, ApprovalIds.REASON_INPUT)


def edit_reason_of(state: ViewState) -> str:
    return state.answer(ApprovalIds.EDIT_REASON_BLOCK, ApprovalIds.FIELD_INPUT)


def changes_of(state: ViewState, record: AIUse) -> dict[str, Any]:
    """The fields the requester changed in the edit form."""
    edited = {
        name: state.answer(f"{FIELD_BLOCK_PREFIX}{name}", ApprovalIds.FIELD_INPUT)
        for name in EDITABLE_FIELDS
    }
    return {
        name: value
        for name, value in edited.items()
        if value.strip() != str(getattr(record, name) or "").strip()
    }
