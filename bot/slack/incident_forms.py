"""The incident forms in Block Kit: the report form (/ai-incident, App Home) and the closure
form ("Close incident"); reading the report back."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from bot.slack.blocks import input_block, option, sections
from bot.slack.errors import FormProblem
from bot.slack.ids import IncidentIds
from bot.slack.payloads import ViewState
from governance.incidents import IncidentReport, Severity

UNREGISTERED = "unregistered"
# The closure form's "Raise a finding from this incident" checkbox (its block and option).
RAISE_FINDING = "incident_raise_finding"


def _input(
    block_id: str, label: str, element: dict[str, Any], *, optional: bool = False
) -> dict[str, Any]:
    return input_block(block_id, label, element, IncidentIds.VALUE.value, optional=optional)


def _modal(
    callback_id: str, title: str, blocks: list[dict[str, Any]], metadata: str = ""
) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": metadata,
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Submit"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }


def report_modal(uses: list[tuple[str, str]], today: str) -> dict[str, Any]:
    options = [option(ref, f"{ref} {title}") for ref, title in uses[:99]]
    options.append(option(UNREGISTERED, "Not in the register"))
    text = {"type": "plain_text_input", "multiline": True}
    radio = {"type": "radio_buttons"}
    blocks = [
        _input(IncidentIds.AI_USE, "Which AI use?", {"type": "static_select", "options": options}),
        _input(
            IncidentIds.TOOL,
            "If not in the register: which tool?",
            {"type": "plain_text_input"},
            optional=True,
        ),
        _input(IncidentIds.WHAT, "What happened?", text),
        _input(IncidentIds.DAY, "When?", {"type": "datepicker", "initial_date": today}),
        _input(IncidentIds.TIME, "At what time (roughly)?", {"type": "timepicker"}, optional=True),
        _input(
            IncidentIds.SEVERITY,
            "Severity",
            {
                "type": "static_select",
                "options": [option(s.value, s.value.capitalize()) for s in Severity],
            },
        ),
        _input(
            IncidentIds.HARMED,
            "Were people harmed?",
            {**radio, "options": [option("yes", "Yes"), option("no", "No")]},
        ),
        _input(IncidentIds.HARM_DETAILS, "If so, who and how?", text, optional=True),
        _input(
            IncidentIds.SERIOUS,
            "Could it be a serious incident (EU AI Act Article 73: "
            "death or serious harm to health, critical infrastructure, fundamental rights, "
            "property or the environment)?",
            {
                **radio,
                "options": [
                    option("yes", "Yes"),
                    option("no", "No"),
                    option("unsure", "Not sure"),
                ],
            },
        ),
    ]
    return _modal(IncidentIds.REPORT_MODAL, "Report an AI incident", blocks)


def close_modal(ref: str) -> dict[str, Any]:
    text = {"type": "plain_text_input", "multiline": True}
    blocks = [
        *sections(f"Closing *{ref}*: both answers are kept as evidence."),
        _input(IncidentIds.ROOT_CAUSE, "Root cause", text),
        _input(IncidentIds.ACTION, "Corrective action", text),
        _input(
            RAISE_FINDING,
            "Follow-up",
            {
                "type": "checkboxes",
                "options": [
                    {
                        **option(RAISE_FINDING, "Raise a finding from this incident"),
                        "description": {
                            "type": "plain_text",
                            "text": "A nonconformity, its actions followed up until verified",
                        },
                    }
                ],
            },
            optional=True,
        ),
    ]
    return _modal(IncidentIds.CLOSE_MODAL, "Close incident", blocks, metadata=ref)


def raise_finding_chosen(values: ViewState) -> bool:
    """Whether the closure form's "Raise a finding" box is ticked."""
    chosen = values.plain().get(RAISE_FINDING, {}).get(IncidentIds.VALUE, {})
    options = chosen.get("selected_options")
    return isinstance(options, list) and any(
        isinstance(option, dict) and option.get("value") == RAISE_FINDING for option in options
    )


def done_view(title: str, text: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": title},
        "close": {"type": "plain_text", "text": "Done"},
        "blocks": sections(text),
    }


def _answer(values: ViewState, block: IncidentIds) -> str:
    return values.answer(block, IncidentIds.VALUE)


def parse_report(values: ViewState, tz: str) -> IncidentReport:
    use = _answer(values, IncidentIds.AI_USE)
    try:
        day = datetime.fromisoformat(_answer(values, IncidentIds.DAY)).date()
        clock = time.fromisoformat(_answer(values, IncidentIds.TIME) or "00:00")
    except ValueError:
        raise FormProblem({IncidentIds.DAY: "Pick a date and a time."}) from None
    try:
        return IncidentReport.model_validate(
            {
                "ai_use_ref": None if use == UNREGISTERED else use,
                "unregistered_tool": _answer(values, IncidentIds.TOOL),
                "what_happened": _answer(values, IncidentIds.WHAT),
                "occurred_at": datetime.combine(day, clock, tzinfo=ZoneInfo(tz)),
                "severity": _answer(values, IncidentIds.SEVERITY),
                "people_harmed": _answer(values, IncidentIds.HARMED) == "yes",
                "harm_details": _answer(values, IncidentIds.HARM_DETAILS),
                "serious_incident": _answer(values, IncidentIds.SERIOUS) or "unsure",
            }
        )
    except ValidationError as exc:
        raise FormProblem({IncidentIds.WHAT: exc.errors()[0]["msg"]}) from None
