"""The one error handler: known errors become a friendly private message saying how to fix it;
unknown ones get a reference id that is logged with the traceback and recorded as evidence."""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext

from bot.slack.blocks import SlackMessage, sections
from bot.slack.ids import EvidenceKind
from bot.slack.messenger import BOT_ACTOR, Messenger
from bot.slack.middleware import claim_delivery, delivery_key, release_delivery
from bot.slack.services import Services
from governance.errors import AimsError
from store import evidence

log = logging.getLogger(__name__)


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


def _where(body: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """(channel, user, response_url) to tell the person, from any payload shape."""
    event = body.get("event") or {}
    user = body.get("user")
    user_id = user.get("id") if isinstance(user, dict) else body.get("user_id") or event.get("user")
    channel = (
        (body.get("channel") or {}).get("id")
        if isinstance(body.get("channel"), dict)
        else body.get("channel_id") or event.get("channel")
    )
    response_url = body.get("response_url") or next(
        iter(r.get("response_url") for r in body.get("response_urls") or []), None
    )
    return channel, user_id, response_url


def report_error(error: BaseException, body: dict[str, Any], messenger: Messenger) -> None:
    text, reference = friendly_text(error)
    if reference:
        log.error("unhandled error, reference %s", reference, exc_info=error)
        with messenger.ctx.db.session() as session:
            evidence.append(
                session,
                actor=BOT_ACTOR,
                kind=EvidenceKind.ERROR,
                subject=reference,
                payload={"error": repr(error), "payload_type": body.get("type")},
            )
    else:
        log.info("user-facing error: %s", error)
    channel, user, response_url = _where(body)
    message = SlackMessage(text=text, blocks=sections(text), ephemeral=True)
    try:
        if response_url:
            messenger.respond(response_url, message)
        elif channel and user:
            thread = (body.get("event") or {}).get("thread_ts") or (body.get("event") or {}).get(
                "ts"
            )
            messenger.post(channel, message, thread_ts=thread, user=user)
        elif user:
            messenger.post(messenger.open_dm(user), message)
    except Exception:  # telling the person failed too: the log has it
        log.exception("could not deliver the error message (reference %s)", reference)


Lazy = Callable[[dict[str, Any], BoltContext], None]


def after_ack(services: Services, *, claim: bool = True) -> Callable[[Lazy], Lazy]:
    """Wrap a lazy listener (the work after the ack): claim the delivery first, so a redelivery,
    retry or double click does nothing, and route errors to the one error handler (Bolt's
    error handler does not see lazy listeners). Work that raises releases the claim first, so
    Slack's retry (or the person trying again) is not dropped as a duplicate.

    `claim=False` is for buttons that only open a form: opening one changes nothing (the form's
    submission is what is made exactly-once), and someone who cancels the form must be able to
    click the same button again."""

    def wrap(func: Lazy) -> Lazy:
        @functools.wraps(func)
        def run(body: dict[str, Any], context: BoltContext) -> None:
            key, claimed = delivery_key(body), False
            try:
                claimed = claim_delivery(services.ctx, key) if claim else False
                if claimed or not claim:
                    func(body, context)
            except Exception as exc:
                if claimed:
                    release_delivery(services.ctx, key)
                report_error(exc, body, services.messenger)

        return run

    return wrap
