"""The gate every Slack request passes before Bolt sees it: parse, type, record.

HTTP mode runs it after the signature check (bot.slack.edge), Socket Mode on every envelope
(bot.slack.socket). A verified request is recorded as one `slack.inbound` event before anything
acts on it; one that does not parse is recorded with `malformed: true` and its reason, and goes
no further. Requests that fail the signature check are counted, never read. Anonymous-capable
requests (/ai-feedback, its form unless "share my name" is ticked, a "Give feedback" click) are
recorded with the reporter pseudonymised: the salted hash feedback keeps stands for their id,
names and DM channel, so no record says who sent them.

In HTTP mode the records go to a group committer and the HTTP acknowledgement does not wait for
them: the gate hands back a Receipt, and the work after the ack waits on it before it acts
(bot.slack.listeners.after_ack), so the order "recorded, then acted on" still holds while Slack's
3-second deadline never waits on the database. In Socket Mode (no committer) the record is
written in the request's own thread before Bolt sees the envelope.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from slack_bolt.context import BoltContext
from slack_bolt.request.internals import build_context, parse_body

from bot.context import AppContext
from bot.slack.feedback_forms import anonymous_reporter
from bot.slack.keys import actor_of, delivery_key
from bot.slack.payloads import (
    AppRateLimited,
    BlockActions,
    BlockSuggestion,
    EventCallback,
    MalformedPayload,
    OtherEvent,
    SlackPayload,
    SlashCommand,
    ViewClosed,
    parse_payload,
)
from governance.feedback import ANONYMOUS
from store import evidence
from store.evidence import canonical_json
from store.evidence_batch import GroupCommitter, Receipt
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


def acknowledged_only(payload: SlackPayload) -> bool:
    """Deliveries the app takes note of but does not act on: acked at the edge (Bolt would
    answer 404 for want of a listener, and Slack would retry the event)."""
    if isinstance(payload, EventCallback):
        return isinstance(payload.event, OtherEvent)
    return isinstance(payload, ViewClosed | BlockSuggestion | AppRateLimited)


def _record(
    ctx: AppContext,
    committer: GroupCommitter | None,
    *,
    actor: str,
    kind: EvidenceKind,
    subject: str,
    payload: dict[str, Any],
) -> None:
    """Record an event nobody waits on: handed to the committer when there is one (a failure
    is logged there), else written here."""
    if committer is None:
        with ctx.db.session() as session:
            evidence.append(session, actor=actor, kind=kind, subject=subject, payload=payload)
        return

    def failed(error: BaseException) -> None:
        log.error("could not record a %s event (%s): %s", kind.value, subject, error)

    committer.submit(actor=actor, kind=kind, subject=subject, payload=payload, on_failure=failed)


@dataclass
class RejectionLog:
    """At most one `slack.rejected` event per reason a minute, carrying how many were not
    recorded: a flood of forged requests cannot flood the ledger."""

    ctx: AppContext
    committer: GroupCommitter | None = None
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
            _record(
                self.ctx,
                self.committer,
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


# --- anonymous-capable requests are recorded with the reporter pseudonymised --------------------

# Parts of a click's body that point at the conversation it came from.
UNLINKABLE = frozenset({"message", "container", "channel"})


def _names(body: dict[str, Any]) -> set[str]:
    """The person's names a request carries (a command's user_name; an interaction's user)."""
    found = {body.get("user_name")}
    user = body.get("user")
    if isinstance(user, dict):
        found |= {user.get("username"), user.get("name")}
    return {name for name in found if isinstance(name, str) and name}


def _dm_channel(payload: SlackPayload) -> str | None:
    """The direct-message channel a request came from: it names the person as surely as their
    id does (anyone with the bot's token can ask Slack whose DM it is)."""
    channel = payload.channel_id if isinstance(payload, SlashCommand | BlockActions) else None
    return channel if channel and channel.startswith("D") else None


def pseudonymised(body: Any, replace: re.Pattern[str], stand_in: str, names: set[str]) -> Any:
    """A copy of `body` where whatever `replace` matches, in any string (keys too), and any
    value that is one of `names`, reads `stand_in`."""
    if isinstance(body, str):
        return stand_in if body in names else replace.sub(stand_in, body)
    if isinstance(body, dict):
        return {
            pseudonymised(k, replace, stand_in, set()): pseudonymised(v, replace, stand_in, names)
            for k, v in body.items()
        }
    if isinstance(body, list):
        return [pseudonymised(item, replace, stand_in, names) for item in body]
    return body


@dataclass(frozen=True)
class Admitted:
    """A request that parsed: its typed payload, and the receipt of its `slack.inbound` record
    (None once already written, in Socket Mode, or when nothing will act on it)."""

    payload: SlackPayload
    receipt: Receipt | None


@dataclass
class InboundGate:
    ctx: AppContext
    committer: GroupCommitter | None = None

    def admit_raw(self, raw: bytes, content_type: str | None) -> Admitted:
        """admit() for an HTTP body: one that cannot even be read is recorded by its hash."""
        try:
            body = read_body(raw, content_type)
        except MalformedPayload as error:
            record = {"malformed": True, "reason": error.reason}
            record["body_sha256"] = hashlib.sha256(raw).hexdigest()
            self._note("malformed", record)
            raise
        return self.admit(body)

    def admit(self, body: Any) -> Admitted:
        """The typed payload, recorded (or handed over to be); or MalformedPayload, recorded as
        malformed."""
        try:
            payload = parse_payload(body)
            _bolt_can_read(body)
        except MalformedPayload as error:
            self._note("malformed", _malformed_payload(body, error.reason))
            raise
        subject = delivery_key(payload) or str(getattr(payload, "type", "command"))
        actor = actor_of(payload)
        reporter = anonymous_reporter(payload)
        if reporter is not None:
            body, subject, actor = self._pseudonymised(payload, body, subject, reporter)
        subject = subject[:128]
        if self.committer is None or acknowledged_only(payload):
            _record(
                self.ctx,
                self.committer,
                actor=actor,
                kind=EvidenceKind.SLACK_INBOUND,
                subject=subject,
                payload=body,
            )
            return Admitted(payload, None)
        receipt = self.committer.hand_over(
            actor=actor, kind=EvidenceKind.SLACK_INBOUND, subject=subject, payload=body
        )
        return Admitted(payload, receipt)

    def _pseudonymised(
        self, payload: SlackPayload, body: Any, subject: str, reporter: str
    ) -> tuple[Any, str, str]:
        """Anonymous-capable requests (bot.slack.feedback_forms.anonymous_reporter) are
        recorded with the reporter's id, names and DM channel replaced by "anonymous": not by
        the salted hash feedback keeps (a hash here could be tied back to the person through
        the other records of the same conversation, and with it every feedback they gave)."""
        stand_in = ANONYMOUS
        ids = [reporter, *filter(None, [_dm_channel(payload)])]
        replace = re.compile("|".join(re.escape(i) for i in ids), re.IGNORECASE)
        names = _names(body) if isinstance(body, dict) else set()
        recorded = pseudonymised(body, replace, stand_in, names)
        if isinstance(recorded, dict):
            # The message a button sat in names its conversation by its time stamp, which the
            # bot's own outbound record ties to the person's DM: kept out as well.
            recorded = {k: v for k, v in recorded.items() if k not in UNLINKABLE}
        return recorded, replace.sub(stand_in, subject), stand_in

    def _note(self, subject: str, payload: dict[str, Any]) -> None:
        _record(
            self.ctx,
            self.committer,
            actor="slack",
            kind=EvidenceKind.SLACK_INBOUND,
            subject=subject,
            payload=payload,
        )


# The context key (a string, so Bolt copies it to the work after the ack) naming the request.
REQUEST_REF = "aims_request_ref"
# The context key telling a worker process its request's record did not commit (and why).
NOT_RECORDED = "aims_not_recorded"
# How long receipts nobody took are kept (a request with no work after its ack).
KEEP_RECEIPTS_SECONDS = 3600.0


class InboundReceipts:
    """Receipts of `slack.inbound` records by request reference: the edge puts one in before
    Bolt runs, the work after the ack waits on it before acting."""

    def __init__(self, keep_seconds: float = KEEP_RECEIPTS_SECONDS) -> None:
        self._keep = keep_seconds
        self._items: dict[str, tuple[float, Receipt]] = {}
        self._lock = threading.Lock()
        self._swept = time.monotonic()

    def put(self, ref: str, receipt: Receipt) -> None:
        now = time.monotonic()
        with self._lock:
            self._items[ref] = (now, receipt)
            if now - self._swept > self._keep / 10:
                self._swept = now
                for old in [r for r, (at, _) in self._items.items() if now - at > self._keep]:
                    del self._items[old]

    def take(self, ref: str | None) -> Receipt | None:
        """The request's receipt, once (its work is the one that waits on it)."""
        if ref is None:
            return None
        with self._lock:
            found = self._items.pop(ref, None)
        return found[1] if found else None

    def __len__(self) -> int:
        return len(self._items)
