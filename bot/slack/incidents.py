"""/ai-incident opens the report form; "Close incident" on an incident message opens the closure
form (root cause and corrective action). Thin handlers around governance.incidents."""

from __future__ import annotations

import logging
from datetime import datetime, time
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from slack_bolt import Ack, App, BoltContext
from sqlalchemy import select

from bot.context import AppContext
from bot.slack.blocks import sections
from bot.slack.common import field_value, send_queued, submitted, trigger_of
from bot.slack.errors import after_ack
from bot.slack.handlers import commands
from bot.slack.payloads import BlockActions, SlashCommand, ViewState, ViewSubmission
from bot.slack.services import Services
from governance import incidents
from governance.errors import AimsError
from governance.incidents import IncidentAction, IncidentReport, Severity
from governance.models import RecordStatus
from store.models import AIUse, utcnow

log = logging.getLogger(__name__)
UNREGISTERED = "unregistered"
IN_USE = (
    RecordStatus.APPROVED,
    RecordStatus.APPROVED_WITH_CONDITIONS,
    RecordStatus.LIVE,
    RecordStatus.SUSPENDED,
    RecordStatus.SUBMITTED,
    RecordStatus.IN_REVIEW,
)


class IncidentIds(StrEnum):
    REPORT_MODAL = "incident_report"
    CLOSE_MODAL = "incident_close_form"
    AI_USE = "incident_ai_use"
    TOOL = "incident_tool"
    WHAT = "incident_what"
    DAY = "incident_day"
    TIME = "incident_time"
    SEVERITY = "incident_severity"
    HARMED = "incident_harmed"
    HARM_DETAILS = "incident_harm_details"
    SERIOUS = "incident_serious"
    ROOT_CAUSE = "incident_root_cause"
    ACTION = "incident_corrective_action"
    VALUE = "value"


def _option(value: str, label: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": label[:75]}, "value": value}


def _input(
    block_id: str, label: str, element: dict[str, Any], *, optional: bool = False
) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": {"type": "plain_text", "text": label},
        "element": {**element, "action_id": IncidentIds.VALUE.value},
    }


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
    options = [_option(ref, f"{ref} {title}") for ref, title in uses[:99]]
    options.append(_option(UNREGISTERED, "Not in the register"))
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
                "options": [_option(s.value, s.value.capitalize()) for s in Severity],
            },
        ),
        _input(
            IncidentIds.HARMED,
            "Were people harmed?",
            {**radio, "options": [_option("yes", "Yes"), _option("no", "No")]},
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
                    _option("yes", "Yes"),
                    _option("no", "No"),
                    _option("unsure", "Not sure"),
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
    ]
    return _modal(IncidentIds.CLOSE_MODAL, "Close incident", blocks, metadata=ref)


def done_view(title: str, text: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": title},
        "close": {"type": "plain_text", "text": "Done"},
        "blocks": sections(text),
    }


def parse_report(values: ViewState, tz: str) -> IncidentReport:
    use = field_value(values, IncidentIds.AI_USE)
    day = datetime.fromisoformat(field_value(values, IncidentIds.DAY)).date()
    clock = time.fromisoformat(field_value(values, IncidentIds.TIME) or "00:00")
    return IncidentReport.model_validate(
        {
            "ai_use_ref": None if use == UNREGISTERED else use,
            "unregistered_tool": field_value(values, IncidentIds.TOOL),
            "what_happened": field_value(values, IncidentIds.WHAT),
            "occurred_at": datetime.combine(day, clock, tzinfo=ZoneInfo(tz)),
            "severity": field_value(values, IncidentIds.SEVERITY),
            "people_harmed": field_value(values, IncidentIds.HARMED) == "yes",
            "harm_details": field_value(values, IncidentIds.HARM_DETAILS),
            "serious_incident": field_value(values, IncidentIds.SERIOUS) or "unsure",
        }
    )


def _uses(ctx: AppContext) -> list[tuple[str, str]]:
    with ctx.db.session() as session:
        rows = session.execute(
            select(AIUse.ref, AIUse.title)
            .where(AIUse.status.in_([s.value for s in IN_USE]))
            .order_by(AIUse.id.desc())
            .limit(99)
        ).all()
    return [(ref, title) for ref, title in rows]


def open_report_form(services: Services, payload: SlashCommand | BlockActions) -> None:
    """The /ai-incident flow (commands.INCIDENT_FLOW): open the report form."""
    ctx = services.ctx
    today = utcnow().astimezone(ZoneInfo(ctx.config.organisation.timezone)).date().isoformat()
    services.messenger.open_view(trigger_of(payload), report_modal(_uses(ctx), today), "incident")


def on_report(ctx: AppContext, app: App, ack: Ack, submission: ViewSubmission) -> None:
    try:
        report = parse_report(submission.view.state, ctx.config.organisation.timezone)
        with ctx.db.session() as session:
            ref = incidents.report_incident(
                session, config=ctx.config, report=report, actor=submission.user_id, now=utcnow()
            ).ref
    except ValidationError as exc:
        ack(response_action="errors", errors={IncidentIds.WHAT.value: exc.errors()[0]["msg"]})
        return
    except ValueError:
        ack(response_action="errors", errors={IncidentIds.DAY.value: "Pick a date and a time."})
        return
    except AimsError as exc:
        ack(response_action="errors", errors={IncidentIds.AI_USE.value: str(exc)[:150]})
        return
    every = ctx.config.incident_follow_up_days
    thanks = (
        f"Thank you. *{ref}* is recorded; the owner and the governance leads are told, "
        f"and they will follow it up every {every} days until it is closed."
    )
    ack(response_action="update", view=done_view("Incident reported", thanks))
    send_queued(ctx, app, "an incident")


def on_close_submitted(ctx: AppContext, app: App, ack: Ack, submission: ViewSubmission) -> None:
    state, ref = submission.view.state, submission.view.private_metadata
    try:
        with ctx.db.session() as session:
            incidents.close_incident(
                session,
                config=ctx.config,
                incident=incidents.get_incident(session, ref),
                actor=submission.user_id,
                now=utcnow(),
                root_cause=field_value(state, IncidentIds.ROOT_CAUSE),
                corrective_action=field_value(state, IncidentIds.ACTION),
            )
    except AimsError as exc:
        ack(response_action="errors", errors={IncidentIds.ACTION.value: str(exc)[:150]})
        return
    ack(response_action="update", view=done_view("Incident closed", f"*{ref}* is closed."))
    send_queued(ctx, app, "an incident")


def register_incident_handlers(app: App, services: Services) -> None:
    ctx, messenger = services.ctx, services.messenger
    if open_report_form not in commands.INCIDENT_FLOW:
        commands.INCIDENT_FLOW.append(open_report_form)

    def ack_click(ack: Ack) -> None:
        ack()

    @after_ack(services, BlockActions, claim=False)  # opens a form: works again after a cancel
    def close_button(click: BlockActions) -> None:
        ref = click.action.value or ""
        messenger.open_view(trigger_of(click), close_modal(ref), ref)

    def report(ack: Ack, context: BoltContext) -> None:
        on_report(ctx, app, ack, submitted(context))

    def close(ack: Ack, context: BoltContext) -> None:
        on_close_submitted(ctx, app, ack, submitted(context))

    app.action(IncidentAction.CLOSE.value)(ack=ack_click, lazy=[close_button])
    app.view(IncidentIds.REPORT_MODAL.value)(report)
    app.view(IncidentIds.CLOSE_MODAL.value)(close)
