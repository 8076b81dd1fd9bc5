"""The HTTP edge in front of Bolt: nothing reaches the app before its signature is verified
and its body parses into a typed payload.

An unverified request is answered 401 and causes nothing else (at most a rate-limited
`slack.rejected` record without its contents). A verified one that does not parse is recorded
as malformed and answered 400, or 200 for an event (Slack would only retry it). Everything else
is recorded, then handed to Bolt unchanged.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.slack.inbound import InboundGate, RejectionLog
from bot.slack.payloads import (
    AppRateLimited,
    BlockSuggestion,
    EventCallback,
    MalformedPayload,
    OtherEvent,
    SlackPayload,
    ViewClosed,
)
from bot.slack.signature import verify_signature

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"
# Slack's largest payloads (a big modal's state) are far below this.
MAX_BODY_BYTES = 1024 * 1024
Reply = Callable[[int, str], Iterable[bytes]]

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Payload Too Large",
}


def _plain(start_response: StartResponse) -> Reply:
    def reply(status: int, text: str) -> Iterable[bytes]:
        data = text.encode()
        start_response(
            f"{status} {_REASONS[status]}",
            [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(data)))],
        )
        return [data]

    return reply


def _read(environ: WSGIEnvironment) -> bytes | int:
    """The body, or the status refusing it (no length, or too long)."""
    raw_length = environ.get("CONTENT_LENGTH") or ""
    if not raw_length.isdigit():
        return 411
    length = int(raw_length)
    if length > MAX_BODY_BYTES:
        return 413
    body: bytes = environ["wsgi.input"].read(length)
    return body


def _is_event(raw: bytes) -> bool:
    """An Events API delivery (a JSON body), which Slack only retries if it is not acked."""
    try:
        body = json.loads(raw)
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("type") == "event_callback"


def acknowledged_only(payload: SlackPayload) -> bool:
    """Deliveries the app takes note of but does not act on: acked here (Bolt would answer 404
    for want of a listener, and Slack would retry the event)."""
    if isinstance(payload, EventCallback):
        return isinstance(payload.event, OtherEvent)
    return isinstance(payload, ViewClosed | BlockSuggestion | AppRateLimited)


def _wants_options(payload: SlackPayload) -> bool:
    return isinstance(payload, BlockSuggestion)


def _json(start_response: StartResponse, body: dict[str, Any] | None) -> Iterable[bytes]:
    data = json.dumps(body).encode() if body is not None else b""
    kind = "application/json" if body is not None else "text/plain; charset=utf-8"
    start_response("200 OK", [("Content-Type", kind), ("Content-Length", str(len(data)))])
    return [data]


@dataclass
class SlackEdge:
    """A WSGI app: verify, parse, record, then Bolt's own WSGI handler."""

    bolt: SlackRequestHandler
    signing_secret: str
    gate: InboundGate
    rejections: RejectionLog

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        reply = _plain(start_response)
        if environ.get("PATH_INFO") != EVENTS_PATH:
            return reply(404, "Not Found")
        if environ.get("REQUEST_METHOD") != "POST":
            return reply(405, "POST only")
        body = _read(environ)
        if isinstance(body, int):
            return reply(body, _REASONS[body])
        verdict = verify_signature(
            self.signing_secret,
            body,
            environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP"),
            environ.get("HTTP_X_SLACK_SIGNATURE"),
        )
        if not verdict.ok:
            self.rejections.rejected(verdict.reason)
            return reply(401, "invalid request signature")
        try:
            payload = self.gate.admit_raw(body, environ.get("CONTENT_TYPE"))
        except MalformedPayload as error:
            log.info("malformed Slack payload refused: %s", error.reason)
            return reply(200, "") if _is_event(body) else reply(400, error.reason)
        if acknowledged_only(payload):
            return _json(start_response, {"options": []} if _wants_options(payload) else None)
        environ["wsgi.input"] = io.BytesIO(body)
        return self.bolt(environ, start_response)
