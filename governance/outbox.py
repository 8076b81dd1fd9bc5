"""Outbound notifications, exactly once.

A service that wants someone told calls `enqueue` inside its own transaction, so the message
exists if and only if the change does. A sender (bot/slack) claims due rows with a lease —
`FOR UPDATE SKIP LOCKED` on Postgres, a conditional update elsewhere — sends, and marks them
sent. A sender that crashes after claiming leaves a lease that expires, so the row is retried,
not lost; a duplicate `dedupe_key` is dropped, so retried work never sends twice. Claims are
small batches, and marking a row sent or failed is conditional on still holding its claim, so a
sender whose lease expired never overwrites the row another sender re-claimed.

Messages of one thread (one `thread_of`), and updates of one message (one `target_of`), are
sent in the order they were queued: a row is claimed only when no earlier row of its thread is
still pending or claimed, so two senders claiming at once (the outbox loop and the pass after a
click) never race within a thread, and a row waiting to be retried holds back the rows after it.
Likewise a reply waits for its parent, and an update for the message it updates, to be sent.

A message someone else posted (the thread where a person registered an AI use) can be
recorded with `anchor`, so notices reply in its thread like in one of ours.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import case, exists, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from governance.notices import Notice
from store.models import OutboundMessage, utcnow
from store.outbox_kinds import OutboxKind

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
CLAIM_BATCH = 5


class Attachment(BaseModel):
    """A file for op "upload": what the producer queues and the sender uploads."""

    model_config = ConfigDict(extra="forbid")

    filename: str
    title: str
    content_base64: str


def enqueue(
    session: Session,
    *,
    key: str,
    channel: str,
    text: str,
    kind: OutboxKind,
    subject: str = "",
    blocks: list[dict[str, Any]] | None = None,
    op: str = "post",
    user_id: str | None = None,
    thread_of: str | None = None,
    target_of: str | None = None,
    attachment: Attachment | None = None,
    notice: Notice | None = None,
    not_before: datetime | None = None,
) -> OutboundMessage | None:
    """Queue a message; returns None when a message with this key was already queued.

    The insert runs in a savepoint: a concurrent enqueue of the same key (another replica or
    thread, between our check and our insert) fails only the savepoint, not the caller's
    transaction."""
    existing = session.scalar(select(OutboundMessage).where(OutboundMessage.dedupe_key == key))
    if existing is not None:
        return None
    message = OutboundMessage(
        dedupe_key=key,
        op=op,
        channel=channel,
        user_id=user_id,
        thread_of=thread_of,
        target_of=target_of,
        text=text,
        blocks=blocks,
        attachment=attachment.model_dump() if attachment is not None else None,
        notice=notice.model_dump(mode="json") if notice is not None else None,
        kind=kind,
        subject=subject,
        status="pending",
        attempts=0,
        not_before=not_before or utcnow(),
        created_at=utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError as exc:
        if "dedupe_key" not in str(exc.orig):
            raise
        log.info("outbox message %s was queued concurrently; not queued twice", key)
        return None
    return message


def notify(
    session: Session, notice: Notice, *, key: str, to: str, thread_of: str | None = None
) -> OutboundMessage | None:
    """Queue a notice for `to` (a channel, or a user id for a DM), under the sent message
    `thread_of` names; its plain text is kept as the row's text."""
    return enqueue(
        session,
        key=key,
        channel=to,
        text=notice.as_text(),
        kind=notice.kind,
        subject=notice.subject,
        thread_of=thread_of,
        notice=notice,
    )


def notify_many(session: Session, notices: Sequence[tuple[Notice, str, str]]) -> int:
    """Queue many notices at once, as (notice, key, to): one query for the keys already queued
    and one bulk insert, for a campaign that asks thousands of people. Returns how many were
    queued. Keys must be new to this transaction's writers (a concurrent writer of the same key
    fails the whole insert, which the caller's transaction then rolls back)."""
    keys = [key for _, key, _ in notices]
    taken: set[str] = set()
    for start in range(0, len(keys), 500):
        taken |= set(
            session.scalars(
                select(OutboundMessage.dedupe_key).where(
                    OutboundMessage.dedupe_key.in_(keys[start : start + 500])
                )
            )
        )
    stamp = utcnow()
    rows = [
        {
            "dedupe_key": key,
            "op": "post",
            "channel": to,
            "text": notice.as_text(),
            "notice": notice.model_dump(mode="json"),
            "kind": notice.kind,
            "subject": notice.subject,
            "status": "pending",
            "attempts": 0,
            "not_before": stamp,
            "created_at": stamp,
        }
        for notice, key, to in notices
        if key not in taken
    ]
    if rows:
        session.execute(insert(OutboundMessage), rows)
    return len(rows)


def replace(
    session: Session, notice: Notice, *, key: str, to: str, target_of: str
) -> OutboundMessage | None:
    """Queue the replacement of the sent message `target_of` names (say, buttons that have
    been used give way to what happened)."""
    return enqueue(
        session,
        key=key,
        op="update",
        channel=to,
        target_of=target_of,
        text=notice.as_text(),
        kind=notice.kind,
        subject=notice.subject,
        notice=notice,
    )


ANCHOR = "anchor"


def anchor(
    session: Session, *, key: str, channel: str, ts: str, kind: OutboxKind, subject: str
) -> OutboundMessage | None:
    """Record a message already in Slack (never sent from here: it is stored as sent), so rows
    queued with `thread_of=key` reply in its thread. None when `key` is already recorded: the
    first one stands."""
    message = enqueue(
        session, key=key, op=ANCHOR, channel=channel, text="", kind=kind, subject=subject
    )
    if message is not None:
        message.status, message.slack_channel, message.slack_ts = "sent", channel, ts
        message.sent_at = message.created_at
        session.flush()
    return message


def notice_of(message: OutboundMessage) -> Notice | None:
    """The message's notice, validated (a malformed one raises ValidationError)."""
    return Notice.model_validate(message.notice) if message.notice else None


def attachment_of(message: OutboundMessage) -> Attachment | None:
    """The message's attachment, validated (a malformed one raises ValidationError)."""
    return Attachment.model_validate(message.attachment) if message.attachment else None


UNSENT = ("pending", "claimed")


def _due(now: datetime) -> Any:
    pending = (OutboundMessage.status == "pending") & (OutboundMessage.not_before <= now)
    lease_expired = (OutboundMessage.status == "claimed") & (OutboundMessage.claimed_until < now)
    return or_(pending, lease_expired) & _in_turn()


def _waits_behind(column: InstrumentedAttribute[str | None]) -> Any:
    """An earlier row with the same (non-null) `column` is still unsent."""
    earlier = aliased(OutboundMessage)
    same = getattr(earlier, column.key)
    return exists().where(
        same == column, earlier.id < OutboundMessage.id, earlier.status.in_(UNSENT)
    )


def _waits_for(column: InstrumentedAttribute[str | None]) -> Any:
    """The row `column` names (a reply's parent, an update's target) is still unsent."""
    named = aliased(OutboundMessage)
    return exists().where(named.dedupe_key == column, named.status.in_(UNSENT))


def _in_turn() -> Any:
    """The row is the oldest unsent one of its thread and of its update target, and the message
    it replies to or updates has been sent (claimed before, it could only fail NotReady)."""
    return (
        ~_waits_behind(OutboundMessage.thread_of)
        & ~_waits_behind(OutboundMessage.target_of)
        & ~_waits_for(OutboundMessage.thread_of)
        & ~_waits_for(OutboundMessage.target_of)
    )


def claim(
    session: Session,
    *,
    worker: str,
    now: datetime | None = None,
    limit: int = CLAIM_BATCH,
    lease: timedelta = timedelta(minutes=2),
) -> Sequence[OutboundMessage]:
    """Claim up to `limit` due messages for `worker`, oldest first (a campaign's requests last);
    no two workers get the same row, and a thread's next message only once the one before it
    is sent (so a batch holds at most one message per thread, and sending a batch in order
    keeps every thread in order)."""
    moment = now or utcnow()
    # A campaign's thousands of requests go after everything else queued (an approval, the
    # acknowledgement someone just gave), so they never hold the rest back for minutes.
    bulk_last = case((OutboundMessage.kind == OutboxKind.ACK_REQUEST, 1), else_=0)
    query = (
        select(OutboundMessage)
        .where(_due(moment))
        .order_by(bulk_last, OutboundMessage.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        # The NOT EXISTS reads committed rows, so a row another sender has just claimed (or
        # locked, about to claim) still counts as unsent and holds its thread back.
        rows = session.scalars(query.with_for_update(skip_locked=True, of=OutboundMessage)).all()
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
            .values(
                status="claimed",
                claimed_by=worker,
                claimed_until=moment + lease,
                attempts=OutboundMessage.attempts + 1,
            )
        )
        if result.rowcount:  # type: ignore[attr-defined]
            claimed.append(row_id)
    session.expire_all()
    return session.scalars(
        select(OutboundMessage).where(OutboundMessage.id.in_(claimed)).order_by(OutboundMessage.id)
    ).all()


def _held(message: OutboundMessage, worker: str) -> Any:
    return (
        (OutboundMessage.id == message.id)
        & (OutboundMessage.status == "claimed")
        & (OutboundMessage.claimed_by == worker)
    )


def _lost(session: Session, message: OutboundMessage, worker: str, what: str) -> bool:
    session.refresh(message)
    log.warning(
        "outbox row %s (%s): %s's claim was lost (now %s by %s); not marked %s",
        message.id,
        message.dedupe_key,
        worker,
        message.status,
        message.claimed_by,
        what,
    )
    return False


def mark_sent(
    session: Session,
    message: OutboundMessage,
    *,
    worker: str,
    slack_channel: str | None,
    slack_ts: str | None,
    now: datetime | None = None,
) -> bool:
    """Mark a row sent, if `worker` still holds its claim; False (and logged) when it does not."""
    result = session.execute(
        update(OutboundMessage)
        .where(_held(message, worker))
        .values(
            status="sent",
            sent_at=now or utcnow(),
            slack_channel=slack_channel,
            slack_ts=slack_ts,
            error=None,
        )
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return _lost(session, message, worker, "sent")
    session.refresh(message)
    if message.kind == OutboxKind.ACK_REQUEST:
        # Delivery of a policy to its reader is evidence in its own right (ack.sent), in the
        # same transaction as the row turning sent, so it is recorded exactly once.
        from governance.acknowledgements.responses import record_delivery

        record_delivery(session, message, message.sent_at or utcnow())
    return True


def mark_failed(
    session: Session,
    message: OutboundMessage,
    *,
    worker: str,
    error: str,
    now: datetime | None = None,
    retry_in: timedelta = timedelta(seconds=30),
) -> bool:
    """Failed sends go back to pending with a delay, until MAX_ATTEMPTS; only while `worker`
    still holds the claim (False, and logged, when it does not)."""
    result = session.execute(
        update(OutboundMessage)
        .where(_held(message, worker))
        .values(
            error=error[:2000],
            status=case((OutboundMessage.attempts >= MAX_ATTEMPTS, "failed"), else_="pending"),
            not_before=(now or utcnow()) + retry_in,
        )
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return _lost(session, message, worker, "failed")
    session.refresh(message)
    if message.status == "failed" and message.kind == OutboxKind.ACK_REQUEST:
        # Nobody can acknowledge what never reached them (a bot, a deactivated account):
        # they are taken out of the campaign rather than chased and escalated.
        from governance.acknowledgements.responses import record_undeliverable

        record_undeliverable(session, message, now or utcnow())
    return True


def put_back(
    session: Session, message: OutboundMessage, *, worker: str, not_before: datetime
) -> bool:
    """Give a claimed row back untried (its attempt not counted), due again at `not_before`:
    a sender that would wait past its lease for Slack's rate limit must not hold the row while
    another sender re-claims it and sends it too."""
    result = session.execute(
        update(OutboundMessage)
        .where(_held(message, worker))
        .values(
            status="pending",
            claimed_by=None,
            claimed_until=None,
            attempts=OutboundMessage.attempts - 1,
            not_before=not_before,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def holds_claim(message: OutboundMessage, worker: str) -> bool:
    return message.status == "claimed" and message.claimed_by == worker


def queued(session: Session, key: str) -> bool:
    """Whether a message with this key was ever queued (sent or not), so something may be
    threaded under it or update it."""
    found = session.scalar(select(OutboundMessage.id).where(OutboundMessage.dedupe_key == key))
    return found is not None


def find_sent(session: Session, key: str) -> OutboundMessage | None:
    """The sent message for a key (to thread under it or update it), if it has been sent."""
    return session.scalar(
        select(OutboundMessage).where(
            OutboundMessage.dedupe_key == key, OutboundMessage.status == "sent"
        )
    )
