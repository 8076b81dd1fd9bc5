"""The outbox sender: claims due OutboundMessage rows and sends them, exactly once.

A row carrying a governance notice is rendered here (bot.slack.notices); older rows and
transport-level ones (the digest) carry their text and blocks as they are to be sent.

op post → chat.postMessage (threaded under the sent parent named by thread_of);
op update → chat.update of the sent message named by target_of; op ephemeral →
chat.postEphemeral to user_id; op upload → files upload v2 (getUploadURLExternal, the upload,
completeUploadExternal) of its governance.outbox.Attachment; op anchor (a message posted
elsewhere, recorded to reply under) is stored as sent, so never claimed. A channel that is a
user id (U…/W…) is a DM: chat.postMessage takes the user id and answers with the DM's id (no
conversations.open, Tier 3, per DM of a campaign); an ephemeral or an upload there needs the
DM's id, opened once per person (Messenger.open_dm). Calls are paced to Slack's published
limits (bot.slack.pacing). Every send is recorded as evidence.

Each pass claims small batches under a worker id of its own (a handler's pass and the outbox
loop in the same process are different workers), and marks rows only while it holds the claim.
"""

from __future__ import annotations

import base64
import logging
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.orm import Session

from bot.context import AppContext
from bot.slack.messenger import Messenger, pacer_of
from bot.slack.notices import render_notice
from governance import outbox
from store.models import OutboundMessage, utcnow

log = logging.getLogger(__name__)
WORKER = f"slack-outbox:{socket.gethostname()}:{os.getpid()}"


class NotReady(Exception):
    """The parent or target message has not been sent yet: try again later."""


def _conversation(messenger: Messenger, channel: str) -> str:
    """A conversation id where one is required: a user's DM is opened (once per person)."""
    return messenger.open_dm(channel) if channel[:1] in ("U", "W") else channel


@dataclass
class Plan:
    """What to send for one outbox row, read in a short transaction; sending happens outside
    it (the messenger records evidence in transactions of its own)."""

    op: str
    channel: str
    text: str
    blocks: list[dict[str, Any]] | None
    user_id: str | None
    attachment: outbox.Attachment | None
    thread_ts: str | None = None
    thread_channel: str | None = None
    target: tuple[str, str] | None = None


def _parent(session: Session, key: str | None) -> OutboundMessage | None:
    if key is None:
        return None
    parent = outbox.find_sent(session, key)
    if parent is None:
        raise NotReady(f"waiting for {key!r} to be sent first")
    return parent


def plan_for(session: Session, message: OutboundMessage) -> Plan:
    notice = outbox.notice_of(message)
    rendered = render_notice(notice) if notice is not None else None
    plan = Plan(
        op=message.op,
        channel=message.channel,
        text=rendered.text if rendered else message.text,
        blocks=rendered.blocks if rendered else message.blocks,
        user_id=message.user_id,
        attachment=outbox.attachment_of(message),
    )
    parent, target = _parent(session, message.thread_of), _parent(session, message.target_of)
    if parent is not None:
        plan.thread_ts, plan.thread_channel = parent.slack_ts, parent.slack_channel
    if target is not None:
        plan.target = (target.slack_channel or message.channel, str(target.slack_ts))
    return plan


def _upload(messenger: Messenger, channel: str, plan: Plan) -> None:
    attachment = plan.attachment
    if attachment is None:
        raise ValueError("an upload without an attachment")
    messenger.upload(
        channel,
        filename=attachment.filename,
        content=base64.b64decode(attachment.content_base64, validate=True),
        title=attachment.title or attachment.filename,
        comment=plan.text,
        thread_ts=plan.thread_ts,
    )


def send(messenger: Messenger, plan: Plan) -> tuple[str, str | None]:
    """Send one planned message; returns (channel, ts) for mark_sent."""
    if plan.op == "update" and plan.target is not None:
        channel, ts = plan.target
        messenger.update(channel, ts, plan.text, plan.blocks or [])
        return channel, ts
    # chat.postMessage takes a user id (and answers with the DM's id); the others need the DM's.
    needs_conversation = plan.op in ("upload", "ephemeral")
    channel = plan.thread_channel or (
        _conversation(messenger, plan.channel) if needs_conversation else plan.channel
    )
    if plan.op == "upload":
        _upload(messenger, channel, plan)
        return channel, None
    args: dict[str, Any] = {
        "channel": channel,
        "text": plan.text,
        "blocks": plan.blocks or None,
        "thread_ts": plan.thread_ts,
    }
    args = {k: v for k, v in args.items() if v is not None}
    if plan.op == "ephemeral":
        messenger.call("chat.postEphemeral", channel, user=plan.user_id, **args)
        return channel, None
    data = messenger.call("chat.postMessage", channel, **args)
    return str(data.get("channel") or channel), data.get("ts")


# Well inside the two-minute lease a claim holds (governance.outbox.claim).
PUT_BACK_AFTER = 30.0


def _pacing_wait(messenger: Messenger, plan: Plan) -> float:
    """Seconds the rate pacer would hold this send (its method, in its channel)."""
    method = {"update": "chat.update", "ephemeral": "chat.postEphemeral"}.get(
        plan.op, "chat.postMessage"
    )
    channel = (plan.target[0] if plan.target else None) or plan.thread_channel or plan.channel
    return pacer_of(messenger.client).ready_in(method, channel)


def send_row(ctx: AppContext, messenger: Messenger, row_id: int, worker: str = WORKER) -> bool:
    """Plan, send and mark one row claimed by `worker`; True when it was sent."""
    try:
        with ctx.db.session() as session:
            message = session.get(OutboundMessage, row_id)
            if message is None or not outbox.holds_claim(message, worker):
                log.warning("outbox row %s: %s no longer holds its claim; not sent", row_id, worker)
                return False
            plan = plan_for(session, message)
            wait = _pacing_wait(messenger, plan)
            if wait > PUT_BACK_AFTER:
                # Waiting this long would outlast the claim's lease: another sender could take
                # the row and send it too. Give it back, due when Slack will take it.
                not_before = utcnow() + timedelta(seconds=wait)
                outbox.put_back(session, message, worker=worker, not_before=not_before)
                return False
        channel, ts = send(messenger, plan)
    except Exception as exc:  # one bad row must not stop the others
        expected = isinstance(exc, NotReady | SlackApiError | SlackClientError | OSError)
        log.log(
            logging.WARNING if expected else logging.ERROR,
            "outbox row %s not sent: %s",
            row_id,
            exc,
            exc_info=not expected,
        )
        with ctx.db.session() as session:
            failed = session.get(OutboundMessage, row_id)
            if failed is not None:
                outbox.mark_failed(session, failed, worker=worker, error=str(exc))
        return False
    with ctx.db.session() as session:
        sent = session.get(OutboundMessage, row_id)
        if sent is not None:
            outbox.mark_sent(session, sent, worker=worker, slack_channel=channel, slack_ts=ts)
    return True


def drain_outbox(
    ctx: AppContext, client: WebClient, *, limit: int = 50, batch: int = outbox.CLAIM_BATCH
) -> int:
    """One pass: claim due messages a few at a time (so each lease covers only a few sends),
    send each, mark it sent or failed; at most `limit` rows. Returns how many were sent."""
    messenger = Messenger(ctx, client)
    worker = f"{WORKER}:{uuid.uuid4().hex[:8]}"
    sent = tried = 0
    while tried < limit:
        with ctx.db.session() as session:
            claimed = [
                row.id
                for row in outbox.claim(session, worker=worker, limit=min(batch, limit - tried))
            ]
        if not claimed:
            break
        tried += len(claimed)
        sent += sum(send_row(ctx, messenger, row_id, worker) for row_id in claimed)
    return sent
