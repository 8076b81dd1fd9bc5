"""Serving the gateway with uvicorn: on its own (`aims gateway serve`) or in a thread beside the
Slack bot (`aims run`, when aims.yaml has a `gateway:` section)."""

from __future__ import annotations

import logging
import threading

import uvicorn

from bot.gateway.app import create_app, gateway_settings
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
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
        server_header=False,
        proxy_headers=False,  # nothing here reads the client's address; skip the middleware
    )
    return uvicorn.Server(config)


def bound_port(server: uvicorn.Server) -> int:
    return int(server.servers[0].sockets[0].getsockname()[1])


class GatewayThread(threading.Thread):
    """The gateway in a background thread with its own event loop; `stop()` ends it."""

    def __init__(self, server: uvicorn.Server) -> None:
        super().__init__(name="aims-gateway", daemon=True)
        self.server = server

    def run(self) -> None:
        self.server.run()

    def wait_started(self, timeout: float = 30.0) -> None:
        deadline = threading.Event()
        for _ in range(int(timeout * 50)):
            if self.server.started or not self.is_alive():
                break
            deadline.wait(0.02)
        if not self.server.started:
            raise RuntimeError("the gateway did not start (see the log above)")

    def stop(self) -> None:
        self.server.should_exit = True
        self.join(timeout=10)


def start_in_thread(
    ctx: AppContext, *, host: str | None = None, port: int | None = None
) -> GatewayThread:
    thread = GatewayThread(make_server(ctx, host=host, port=port))
    thread.start()
    thread.wait_started()
    return thread
