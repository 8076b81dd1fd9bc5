"""Outbound notifications, exactly once.

A service that wants someone told calls `enqueue` inside its own transaction, so the message
exists if and only if the change does. A sender (bot/slack) claims due rows with a lease —
`FOR UPDATE SKIP LOCKED` on Postgres, a conditional update elsewhere — sends, and marks them
sent. A sender that crashes after claiming leaves a lease that expires, so the row is retried,
not lost; a duplicate `dedupe_key` is dropped, so retried work never sends twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from store.models import OutboundMessage, utcnow

MAX_ATTEMPTS = 5


def enqueue(
    session: Session,
    *,
    key: str,
    channel: str,
    text: str,
    kind: str,
    subject: str = "",
    blocks: list[dict[str, Any]] | None = None,
    op: str = "post",
    user_id: str | None = None,
    thread_of: str | None = None,
    target_of: str | None = None,
    attachment: dict[str, Any] | None = None,
    not_before: datetime | None = None,
) -> OutboundMessage | None:
    """Queue a message; returns None when a message with this key was already queued."""
    existing = session.scalar(select(OutboundMessage).where(OutboundMessage.dedupe_key == key))
    if existing is not None:
        return None
    message = OutboundMessage(
        dedupe_key=key, op=op, channel=channel, user_id=user_id, thread_of=thread_of,
        target_of=target_of, text=text, blocks=blocks, attachment=attachment, kind=kind,
        subject=subject, status="pending", attempts=0, not_before=not_before or utcnow(),
        created_at=utcnow(),
    )
    session.add(message)
    session.flush()
    return message


def _due(now: datetime) -> Any:
    pending = (OutboundMessage.status == "pending") & (OutboundMessage.not_before <= now)
    lease_expired = (OutboundMessage.status == "claimed") & (OutboundMessage.claimed_until < now)
    return or_(pending, lease_expired)


def claim(
    session: Session, *, worker: str, now: datetime | None = None, limit: int = 20,
    lease: timedelta = timedelta(minutes=2),
) -> Sequence[OutboundMessage]:
    """Claim up to `limit` due messages for `worker`; no two workers get the same row."""
    moment = now or utcnow()
    query = select(OutboundMessage).where(_due(moment)).order_by(OutboundMessage.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        rows = session.scalars(query.with_for_update(skip_locked=True)).all()
        for row in rows:
            row.status, row.claimed_by, row.claimed_until = "claimed", worker, moment + lease
            row.attempts += 1
        session.flush()
        return rows
    claimed = []
    for row_id in session.scalars(query.with_only_columns(OutboundMessage.id)).all():
        result = session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.id == row_id, _due(moment))
            .values(status="claimed", claimed_by=worker, claimed_until=moment + lease,
                    attempts=OutboundMessage.attempts + 1)
        )
        if result.rowcount:  # type: ignore[attr-defined]
            claimed.append(row_id)
    session.expire_all()
    return session.scalars(select(OutboundMessage).where(OutboundMessage.id.in_(claimed))).all()


def mark_sent(
    session: Session, message: OutboundMessage, *, slack_channel: str | None, slack_ts: str | None,
    now: datetime | None = None,
) -> None:
    message.status, message.sent_at = "sent", now or utcnow()
    message.slack_channel, message.slack_ts, message.error = slack_channel, slack_ts, None


def mark_failed(
    session: Session, message: OutboundMessage, *, error: str, now: datetime | None = None,
    retry_in: timedelta = timedelta(seconds=30),
) -> None:
    """Failed sends go back to pending with a delay, until MAX_ATTEMPTS."""
    message.error = error[:2000]
    if message.attempts >= MAX_ATTEMPTS:
        message.status = "failed"
    else:
        message.status, message.not_before = "pending", (now or utcnow()) + retry_in


def find_sent(session: Session, key: str) -> OutboundMessage | None:
    """The sent message for a key (to thread under it or update it), if it has been sent."""
    return session.scalar(
        select(OutboundMessage).where(OutboundMessage.dedupe_key == key,
                                      OutboundMessage.status == "sent")
    )
