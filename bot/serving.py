"""Running a uvicorn server in a background thread (the gateway beside the Slack bot, tests):
the one place that knows how to start one, find its port and stop it."""

from __future__ import annotations

import threading

import uvicorn


def bound_port(server: uvicorn.Server) -> int:
    return int(server.servers[0].sockets[0].getsockname()[1])


class ServerThread(threading.Thread):
    """A uvicorn server in a background thread with its own event loop; `stop()` ends it."""

    def __init__(self, server: uvicorn.Server, name: str) -> None:
        super().__init__(name=name, daemon=True)
        self.server = server

    def run(self) -> None:
        self.server.run()

    def wait_started(self, timeout: float = 30.0) -> None:
        pause = threading.Event()
        for _ in range(int(timeout * 50)):
            if self.server.started or not self.is_alive():
                break
            pause.wait(0.02)
        if not self.server.started:
            raise RuntimeError(f"{self.name} did not start (see the log above)")

    @property
    def port(self) -> int:
        return bound_port(self.server)

    def stop(self) -> None:
        self.server.should_exit = True
        self.join(timeout=10)
