"""Helpers the approval, review and incident handlers share: a private note to the clicker, the
outbox pass after a change, and reading one answer out of a submitted form."""

from __future__ import annotations

import logging

from slack_bolt import App, BoltContext

from bot.context import AppContext
from bot.slack.blocks import SlackMessage, sections
from bot.slack.messenger import Messenger
from bot.slack.middleware import PAYLOAD
from bot.slack.outbox_sender import drain_outbox
from bot.slack.payloads import BlockActions, SlashCommand, ViewState, ViewSubmission
from governance.errors import StaleActionError

log = logging.getLogger(__name__)
VALUE = "value"  # the action_id of every form input: the block_id says which question it is


def tell(messenger: Messenger, click: BlockActions, text: str) -> None:
    """A private note to the clicker, in the conversation where they clicked."""
    message = SlackMessage(text=text, blocks=sections(text), ephemeral=True)
    if click.response_url:
        messenger.respond(click.response_url, message)
        return
    channel = click.container.channel_id if click.container else None
    if channel:
        messenger.call(
            "chat.postEphemeral",
            channel,
            channel=channel,
            user=click.user_id,
            text=text,
            blocks=message.blocks,
        )


def trigger_of(click: BlockActions | SlashCommand) -> str:
    """The trigger a form opens with; Slack sends one with every click and command."""
    if not click.trigger_id:
        raise StaleActionError("Slack did not send a trigger for that click; please try again.")
    return click.trigger_id


def submitted(context: BoltContext) -> ViewSubmission:
    """The typed form submission a view listener was called for."""
    payload = context.get(PAYLOAD)
    if not isinstance(payload, ViewSubmission):
        raise StaleActionError("That form could not be read; please open it again.")
    return payload


def send_queued(ctx: AppContext, app: App, what: str) -> None:
    """Send what a service just queued (committed already), so it feels instant. The outbox loop
    would send it anyway, and conditional claims stop a double send; a failure here is logged."""
    try:
        drain_outbox(ctx, app.client)
    except Exception:
        log.exception("outbox pass after %s failed; the outbox loop will retry", what)


def field_value(state: ViewState, block_id: str, action_id: str = VALUE) -> str:
    """The answer in one input block, whatever its element type ("" when left empty)."""
    return state.answer(block_id, action_id)
