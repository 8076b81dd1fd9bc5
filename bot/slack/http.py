"""HTTP mode's server: uvicorn (httptools, uvloop where installed) serving the Slack edge as an
ASGI app, plus /healthz and /readyz for load balancers.

Why uvicorn and not a threaded WSGI server: an ack is a few hundred microseconds of Python, and
on a busy 2-core box the work after earlier acks (policy answers, Slack calls) holds the
interpreter most of the time. A thread per request needs the interpreter back after every
blocking step (accept, read, write), and each hand-back can wait a full switch interval behind
that work; the event loop parses HTTP in C and runs the whole ack in one go
(bench/bench_slack_ack.py has the figures). The ack runs on the loop itself because it is CPU
work only (bot.slack.edge); a form submission, whose answer comes from the database, and the
readiness probe run in a small thread pool instead.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import uvicorn

from bot.logs import bind_request, copy_into_thread
from bot.serving import ServerThread, bound_port
from bot.slack.edge import MAX_BODY_BYTES, Answer, SlackEdge, ToBolt, request_ref
from store.evidence_batch import GroupCommitter

log = logging.getLogger(__name__)
Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
# What /readyz runs (in a thread): (ready, details). None: /readyz answers like /healthz.
Readiness = Callable[[], tuple[bool, dict[str, Any]]]
HEALTHZ, READYZ = "/healthz", "/readyz"
NO_STORE = (("cache-control", "no-store"),)
ALLOW_GET = (("allow", "GET, HEAD"),)


def _headers(scope: Scope) -> dict[str, str]:
    """Lower-case names; a repeated header is joined with commas, as HTTP defines (so two
    signature headers never verify)."""
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    return headers


async def _body(receive: Receive, limit: int) -> bytes | None:
    """The body, or None once it runs past `limit` (a lying Content-Length)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _send(send: Send, answer: Answer) -> None:
    headers = [
        (b"content-type", answer.content_type.encode("latin-1")),
        (b"content-length", str(answer.length).encode()),
        *((name.encode("latin-1"), value.encode("latin-1")) for name, value in answer.headers),
    ]
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body})


@dataclass
class SlackHttpApp:
    """The ASGI app: the Slack edge on /slack/events, health on /healthz and /readyz."""

    edge: SlackEdge
    readiness: Readiness | None = None
    blocking: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(8, thread_name_prefix="aims-forms")
    )
    # Its own thread: polls waiting on a slow check never take the forms' threads.
    checking: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="aims-readyz")
    )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return  # no lifespan or websocket work here
        await _send(send, await self._answer(scope, receive))

    async def _answer(self, scope: Scope, receive: Receive) -> Answer:
        method, path = scope["method"], scope["path"]
        if path in (HEALTHZ, READYZ):
            return await self._health(method, path)
        headers = _headers(scope)
        refused = self.edge.precheck(method, path, headers.get("content-length"))
        if refused is not None:
            return refused
        body = await _body(receive, MAX_BODY_BYTES)
        if body is None:
            return Answer.plain(413)
        query = scope.get("query_string", b"").decode("latin-1")
        # Every line logged for this request, here and in the work after its ack (the pools
        # copy the context), carries its reference and Slack's event id.
        with bind_request(request_ref=request_ref()):
            outcome = self.edge.accept(headers, body, query)
            if not isinstance(outcome, ToBolt):
                return outcome
            with bind_request(**outcome.log_fields):
                if outcome.in_thread:
                    loop = asyncio.get_running_loop()
                    dispatch = copy_into_thread(self.edge.dispatch)
                    return await loop.run_in_executor(self.blocking, dispatch, outcome)
                return self.edge.dispatch(outcome)

    async def _health(self, method: str, path: str) -> Answer:
        """No signature needed: the answers name checks and short reasons, never a URL, a path
        or a token. /readyz's check is cached (bot.slack.health) and runs off the loop."""
        if method not in ("GET", "HEAD"):
            return Answer(405, b'{"error": "use GET"}', "application/json", ALLOW_GET)
        if path == HEALTHZ or self.readiness is None:
            answer = Answer.json(200, {"status": "ok"}, NO_STORE)
        else:
            loop = asyncio.get_running_loop()
            ready, details = await loop.run_in_executor(self.checking, self.readiness)
            answer = Answer.json(200 if ready else 503, details, NO_STORE)
        return (
            answer if method == "GET" else replace(answer, body=b"", content_length=answer.length)
        )


@dataclass
class SlackHttpServer:
    """The uvicorn server, and what closes with it (the inbound group committer)."""

    server: uvicorn.Server
    app: SlackHttpApp
    committer: GroupCommitter
    _thread: ServerThread | None = None

    def serve(self) -> None:
        """Serve in this thread until interrupted (SIGINT/SIGTERM stop it gracefully)."""
        try:
            self.server.run()
        finally:
            self.close()

    def start(self) -> SlackHttpServer:
        """Serve in a background thread (tests, embedding); `stop()` ends it."""
        self._thread = ServerThread(self.server, name="aims-slack-http")
        self._thread.start()
        self._thread.wait_started()
        return self

    @property
    def port(self) -> int:
        return bound_port(self.server)

    def stop(self) -> None:
        if self._thread is not None:
            self._thread.stop()
        self.close()

    def close(self) -> None:
        self.app.blocking.shutdown(wait=False)
        self.app.checking.shutdown(wait=False)
        self.committer.close()  # what was handed over is still committed


def uvicorn_server(app: SlackHttpApp, host: str, port: int) -> uvicorn.Server:
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        http="httptools",
        loop="auto",  # uvloop where installed
        lifespan="off",
        log_config=None,  # uvicorn's lines go through our handler (JSON, masked)
        log_level="warning",
        access_log=False,
        server_header=False,
        date_header=False,
        proxy_headers=False,  # nothing here reads the client's address
        backlog=2048,  # a burst queues in the kernel rather than being refused
        timeout_graceful_shutdown=10,
    )
    return uvicorn.Server(config)
