"""Exactly-once claims on inbound deliveries, and the middleware that hands listeners the typed
payload and ignores bots.

Duplicates are caught by a database constraint (ProcessedDelivery's primary key), so they are
dropped across threads, processes and replicas alike. The claim runs after the ack (see
bot.slack.listeners.after_ack), so a busy database never delays Slack's 3-second deadline. Work
that fails releases its claim, so a retry can still run: effectively once, not at most once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from bot.context import AppContext
from bot.slack.payloads import (
    EventCallback,
    MalformedPayload,
    MessageEvent,
    SlackPayload,
    parse_payload,
)
from store import evidence
from store.evidence_kinds import EvidenceKind
from store.models import ProcessedDelivery, utcnow

log = logging.getLogger(__name__)
# Message subtypes a person sends; every other subtype (bot_message, message_changed, …) is noise.
PERSON_SUBTYPES = {None, "file_share", "thread_broadcast"}
PAYLOAD = "aims_payload"  # the context key listeners read the typed payload from


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
            kind=EvidenceKind.SLACK_INBOUND_DUPLICATE,
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


def is_from_a_bot(payload: SlackPayload) -> bool:
    """Our own and other bots' messages, and edits and deletions: acked, never acted on."""
    if not isinstance(payload, EventCallback) or not isinstance(payload.event, MessageEvent):
        return False
    event = payload.event
    return bool(event.bot_id) or event.subtype not in PERSON_SUBTYPES


class _Shared:
    """The typed payload in the context. Bolt deep-copies a context for the work after the ack,
    which for a payload cost more than the rest of the ack; nothing changes a payload, so the
    copy shares it."""

    __slots__ = ("payload",)

    def __init__(self, payload: SlackPayload) -> None:
        self.payload = payload

    def __deepcopy__(self, memo: dict[int, Any]) -> _Shared:
        return self


def typed_payload(context: BoltContext) -> SlackPayload | None:
    """The typed payload the middleware put in the context (None outside a listener)."""
    shared = context.get(PAYLOAD)
    return shared.payload if isinstance(shared, _Shared) else None


def payload_of(context: BoltContext) -> SlackPayload:
    """The typed payload the middleware put in the context (it is always there for listeners)."""
    payload = typed_payload(context)
    if payload is None:
        raise MalformedPayload("no typed payload in the context")
    return payload


def install(app: App) -> None:
    @app.middleware
    def type_and_ignore_bots(
        body: dict[str, Any],
        context: BoltContext,
        next: Callable[[], BoltResponse],  # noqa: A002
    ) -> BoltResponse | None:
        """Listeners get the typed payload (the edge has already recorded and checked it; a
        payload that still does not parse goes no further), and bots are ignored."""
        try:
            payload = parse_payload(body)
        except MalformedPayload as error:
            return BoltResponse(status=400, body=error.reason)
        if is_from_a_bot(payload):
            return BoltResponse(status=200, body="")
        context[PAYLOAD] = _Shared(payload)
        return next()
