"""What an outbox row looks like in Slack: its notice rendered the way the sender renders it."""

from __future__ import annotations

from bot.slack.blocks import SlackMessage
from bot.slack.notices import render_notice
from governance import outbox
from store.models import OutboundMessage


def in_slack(message: OutboundMessage) -> SlackMessage:
    """The Slack message the sender would post for a queued row (text and blocks)."""
    notice = outbox.notice_of(message)
    if notice is None:
        return SlackMessage(text=message.text, blocks=list(message.blocks or []))
    return render_notice(notice)
