"""The readiness check behind GET /readyz (served by bot.slack.http), cached so a load
balancer's polling cannot hammer the database.

`readiness_check(bot.health.readiness_probe(ctx))` is what HTTP mode passes to the server as
`() -> (ready, details)`: ready when the database answers (and, with a Chroma server
configured, that answers too); details are /readyz's JSON body, naming each check with a short
reason, never a URL, a path or a token. The answer is kept for `cache_seconds` (1 s) and one
check runs at a time: pollers arriving while a check runs wait for its answer. A check that
raises counts as not ready; its traceback goes to the log, not to the answer.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from bot.health import Check, Readiness

log = logging.getLogger(__name__)
CACHE_SECONDS = 1.0


class CachedReadiness:
    """`ready()`'s answer, reused for `seconds`; concurrent callers wait for the one check in
    progress instead of starting their own. A check that raises counts as not ready."""

    def __init__(
        self,
        ready: Callable[[], Readiness],
        seconds: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ready, self._seconds, self._clock = ready, seconds, clock
        self._lock = threading.Lock()
        self._answer: Readiness | None = None
        self._at = 0.0

    def __call__(self) -> Readiness:
        with self._lock:
            if self._answer is None or self._clock() - self._at >= self._seconds:
                self._answer = self._check()
                self._at = self._clock()
            return self._answer

    def _check(self) -> Readiness:
        try:
            return self._ready()
        except Exception:
            log.exception("the readiness check failed")
            failed = Check(name="readiness", ok=False, detail="the check itself failed")
            return Readiness(checks=[failed])


def readiness_check(
    ready: Callable[[], Readiness], *, cache_seconds: float = CACHE_SECONDS
) -> Callable[[], tuple[bool, dict[str, Any]]]:
    """`ready`, cached for `cache_seconds` and one at a time, as `(ready, details)`: details
    are /readyz's JSON body (`status` and the `checks`, names and short reasons only)."""
    readiness = CachedReadiness(ready, cache_seconds)

    def check() -> tuple[bool, dict[str, Any]]:
        answer = readiness()
        return answer.ready, answer.body()

    return check
