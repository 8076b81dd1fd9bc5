"""Forwarding to an OpenAI-compatible upstream: one pooled httpx client per upstream (keep-alive,
the upstream's timeouts, its API key from the environment variable aims.yaml names), answers
passed back as they are, placeholders mapped back when the use asked for it, and server-sent
events relayed chunk by chunk as they arrive."""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from bot.gateway.connections import UpstreamTransport
from governance.config import Upstream
from governance.gateway.scanner import StreamRestorer, restore

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 5.0


POOL_SHARDS = 4
MAX_CONNECTIONS = 50  # per shard


class UpstreamPool:
    """Keep-alive connections to one upstream's chat endpoint.

    Requests go straight to httpx's transport (httpcore's connection pool), not through an
    `httpx.AsyncClient`: the client's per-request work (merging base URL, headers and cookies,
    auth and redirect hooks, storing the upstream's cookies) is a third of the gateway's
    forwarding cost and none of it applies here; an upstream's cookies must not be carried from
    one caller's request to another's anyway. The connections are split over a few pools taken
    in turn: httpcore's pool does work proportional to (requests waiting x connections) on every
    request, so four small pools cost half the CPU of one big one at 20 concurrent requests."""

    def __init__(self, upstream: Upstream, shards: int = POOL_SHARDS) -> None:
        self.name = upstream.name
        self.url = httpx.URL(upstream.base_url.rstrip("/") + "/chat/completions")
        self.headers = httpx.Headers(upstream_headers(upstream))
        self.timeout = httpx.Timeout(
            upstream.timeout_seconds,
            connect=min(CONNECT_TIMEOUT_SECONDS, upstream.timeout_seconds),
        ).as_dict()
        limits = httpx.Limits(
            max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS
        )
        # never through a proxy the environment happens to name
        self.transports = [UpstreamTransport(limits) for _ in range(shards)]
        self._turn = itertools.cycle(self.transports)

    async def send(self, body: bytes) -> httpx.Response:
        """POST `body` to the upstream's chat endpoint; the response's body is not read yet
        (read it, or iterate it, then `aclose()` it to give the connection back). Raises
        httpx's TimeoutException / HTTPError."""
        request = httpx.Request(
            "POST",
            self.url,
            content=body,
            headers=self.headers,
            extensions={"timeout": self.timeout},
        )
        return await next(self._turn).handle_async_request(request)

    async def aclose(self) -> None:
        for transport in self.transports:
            await transport.aclose()


def upstream_headers(upstream: Upstream) -> dict[str, str]:
    """Headers for every request to `upstream`; its API key is read from the environment
    variable aims.yaml names when the gateway starts."""
    headers = {"content-type": "application/json", "accept": "application/json"}
    if upstream.api_key_env:
        secret = os.environ.get(upstream.api_key_env, "")
        if secret:
            headers["authorization"] = f"Bearer {secret}"
    return headers


@dataclass
class Relay:
    """What came back, for the completion record."""

    started: float = field(default_factory=time.perf_counter)
    first_byte: float | None = None
    finished: float | None = None
    status: int | None = None
    usage: Any = None
    restored: int = 0
    digest: Any = field(default_factory=hashlib.sha256)
    answer: list[str] = field(default_factory=list)  # with store_text only
    error: str | None = None  # "upstream_failed" | "upstream_timeout" mid-stream

    def elapsed_ms(self, moment: float | None) -> float | None:
        return None if moment is None else (moment - self.started) * 1000


def count_placeholders(text: str, mapping: dict[str, str]) -> int:
    return sum(text.count(placeholder) for placeholder in mapping) if mapping else 0


def restore_answer(body: bytes, mapping: dict[str, str], relay: Relay, keep_text: bool) -> bytes:
    """A non-streamed answer with placeholders restored (when `mapping`), its usage noted."""
    try:
        data = json.loads(body)
    except ValueError:
        return body
    if not isinstance(data, dict):
        return body
    relay.usage = data.get("usage")
    changed = False
    for choice in data.get("choices") or []:
        message = choice.get("message") if isinstance(choice, dict) else None
        if not isinstance(message, dict) or not isinstance(message.get("content"), str):
            continue
        content: str = message["content"]
        if mapping:
            relay.restored += count_placeholders(content, mapping)
            restored = restore(content, mapping)
            if restored != content:
                message["content"], content, changed = restored, restored, True
        if keep_text:
            relay.answer.append(content)
    return json.dumps(data, ensure_ascii=False).encode() if changed else body


class UsageWatch:
    """Notices the `usage` object in a relayed event stream without parsing every event."""

    def __init__(self, relay: Relay) -> None:
        self.relay, self._tail = relay, b""

    def feed(self, chunk: bytes) -> None:
        data = self._tail + chunk
        cut = data.rfind(b"\n")
        if cut < 0:
            self._tail = data[-65536:]
            return
        self._tail = data[cut + 1 :][-65536:]
        if b'"usage"' not in data:
            return
        for line in data[:cut].split(b"\n"):
            if line.startswith(b"data:") and b'"usage":{' in line.replace(b" ", b""):
                try:
                    self.relay.usage = json.loads(line[5:]).get("usage")
                except (ValueError, AttributeError):
                    pass


async def relay_raw(response: httpx.Response, relay: Relay) -> AsyncIterator[bytes]:
    """The upstream's bytes as they arrive (nothing to change in them)."""
    watch = UsageWatch(relay)
    async for chunk in response.aiter_raw():
        if relay.first_byte is None:
            relay.first_byte = time.perf_counter()
        watch.feed(chunk)
        relay.digest.update(chunk)
        yield chunk


async def relay_events(
    response: httpx.Response, mapping: dict[str, str], relay: Relay, keep_text: bool
) -> AsyncIterator[bytes]:
    """Event by event, with placeholders restored in each choice's `delta.content`; a tail
    that may be the start of a placeholder waits for the next event of its choice."""
    restorers: dict[int, StreamRestorer] = {}
    last: dict[str, Any] | None = None
    event: list[str] = []

    def rewrite(line: str) -> str:
        nonlocal last
        payload = line[5:].strip()
        if payload == "[DONE]":
            return line
        try:
            data = json.loads(payload)
        except ValueError:
            return line
        if not isinstance(data, dict):
            return line
        if data.get("usage"):
            relay.usage = data["usage"]
        for choice in data.get("choices") or []:
            if isinstance(choice, dict):
                _restore_choice(choice, restorers, mapping, relay, keep_text)
        last = data
        return "data: " + json.dumps(data, ensure_ascii=False)

    def out(text: str) -> bytes:
        encoded = text.encode()
        relay.digest.update(encoded)
        return encoded

    async for line in response.aiter_lines():
        if relay.first_byte is None:
            relay.first_byte = time.perf_counter()
        if line.startswith("data:") and line[5:].strip() == "[DONE]":
            held = _held_chunk(last, restorers, relay, keep_text)
            if held:
                yield out(held)
        event.append(rewrite(line) if line.startswith("data:") else line)
        if line == "":
            yield out("\n".join(event) + "\n")
            event = []
    held = _held_chunk(last, restorers, relay, keep_text)
    if event or held:
        yield out(("\n".join(event) + "\n\n" if event else "") + (held or ""))


def _restore_choice(
    choice: dict[str, Any],
    restorers: dict[int, StreamRestorer],
    mapping: dict[str, str],
    relay: Relay,
    keep_text: bool,
) -> None:
    index = choice.get("index", 0)
    index = index if isinstance(index, int) else 0
    delta = choice.get("delta")
    if not isinstance(delta, dict):
        return
    restorer = restorers.setdefault(index, StreamRestorer(mapping))
    content = delta.get("content")
    if isinstance(content, str):
        piece = restorer.feed(content)
        if choice.get("finish_reason"):
            piece += restorer.flush()
        relay.restored += _restored_count(content, piece, mapping)
        delta["content"] = piece
        if keep_text:
            relay.answer.append(piece)
    elif choice.get("finish_reason"):
        rest = restorer.flush()
        if rest:
            delta["content"] = rest
            if keep_text:
                relay.answer.append(rest)


def _restored_count(before: str, after: str, mapping: dict[str, str]) -> int:
    return sum(after.count(value) - before.count(value) for value in set(mapping.values()))


def _held_chunk(
    last: dict[str, Any] | None,
    restorers: dict[int, StreamRestorer],
    relay: Relay,
    keep_text: bool,
) -> str:
    """A last event carrying text still held back when the stream ends without a
    finish_reason."""
    choices = []
    for index, restorer in sorted(restorers.items()):
        rest = restorer.flush()
        if rest:
            choices.append({"index": index, "delta": {"content": rest}, "finish_reason": None})
            if keep_text:
                relay.answer.append(rest)
    if not choices:
        return ""
    base = {k: v for k, v in (last or {}).items() if k in ("id", "object", "created", "model")}
    return "data: " + json.dumps({**base, "choices": choices}, ensure_ascii=False) + "\n\n"


def sse_error(message: str, code: str) -> bytes:
    body = {"error": {"message": message, "type": "api_error", "code": code, "param": None}}
    return b"data: " + json.dumps(body).encode() + b"\n\n"
