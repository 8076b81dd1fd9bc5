"""Slash commands: /aims (help; /aims audit, ack and finding for governance leads), /ai-ask,
/ai-register, /ai-status, /ai-incident.

Each acks at once (with a short private note when the work takes a moment) and answers
privately through the command's response_url after the ack.
"""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import Ack, App, BoltContext

from bot.slack import ack_forms, finding_forms
from bot.slack.audit import audit_ack, make_pack, subcommand
from bot.slack.flows import start_registration_in_dm
from bot.slack.ids import AimsSubcommand, Command
from bot.slack.incidents import open_report_form
from bot.slack.listeners import after_ack
from bot.slack.middleware import typed_payload
from bot.slack.payloads import SlashCommand
from bot.slack.services import Services, inbound
from governance.config import OrgConfig
from intake.replies import Inbound, Reply


def thread_of(command: SlashCommand) -> str:
    return f"cmd:{command.trigger_id}"


ASK_HOW = (
    "Ask me a question after the command, like `/ai-ask Can I use ChatGPT with customer data?`"
)


def ack_text(command: SlashCommand, config: OrgConfig) -> str | None:
    """The instant private note a command acks with (None: a bare ack, the answer follows)."""
    if command.command == Command.ASK:
        return "Looking that up in the policies…" if command.text.strip() else ASK_HOW
    if command.command == Command.REGISTER:
        return "I've sent you a direct message to register your AI use."
    if command.command == Command.HELP:
        return audit_ack(command, config)
    return None


def acker(services: Services) -> Callable[[Ack, BoltContext], None]:
    def ack_command(ack: Ack, context: BoltContext) -> None:
        command = typed_payload(context)
        text = ack_text(command, services.ctx.config) if isinstance(command, SlashCommand) else None
        # Bolt refuses ack(text=None); "" is a bare ack, when the answer follows (or a form opens).
        ack(text or "")

    return ack_command


def note_ack(services: Services, command: SlashCommand) -> None:
    """The ack's note is an outbound message too: record it (after the ack, off its path)."""
    text = ack_text(command, services.ctx.config)
    if text is not None:
        services.messenger.record(
            "ack", command.user_id, {"command": command.command, "text": text}
        )


def _inbound(command: SlashCommand, text: str) -> Inbound:
    return inbound(
        command,
        user=command.user_id,
        thread=thread_of(command),
        channel=command.channel_id,
        text=text,
    )


def register(app: App, services: Services) -> None:
    def answer(command: SlashCommand, replies: list[Reply]) -> None:
        services.messenger.respond_replies(command.response_url, replies, thread_of(command))

    @after_ack(services, SlashCommand)
    def aims(command: SlashCommand) -> None:
        word, rest = subcommand(command)
        if word == AimsSubcommand.AUDIT:
            note_ack(services, command)
            make_pack(services, command, rest)
        elif word == AimsSubcommand.ACK:
            ack_forms.open_campaign_form(services, command)
        elif word == AimsSubcommand.FINDING:
            finding_forms.open_raise_form(services, command)
        else:
            answer(command, services.router().help())

    @after_ack(services, SlashCommand)
    def ask(command: SlashCommand) -> None:
        note_ack(services, command)
        question = command.text.strip()
        if question:
            answer(command, services.router().ask(_inbound(command, question)))

    @after_ack(services, SlashCommand)
    def start_registration(command: SlashCommand) -> None:
        note_ack(services, command)
        start_registration_in_dm(services, command, command.user_id)

    @after_ack(services, SlashCommand)
    def show_status(command: SlashCommand) -> None:
        answer(command, services.router().my_records(_inbound(command, "")))

    @after_ack(services, SlashCommand)
    def report_incident(command: SlashCommand) -> None:
        open_report_form(services, command)

    ack_command = acker(services)
    app.command(Command.HELP.value)(ack=ack_command, lazy=[aims])
    app.command(Command.ASK.value)(ack=ack_command, lazy=[ask])
    app.command(Command.REGISTER.value)(ack=ack_command, lazy=[start_registration])
    app.command(Command.STATUS.value)(ack=ack_command, lazy=[show_status])
    app.command(Command.INCIDENT.value)(ack=ack_command, lazy=[report_incident])
