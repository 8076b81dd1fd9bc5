"""The gate every Slack request passes before Bolt sees it: parse, type, record.

HTTP mode runs it after the signature check (bot.slack.edge), Socket Mode on every envelope
(bot.slack.socket). A verified request is recorded as one `slack.inbound` event before anything
acts on it, in the request's own thread (a failure is raised and logged, never dropped in a
background thread); one that does not parse is recorded with `malformed: true` and its reason,
and goes no further. Requests that fail the signature check are counted, never read.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from slack_bolt.context import BoltContext
from slack_bolt.request.internals import build_context, parse_body

from bot.context import AppContext
from bot.slack.keys import actor_of, delivery_key
from bot.slack.payloads import MalformedPayload, SlackPayload, parse_payload
from store import evidence
from store.evidence import canonical_json
from store.evidence_kinds import EvidenceKind

log = logging.getLogger(__name__)
# A malformed body larger than this is recorded by its hash alone.
MAX_RECORDED_MALFORMED = 64 * 1024


def read_body(raw: bytes, content_type: str | None) -> Any:
    """The body as Bolt itself will read it (its own parser, so the two can never disagree)."""
    try:
        text = raw.decode("utf-8")
        return parse_body(text, content_type)
    except (UnicodeDecodeError, ValueError) as error:
        raise MalformedPayload(f"the body cannot be read: {type(error).__name__}") from None


def _bolt_can_read(body: dict[str, Any]) -> None:
    """Bolt reads ids out of every payload before any middleware runs; a shape that breaks it
    (say `enterprise: 5`) would be a 500, so it is refused here instead."""
    try:
        build_context(BoltContext(), body)
    except Exception as error:
        raise MalformedPayload(f"unreadable ids ({type(error).__name__})") from None


@dataclass
class RejectionLog:
    """At most one `slack.rejected` event per reason a minute, carrying how many were not
    recorded: a flood of forged requests cannot flood the ledger."""

    ctx: AppContext
    every_seconds: float = 60.0
    _last: dict[str, float] = field(default_factory=dict)
    _suppressed: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def rejected(self, reason: str) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._last.get(reason, -self.every_seconds) < self.every_seconds:
                self._suppressed[reason] = self._suppressed.get(reason, 0) + 1
                return
            self._last[reason] = now
            suppressed = self._suppressed.pop(reason, 0)
        log.warning("refused a Slack request: %s", reason)
        try:
            with self.ctx.db.session() as session:
                evidence.append(
                    session,
                    actor="unverified",
                    kind=EvidenceKind.SLACK_REJECTED,
                    subject=reason[:128],
                    payload={"reason": reason, "not_recorded_since_last": suppressed},
                )
        except Exception:
            log.exception("could not record a refused Slack request")


def _malformed_payload(body: Any, reason: str) -> dict[str, Any]:
    record: dict[str, Any] = {"malformed": True, "reason": reason}
    if isinstance(body, dict):
        text = canonical_json(body)
        if len(text) <= MAX_RECORDED_MALFORMED:
            record["body"] = body
        else:
            record["body_sha256"] = hashlib.sha256(text.encode()).hexdigest()
    return record


@dataclass
class InboundGate:
    ctx: AppContext

    def admit_raw(self, raw: bytes, content_type: str | None) -> SlackPayload:
        """admit() for an HTTP body: one that cannot even be read is recorded by its hash."""
        try:
            body = read_body(raw, content_type)
        except MalformedPayload as error:
            record = {"malformed": True, "reason": error.reason}
            record["body_sha256"] = hashlib.sha256(raw).hexdigest()
            self._record("slack", "malformed", record)
            raise
        return self.admit(body)

    def admit(self, body: Any) -> SlackPayload:
        """The typed payload, recorded; or MalformedPayload, recorded as malformed."""
        try:
            payload = parse_payload(body)
            _bolt_can_read(body)
        except MalformedPayload as error:
            self._record("slack", "malformed", _malformed_payload(body, error.reason))
            raise
        subject = delivery_key(payload) or str(getattr(payload, "type", "command"))
        self._record(actor_of(payload), subject[:128], body)
        return payload

    def _record(self, actor: str, subject: str, payload: dict[str, Any]) -> None:
        with self.ctx.db.session() as session:
            evidence.append(
                session,
                actor=actor,
                kind=EvidenceKind.SLACK_INBOUND,
                subject=subject,
                payload=payload,
            )
