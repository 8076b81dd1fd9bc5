"""A router whose replies a test scripts, recording what the transport handed it."""

from __future__ import annotations

import threading

from intake.replies import Inbound, Reply, ReplyKind


class ScriptedRouter:
    def __init__(self) -> None:
        self.seen: list[tuple[str, Inbound | None]] = []
        self.replies: list[Reply] = [Reply(text="Hello from AIMS.")]
        self.error: Exception | None = None
        self.lock = threading.Lock()
        # Cleared, the router blocks until the test sets it: work that is still running.
        self.gate = threading.Event()
        self.gate.set()

    def _reply(self, entry: str, inbound: Inbound | None) -> list[Reply]:
        with self.lock:
            self.seen.append((entry, inbound))
        self.gate.wait(timeout=30)
        if self.error is not None:
            raise self.error
        return list(self.replies)

    def handle(self, inbound: Inbound) -> list[Reply]:
        return self._reply("handle", inbound)

    def ask(self, inbound: Inbound) -> list[Reply]:
        return self._reply("ask", inbound)

    def start_registration(self, inbound: Inbound) -> list[Reply]:
        return self._reply("start_registration", inbound)

    def my_records(self, inbound: Inbound) -> list[Reply]:
        return self._reply("my_records", inbound)

    def help(self) -> list[Reply]:
        return self._reply("help", None) or [Reply(kind=ReplyKind.INFO, text="help")]
