"""Everything the bot sends to Slack goes through here, and is recorded in the evidence ledger
(method, target, text and blocks; never tokens: store.evidence redacts them)."""

from __future__ import annotations

import json
import logging
import threading
import urllib.request
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlparse

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.webhook import WebhookClient

from bot.context import AppContext
from bot.slack.blocks import SlackMessage, render_replies
from bot.slack.config import SlackConfig
from bot.slack.pacing import Pacer, shared_pacer
from intake.replies import Inbound, Reply
from store import evidence
from store.evidence_kinds import EvidenceKind

log = logging.getLogger(__name__)
# The Web API client logs every request and response body at DEBUG; a view showing a secret is
# sent through a client whose logger's own level keeps those bodies out of every log.
_SECRET_LOG = logging.getLogger(f"{__name__}.secret_views")
_SECRET_LOG.setLevel(logging.WARNING)
BOT_ACTOR = "aims-bot"


class RouterLike(Protocol):
    """bot.router.Router's surface, as the Slack transport uses it."""

    def handle(self, inbound: Inbound) -> list[Reply]: ...
    def ask(self, inbound: Inbound) -> list[Reply]: ...
    def start_registration(self, inbound: Inbound) -> list[Reply]: ...
    def my_records(self, inbound: Inbound) -> list[Reply]: ...
    def help(self) -> list[Reply]: ...


RouterFactory = Callable[[AppContext], RouterLike]


def default_router_factory(
    ctx: AppContext, people: Callable[[str], str | None] | None = None
) -> RouterLike:
    from bot.router import Router  # written alongside; imported lazily so the app builds alone

    router: RouterLike = Router(ctx, people=people)
    return router


def _post_bytes(url: str, content: bytes, filename: str, timeout: int) -> None:
    request = urllib.request.Request(
        url, data=content, method="POST", headers={"Content-Type": "application/octet-stream"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        if response.status >= 300:
            raise SlackClientError(f"upload of {filename} failed: HTTP {response.status}")


def _api_method(url: str) -> str | None:
    """The Web API method a request URL calls (…/api/chat.postMessage); None for a response_url,
    whose last segment is an opaque token, never a dotted method name."""
    last = urlparse(url).path.rsplit("/", 1)[-1]
    return last if "." in last else None


def _api_root(url: str) -> str:
    """The API root a request URL calls its method under: the client's base_url."""
    return urlparse(url)._replace(query="", fragment="").geturl().rsplit("/", 1)[0]


def _retry_after(response: HttpResponse) -> float:
    for name, values in response.headers.items():
        if name.lower() == "retry-after" and values:
            try:
                return max(1.0, float(values[0]))
            except ValueError:
                break
    return 1.0  # Slack always sends one; if not, wait a second as slack_sdk does


def _channel_of(request: HttpRequest) -> str | None:
    """The channel a call posts to, from its body (JSON from Messenger.call, else a form)."""
    body = (request.data or b"").decode("utf-8", "replace")
    try:
        args = json.loads(body)
    except ValueError:
        args = dict(parse_qsl(body))
    channel = args.get("channel") if isinstance(args, dict) else None
    return str(channel) if channel else None


class PacedRateLimitRetryHandler(RateLimitErrorRetryHandler):
    """slack_sdk's retry on HTTP 429, but Retry-After pauses the method in the pacer, so every
    thread calling it stops, not only the one Slack answered; the retry then takes its turn
    through the pacer like any call."""

    def __init__(self, pacer: Pacer | None = None, max_retry_count: int = 3) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.pacer = pacer  # None: the process's pacer for the request's workspace

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        method = _api_method(request.url)
        if response is None or method is None:
            super().prepare_for_next_attempt(
                state=state, request=request, response=response, error=error
            )
            return
        pacer = self.pacer or shared_pacer(_api_root(request.url))
        seconds = _retry_after(response)
        log.warning("Slack rate-limited %s: every caller waits %.0f s", method, seconds)
        pacer.pause(method, seconds)
        pacer.wait(method, _channel_of(request))
        state.next_attempt_requested = True
        state.increment_current_attempt()


def retry_handlers(max_retry_count: int = 3, pacer: Pacer | None = None) -> list[Any]:
    """Rate-limited Web API calls are retried, honouring Retry-After in every thread."""
    return [PacedRateLimitRetryHandler(pacer, max_retry_count=max_retry_count)]


def pacer_of(client: WebClient) -> Pacer:
    """The pacer a client's calls wait on: the one its retry handler was built with, else the
    process's for the client's workspace (the one its 429s pause)."""
    for handler in client.retry_handlers:
        if isinstance(handler, PacedRateLimitRetryHandler) and handler.pacer is not None:
            return handler.pacer
    return shared_pacer(client.base_url)


class _DmChannels:
    """Each person's DM id, opened once per process: conversations.open is Tier 3 (50 a
    minute), and a DM's id never changes. Keyed by workspace too (a test's stand-in has its own)."""

    def __init__(self) -> None:
        self._ids: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def get(self, api_url: str, user: str) -> str | None:
        with self._lock:
            return self._ids.get((api_url, user))

    def put(self, api_url: str, user: str, channel: str) -> None:
        with self._lock:
            self._ids[(api_url, user)] = channel


_dm_channels = _DmChannels()


# Slack's own hosts only (hooks.slack.com), for a Messenger built without the app's config.
slack_hosts_only = SlackConfig("", None, None, None).allows_response_url


class Messenger:
    def __init__(
        self,
        ctx: AppContext,
        client: WebClient,
        allows_response_url: Callable[[str], bool] = slack_hosts_only,
    ) -> None:
        self.ctx = ctx
        self.client = client
        self.allows_response_url = allows_response_url
        self.pacer = pacer_of(client)

    def record(self, method: str, subject: str, args: dict[str, Any], result: Any = None) -> None:
        payload = {"method": method, "args": args, "result": result}
        with self.ctx.db.session() as session:
            evidence.append(
                session,
                actor=BOT_ACTOR,
                kind=EvidenceKind.SLACK_OUTBOUND,
                subject=subject[:128],
                payload=payload,
            )

    def call(self, method: str, subject: str, **args: Any) -> dict[str, Any]:
        """One Web API call, when the pacer allows it (retried on 429 by the client's retry
        handlers), then recorded."""
        channel = args.get("channel")
        self.pacer.wait(method, str(channel) if channel else None)
        response = self.client.api_call(method, json=args)
        data = dict(response.data) if isinstance(response.data, dict) else {}
        self.record(method, subject, args, {k: data.get(k) for k in ("ok", "channel", "ts")})
        return data

    def post(
        self,
        channel: str,
        message: SlackMessage,
        *,
        thread_ts: str | None = None,
        user: str | None = None,
    ) -> str | None:
        args: dict[str, Any] = {"channel": channel, "text": message.text, "blocks": message.blocks}
        if thread_ts:
            args["thread_ts"] = thread_ts
        if message.ephemeral and user and not channel.startswith("D"):
            self.call("chat.postEphemeral", channel, user=user, **args)
            return None
        ts = self.call("chat.postMessage", channel, **args).get("ts")
        return str(ts) if ts else None

    def send_replies(
        self,
        replies: list[Reply],
        *,
        channel: str,
        thread_key: str,
        thread_ts: str | None,
        user: str,
    ) -> None:
        for message in render_replies(replies, thread_key):
            self.post(channel, message, thread_ts=thread_ts, user=user)

    def respond(
        self, response_url: str, message: SlackMessage, *, replace_original: bool = False
    ) -> None:
        """Reply through a command's or action's response_url (works in any channel), but only
        on Slack's own hosts: a response_url comes from a payload, and a payload must never be
        able to make the bot send a request wherever it likes."""
        if not self.allows_response_url(response_url):
            log.warning("refused to post to a response_url outside the allowed Slack hosts")
            return
        webhook = WebhookClient(response_url, retry_handlers=retry_handlers())
        kind = "ephemeral" if message.ephemeral else "in_channel"
        webhook.send(
            text=message.text,
            blocks=message.blocks,
            response_type=kind,
            replace_original=replace_original,
        )
        self.record(
            "response_url",
            "response_url",
            {
                "text": message.text,
                "blocks": message.blocks,
                "response_type": kind,
                "replace_original": replace_original,
            },
        )

    def respond_replies(self, response_url: str, replies: list[Reply], thread_key: str) -> None:
        for message in render_replies(replies, thread_key):
            message.ephemeral = True  # command answers are private to the asker
            self.respond(response_url, message)

    def update(self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> None:
        self.call("chat.update", channel, channel=channel, ts=ts, text=text, blocks=blocks)

    def upload(
        self,
        channel: str,
        *,
        filename: str,
        content: bytes,
        title: str,
        comment: str,
        thread_ts: str | None = None,
    ) -> str:
        """Files upload v2: ask for an upload URL, send the bytes there, then share the file
        in `channel` (recorded without its bytes). Returns the file id."""
        self.pacer.wait("files.getUploadURLExternal")
        target = self.client.files_getUploadURLExternal(filename=filename, length=len(content))
        _post_bytes(str(target["upload_url"]), content, filename, self.client.timeout)
        self.pacer.wait("files.completeUploadExternal")
        self.client.files_completeUploadExternal(
            files=[{"id": target["file_id"], "title": title}],
            channel_id=channel,
            initial_comment=comment,
            thread_ts=thread_ts,
        )
        extra = {"thread_ts": thread_ts} if thread_ts else {}
        self.record(
            "files.upload_v2",
            channel,
            {
                "filename": filename,
                "title": title,
                "bytes": len(content),
                "channel_id": channel,
                "initial_comment": comment,
                **extra,
            },
            {"file_id": target["file_id"]},
        )
        return str(target["file_id"])

    def open_dm(self, user: str) -> str:
        """The id of the bot's DM with `user`, for calls that need one (chat.postEphemeral in a
        DM, a file's channel_id); chat.postMessage takes the user id itself."""
        known = _dm_channels.get(self.client.base_url, user)
        if known is not None:
            return known
        data = self.call("conversations.open", user, users=user)
        channel = str(data["channel"]["id"])
        _dm_channels.put(self.client.base_url, user, channel)
        return channel

    def publish_home(self, user: str, view: dict[str, Any]) -> None:
        self.call("views.publish", user, user_id=user, view=view)

    def open_view(
        self, trigger_id: str, view: dict[str, Any], subject: str, *, secret: bool = False
    ) -> None:
        """Open a modal. A `secret` one (a gateway key, shown once) is recorded as opened,
        without its content: the evidence says a view was shown, never what it held."""
        if not secret:
            self.call("views.open", subject, trigger_id=trigger_id, view=view)
            return
        self.pacer.wait("views.open")
        response = self._quiet_client().api_call(
            "views.open", json={"trigger_id": trigger_id, "view": view}
        )
        data = dict(response.data) if isinstance(response.data, dict) else {}
        withheld = {"callback_id": view.get("callback_id"), "content": "withheld: a secret"}
        self.record(
            "views.open",
            subject,
            {"trigger_id": trigger_id, "view": withheld},
            {"ok": data.get("ok")},
        )

    def _quiet_client(self) -> WebClient:
        """The same client, logging no request or response bodies."""
        client = self.client
        return WebClient(
            token=client.token,
            base_url=client.base_url,
            timeout=client.timeout,
            ssl=client.ssl,
            proxy=client.proxy,
            headers=client.headers,
            retry_handlers=client.retry_handlers,
            logger=_SECRET_LOG,
        )
