"""The Bolt app factory: one App wired with our middleware, listeners and error handler."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from slack_bolt import App, BoltContext, BoltResponse
from slack_bolt.lazy_listener.thread_runner import ThreadLazyListenerRunner
from slack_sdk import WebClient

from bot.context import AppContext
from bot.slack import middleware
from bot.slack.approvals import register_approval_handlers
from bot.slack.config import SlackConfig
from bot.slack.errors import on_error
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


def separate_work_pool(app: App, threads: int) -> ThreadPoolExecutor:
    """Acks and the slow work after them (lazy listeners) get separate pools, so a queue of slow
    answers can never hold up an ack; Bolt shares one pool by default."""
    work = ThreadPoolExecutor(threads, thread_name_prefix="aims-work")
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
) -> tuple[App, Services]:
    """Build the app. In HTTP mode requests are verified with the signing secret; in Socket
    Mode the connection itself is authenticated, so no secret is needed."""
    client = client or make_client(config)
    app = App(
        signing_secret=config.signing_secret or "socket-mode-needs-no-secret",
        request_verification_enabled=not config.socket_mode,
        client=client,
        listener_executor=ThreadPoolExecutor(ack_threads, thread_name_prefix="aims-ack"),
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

    @app.error
    def handle_error(error: Exception, context: BoltContext) -> BoltResponse | None:
        return on_error(error, context, services.messenger)

    return app, services
