"""Running the app: HTTP mode (uvicorn serving /slack/events, bot.slack.http) or Socket Mode, plus
the outbox sender and (once it exists) the scheduler, in background threads. Policy answers are
warmed up first (retrieval.warm_up), before any thread or request can need them."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

from slack_bolt import App

from bot.context import AppContext
from bot.health import readiness_probe
from bot.slack.edge import EVENTS_PATH, SlackEdge
from bot.slack.health import readiness_check
from bot.slack.http import Readiness, SlackHttpApp, SlackHttpServer, uvicorn_server
from bot.slack.inbound import InboundGate, RejectionLog
from bot.slack.outbox_sender import drain_outbox
from bot.slack.services import Services
from bot.slack.workers import WorkerPool, WorkerSpec, use_workers
from governance.errors import ConfigError
from retrieval.warm_up import warm_up
from scheduler.service import start_for_context
from store.evidence_batch import GroupCommitter

log = logging.getLogger(__name__)
ACK_SWITCH_INTERVAL = 0.0005


def _exit(signum: int, frame: object) -> None:
    raise SystemExit(0)


def exit_cleanly_on_sigterm() -> None:
    """uvicorn stops gracefully on SIGTERM, then raises the signal again for the handler it
    found: the default one would end the process before the records still queued are
    committed and the workers stopped. This one unwinds through every `finally` instead."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _exit)


def make_http_server(
    app: App,
    services: Services,
    host: str,
    port: int,
    *,
    readiness: Readiness | None = None,
) -> SlackHttpServer:
    """The Bolt app behind the verifying edge on host:port (port 0 = any free port): call
    serve(), or start() for a background thread."""
    if not services.config.signing_secret:
        raise ConfigError("HTTP mode needs SLACK_SIGNING_SECRET (see docs/slack.md).")
    # Inbound records are committed in batches off the ack path (see bot.slack.edge).
    committer = GroupCommitter(services.ctx.db)
    edge = SlackEdge(
        app=app,
        signing_secret=services.config.signing_secret,
        gate=InboundGate(services.ctx, committer),
        rejections=RejectionLog(services.ctx, committer),
        receipts=services.receipts,
    )
    asgi = SlackHttpApp(edge, readiness)
    return SlackHttpServer(uvicorn_server(asgi, host, port), asgi, committer)


PASS_LIMIT = 50


class OutboxLoop(threading.Thread):
    """Sends queued outbound messages every `interval` seconds until stopped."""

    def __init__(self, ctx: AppContext, app: App, interval: float = 2.0) -> None:
        super().__init__(name="aims-outbox", daemon=True)
        self.ctx, self.app, self.interval = ctx, app, interval
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            sent = 0
            try:
                sent = drain_outbox(self.ctx, self.app.client, limit=PASS_LIMIT)
            except Exception:
                log.exception("outbox pass failed; retrying in %.0f s", self.interval)
            # A full pass means more are waiting (a campaign to thousands): go again at once;
            # the pacer, not this pause, keeps the sending within Slack's limits.
            if sent < PASS_LIMIT:
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
    workers: int = 0,
) -> None:
    """Run until interrupted, in Socket Mode when an app token is set, HTTP mode otherwise.

    In HTTP mode with `workers`, the work after each ack runs in that many worker processes
    (bot.slack.workers), which warm up before the server starts. Otherwise, with `warm`, the
    embedding model and the policy indexes are loaded here first, so the first question is
    answered as fast as the rest."""
    pool = None
    if workers > 1 and not ctx.settings.chroma_url:
        # An embedded Chroma index is safe in one process only (a Chroma server in any number).
        log.warning("one worker process: the policy index is embedded (AIMS_CHROMA_URL unset)")
        workers = 1
    if workers > 0 and not services.config.socket_mode:
        spec = WorkerSpec(
            config_path=ctx.config_path,
            threads=8,
            verbose=logging.getLogger().getEffectiveLevel() <= logging.INFO,
            log_format=None,  # the workers read AIMS_LOG_FORMAT as this process did
        )
        pool = WorkerPool(spec, workers)
        use_workers(app, pool, services.receipts)
        seconds = pool.wait_ready()
        log.warning("AIMS Bot ready in %.1f s: %d worker processes warmed up", seconds, workers)
    elif warm:
        ready = warm_up(ctx)
        log.warning("AIMS Bot ready in %.1f s: %s", ready.seconds, ready.summary())
    try:
        _serve(ctx, app, services, host=host, port=port, scheduler=scheduler, pool=pool)
    finally:
        if pool is not None:
            pool.close()


def with_workers(check: Readiness, pool: WorkerPool | None) -> Readiness:
    """/readyz also fails while no worker process is alive: acks would pile up unanswered."""
    if pool is None:
        return check

    def ready() -> tuple[bool, dict[str, Any]]:
        ok, details = check()
        alive = pool.alive
        details = {**details, "workers_alive": alive}
        return (ok, details) if alive else (False, {**details, "status": "unavailable"})

    return ready


def _serve(
    ctx: AppContext,
    app: App,
    services: Services,
    *,
    host: str,
    port: int,
    scheduler: bool,
    pool: WorkerPool | None,
) -> None:
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
            # A thread waiting for the interpreter gets it after at most this long (default
            # 5 ms): the ack loop never waits longer than that behind the work after earlier acks.
            sys.setswitchinterval(ACK_SWITCH_INTERVAL)
            probe = readiness_probe(ctx)
            readiness = with_workers(readiness_check(probe), pool)
            server = make_http_server(app, services, host, port, readiness=readiness)
            log.warning("AIMS Bot listening on http://%s:%s%s", host, port, EVENTS_PATH)
            exit_cleanly_on_sigterm()
            try:
                server.serve()
            finally:
                probe.close()
    finally:
        stop()
