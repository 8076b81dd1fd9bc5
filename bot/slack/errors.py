"""The one error handler: known errors become a friendly private message saying how to fix it;
unknown ones get a reference id that is logged with the traceback and recorded as evidence.

It only ever acts on a typed payload, which exists only for a request whose signature was
verified (or that came over the authenticated Socket Mode connection); without one it logs and
records, and tells nobody. A response_url is used only on Slack's own hosts (Messenger checks).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from slack_bolt import BoltContext, BoltResponse

from bot.slack.blocks import SlackMessage, sections
from bot.slack.ids import EvidenceKind
from bot.slack.keys import delivery_key
from bot.slack.messenger import BOT_ACTOR, Messenger
from bot.slack.middleware import PAYLOAD, claim_delivery, release_delivery
from bot.slack.payloads import (
    AppHomeOpened,
    BlockActions,
    EventCallback,
    MessageEvent,
    SlackPayload,
    SlashCommand,
    ViewSubmission,
)
from bot.slack.services import Services
from governance.errors import AimsError
from store import evidence

log = logging.getLogger(__name__)
P = TypeVar("P")


def friendly_text(error: BaseException) -> tuple[str, str | None]:
    """The text a person sees, and the reference id when the error was not theirs to fix."""
    if isinstance(error, AimsError):
        return f":warning: {error}", None
    reference = uuid.uuid4().hex[:8].upper()
    return (
        f":boom: Something went wrong on our side. Please try again; if it keeps happening, "
        f"give the AIMS team reference *{reference}*.",
        reference,
    )


def describe(error: BaseException, payload: SlackPayload | None, messenger: Messenger) -> str:
    """Log (and, for an error that is ours, record) the error; the text to show the person."""
    text, reference = friendly_text(error)
    if reference:
        log.error("unhandled error, reference %s", reference, exc_info=error)
        with messenger.ctx.db.session() as session:
            evidence.append(
                session,
                actor=BOT_ACTOR,
                kind=EvidenceKind.ERROR,
                subject=reference,
                payload={"error": repr(error), "payload_type": type(payload).__name__},
            )
    else:
        log.info("user-facing error: %s", error)
    return text


def _tell(payload: SlackPayload, message: SlackMessage, messenger: Messenger) -> None:
    """Tell the person where they acted: the response_url, the thread, or their DM."""
    if isinstance(payload, BlockActions | SlashCommand) and payload.response_url:
        messenger.respond(payload.response_url, message)
        return
    if isinstance(payload, EventCallback) and isinstance(payload.event, MessageEvent):
        event = payload.event
        if event.user:
            thread = event.thread_ts or event.ts
            messenger.post(event.channel, message, thread_ts=thread, user=event.user)
        return
    if isinstance(payload, BlockActions) and payload.channel_id:
        messenger.post(payload.channel_id, message, user=payload.user_id)
    elif isinstance(payload, SlashCommand) and payload.channel_id:
        messenger.post(payload.channel_id, message, user=payload.user_id)
    elif isinstance(payload, AppHomeOpened):
        messenger.post(messenger.open_dm(payload.user), message)


def report_error(error: BaseException, payload: SlackPayload | None, messenger: Messenger) -> None:
    text = describe(error, payload, messenger)
    if payload is None:
        return  # nothing verified says where the person is: the log and the ledger have it
    try:
        _tell(payload, SlackMessage(text=text, blocks=sections(text), ephemeral=True), messenger)
    except Exception:  # telling the person failed too: the log has it
        log.exception("could not deliver the error message")


def error_view(text: str) -> dict[str, Any]:
    """A modal replacing a form whose submission failed, so the person sees why."""
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "AIMS Bot"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": sections(text),
    }


def on_error(error: Exception, context: BoltContext, messenger: Messenger) -> BoltResponse | None:
    """Bolt's error handler (errors raised before the ack, in form submissions): a failed form
    is answered with a modal that says why, so Slack never sees a 500 for it."""
    payload = context.get(PAYLOAD)
    if isinstance(payload, ViewSubmission):
        view = error_view(describe(error, payload, messenger))
        body = json.dumps({"response_action": "update", "view": view})
        return BoltResponse(status=200, body=body, headers={"content-type": "application/json"})
    report_error(error, payload, messenger)
    return None


def after_ack(
    services: Services, kind: type[P], *, claim: bool = True
) -> Callable[[Callable[[P], None]], Callable[[BoltContext], None]]:
    """Wrap a lazy listener (the work after the ack) that takes a typed payload: claim the
    delivery first, so a redelivery, retry or double click does nothing, and route errors to
    the one error handler (Bolt's error handler does not see lazy listeners). Work that raises
    releases the claim first, so Slack's retry (or the person trying again) is not dropped.

    `claim=False` is for buttons that only open a form: opening one changes nothing (the form's
    submission is what is made exactly-once), and someone who cancels the form must be able to
    click the same button again."""

    def wrap(func: Callable[[P], None]) -> Callable[[BoltContext], None]:
        def run(context: BoltContext) -> None:
            payload = context.get(PAYLOAD)
            if not isinstance(payload, kind):
                log.error("listener %s got %s", func.__name__, type(payload).__name__)
                return
            key = delivery_key(payload)  # type: ignore[arg-type]
            claimed = False
            try:
                claimed = claim_delivery(services.ctx, key) if claim else False
                if claimed or not claim:
                    func(payload)
            except Exception as exc:
                if claimed:
                    release_delivery(services.ctx, key)
                report_error(exc, payload, services.messenger)  # type: ignore[arg-type]

        # Not functools.wraps: Bolt reads a listener's arguments through __wrapped__.
        run.__name__, run.__qualname__ = func.__name__, func.__qualname__
        return run

    return wrap
