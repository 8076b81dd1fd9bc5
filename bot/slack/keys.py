"""Which effect a payload asks for (its delivery key) and who is acting, from typed payloads."""

from __future__ import annotations

import hashlib
from typing import Any

from bot.slack.payloads import (
    AppHomeOpened,
    BlockActions,
    EventCallback,
    Interaction,
    MessageEvent,
    SlackPayload,
    SlashCommand,
    ViewSubmission,
)
from store.evidence import canonical_json


def _key(*parts: Any) -> str:
    key = ":".join(str(part) for part in parts)
    if len(key) <= 255:
        return key
    return f"{parts[0]}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"


def delivery_key(payload: SlackPayload) -> str | None:
    """One key per intended effect, the same for every redelivery of it.

    A message and its app_mention twin share channel + ts; Slack's retries share the event_id;
    a double click on a message hits the same message, block, value and clicker (another
    person's click on the same button is a different effect); a click in a view carries the
    view's hash, which changes when the view is republished. A form resubmitted after a
    validation error keeps its hash, so the submitted values are part of the key.
    """
    if isinstance(payload, EventCallback):
        event = payload.event
        if isinstance(event, MessageEvent) and (
            event.type == "app_mention" or event.channel_type == "im"
        ):
            return _key("msg", payload.team_id, event.channel, event.ts)
        return _key("evt", payload.event_id)
    if isinstance(payload, BlockActions):
        action, container = payload.action, payload.container
        where: tuple[Any, ...]
        if container is not None and container.message_ts:
            where = (container.channel_id, container.message_ts)
        else:
            where = (payload.view.id, payload.view.hash) if payload.view else (None, None)
        return _key(
            "act", *where, action.block_id, action.action_id, action.chosen, payload.user.id
        )
    if isinstance(payload, ViewSubmission):
        view = payload.view
        values = hashlib.sha256(canonical_json(view.state.plain()).encode()).hexdigest()[:16]
        return _key("view", view.id, view.hash, values)
    if isinstance(payload, SlashCommand):
        return _key("cmd", payload.trigger_id)
    return None


def actor_of(payload: SlackPayload) -> str:
    if isinstance(payload, Interaction):
        return payload.user.id
    if isinstance(payload, SlashCommand):
        return payload.user_id
    if isinstance(payload, EventCallback):
        event = payload.event
        if isinstance(event, MessageEvent):
            return event.user or event.bot_id or "slack"
        if isinstance(event, AppHomeOpened):
            return event.user
    return "slack"
