"""Serving the gateway with uvicorn: on its own (`aims gateway serve`) or in a thread beside the
Slack bot (`aims run`, when aims.yaml has a `gateway:` section)."""

from __future__ import annotations

import logging

import uvicorn

from bot.gateway.app import create_app, gateway_settings
from bot.serving import ServerThread
from governance.config import GatewaySettings
from governance.context import AppContext

log = logging.getLogger(__name__)


def make_server(
    ctx: AppContext,
    *,
    host: str | None = None,
    port: int | None = None,
    settings: GatewaySettings | None = None,
) -> uvicorn.Server:
    """A uvicorn server for the gateway app (port 0: any free port; `server.servers[0]` says
    which once started)."""
    settings = settings or gateway_settings(ctx)
    config = uvicorn.Config(
        create_app(ctx, settings),
        host=host or settings.host,
        port=settings.port if port is None else port,
        log_config=None,  # uvicorn's lines go through our handler (JSON, masked)
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
        server_header=False,
        proxy_headers=False,  # nothing here reads the client's address; skip the middleware
    )
    return uvicorn.Server(config)


def start_in_thread(
    ctx: AppContext, *, host: str | None = None, port: int | None = None
) -> ServerThread:
    thread = ServerThread(make_server(ctx, host=host, port=port), name="aims-gateway")
    thread.start()
    thread.wait_started()
    return thread
