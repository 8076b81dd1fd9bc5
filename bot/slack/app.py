"""The Bolt app factory: one App wired with our middleware, listeners and error handler."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from slack_bolt import App, BoltContext, BoltResponse
from slack_bolt.lazy_listener.thread_runner import ThreadLazyListenerRunner
from slack_sdk import WebClient

from bot.context import AppContext
from bot.logs import ContextThreadPoolExecutor
from bot.slack import middleware
from bot.slack.acknowledgements import register_ack_handlers
from bot.slack.approvals import register_approval_handlers
from bot.slack.config import SlackConfig
from bot.slack.errors import on_error
from bot.slack.feedback import register_feedback_handlers
from bot.slack.findings import register_finding_handlers
from bot.slack.gateway_keys import register_gateway_handlers
from bot.slack.handlers import actions, commands, home, messages
from bot.slack.incidents import register_incident_handlers
from bot.slack.messenger import Messenger, RouterFactory, default_router_factory, retry_handlers
from bot.slack.people import WorkspacePeople
from bot.slack.reviews import register_review_handlers
from bot.slack.services import Services

log = logging.getLogger(__name__)


def make_client(config: SlackConfig, token: str | None = None) -> WebClient:
    """A Web API client for any Slack-compatible server (SLACK_API_URL), retrying on 429."""
    return WebClient(
        token=token or config.bot_token,
        base_url=config.base_url,
        retry_handlers=retry_handlers(),
        timeout=15,
    )


# How much lower the work threads' scheduling priority is than the acks' (Linux nice levels).
WORK_NICENESS = 10


def yield_to_acks() -> None:
    """Lower this work thread's priority (Linux schedules threads, so this one alone): when the
    CPU is short, the threads that answer Slack run first and the work waits."""
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), WORK_NICENESS)


def separate_work_pool(app: App, threads: int) -> ThreadPoolExecutor:
    """Acks and the slow work after them (lazy listeners) get separate pools, so a queue of slow
    answers can never hold up an ack; Bolt shares one pool by default. Both copy the submitter's
    log fields (request reference, Slack event id) into the work."""
    work = ContextThreadPoolExecutor(
        threads, thread_name_prefix="aims-work", initializer=yield_to_acks
    )
    app.listener_runner.lazy_listener_runner = ThreadLazyListenerRunner(
        logger=app.logger, executor=work
    )
    return work


def create_app(
    ctx: AppContext,
    config: SlackConfig,
    *,
    router_factory: RouterFactory | None = None,
    client: WebClient | None = None,
    ack_threads: int = 16,
    work_threads: int = 8,
    verify_requests: bool | None = None,
) -> tuple[App, Services]:
    """Build the app. In HTTP mode requests are verified with the signing secret; in Socket
    Mode the connection itself is authenticated, so no secret is needed. A worker process
    (bot.slack.workers) gets requests its serving process verified: `verify_requests=False`."""
    client = client or make_client(config)
    app = App(
        signing_secret=config.signing_secret or "socket-mode-needs-no-secret",
        request_verification_enabled=(
            not config.socket_mode if verify_requests is None else verify_requests
        ),
        client=client,
        listener_executor=ContextThreadPoolExecutor(ack_threads, thread_name_prefix="aims-ack"),
        # Ack listeners run in the request's own thread: they only compute an answer, and
        # otherwise Bolt hands them to a pool and polls for the ack every 10 ms, holding the
        # HTTP server's event loop while it sleeps.
        process_before_response=True,
        name="aims-bot",
    )
    separate_work_pool(app, work_threads)
    services = Services(
        ctx=ctx,
        messenger=Messenger(ctx, client, config.allows_response_url),
        router_factory=router_factory
        or partial(default_router_factory, people=WorkspacePeople(client).find),
        config=config,
    )
    middleware.install(app)
    for feature in (messages, actions, commands, home):
        feature.register(app, services)
    register_approval_handlers(app, services)
    register_incident_handlers(app, services)
    register_review_handlers(app, services)
    register_gateway_handlers(app, services)
    register_ack_handlers(app, services)
    register_feedback_handlers(app, services)
    register_finding_handlers(app, services)

    @app.error
    def handle_error(error: Exception, context: BoltContext) -> BoltResponse | None:
        return on_error(error, context, services.messenger)

    return app, services
