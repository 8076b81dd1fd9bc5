"""Slack journeys shared by several surfaces (a slash command and an App Home button)."""

from __future__ import annotations

from bot.slack.blocks import SlackMessage, sections
from bot.slack.payloads import Interaction, SlashCommand
from bot.slack.services import Services, inbound
from governance.text import esc

REGISTER_INTRO = (
    "Let's register an AI use. I'll ask a few questions in this thread; "
    "answer here or with the buttons."
)


def start_registration_in_dm(
    services: Services, payload: Interaction | SlashCommand, user: str
) -> str:
    """Open a DM, post the intro, and run the intake in its thread. Returns the DM channel."""
    messenger = services.messenger
    channel = messenger.open_dm(user)
    ts = messenger.post(channel, SlackMessage(text=REGISTER_INTRO, blocks=sections(REGISTER_INTRO)))
    thread = ts or f"dm:{channel}"
    replies = services.router().start_registration(
        inbound(payload, user=user, thread=thread, channel=channel)
    )
    messenger.send_replies(replies, channel=channel, thread_key=thread, thread_ts=ts, user=user)
    return channel


def ask_and_dm(
    services: Services, payload: Interaction, user: str, question: str, thread: str
) -> None:
    """Answer a question asked outside a conversation (App Home) in the person's DM."""
    messenger = services.messenger
    channel = messenger.open_dm(user)
    intro = f"You asked: {esc(question)}"
    ts = messenger.post(channel, SlackMessage(text=intro, blocks=sections(intro)))
    replies = services.router().ask(
        inbound(payload, user=user, thread=ts or thread, channel=channel, text=question)
    )
    messenger.send_replies(
        replies, channel=channel, thread_key=ts or thread, thread_ts=ts, user=user
    )
