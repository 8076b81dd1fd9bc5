"""The one error path: known errors (AimsError) become a friendly private message, or a message
under a form's field, saying how to fix it; unknown ones get a reference id
(governance.errors.reference_id) that is logged with the traceback and recorded as evidence.
Listeners never catch errors themselves: bot.slack.listeners routes everything here.

It only ever acts on a typed payload, which exists only for a request whose signature was
verified (or that came over the authenticated Socket Mode connection); without one it logs and
records, and tells nobody. A response_url is used only on Slack's own hosts (Messenger checks).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import BoltContext, BoltResponse

from bot.slack.blocks import SlackMessage, sections
from bot.slack.messenger import Messenger
from bot.slack.middleware import typed_payload
from bot.slack.payloads import (
    AppHomeOpened,
    BlockActions,
    EventCallback,
    MessageEvent,
    SlackPayload,
    SlashCommand,
    ViewSubmission,
)
from governance.errors import AimsError
from governance.failures import report_failure

log = logging.getLogger(__name__)
MAX_FIELD_ERROR = 150  # Slack shows about this much under a form's field


class FormProblem(AimsError):
    """Answers in a form that cannot be used, each message shown under the block that asked."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def describe(error: BaseException, payload: SlackPayload | None, messenger: Messenger) -> str:
    """Log (and, for an error that is ours, record) the error; the text to show the person."""
    failure = report_failure(messenger.ctx.db, error, type(payload).__name__)
    return f":boom: {failure.text}" if failure.reference else f":warning: {failure.text}"


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
    elif isinstance(payload, ViewSubmission):  # work after a form's ack: the form is gone
        messenger.post(messenger.open_dm(payload.user_id), message)


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
    payload = typed_payload(context)
    if isinstance(payload, ViewSubmission):
        view = error_view(describe(error, payload, messenger))
        body = json.dumps({"response_action": "update", "view": view})
        return BoltResponse(status=200, body=body, headers={"content-type": "application/json"})
    report_error(error, payload, messenger)
    return None


def form_errors(
    error: AimsError, payload: ViewSubmission, messenger: Messenger, block: str
) -> dict[str, str]:
    """A known error in a form submission, as `response_action: errors`: each message under
    the block it is about (a FormProblem's own blocks, otherwise `block`), so the form stays
    open with the explanation."""
    describe(error, payload, messenger)
    errors = error.errors if isinstance(error, FormProblem) else {block: str(error)}
    return {where: message[:MAX_FIELD_ERROR] for where, message in errors.items()}
