"""A local Slack Web API stand-in: a threaded HTTP server that answers the methods the bot calls,
checks every call against Slack's published OpenAPI spec (method exists, required arguments
present, types match) and Block Kit's limits, and records each call for assertions.

    with SlackStandin() as slack:
        client = WebClient(token="xoxb-test", base_url=slack.api_url)
        ...
        slack.wait_for("chat.postMessage")
        assert slack.violations == []

When ../shared/slack-specs is absent the spec check is skipped (the Block Kit checks still run).

Rate limits: `rate_limit_once(method)` answers the next call HTTP 429; `enforce_rate_tiers(
PUBLISHED_LIMITS, PUBLISHED_CHANNEL_LIMITS)` answers 429 to any call beyond Slack's published
tiers, as Slack may. Either way `rate_limited` lists the 429s, `retry_after_violations` the
calls that came before their method's Retry-After had elapsed, and `busiest(method, seconds)`
the most calls accepted in any window of that length.
"""

from __future__ import annotations

import itertools
import json
import math
import random
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlparse

from bot.slack.pacing import CHANNEL_LIMITS, METHOD_LIMITS
from tests.support.slack_spec import SPEC_PATH, check_call, load_spec

BOT_USER, BOT_ID, TEAM = "UAIMSBOT", "BAIMSBOT", "T0ACME"
# Slack's published tiers, as the bot paces itself by them (one table, so the two cannot drift):
# method → (calls, window seconds); per channel for chat.postMessage.
PUBLISHED_LIMITS: Mapping[str, tuple[int, float]] = METHOD_LIMITS
PUBLISHED_CHANNEL_LIMITS: Mapping[str, tuple[int, float]] = CHANNEL_LIMITS
DIRECTORY_METHODS = {
    "conversations.members",
    "conversations.list",
    "usergroups.list",
    "usergroups.users.list",
}


def dm_of(user: str) -> str:
    """The id of the bot's DM with `user`, as conversations.open and chat.postMessage answer."""
    return "D" + user[1:]


def _conversation(args: dict[str, Any]) -> str | None:
    """The conversation a call is in: a user id (a DM post) means the DM."""
    channel = args.get("channel") or args.get("channel_id")
    if not isinstance(channel, str):
        return None
    return dm_of(channel) if channel[:1] in ("U", "W") else channel


def _page(
    items: list[Any], args: dict[str, Any], default_limit: int = 100
) -> tuple[list[Any], str]:
    """One page of `items` for a cursor-paginated method, and the next cursor ("" at the end)."""
    start = int(args.get("cursor") or 0)
    size = int(args.get("limit") or default_limit) or default_limit
    more = start + size < len(items)
    return items[start : start + size], str(start + size) if more else ""


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    response: dict[str, Any] = field(default_factory=dict)
    path: str = ""  # the request's path, e.g. /response/<name> for a response_url call

    @property
    def channel(self) -> str | None:
        """The conversation the call was in: a post to a user id (U…/W…) is in the DM with them,
        so this is the DM's id, as Slack answers and as a click on the message carries."""
        return _conversation(self.args)

    @property
    def ts(self) -> str | None:
        """The ts of the message this call posted or updated."""
        return self.response.get("ts") or self.response.get("message_ts")

    @property
    def blocks(self) -> list[dict[str, Any]]:
        raw = self.args.get("blocks") or []
        return json.loads(raw) if isinstance(raw, str) else list(raw)

    @property
    def view(self) -> dict[str, Any]:
        raw = self.args.get("view") or {}
        return json.loads(raw) if isinstance(raw, str) else dict(raw)

    def text_of_blocks(self) -> str:
        """Every piece of text in the blocks, joined: what a person reads."""
        return "\n".join(_texts(self.blocks or self.view.get("blocks") or []))


def _texts(value: Any) -> list[str]:
    if isinstance(value, dict):
        found = [value["text"]] if isinstance(value.get("text"), str) else []
        return found + [
            t
            for key, item in value.items()
            if key != "text" or not isinstance(item, str)
            for t in _texts(item)
        ]
    if isinstance(value, list):
        return [t for item in value for t in _texts(item)]
    return []


# --- the server --------------------------------------------------------------------------------


class SlackStandin:
    """The stand-in server. `api_url` is what SLACK_API_URL would be (ends with /api/)."""

    def __init__(self, spec_path: Path = SPEC_PATH) -> None:
        self.spec = load_spec(spec_path)
        self.calls: list[Call] = []
        self.violations: list[str] = []
        self.uploads: dict[str, bytes] = {}
        # The workspace's people as users.list returns them (tests add members).
        self.members: list[dict[str, Any]] = []
        # Channels ({"id", "name"}, conversations.list), their members (conversations.members),
        # user groups ({"id", "handle", "name"}, usergroups.list) and theirs.
        self.channels: list[dict[str, Any]] = []
        self.channel_members: dict[str, list[str]] = {}
        self.usergroups: list[dict[str, Any]] = []
        self.usergroup_members: dict[str, list[str]] = {}
        self.rate_limited: list[Call] = []  # calls answered 429 (not in `calls`)
        # Calls that arrived while their method's last Retry-After had not elapsed (answered as
        # any other: 429 only if an enforced window is full).
        self.retry_after_violations: list[Call] = []
        # method → (arrival time, conversation) of each call not answered 429.
        self.accepted: dict[str, list[tuple[float, str | None]]] = {}
        self._rate_limits: dict[str, int] = {}
        self._tiers: dict[str, tuple[int, float]] = {}
        self._channel_tiers: dict[str, tuple[int, float]] = {}
        self._retry_after_until: dict[str, float] = {}
        self._latency: dict[str, float] = {}
        self._held: tuple[str, str, float] | None = None
        self._lock = threading.Condition()
        self._ids = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    @property
    def spec_checked(self) -> bool:
        return self.spec is not None

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    def response_url(self, name: str = "1") -> str:
        return f"{self.base_url}/response/{name}"

    def start(self) -> SlackStandin:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> SlackStandin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- for tests --
    def rate_limit_once(self, method: str, retry_after: int = 1) -> None:
        """The next call to `method` gets HTTP 429 with Retry-After (then calls succeed)."""
        self._rate_limits[method] = retry_after

    def enforce_rate_tiers(
        self,
        limits: Mapping[str, tuple[int, float]],
        per_channel: Mapping[str, tuple[int, float]] | None = None,
    ) -> None:
        """From now on, answer HTTP 429 (Retry-After: whole seconds until the window has room)
        to a call beyond `limits` (method → (calls, window seconds)) or, per conversation,
        `per_channel`; e.g. enforce_rate_tiers(PUBLISHED_LIMITS, PUBLISHED_CHANNEL_LIMITS)."""
        with self._lock:
            self._tiers = dict(limits)
            self._channel_tiers = dict(per_channel or {})

    def busiest(self, method: str, seconds: float, channel: str | None = None) -> int:
        """The most calls to `method` (in `channel`, a user id meaning the DM) accepted in any
        window of `seconds`."""
        wanted = _conversation({"channel": channel}) if channel else None
        with self._lock:
            times = [t for t, c in self.accepted.get(method, []) if wanted in (None, c)]
        return most_in_any_window(sorted(times), seconds)

    def slow_down(self, method: str, seconds: float) -> None:
        """Take up to `seconds` (at random) over every call to `method` before handling it, as a
        network and a busy Slack do: concurrent calls overlap, and a later call may overtake an
        earlier one still in flight. Calls are recorded in the order they are handled."""
        self._latency[method] = seconds

    def hold_once(self, method: str, text: str, seconds: float) -> None:
        """Hold the next call to `method` whose text contains `text` for up to `seconds`, until
        another call to `method` has been handled: a slow send that a later one could overtake
        (which it does, if the sender lets two messages of a thread be in flight at once)."""
        self._held = (method, text, seconds)

    def _wait_if_held(self, method: str, args: dict[str, Any]) -> None:
        held = self._held
        if held is None or held[0] != method or held[1] not in str(args.get("text") or ""):
            return
        self._held = None
        deadline = time.monotonic() + held[2]
        with self._lock:
            before = len([c for c in self.calls if c.method == method])
            while len([c for c in self.calls if c.method == method]) == before:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                self._lock.wait(remaining)

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [call for call in self.calls if call.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """Block until `method` has been called `count` times; returns those calls."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len([c for c in self.calls if c.method == method]) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [c.method for c in self.calls]
                    raise AssertionError(f"{method} called fewer than {count} times; saw {seen}")
                self._lock.wait(remaining)
            return [c for c in self.calls if c.method == method]

    def settle(self, quiet: float = 0.3, timeout: float = 10.0) -> None:
        """Wait until no call has arrived for `quiet` seconds (background work has finished)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                last = self.calls[-1].at if self.calls else 0.0
            if time.monotonic() - last >= quiet:
                return
            time.sleep(quiet / 3)

    # -- answering --
    def handle(
        self, method: str, args: dict[str, Any], token: str | None, path: str = ""
    ) -> tuple[int, Any]:
        if method in self._latency:
            time.sleep(random.uniform(0.0, self._latency[method]))
        self._wait_if_held(method, args)
        arrived = time.monotonic()
        with self._lock:
            if arrived < self._retry_after_until.get(method, arrived):
                self.retry_after_violations.append(Call(method, args, at=arrived))
            retry_after = self._rate_limits.pop(method, None)
            if retry_after is None:
                retry_after = self._over_limit(method, _conversation(args), arrived)
            if retry_after is not None:
                self.rate_limited.append(
                    Call(method, args, at=arrived, response={"error": "ratelimited"})
                )
                self._retry_after_until[method] = arrived + retry_after
                self._lock.notify_all()
                return 429, retry_after
            # Accepted, even if its arguments are wrong: Slack counts those calls too.
            self.accepted.setdefault(method, []).append((arrived, _conversation(args)))
        problems = check_call(self.spec, method, args, token)
        if problems:
            answer = {
                "ok": False,
                "error": "invalid_arguments",
                "response_metadata": {"messages": problems},
            }
        else:
            answer = {"ok": True, **self._answer(method, args)}  # an "ok": False in it wins
        with self._lock:
            self.calls.append(Call(method, args, at=arrived, response=answer, path=path))
            self.violations += problems
            self._lock.notify_all()
        return 200, answer

    def _over_limit(self, method: str, conversation: str | None, now: float) -> int | None:
        """Retry-After (whole seconds, at least 1) when one more call would exceed an enforced
        window; None when it may go. Called with the lock held."""
        windows = []
        if method in self._tiers:
            windows.append((self._tiers[method], None))
        if method in self._channel_tiers:
            windows.append((self._channel_tiers[method], conversation))
        wait = 0.0
        for (calls, seconds), channel in windows:
            recent = [
                t
                for t, c in self.accepted.get(method, [])
                if t > now - seconds and (channel is None or c == channel)
            ]
            if len(recent) >= calls:
                wait = max(wait, sorted(recent)[-calls] + seconds - now)
        return max(1, math.ceil(wait)) if wait > 0 else None

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        n = next(self._ids)
        ts = f"{int(time.time())}.{n:06d}"
        channel = args.get("channel") or args.get("channel_id")
        if method == "apps.connections.open":
            return {"url": f"{self.base_url.replace('http', 'ws')}/socket-mode"}
        if method == "auth.test":
            return {
                "user_id": BOT_USER,
                "bot_id": BOT_ID,
                "team_id": TEAM,
                "user": "aims",
                "team": "Acme",
                "url": "https://acme.slack.com/",
            }
        if method in ("chat.postMessage", "chat.update"):
            return {
                "channel": _conversation(args) if method == "chat.postMessage" else channel,
                "ts": args.get("ts") or ts,
                "message": {"text": args.get("text"), "ts": args.get("ts") or ts},
            }
        if method == "chat.postEphemeral":
            return {"message_ts": ts}
        if method.startswith("views."):
            return {"view": {**Call(method, args).view, "id": f"V{n:08d}", "hash": f"h{n}"}}
        if method == "conversations.open":
            return {"channel": {"id": dm_of(str(args.get("users") or "X").split(",")[0])}}
        if method == "users.info":
            user = args.get("user")
            return {
                "user": {
                    "id": user,
                    "name": str(user).lower(),
                    "real_name": f"User {user}",
                    "is_bot": False,
                    "tz": "Europe/London",
                    "profile": {},
                }
            }
        if method == "users.list":
            page, cursor = _page(self.members, args)
            return {
                "members": page,
                "cache_ts": int(time.time()),
                "response_metadata": {"next_cursor": cursor},
            }
        if method in DIRECTORY_METHODS:
            return self._directory(method, args)
        if method == "files.getUploadURLExternal":
            return {"upload_url": f"{self.base_url}/upload/F{n:08d}", "file_id": f"F{n:08d}"}
        if method == "files.completeUploadExternal":
            files = args["files"] if isinstance(args["files"], list) else json.loads(args["files"])
            return {"files": [{"id": f["id"], "title": f.get("title")} for f in files]}
        return {}

    def _directory(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        """Who is in which channel and user group."""
        if method == "conversations.members":
            members = self.channel_members.get(str(args.get("channel")))
            if members is None:
                return {"ok": False, "error": "channel_not_found"}
            page, cursor = _page(members, args)
            return {"members": page, "response_metadata": {"next_cursor": cursor}}
        if method == "conversations.list":
            channels = [
                {"is_channel": True, "is_private": False, "is_archived": False, **channel}
                for channel in self.channels
            ]
            page, cursor = _page(channels, args)
            return {"channels": page, "response_metadata": {"next_cursor": cursor}}
        if method == "usergroups.list":
            include_users = str(args.get("include_users")).lower() in ("true", "1")
            groups = []
            for group in self.usergroups:
                users = self.usergroup_members.get(group["id"], [])
                listed = {"users": users} if include_users else {}
                groups.append(
                    {"team_id": TEAM, "is_usergroup": True, "user_count": len(users), **group}
                    | listed
                )
            return {"usergroups": groups}
        if method == "usergroups.users.list":
            group = str(args.get("usergroup"))
            if group not in self.usergroup_members and group not in {
                g["id"] for g in self.usergroups
            }:
                return {"ok": False, "error": "no_such_subteam"}
            return {"users": self.usergroup_members.get(group, [])}
        return {}


def most_in_any_window(times: list[float], seconds: float) -> int:
    """How many of the sorted `times` fall in the busiest window (t - seconds, t]."""
    most, start = 0, 0
    for end, at in enumerate(times):
        while times[start] <= at - seconds:
            start += 1
        most = max(most, end - start + 1)
    return most


def _handler_for(standin: SlackStandin) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

        def do_GET(self) -> None:  # noqa: N802
            self._dispatch(b"")

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            self._dispatch(self.rfile.read(length))

        def _dispatch(self, raw: bytes) -> None:
            url = urlparse(self.path)
            if url.path.startswith("/upload/"):
                standin.uploads[url.path.rsplit("/", 1)[1]] = raw
                return self._send(200, b"OK - %d" % len(raw), "text/plain")
            args: dict[str, Any] = dict(parse_qsl(url.query))
            if "json" in (self.headers.get("Content-Type") or ""):
                args.update(json.loads(raw or b"{}"))
            else:
                args.update(parse_qsl(raw.decode("utf-8")))
            token = (self.headers.get("Authorization") or "").removeprefix("Bearer ") or args.pop(
                "token", None
            )
            method = (
                "response_url"
                if url.path.startswith("/response/")
                else url.path.removeprefix("/api/")
            )
            status, body = standin.handle(method, args, token, url.path)
            if status == 429:
                self.send_response(429)
                self.send_header("Retry-After", str(body))
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": false, "error": "ratelimited"}')
                return None
            payload = b"ok" if method == "response_url" else json.dumps(body).encode()
            return self._send(status, payload, "application/json")

        def _send(self, status: int, payload: bytes, kind: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler
