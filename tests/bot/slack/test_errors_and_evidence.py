"""One error handler; every inbound payload and outbound message in the evidence ledger, with
no token or secret in it."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import select

from governance.errors import NotFoundError
from store.evidence import iter_ledger, verify
from store.models import EvidenceEvent
from tests.bot.slack.scripted import ScriptedRouter
from tests.support.slack_app import BOT_TOKEN, SIGNING_SECRET, SlackRig


def events(rig: SlackRig, kind: str) -> list[EvidenceEvent]:
    with rig.ctx.db.session() as session:
        return list(session.scalars(select(EvidenceEvent).where(EvidenceEvent.kind == kind)))


def test_a_known_error_becomes_a_friendly_private_message(
    scripted_rig: SlackRig, scripted: ScriptedRouter
) -> None:
    scripted.error = NotFoundError("no register record 'AIU-9999'; `aims register list` shows ids")
    event = scripted_rig.send_message("show AIU-9999", mention=True)
    warning = scripted_rig.standin.wait_for("chat.postEphemeral")[0]
    assert warning.args["user"] == event["user"] and warning.args["thread_ts"] == event["ts"]
    assert "no register record 'AIU-9999'" in warning.text_of_blocks()
    assert events(scripted_rig, "slack.error") == []


def test_an_unknown_error_shows_a_reference_that_is_logged_and_recorded(
    scripted_rig: SlackRig, scripted: ScriptedRouter, caplog: pytest.LogCaptureFixture
) -> None:
    scripted.error = RuntimeError("database on fire")
    with caplog.at_level(logging.ERROR):
        scripted_rig.send_command("/ai-status")
        shown = scripted_rig.standin.wait_for("response_url")[0].text_of_blocks()
    assert "database on fire" not in shown and "Something went wrong" in shown
    [recorded] = events(scripted_rig, "slack.error")
    assert f"reference *{recorded.subject}*" in shown
    assert any(recorded.subject in message for message in caplog.messages)


def test_inbound_and_outbound_are_recorded_without_tokens_or_secrets(
    scripted_rig: SlackRig, scripted: ScriptedRouter
) -> None:
    scripted_rig.send_message(f"my token is {BOT_TOKEN}, keep it safe")
    scripted_rig.send_command("/aims")
    scripted_rig.standin.wait_for("chat.postMessage")
    scripted_rig.standin.wait_for("response_url")
    scripted_rig.standin.settle(quiet=0.3)
    inbound, outbound = (
        events(scripted_rig, "slack.inbound"),
        events(scripted_rig, "slack.outbound"),
    )
    assert len(inbound) == 2 and len(outbound) == 2
    # Evidence is written after the ack, so the two deliveries may land in either order.
    [message] = [p for p in (json.loads(e.payload) for e in inbound) if "event" in p]
    assert message["event"]["text"] == "my token is [redacted], keep it safe"
    assert message["token"] == "[redacted]"
    assert {json.loads(e.payload)["method"] for e in outbound} == {
        "chat.postMessage",
        "response_url",
    }
    with scripted_rig.ctx.db.session() as session:
        everything = " ".join(line.payload for line in iter_ledger(session))
        assert verify(iter_ledger(session)).ok
    assert BOT_TOKEN not in everything and SIGNING_SECRET not in everything
