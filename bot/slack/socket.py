"""Socket Mode through the same gate as HTTP mode: each envelope is parsed, typed and recorded
before Bolt sees it; one that does not parse is acknowledged (so Slack does not resend it) and
goes no further. The connection itself is authenticated by the app token, so there is no
signature to check."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.socket_mode.builtin.client import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from bot.slack.inbound import InboundGate
from bot.slack.payloads import MalformedPayload


class GatedSocketModeHandler(SocketModeHandler):
    def __init__(self, app: App, app_token: str | None, *, gate: InboundGate, **kwargs: Any):
        super().__init__(app, app_token, **kwargs)
        self.gate = gate

    def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        try:
            self.gate.admit(req.payload)
        except MalformedPayload:
            client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
            return
        super().handle(client, req)
