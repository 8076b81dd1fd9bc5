"""Acknowledgement requests delivered as the outbox sender delivers them (held, then marked
sent with the DM's channel, which records ack.sent), for domain and CLI tests without Slack."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance import outbox
from store.models import OutboundMessage, utcnow
from store.outbox_kinds import OutboxKind

WORKER = "test-delivery"


def deliver_requests(session: Session) -> int:
    """Every pending acknowledgement request marked sent; returns how many."""
    pending = session.scalars(
        select(OutboundMessage).where(
            OutboundMessage.kind == OutboxKind.ACK_REQUEST, OutboundMessage.status == "pending"
        )
    ).all()
    for message in pending:
        message.status, message.claimed_by = "claimed", WORKER
        message.claimed_until = utcnow() + timedelta(minutes=1)
        session.flush()
        channel = "D" + message.channel[1:]
        outbox.mark_sent(session, message, worker=WORKER, slack_channel=channel, slack_ts="1.0")
    return len(pending)
