"""The HTTP edge in front of Bolt: nothing reaches the app before its signature is verified
and its body parses into a typed payload.

An unverified request is answered 401 and causes nothing else (at most a rate-limited
`slack.rejected` record without its contents). A verified one that does not parse is recorded
as malformed and answered 400, or 200 for an event (Slack would only retry it). Everything else
is recorded, then handed to Bolt unchanged.

The acknowledgement never waits on the database, the index or a model: records are handed to
a group committer, Bolt's ack listeners only compute their answer, and the work after the ack
waits for its request's record before it acts. A form submission is the exception: its answer
(the form's errors, or the next view) comes from the database, so it waits for its record and
runs off the server's event loop (`ToBolt.in_thread`).

The edge knows nothing of the HTTP server: `accept` takes a method, path, headers and body and
returns an `Answer` or a `ToBolt`; bot.slack.http serves it.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import App, BoltRequest

from bot.logs import current_fields
from bot.slack.inbound import (
    REQUEST_REF,
    InboundGate,
    InboundReceipts,
    RejectionLog,
    acknowledged_only,
)
from bot.slack.payloads import BlockSuggestion, EventCallback, MalformedPayload, ViewSubmission
from bot.slack.signature import verify_signature
from store.evidence_batch import Receipt

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"
# Slack's largest payloads (a big modal's state) are far below this.
MAX_BODY_BYTES = 1024 * 1024
# A form's answer waits for its record; Slack gives up on it after 3 s anyway.
FORM_RECORD_SECONDS = 2.5
PLAIN = "text/plain; charset=utf-8"

REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Payload Too Large",
    503: "Service Unavailable",
}


@dataclass(frozen=True)
class Answer:
    """What the server sends back."""

    status: int
    body: bytes = b""
    content_type: str = PLAIN
    headers: tuple[tuple[str, str], ...] = ()
    content_length: int | None = None  # a HEAD answer's: its GET's length

    @property
    def length(self) -> int:
        return len(self.body) if self.content_length is None else self.content_length

    @classmethod
    def plain(cls, status: int, text: str | None = None) -> Answer:
        return cls(status, (REASONS[status] if text is None else text).encode())

    @classmethod
    def json(cls, status: int, body: Any, headers: tuple[tuple[str, str], ...] = ()) -> Answer:
        return cls(status, json.dumps(body).encode(), "application/json", headers)


@dataclass(frozen=True)
class ToBolt:
    """A verified, recorded request for Bolt. `in_thread`: its answer needs the database, so
    the server runs it off its event loop, after `wait_for` (its record) has committed."""

    request: BoltRequest
    in_thread: bool = False
    wait_for: Receipt | None = None
    log_fields: dict[str, str] = field(default_factory=dict)


def refused_length(content_length: str | None) -> Answer | None:
    """411 without a length, 413 above the limit, else None (read the body)."""
    if not (content_length or "").isdigit():
        return Answer.plain(411)
    if int(content_length or 0) > MAX_BODY_BYTES:
        return Answer.plain(413)
    return None


def _is_event(raw: bytes) -> bool:
    """An Events API delivery (a JSON body), which Slack only retries if it is not acked."""
    try:
        body = json.loads(raw)
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("type") == "event_callback"


def from_slack(headers: Mapping[str, str]) -> dict[str, str | Sequence[str]]:
    """The headers Bolt may read: never its own x-slack-bolt-* ones (they make it run one lazy
    listener in place of the ack, and the signature does not cover headers)."""
    return {name: value for name, value in headers.items() if not name.startswith("x-slack-bolt-")}


# This process's requests are numbered under a prefix of its own (random bytes cost more than
# the rest of an ack here), so references from several replicas never collide.
_REF_PREFIX = os.urandom(3).hex()
_REF_NUMBERS = itertools.count(1)


def request_ref() -> str:
    """A short reference for one request, in its logs and passed to the work after its ack."""
    return f"{_REF_PREFIX}-{next(_REF_NUMBERS):x}"


@dataclass
class SlackEdge:
    """Verify, parse, hand the record over, then Bolt."""

    app: App
    signing_secret: str
    gate: InboundGate
    rejections: RejectionLog
    receipts: InboundReceipts

    def precheck(self, method: str, path: str, content_length: str | None) -> Answer | None:
        """What can be refused before the body is read."""
        if path != EVENTS_PATH:
            return Answer.plain(404)
        if method != "POST":
            return Answer.plain(405, "POST only")
        return refused_length(content_length)

    def accept(self, headers: Mapping[str, str], body: bytes, query: str = "") -> Answer | ToBolt:
        """`headers` with lower-case names. CPU work only: nothing here waits on I/O."""
        verdict = verify_signature(
            self.signing_secret,
            body,
            headers.get("x-slack-request-timestamp"),
            headers.get("x-slack-signature"),
        )
        if not verdict.ok:
            self.rejections.rejected(verdict.reason)
            return Answer.plain(401, "invalid request signature")
        try:
            admitted = self.gate.admit_raw(body, headers.get("content-type"))
        except MalformedPayload as error:
            log.info("malformed Slack payload refused: %s", error.reason)
            return Answer.plain(200, "") if _is_event(body) else Answer.plain(400, error.reason)
        payload = admitted.payload
        if acknowledged_only(payload):
            if isinstance(payload, BlockSuggestion):
                return Answer.json(200, {"options": []})
            return Answer.plain(200, "")
        ref = str(current_fields().get("request_ref") or request_ref())
        request = BoltRequest(
            body=body.decode("utf-8"),
            query=query,
            headers=from_slack(headers),
            context={REQUEST_REF: ref},
        )
        fields = {"slack_event_id": payload.event_id} if isinstance(payload, EventCallback) else {}
        if isinstance(payload, ViewSubmission):
            return ToBolt(request, in_thread=True, wait_for=admitted.receipt, log_fields=fields)
        if admitted.receipt is not None:
            self.receipts.put(ref, admitted.receipt)
        return ToBolt(request, log_fields=fields)

    def dispatch(self, to_bolt: ToBolt) -> Answer:
        """Bolt's answer (its ack, or its form answer)."""
        if to_bolt.wait_for is not None:
            try:
                to_bolt.wait_for.wait(FORM_RECORD_SECONDS)
            except Exception as error:
                log.error("form submission not recorded, refused: %s", error)
                return Answer.plain(503, "could not record the submission; please try again")
        response = self.app.dispatch(to_bolt.request)
        headers = tuple(
            (name, value)
            for name, values in response.headers.items()
            for value in values
            if name.lower() not in ("content-length", "content-type")
        )
        content_type = response.headers.get("content-type", [PLAIN])[0]
        return Answer(response.status, response.body.encode(), content_type, headers)
