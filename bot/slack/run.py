"""Running the app: HTTP mode (a threaded WSGI server on /slack/events) or Socket Mode, plus
the outbox sender and (once it exists) the scheduler, in background threads. Policy answers are
warmed up first (retrieval.warm_up), before any thread or request can need them."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.context import AppContext
from bot.slack.edge import EVENTS_PATH, SlackEdge
from bot.slack.inbound import InboundGate, RejectionLog
from bot.slack.outbox_sender import drain_outbox
from bot.slack.services import Services
from governance.errors import ConfigError
from retrieval.warm_up import warm_up
from scheduler.service import start_for_context

log = logging.getLogger(__name__)


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """Each request on its own thread, so a slow request never delays another's ack."""

    daemon_threads = True
    request_queue_size = 128


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        log.debug("http: %s", format % args)


def make_http_server(app: App, services: Services, host: str, port: int) -> ThreadingWSGIServer:
    """Serve the Bolt app behind the verifying edge on host:port (port 0 = any free port);
    call serve_forever()."""
    if not services.config.signing_secret:
        raise ConfigError("HTTP mode needs SLACK_SIGNING_SECRET (see docs/slack.md).")
    edge = SlackEdge(
        bolt=SlackRequestHandler(app, path=EVENTS_PATH),
        signing_secret=services.config.signing_secret,
        gate=InboundGate(services.ctx),
        rejections=RejectionLog(services.ctx),
    )
    server = make_server(
        host, port, edge, server_class=ThreadingWSGIServer, handler_class=QuietHandler
    )
    assert isinstance(server, ThreadingWSGIServer)
    return server


class OutboxLoop(threading.Thread):
    """Sends queued outbound messages every `interval` seconds until stopped."""

    def __init__(self, ctx: AppContext, app: App, interval: float = 2.0) -> None:
        super().__init__(name="aims-outbox", daemon=True)
        self.ctx, self.app, self.interval = ctx, app, interval
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                drain_outbox(self.ctx, self.app.client)
            except Exception:
                log.exception("outbox pass failed; retrying in %.0f s", self.interval)
            self.stopping.wait(self.interval)

    def stop(self) -> None:
        self.stopping.set()


def start_background(ctx: AppContext, app: App, *, scheduler: bool = True) -> Callable[[], None]:
    """Start the outbox loop and the scheduler; returns a function that stops them."""
    loop = OutboxLoop(ctx, app)
    loop.start()
    stoppers = [start_for_context(ctx)] if scheduler else []

    def stop() -> None:
        loop.stop()
        for stopper in stoppers:
            stopper()

    return stop


def serve(
    ctx: AppContext,
    app: App,
    services: Services,
    *,
    host: str,
    port: int,
    scheduler: bool = True,
    warm: bool = True,
) -> None:
    """Run until interrupted, in Socket Mode when an app token is set, HTTP mode otherwise.

    With `warm`, the embedding model and the policy indexes are loaded first, so the first
    question is answered as fast as the rest."""
    if warm:
        ready = warm_up(ctx)
        log.warning("AIMS Bot ready in %.1f s: %s", ready.seconds, ready.summary())
    stop = start_background(ctx, app, scheduler=scheduler)
    config = services.config
    try:
        if config.socket_mode:
            from bot.slack.socket import GatedSocketModeHandler

            log.warning("AIMS Bot connecting to Slack in Socket Mode")
            handler = GatedSocketModeHandler(
                app, config.app_token, web_client=app.client, gate=InboundGate(ctx)
            )
            handler.start()  # type: ignore[no-untyped-call]
        else:
            server = make_http_server(app, services, host, port)
            log.warning(
                "AIMS Bot listening on http://%s:%s%s", host, server.server_port, EVENTS_PATH
            )
            server.serve_forever()
    finally:
        stop()
