"""Run the real Bolt app over real HTTP against the Slack stand-in, and talk to it as Slack does.

For other features' Slack tests (approvals, scheduler), expose the fixtures through the
directory's conftest.py:

    from tests.support.slack_app import slack_rig, slack_standin

    __all__ = ["slack_rig", "slack_standin"]

then, in a test module there:

    def test_something(slack_rig):
        slack_rig.send_message("register", user="U0ACME0001")          # a DM, signed
        post = slack_rig.standin.wait_for("chat.postMessage")[0]
        slack_rig.click(post, label="Confirm", user="U0ACME0001")      # a block_actions click
        slack_rig.standin.settle()
        assert slack_rig.standin.violations == []

    # the outbox: enqueue with governance.outbox, then
    drain_outbox(slack_rig.ctx, slack_rig.client)

`start_slack_rig(ctx, router_factory=...)` is the context manager behind the fixture.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import itertools
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt import App
from slack_sdk import WebClient
from sqlalchemy import func, select

from bot.context import AppContext
from bot.slack.app import create_app, make_client
from bot.slack.config import SlackConfig
from bot.slack.http import Readiness
from bot.slack.messenger import RouterFactory
from bot.slack.run import make_http_server
from bot.slack.services import Services
from store.models import OutboundMessage
from tests.support.slack_standin import TEAM, Call, SlackStandin

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-123-456-aimsbottesttoken"
DEFAULT_USER = "U0ACME0001"
_ids = itertools.count(1)


@dataclass
class Response:
    status: int
    body: str

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class SlackRig:
    """The app on a free port + the stand-in it calls. All send_* methods sign like Slack."""

    ctx: AppContext
    standin: SlackStandin
    app: App
    services: Services
    url: str
    signing_secret: str = SIGNING_SECRET

    @property
    def client(self) -> WebClient:
        """The app's Web API client (pointed at the stand-in), e.g. for drain_outbox."""
        return self.app.client

    def wait_until_sent(self, timeout: float = 10.0) -> None:
        """Until every outbound message queued so far has been sent, by whichever sender."""
        deadline = time.monotonic() + timeout
        while True:
            with self.ctx.db.session() as session:
                unsent = session.scalar(
                    select(func.count())
                    .select_from(OutboundMessage)
                    .where(OutboundMessage.status != "sent")
                )
            if not unsent:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{unsent} outbound messages still unsent")
            time.sleep(0.05)

    # -- raw signed requests --
    def post(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        secret: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """POST to /slack/events signed with `secret` (default: the right one) at `timestamp`."""
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        base = f"v0:{stamp}:{body}".encode()
        signature = (
            "v0="
            + hmac.new((secret or self.signing_secret).encode(), base, hashlib.sha256).hexdigest()
        )
        request = urllib.request.Request(
            self.url,
            data=body.encode(),
            method="POST",
            headers={
                "Content-Type": content_type,
                "X-Slack-Request-Timestamp": stamp,
                "X-Slack-Signature": signature,
                **(headers or {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as reply:
                return Response(reply.status, reply.read().decode())
        except urllib.error.HTTPError as error:
            return Response(error.code, error.read().decode())

    def post_raw(
        self,
        body: bytes,
        content_type: str,
        *,
        headers: list[tuple[str, str]] | None = None,
        sign: bool = True,
    ) -> Response:
        """POST exact bytes; `headers` may repeat a name. Signed correctly unless sign=False,
        in which case only `headers` are sent (for forged and broken signatures)."""
        parsed = urllib.parse.urlsplit(self.url)
        sent = [("Content-Type", content_type), *(headers or [])]
        if sign:
            stamp = str(int(time.time()))
            digest = hmac.new(
                self.signing_secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256
            ).hexdigest()
            sent += [("X-Slack-Request-Timestamp", stamp), ("X-Slack-Signature", "v0=" + digest)]
        connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
        try:
            connection.putrequest("POST", parsed.path)
            for name, value in [*sent, ("Content-Length", str(len(body)))]:
                connection.putheader(name, value)
            connection.endheaders(body)
            reply = connection.getresponse()
            return Response(reply.status, reply.read().decode(errors="replace"))
        finally:
            connection.close()

    # -- events --
    def event_body(self, event: dict[str, Any], *, event_id: str | None = None) -> str:
        return json.dumps(
            {
                "token": "legacy",
                "team_id": TEAM,
                "api_app_id": "A0AIMS",
                "type": "event_callback",
                "event": event,
                "event_id": event_id or f"Ev{next(_ids):08d}",
                "event_time": int(time.time()),
            }
        )

    def send_event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        **kwargs: Any,
    ) -> Response:
        """An Events API delivery; retry_num sets X-Slack-Retry-Num as Slack's retries do."""
        headers = (
            {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
            if retry_num
            else {}
        )
        return self.post(
            self.event_body(event, event_id=event_id), "application/json", headers=headers, **kwargs
        )

    def message_event(
        self,
        text: str,
        *,
        user: str = DEFAULT_USER,
        channel: str | None = None,
        thread_ts: str | None = None,
        ts: str | None = None,
        mention: bool = False,
    ) -> dict[str, Any]:
        """A DM (default) or, with mention=True, an app_mention in a channel."""
        event = {
            "type": "app_mention" if mention else "message",
            "user": user,
            "text": text,
            "ts": ts or f"{int(time.time())}.{next(_ids):06d}",
            "channel": channel or ("C0GENERAL" if mention else f"D{user[1:]}"),
            "channel_type": "channel" if mention else "im",
            "event_ts": "1",
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        return event

    def send_message(self, text: str, **kwargs: Any) -> dict[str, Any]:
        """Send a DM (or mention) from a person; returns the event sent."""
        event = self.message_event(text, **kwargs)
        assert self.send_event(event).status == 200
        return event

    # -- slash commands --
    def send_command(
        self, command: str, text: str = "", *, user: str = DEFAULT_USER, channel: str = "C0GENERAL"
    ) -> Response:
        form = self.command_form(command, text, user=user, channel=channel)
        return self.post(urlencode(form), "application/x-www-form-urlencoded")

    def command_form(
        self, command: str, text: str = "", *, user: str = DEFAULT_USER, channel: str = "C0GENERAL"
    ) -> dict[str, str]:
        """A slash command's form fields as Slack posts them (send it urlencoded, as often as
        you like: a retry is the same form); its response_url is the stand-in's
        /response/<trigger_id>."""
        trigger = f"trig-{next(_ids)}"
        return {
            "token": "legacy",
            "team_id": TEAM,
            "team_domain": "acme",
            "channel_id": channel,
            "channel_name": "general",
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "api_app_id": "A0AIMS",
            "response_url": self.standin.response_url(trigger),
            "trigger_id": trigger,
        }

    # -- interactivity --
    def send_interaction(self, payload: dict[str, Any], **kwargs: Any) -> Response:
        return self.post(interaction_body(payload), "application/x-www-form-urlencoded", **kwargs)

    def click(
        self,
        call: Call,
        *,
        label: str | None = None,
        action_id: str | None = None,
        user: str = DEFAULT_USER,
        option: str | None = None,
    ) -> Response:
        """Click a button (by label or action_id) or pick a select option in a message the bot
        sent (a recorded chat.postMessage / chat.postEphemeral / response_url call)."""
        return self.send_interaction(
            self.click_payload(call, label=label, action_id=action_id, user=user, option=option)
        )

    def click_payload(
        self,
        call: Call,
        *,
        label: str | None = None,
        action_id: str | None = None,
        user: str = DEFAULT_USER,
        option: str | None = None,
    ) -> dict[str, Any]:
        """The block_actions payload `click` sends (send it with interaction_body, as often as
        you like: a double click or a retry is the same payload)."""
        block, element = find_element(call.blocks, label=label, action_id=action_id, option=option)
        action = {
            "type": element["type"],
            "action_id": element["action_id"],
            "block_id": block["block_id"],
            "action_ts": f"{time.time():.6f}",
        }
        if element["type"] == "button":
            action.update(value=element.get("value"), text=element["text"])
        else:
            chosen = next(o for o in element["options"] if o["text"]["text"] == option)
            action["selected_option"] = chosen
        channel = call.channel or "D0"  # a DM posted to a user id: the DM's id
        ts = call.args.get("ts") or call.ts
        is_ephemeral = call.method != "chat.postMessage"
        payload = {
            "type": "block_actions",
            "team": {"id": TEAM},
            "user": {"id": user},
            "api_app_id": "A0AIMS",
            "trigger_id": f"trig-{next(_ids)}",
            "container": {
                "type": "message",
                "message_ts": ts,
                "channel_id": channel,
                "is_ephemeral": is_ephemeral,
            },
            "channel": {"id": channel},
            "actions": [action],
            "response_url": self.standin.response_url(f"act-{next(_ids)}"),
        }
        if not is_ephemeral:
            payload["message"] = {"ts": ts, "text": call.args.get("text"), "blocks": call.blocks}
        return payload

    def click_home(
        self, view: dict[str, Any], action_id: str, *, user: str = DEFAULT_USER
    ) -> Response:
        """Click a button in a published App Home view (a views.publish call's view)."""
        block, element = find_element(view["blocks"], action_id=action_id)
        payload = {
            "type": "block_actions",
            "team": {"id": TEAM},
            "user": {"id": user},
            "trigger_id": f"trig-{next(_ids)}",
            "container": {"type": "view", "view_id": view.get("id", "VHOME")},
            "view": {"id": view.get("id", "VHOME"), "hash": view.get("hash", "h0"), "type": "home"},
            "actions": [
                {
                    "type": "button",
                    "action_id": element["action_id"],
                    "block_id": block["block_id"],
                    "value": element.get("value"),
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        return self.send_interaction(payload)

    def submit_view(
        self,
        view: dict[str, Any],
        values: dict[str, dict[str, Any]],
        *,
        user: str = DEFAULT_USER,
        view_id: str = "VMODAL1",
    ) -> Response:
        """Submit a modal (a views.open call's view) with state values
        {block_id: {action_id: {"type": ..., "value": ...}}}."""
        payload = {
            "type": "view_submission",
            "team": {"id": TEAM},
            "user": {"id": user},
            "trigger_id": f"trig-{next(_ids)}",
            "view": {**view, "id": view_id, "hash": "h-modal", "state": {"values": values}},
        }
        return self.send_interaction(payload)


def interaction_body(payload: dict[str, Any]) -> str:
    """An interaction's form body, as Slack posts it (application/x-www-form-urlencoded)."""
    return urlencode({"payload": json.dumps(payload)})


def find_element(
    blocks: list[dict[str, Any]],
    *,
    label: str | None = None,
    action_id: str | None = None,
    option: str | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    for block in blocks:
        accessory = [block["accessory"]] if block.get("accessory") else []
        for element in [*(block.get("elements") or []), *accessory]:
            if action_id is not None and element.get("action_id") != action_id:
                continue
            if label is not None and (element.get("text") or {}).get("text") != label:
                continue
            if option is not None and element.get("type") != "static_select":
                continue
            if element.get("type") in ("button", "static_select"):
                return block, element
    raise AssertionError(f"no element label={label!r} action_id={action_id!r} in {blocks}")


@contextmanager
def start_slack_rig(
    ctx: AppContext,
    *,
    router_factory: RouterFactory | None = None,
    standin: SlackStandin | None = None,
    api_url: str | None = None,
    readiness: Readiness | None = None,
) -> Iterator[SlackRig]:
    """Start the stand-in (unless given), the app built for `ctx`, and its HTTP server on a
    free port; stop them all afterwards. `api_url` points the Web API client at another
    Slack-compatible server instead (the stand-in still serves response_urls). `readiness` is
    what the server's /readyz runs (e.g. bot.slack.health.readiness_check(probe)); without it
    /readyz answers like /healthz."""
    own = standin is None
    standin = standin or SlackStandin().start()
    config = SlackConfig(
        bot_token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        app_token=None,
        api_url=api_url or standin.api_url,
        response_hosts=("127.0.0.1",),  # where the stand-in serves response_urls
    )
    app, services = create_app(
        ctx, config, router_factory=router_factory, client=make_client(config)
    )
    server = make_http_server(app, services, "127.0.0.1", 0, readiness=readiness).start()
    url = f"http://127.0.0.1:{server.port}/slack/events"
    try:
        yield SlackRig(ctx=ctx, standin=standin, app=app, services=services, url=url)
    finally:
        server.stop()
        if own:
            standin.stop()


@pytest.fixture
def slack_standin() -> Iterator[SlackStandin]:
    """A running Slack Web API stand-in (spec-checked when ../shared is present)."""
    with SlackStandin() as standin:
        yield standin


@pytest.fixture
def slack_rig(app_context: AppContext, slack_standin: SlackStandin) -> Iterator[SlackRig]:
    """The real app over HTTP for the sample organisation, with the real router."""
    with start_slack_rig(app_context, standin=slack_standin) as rig:
        yield rig
