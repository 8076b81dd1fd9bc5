"""Keys on the wire: the Bearer key, what the register says about it (cached for a moment), and
a per-key request rate."""

from __future__ import annotations

import asyncio
import hashlib
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from anyio import to_thread

from governance.gateway.models import KeyState, UseTerms

# Revocation and status changes reach every gateway process within this (plus one lookup).
ACCESS_TTL_SECONDS = 2.0
_MAX_ENTRIES = 10_000


def bearer_key(authorization: str | None) -> str:
    """The key from `Authorization: Bearer <key>` ("" when there is none)."""
    if not authorization:
        return ""
    scheme, _, value = authorization.strip().partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def key_fingerprint(plain_key: str) -> str:
    return hashlib.sha256(plain_key.encode("utf-8", "surrogatepass")).hexdigest()


Access = tuple[KeyState | None, UseTerms | None]


@dataclass
class _Entry:
    expires: float
    access: Access


class AccessCache:
    """`load(plain_key)` (a database read, run in a worker thread) cached per key for
    ACCESS_TTL_SECONDS; concurrent misses for one key share one read."""

    def __init__(self, load: Callable[[str], Access], ttl: float = ACCESS_TTL_SECONDS) -> None:
        self._load, self.ttl = load, ttl
        self._entries: dict[str, _Entry] = {}
        self._inflight: dict[str, asyncio.Future[Access]] = {}

    async def get(self, plain_key: str) -> Access:
        fingerprint = key_fingerprint(plain_key)
        now = time.monotonic()
        entry = self._entries.get(fingerprint)
        if entry is not None and entry.expires > now:
            return entry.access
        pending = self._inflight.get(fingerprint)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Access] = asyncio.get_running_loop().create_future()
        self._inflight[fingerprint] = future
        try:
            access = await to_thread.run_sync(self._load, plain_key)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody waits
            raise
        finally:
            self._inflight.pop(fingerprint, None)
        future.set_result(access)
        if len(self._entries) >= _MAX_ENTRIES:
            self._entries = {k: e for k, e in self._entries.items() if e.expires > now}
            if len(self._entries) >= _MAX_ENTRIES:
                self._entries.clear()
        self._entries[fingerprint] = _Entry(time.monotonic() + self.ttl, access)
        return access


class RateLimiter:
    """A token bucket per key: `per_minute` requests a minute, up to `per_minute` at once.
    Per process: N replicas let a key through up to N times the rate."""

    def __init__(self, per_minute: int) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, who: str, now: float | None = None) -> int | None:
        """None when the request may go; else the seconds to wait (Retry-After)."""
        moment = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(who, (self.capacity, moment))
            tokens = min(self.capacity, tokens + (moment - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[who] = (tokens - 1.0, moment)
                return None
            self._buckets[who] = (tokens, moment)
            if len(self._buckets) > _MAX_ENTRIES:
                self._buckets = {k: v for k, v in self._buckets.items() if v[0] < self.capacity}
            return max(1, math.ceil((1.0 - tokens) / self.rate))
