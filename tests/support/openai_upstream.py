"""A local OpenAI-compatible upstream for the gateway's tests and benchmark.

It records exactly what it received (body and headers), answers `POST .../chat/completions`
(by default echoing the last user message, so a test sees what the model saw and whether the
gateway restored placeholders in the answer), streams chunks as server-sent events, and can be
made slow, failing, or to hold a stream after its first chunk until released. A bare ASGI app
(no framework), so it costs little next to the gateway it is compared with.

In a thread (tests):   with serving(OpenAIStandIn()) as (stand_in, base_url): ...
In its own process:    python -m tests.support.openai_upstream --port 9100
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn

Scope = dict[str, Any]


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def texts(self) -> list[str]:
        """Every text the request carried (string contents and text parts)."""
        found: list[str] = []
        for message in self.json.get("messages", []):
            content = message.get("content")
            if isinstance(content, str):
                found.append(content)
            elif isinstance(content, list):
                found += [p["text"] for p in content if p.get("type") == "text"]
        return found


@dataclass
class OpenAIStandIn:
    reply: str | None = None  # None: "You said: " + the last user message
    delay: float = 0.0  # seconds before answering
    fail_status: int | None = None  # answer every request with this status
    chunk_words: int = 1  # words per streamed chunk
    chunk_chars: int | None = None  # else characters per chunk (splits placeholders)
    hold: threading.Event | None = None  # streaming: hold after the first chunk until set
    record: bool = True
    received: list[Received] = field(default_factory=list)
    first_chunk_sent: threading.Event = field(default_factory=threading.Event)
    streams_finished: int = 0

    def answer_for(self, body: dict[str, Any]) -> str:
        if self.reply is not None:
            return self.reply
        users = [m for m in body.get("messages", []) if m.get("role") == "user"]
        content = users[-1].get("content") if users else ""
        if isinstance(content, list):
            content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
        return f"You said: {content}"

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        path = scope["path"]
        if self.record:
            headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
            self.received.append(Received(path, headers, body))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail_status:
            error = {"error": {"message": "stand-in failure", "type": "api_error", "code": None}}
            await _send_json(send, self.fail_status, error)
            return
        if path.endswith("/models"):
            await _send_json(send, 200, {"object": "list", "data": []})
            return
        request = json.loads(body)
        text = self.answer_for(request)
        if request.get("stream"):
            await self._stream(send, request, text)
        else:
            await _send_json(send, 200, completion(request, text))

    async def _stream(self, send: Any, request: dict[str, Any], text: str) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/event-stream")],
            }
        )
        if self.chunk_chars:
            size = self.chunk_chars
            pieces = [text[i : i + size] for i in range(0, len(text), size)] or [""]
        else:
            words = text.split(" ")
            pieces = [
                " ".join(words[i : i + self.chunk_words]) + " "
                for i in range(0, len(words), self.chunk_words)
            ]
            pieces[-1] = pieces[-1].rstrip(" ")
        model = request.get("model", "")
        for number, piece in enumerate(pieces):
            delta = {"content": piece} if number else {"role": "assistant", "content": piece}
            await _send_event(send, chunk(model, delta, None))
            if number == 0:
                self.first_chunk_sent.set()
                if self.hold is not None:
                    await asyncio.to_thread(self.hold.wait, 30)
        await _send_event(send, chunk(model, {}, "stop"))
        if (request.get("stream_options") or {}).get("include_usage"):
            usage = {**chunk(model, {}, None), "choices": [], "usage": usage_for(request, text)}
            await _send_event(send, usage)
        await send({"type": "http.response.body", "body": b"data: [DONE]\n\n"})
        self.streams_finished += 1


def usage_for(request: dict[str, Any], text: str) -> dict[str, int]:
    prompt = sum(len(str(m.get("content", "")).split()) for m in request.get("messages", []))
    completion_tokens = len(text.split())
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt + completion_tokens,
    }


def completion(request: dict[str, Any], text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-standin",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.get("model", ""),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": usage_for(request, text),
    }


def chunk(model: str, delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-standin",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


async def _send_json(send: Any, status: int, data: Any) -> None:
    body = json.dumps(data).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _send_event(send: Any, data: Any) -> None:
    body = b"data: " + json.dumps(data).encode() + b"\n\n"
    await send({"type": "http.response.body", "body": body, "more_body": True})


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def serving_app(app: Any, port: int = 0) -> Iterator[str]:
    """Serve an ASGI app with uvicorn in a thread on 127.0.0.1; yields its base URL."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.01)
    bound = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{bound}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextlib.contextmanager
def serving(stand_in: OpenAIStandIn | None = None) -> Iterator[tuple[OpenAIStandIn, str]]:
    """The stand-in in a thread; yields it and its OpenAI base URL (…/v1)."""
    stand_in = stand_in or OpenAIStandIn()
    with serving_app(stand_in) as url:
        yield stand_in, url + "/v1"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--reply", default="OK, noted.")
    args = parser.parse_args()
    app = OpenAIStandIn(reply=args.reply, record=False)
    uvicorn.run(
        app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False, lifespan="on"
    )


if __name__ == "__main__":
    main()
