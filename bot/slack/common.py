"""Helpers the approval, review and incident handlers share: a private note to the clicker, the
outbox pass after a change, and reading one answer out of a submitted form."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App

from bot.context import AppContext
from bot.slack.blocks import SlackMessage, sections
from bot.slack.messenger import Messenger
from bot.slack.outbox_sender import drain_outbox

log = logging.getLogger(__name__)
VALUE = "value"  # the action_id of every form input: the block_id says which question it is


def tell(messenger: Messenger, body: dict[str, Any], text: str) -> None:
    """A private note to the clicker, in the conversation where they clicked."""
    message = SlackMessage(text=text, blocks=sections(text), ephemeral=True)
    if body.get("response_url"):
        messenger.respond(body["response_url"], message)
        return
    channel = (body.get("container") or {}).get("channel_id")
    if channel:
        messenger.call(
            "chat.postEphemeral",
            channel,
            channel=channel,
            user=body["user"]["id"],
            text=text,
            blocks=message.blocks,
        )


def send_queued(ctx: AppContext, app: App, what: str) -> None:
    """Send what a service just queued (committed already), so it feels instant. The outbox loop
    would send it anyway, and conditional claims stop a double send; a failure here is logged."""
    try:
        drain_outbox(ctx, app.client)
    except Exception:
        log.exception("outbox pass after %s failed; the outbox loop will retry", what)


def field_value(values: dict[str, Any], block_id: str, action_id: str = VALUE) -> str:
    """The answer in one input block, whatever its element type ("" when left empty)."""
    state = (values.get(block_id) or {}).get(action_id) or {}
    option = state.get("selected_option") or {}
    return str(
        option.get("value")
        or state.get("selected_date")
        or state.get("selected_time")
        or state.get("value")
        or ""
    ).strip()
