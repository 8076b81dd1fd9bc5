"""Inbound deliveries: which effect a payload asks for (its delivery key), exactly-once claims,
evidence of every payload, and the middleware that ignores bots.

Duplicates are caught by a database constraint (ProcessedDelivery's primary key), so they are
dropped across threads, processes and replicas alike. The claim runs after the ack (see
bot.slack.errors.after_ack), so a busy database never delays Slack's 3-second deadline. Work
that fails releases its claim, so a retry can still run: effectively once, not at most once.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from slack_bolt import App, BoltResponse
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from bot.context import AppContext
from bot.slack.ids import EvidenceKind
from store import evidence
from store.evidence import canonical_json
from store.models import ProcessedDelivery, utcnow

log = logging.getLogger(__name__)
# Message subtypes a person sends; every other subtype (bot_message, message_changed, …) is noise.
PERSON_SUBTYPES = {None, "file_share", "thread_broadcast"}


def _key(*parts: Any) -> str:
    key = ":".join(str(part) for part in parts)
    if len(key) <= 255:
        return key
    return f"{parts[0]}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"


def delivery_key(body: dict[str, Any]) -> str | None:
    """One key per intended effect, the same for every redelivery of it.

    A message and its app_mention twin share channel + ts; Slack's retries share the event_id;
    a double click on a message hits the same message, block, value and clicker (another
    person's click on the same button is a different effect); a click in a view carries the
    view's hash, which changes when the view is republished. A form resubmitted after a
    validation error keeps its hash, so the submitted values are part of the key.
    """
    kind = body.get("type")
    if kind == "event_callback":
        event = body.get("event") or {}
        acted_on = event.get("type") == "app_mention" or (
            event.get("type") == "message" and event.get("channel_type") == "im"
        )
        if acted_on and event.get("ts"):
            return _key("msg", body.get("team_id"), event.get("channel"), event["ts"])
        return _key("evt", body.get("event_id"))
    if kind == "block_actions":
        action = (body.get("actions") or [{}])[0]
        chosen = action.get("value") or (action.get("selected_option") or {}).get("value")
        container = body.get("container") or {}
        if container.get("message_ts"):
            where: tuple[Any, ...] = (container.get("channel_id"), container["message_ts"])
        else:
            view = body.get("view") or {}
            where = (view.get("id"), view.get("hash"))
        clicker = actor_of(body)
        return _key("act", *where, action.get("block_id"), action.get("action_id"), chosen, clicker)
    if kind == "view_submission":
        view = body.get("view") or {}
        values = hashlib.sha256(
            canonical_json((view.get("state") or {}).get("values") or {}).encode()
        ).hexdigest()[:16]
        return _key("view", view.get("id"), view.get("hash"), values)
    if body.get("command"):
        return _key("cmd", body.get("trigger_id"))
    return None


def actor_of(body: dict[str, Any]) -> str:
    user = body.get("user")
    if isinstance(user, dict):
        return str(user.get("id") or "slack")
    event = body.get("event") or {}
    return str(body.get("user_id") or event.get("user") or event.get("bot_id") or "slack")


def record_inbound(ctx: AppContext, body: dict[str, Any]) -> None:
    """Every inbound payload goes to the evidence ledger (tokens and secrets redacted)."""
    subject = (delivery_key(body) or str(body.get("type") or "slack"))[:128]
    with ctx.db.session() as session:
        evidence.append(
            session, actor=actor_of(body), kind=EvidenceKind.INBOUND, subject=subject, payload=body
        )


def claim_delivery(ctx: AppContext, key: str | None) -> bool:
    """True the first time this key is claimed (act on it), False for a duplicate (don't)."""
    if key is None:
        return True
    try:
        with ctx.db.session() as session:
            session.add(ProcessedDelivery(key=key, received_at=utcnow()))
        return True
    except IntegrityError:
        log.info("duplicate Slack delivery %s dropped", key)
    with ctx.db.session() as session:
        evidence.append(
            session,
            actor="slack",
            kind=EvidenceKind.DUPLICATE,
            subject=key[:128],
            payload={"key": key},
        )
    return False


def release_delivery(ctx: AppContext, key: str | None) -> None:
    """Undo a claim whose work failed, so Slack's retry (or the person's next click) can run.
    Its own small transaction; a failure here is logged, not raised over the work's error."""
    if key is None:
        return
    try:
        with ctx.db.session() as session:
            session.execute(delete(ProcessedDelivery).where(ProcessedDelivery.key == key))
    except Exception:
        log.exception("could not release the claim on Slack delivery %s", key)


def is_from_a_bot(body: dict[str, Any]) -> bool:
    event = body.get("event") or {}
    if body.get("type") != "event_callback" or event.get("type") not in ("message", "app_mention"):
        return False
    return bool(event.get("bot_id")) or event.get("subtype") not in PERSON_SUBTYPES


def install(app: App, ctx: AppContext, background: Executor) -> None:
    @app.middleware
    def record_and_ignore_bots(
        body: dict[str, Any],
        next: Callable[[], BoltResponse],  # noqa: A002
    ) -> BoltResponse | None:
        """Record the payload (in the background: the ack never waits for the database), and
        ack our own and other bots' messages (and edits, deletions) without acting on them."""
        background.submit(record_inbound, ctx, body)
        if is_from_a_bot(body):
            return BoltResponse(status=200, body="")
        return next()
