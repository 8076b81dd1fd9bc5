"""Slash commands: /aims (help), /ai-ask, /ai-register, /ai-status, /ai-incident.

Each acks at once (with a short private note when the work takes a moment) and answers
privately through the command's response_url after the ack.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.slack.errors import after_ack
from bot.slack.flows import start_registration_in_dm
from bot.slack.ids import Command
from bot.slack.services import Services, inbound
from intake.replies import Reply

INCIDENT_SOON = (
    "Incident reporting in Slack is coming soon. Until then, tell your governance lead directly."
)
# The incident feature sets this to a function (services, body) → None that starts its flow.
INCIDENT_FLOW: list[Callable[[Services, dict[str, Any]], None]] = []


def thread_of(body: dict[str, Any]) -> str:
    return f"cmd:{body.get('trigger_id')}"


ASK_HOW = (
    "Ask me a question after the command, like `/ai-ask Can I use ChatGPT with customer data?`"
)


def ack_text(body: dict[str, Any]) -> str | None:
    """The instant private note a command acks with (None: a bare ack, the answer follows)."""
    command = body.get("command")
    if command == Command.ASK:
        return "Looking that up in the policies…" if (body.get("text") or "").strip() else ASK_HOW
    if command == Command.REGISTER:
        return "I've sent you a direct message to register your AI use."
    if command == Command.INCIDENT and not INCIDENT_FLOW:
        return INCIDENT_SOON
    return None


def ack_command(ack: Ack, body: dict[str, Any]) -> None:
    text = ack_text(body)
    # Bolt refuses ack(text=None): a bare ack when the answer follows (or a form opens).
    if text is None:
        ack()
    else:
        ack(text=text)


def note_ack(services: Services, body: dict[str, Any]) -> None:
    """The ack's note is an outbound message too: record it (after the ack, off its path)."""
    text = ack_text(body)
    if text is not None:
        services.messenger.record(
            "ack", str(body.get("user_id")), {"command": body.get("command"), "text": text}
        )


def register(app: App, services: Services) -> None:
    def answer(body: dict[str, Any], replies: list[Reply]) -> None:
        services.messenger.respond_replies(body["response_url"], replies, thread_of(body))

    @after_ack(services)
    def show_help(body: dict[str, Any], context: BoltContext) -> None:
        answer(body, services.router().help())

    @after_ack(services)
    def ask(body: dict[str, Any], context: BoltContext) -> None:
        note_ack(services, body)
        question = (body.get("text") or "").strip()
        if question:
            answer(body, services.router().ask(_inbound(body, question)))

    @after_ack(services)
    def start_registration(body: dict[str, Any], context: BoltContext) -> None:
        note_ack(services, body)
        start_registration_in_dm(services, body, body["user_id"])

    @after_ack(services)
    def show_status(body: dict[str, Any], context: BoltContext) -> None:
        answer(body, services.router().my_records(_inbound(body, "")))

    @after_ack(services)
    def report_incident(body: dict[str, Any], context: BoltContext) -> None:
        note_ack(services, body)
        for flow in INCIDENT_FLOW:
            flow(services, body)

    app.command(Command.HELP.value)(ack=ack_command, lazy=[show_help])
    app.command(Command.ASK.value)(ack=ack_command, lazy=[ask])
    app.command(Command.REGISTER.value)(ack=ack_command, lazy=[start_registration])
    app.command(Command.STATUS.value)(ack=ack_command, lazy=[show_status])
    app.command(Command.INCIDENT.value)(ack=ack_command, lazy=[report_incident])


def _inbound(body: dict[str, Any], text: str) -> Any:
    return inbound(
        body,
        user=body["user_id"],
        thread=thread_of(body),
        channel=body.get("channel_id"),
        text=text,
    )
