"""DMs and @mentions go to the router; the bot answers in the thread."""

from __future__ import annotations

import re

from slack_bolt import Ack, App

from bot.slack.listeners import after_ack
from bot.slack.payloads import EventCallback, MessageEvent
from bot.slack.services import Services, inbound

_LEADING_MENTION = re.compile(r"^\s*<@[UW][A-Z0-9]+(?:\|[^>]*)?>")


def ack_event(ack: Ack) -> None:
    ack()


def register(app: App, services: Services) -> None:
    @after_ack(services, EventCallback)
    def answer_in_thread(payload: EventCallback) -> None:
        event = payload.event
        if not isinstance(event, MessageEvent):
            return
        if event.type == "message" and event.channel_type != "im":
            return  # in channels the bot answers @mentions only (they arrive as app_mention)
        if not event.user:
            return  # not a person (e.g. a workflow step)
        # The mention that addresses the bot, at the start, goes; anyone else named stays (a
        # review's `action: @owner …`, even when the bot is named again later).
        text = _LEADING_MENTION.sub("", event.text or "").strip()
        thread = event.thread_ts or event.ts
        user, channel = event.user, event.channel
        replies = services.router().handle(
            inbound(payload, user=user, thread=thread, channel=channel, text=text)
        )
        services.messenger.send_replies(
            replies, channel=channel, thread_key=thread, thread_ts=thread, user=user
        )

    # Bolt runs only the first matching listener: every message goes through this one.
    app.event("message")(ack=ack_event, lazy=[answer_in_thread])
    app.event("app_mention")(ack=ack_event, lazy=[answer_in_thread])
