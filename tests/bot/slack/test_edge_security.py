"""The Slack edge as an attacker and a careless client meet it: an unverified request does
nothing, a malformed one gets a 4xx and is recorded as malformed, and the error path never
sends anything where a payload tells it to."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from governance.errors import NotFoundError
from store.evidence import iter_ledger, verify
from store.models import EvidenceEvent
from tests.bot.slack.scripted import ScriptedRouter
from tests.support.slack_app import SlackRig
from tests.support.slack_standin import TEAM


class Catcher:
    """An HTTP server standing for wherever an attacker would like the bot to send requests."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        catcher = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                catcher.hits.append(self.path)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def url(self) -> str:
        # "localhost", not the stand-in's "127.0.0.1": a host outside the allow-list.
        return f"http://localhost:{self.server.server_address[1]}/steal"


@pytest.fixture
def catcher() -> Iterator[Catcher]:
    catcher = Catcher()
    yield catcher
    catcher.server.shutdown()
    catcher.server.server_close()


def acting_calls(rig: SlackRig) -> list[str]:
    """Web API calls and response_url posts, less the token check Bolt makes at start-up."""
    return [call.method for call in rig.standin.calls if call.method != "auth.test"]


def new_events(rig: SlackRig, after: int) -> list[EvidenceEvent]:
    with rig.ctx.db.session() as session:
        return list(session.scalars(select(EvidenceEvent).where(EvidenceEvent.seq > after)))


def last_seq(rig: SlackRig) -> int:
    with rig.ctx.db.session() as session:
        return max([0, *session.scalars(select(EvidenceEvent.seq))])


def exploit_bodies(catcher: Catcher) -> list[tuple[bytes, str]]:
    """The reported exploit: bodies naming a channel and a response_url of the sender's choice."""
    click = {
        "type": "block_actions",
        "team": {"id": TEAM},
        "user": {"id": "U0ACME0001"},
        "channel": {"id": "C0GENERAL"},
        "container": {"channel_id": "C0GENERAL", "message_ts": "1.1"},
        "actions": [{"action_id": "aims_choice:0", "block_id": "b", "value": "{}"}],
        "response_url": catcher.url,
    }
    event = {
        "type": "event_callback",
        "team_id": TEAM,
        "event_id": "Ev1",
        "event": {"type": "message", "channel": "C0GENERAL", "user": "U1", "ts": "1.2"},
    }
    return [
        (urlencode({"payload": json.dumps(click)}).encode(), "application/x-www-form-urlencoded"),
        (json.dumps(event).encode(), "application/json"),
    ]


def signature_for(rig: SlackRig, body: bytes, stamp: str) -> str:
    base = b"v0:" + stamp.encode() + b":" + body
    return "v0=" + hmac.new(rig.signing_secret.encode(), base, hashlib.sha256).hexdigest()


def broken_headers(rig: SlackRig, body: bytes) -> dict[str, list[tuple[str, str]]]:
    now = str(int(time.time()))
    good = signature_for(rig, body, now)
    future = str(int(time.time()) + 3600)
    return {
        "non-numeric timestamp": [
            ("X-Slack-Request-Timestamp", "abc"),
            ("X-Slack-Signature", good),
        ],
        "empty timestamp": [("X-Slack-Request-Timestamp", ""), ("X-Slack-Signature", good)],
        "negative timestamp": [
            ("X-Slack-Request-Timestamp", "-1"),
            ("X-Slack-Signature", signature_for(rig, body, "-1")),
        ],
        "far-future timestamp": [
            ("X-Slack-Request-Timestamp", future),
            ("X-Slack-Signature", signature_for(rig, body, future)),
        ],
        "no timestamp": [("X-Slack-Signature", good)],
        "no signature": [("X-Slack-Request-Timestamp", now)],
        "two signature headers": [
            ("X-Slack-Request-Timestamp", now),
            ("X-Slack-Signature", good),
            ("X-Slack-Signature", good),
        ],
        "signature of the wrong length": [
            ("X-Slack-Request-Timestamp", now),
            ("X-Slack-Signature", good[:-2]),
        ],
        "non-v0 version": [
            ("X-Slack-Request-Timestamp", now),
            ("X-Slack-Signature", "v1=" + good[3:]),
        ],
        "wrong secret": [
            ("X-Slack-Request-Timestamp", now),
            ("X-Slack-Signature", "v0=" + "0" * 64),
        ],
    }


def test_an_unverified_request_is_401_and_causes_nothing(
    scripted_rig: SlackRig, scripted: ScriptedRouter, catcher: Catcher
) -> None:
    rig, before = scripted_rig, last_seq(scripted_rig)
    statuses: dict[str, int] = {}
    for body, content_type in exploit_bodies(catcher):
        for name, headers in broken_headers(rig, body).items():
            statuses[name] = rig.post_raw(body, content_type, headers=headers, sign=False).status
    rig.standin.settle(quiet=0.5)
    assert statuses == dict.fromkeys(statuses, 401)
    assert acting_calls(rig) == [] and catcher.hits == [] and scripted.seen == []
    recorded = new_events(rig, before)
    assert {event.kind for event in recorded} <= {"slack.rejected"}
    # Rate-limited: one record per reason, not one per request; and never the body.
    assert len(recorded) <= len(broken_headers(rig, b""))
    assert all("C0GENERAL" not in e.payload and "steal" not in e.payload for e in recorded)


def test_a_flood_of_forged_requests_is_counted_not_recorded_one_by_one(
    scripted_rig: SlackRig,
) -> None:
    rig, before = scripted_rig, last_seq(scripted_rig)
    body = rig.event_body(rig.message_event("hello"))
    for _ in range(30):
        assert rig.post(body, "application/json", secret="0" * 32).status == 401
    [rejected] = new_events(rig, before)
    assert rejected.kind == "slack.rejected" and rejected.subject == "signature does not match"


def test_the_error_path_never_posts_to_a_response_url_outside_slack(
    scripted_rig: SlackRig, scripted: ScriptedRouter, catcher: Catcher
) -> None:
    """A verified click whose handling fails: the friendly error goes nowhere but Slack."""
    scripted.error = RuntimeError("boom")
    rig = scripted_rig
    stale_choice = {
        "type": "block_actions",
        "team": {"id": TEAM},
        "user": {"id": "U0ACME0001"},
        "container": {"type": "message", "channel_id": "D0ACME0001", "message_ts": "1.1"},
        "channel": {"id": "D0ACME0001"},
        "actions": [{"action_id": "aims_choice:0", "block_id": "b", "value": "not state"}],
        "response_url": catcher.url,
    }
    assert rig.send_interaction(stale_choice).status == 200
    scripted.error = NotFoundError("no such record")
    form = {
        "token": "t",
        "team_id": TEAM,
        "channel_id": "C0GENERAL",
        "user_id": "U0ACME0001",
        "command": "/ai-status",
        "text": "",
        "response_url": catcher.url,
        "trigger_id": "trig-x",
    }
    assert rig.post(urlencode(form), "application/x-www-form-urlencoded").status == 200
    rig.standin.settle(quiet=0.8)
    assert catcher.hits == []
    assert [call for call in rig.standin.calls if call.method == "response_url"] == []


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"[]", "application/json", 400),
        (b"null", "application/json", 400),
        (b"payload=not-json", "application/x-www-form-urlencoded", 400),
        (b'{"type":"event_callback","event":"x"}', "application/json", 200),
        (
            urlencode({"payload": json.dumps({"type": "block_actions", "actions": []})}).encode(),
            "application/x-www-form-urlencoded",
            400,
        ),
        (
            urlencode(
                {
                    "payload": json.dumps(
                        {
                            "type": "block_actions",
                            "user": {"id": "U1"},
                            "actions": [{"block_id": "b", "value": "v"}],
                        }
                    )
                }
            ).encode(),
            "application/x-www-form-urlencoded",
            400,
        ),
        (
            urlencode(
                {
                    "payload": json.dumps(
                        {"type": "view_submission", "user": {"id": "U1"}, "view": {"id": "V1"}}
                    )
                }
            ).encode(),
            "application/x-www-form-urlencoded",
            400,
        ),
    ],
    ids=[
        "json-list",
        "json-null",
        "payload-not-json",
        "event-not-an-object",
        "no-actions",
        "action-without-action_id",
        "view-without-type-or-state",
    ],
)
def test_a_signed_malformed_payload_is_refused_recorded_and_does_nothing(
    scripted_rig: SlackRig, scripted: ScriptedRouter, body: bytes, content_type: str, status: int
) -> None:
    rig, before = scripted_rig, last_seq(scripted_rig)
    reply = rig.post_raw(body, content_type)
    rig.standin.settle(quiet=0.3)
    assert reply.status == status
    if status == 400:
        assert reply.body  # says what is wrong, e.g. "actions: List should have at least 1 item"
    assert acting_calls(rig) == [] and scripted.seen == []
    [event] = new_events(rig, before)
    recorded = json.loads(event.payload)
    assert event.kind == "slack.inbound" and recorded["malformed"] is True and recorded["reason"]
    with rig.ctx.db.session() as session:
        assert verify(iter_ledger(session)).ok


def test_every_verified_request_is_one_inbound_event_recorded_before_it_is_acted_on(
    scripted_rig: SlackRig, scripted: ScriptedRouter
) -> None:
    """The ack does not wait on the database; the work after it waits on the record."""
    rig = scripted_rig
    before = last_seq(rig)
    scripted.gate.clear()  # hold the work at the moment it starts acting
    try:
        assert rig.send_event(rig.message_event("hello")).status == 200
        deadline = time.monotonic() + 10
        while not scripted.seen and time.monotonic() < deadline:
            time.sleep(0.01)
        assert scripted.seen, "the message was never acted on"
        inbound = [e for e in new_events(rig, before) if e.kind == "slack.inbound"]
        assert len(inbound) == 1 and json.loads(inbound[0].payload)["event"]["text"] == "hello"
    finally:
        scripted.gate.set()


def test_events_the_app_does_not_act_on_are_acked_not_404(scripted_rig: SlackRig) -> None:
    """Slack retries an event that is not acked; one the app ignores is still a 200."""
    rig = scripted_rig
    reaction = {"type": "reaction_added", "user": "U0ACME0001", "reaction": "+1"}
    assert rig.send_event(reaction).status == 200
    closed = {
        "type": "view_closed",
        "user": {"id": "U0ACME0001"},
        "view": {"id": "V", "type": "modal"},
    }
    assert rig.send_interaction(closed).status == 200
    rig.standin.settle(quiet=0.3)
    assert acting_calls(rig) == []
