"""Socket Mode envelopes pass the same gate as HTTP requests: typed, recorded, and a malformed
one is acknowledged (so Slack does not resend it) without reaching the app."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from sqlalchemy import select

from bot.slack.inbound import InboundGate
from bot.slack.socket import GatedSocketModeHandler
from store.models import EvidenceEvent
from tests.bot.slack.scripted import ScriptedRouter
from tests.support.slack_app import SlackRig


class SentResponses:
    """The Socket Mode connection's sending side (the connection to slack.com is the edge)."""

    def __init__(self) -> None:
        self.sent: list[SocketModeResponse] = []
        self.logger = logging.getLogger("socket-mode-test")

    def send_socket_mode_response(self, response: SocketModeResponse) -> None:
        self.sent.append(response)


def envelope(payload: Any, envelope_id: str) -> SocketModeRequest:
    return SocketModeRequest(type="events_api", envelope_id=envelope_id, payload=payload)


def test_a_malformed_envelope_is_acked_recorded_and_goes_no_further(
    scripted_rig: SlackRig, scripted: ScriptedRouter
) -> None:
    rig = scripted_rig
    handler = GatedSocketModeHandler(
        rig.app, "xapp-1-A0AIMS-42", web_client=rig.client, gate=InboundGate(rig.ctx)
    )
    connection = SentResponses()
    broken = {"type": "event_callback", "event_id": "Ev9", "event": {"type": "message"}}
    handler.handle(connection, envelope(broken, "env-1"))  # type: ignore[arg-type]
    good = json.loads(rig.event_body(rig.message_event("hello over the socket")))
    handler.handle(connection, envelope(good, "env-2"))  # type: ignore[arg-type]
    rig.standin.wait_for("chat.postMessage")
    assert [r.envelope_id for r in connection.sent] == ["env-1", "env-2"]
    assert [inbound.text for _, inbound in scripted.seen if inbound] == ["hello over the socket"]
    with rig.ctx.db.session() as session:
        recorded = session.scalars(
            select(EvidenceEvent.payload).where(EvidenceEvent.kind == "slack.inbound")
        ).all()
    assert len(recorded) == 2 and json.loads(recorded[0])["malformed"] is True
