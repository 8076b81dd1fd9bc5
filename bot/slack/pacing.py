"""Pacing of Slack Web API calls, so a campaign of thousands of DMs never outruns Slack's limits.

Slack limits each method per app per workspace (https://api.slack.com/apis/rate-limits): a tier
allows at least N calls a minute, and chat.postMessage about one message a second per channel
(short bursts allowed) within a workspace-wide limit Slack does not publish. A `Pacer` keeps,
for each method, at most N calls in any trailing minute (N the tier's floor); for
chat.postMessage at most 10 in any trailing 10 s per channel, and optionally a workspace-wide
cap (AIMS_SLACK_POSTS_PER_MINUTE). A 429's Retry-After pauses the method for every caller.

`wait` blocks until a call may go and reserves it; `pause` holds a method back. One pacer per
workspace per process (`shared_pacer`); tests and benches build their own with a fake clock.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Mapping
from typing import NamedTuple

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Limit(NamedTuple):
    """At most `calls` calls in any trailing `seconds`."""

    calls: int
    seconds: float


MINUTE = 60.0
TIER_LIMITS = {tier: Limit(calls, MINUTE) for tier, calls in {1: 1, 2: 20, 3: 50, 4: 100}.items()}
POST_MESSAGE = "chat.postMessage"

METHOD_TIERS: Mapping[str, int] = {
    "auth.test": 4,  # "special" in Slack's docs; generous, so Tier 4 is safe
    "chat.update": 3,
    "chat.postEphemeral": 4,
    "conversations.open": 3,
    "conversations.members": 4,
    "conversations.list": 2,
    "usergroups.list": 2,
    "usergroups.users.list": 2,
    "users.info": 4,
    "users.list": 2,
    "views.open": 4,
    "views.publish": 4,
    "views.update": 4,
    "files.getUploadURLExternal": 4,
    "files.completeUploadExternal": 4,
}
# Each method's published limit (chat.postMessage has none per method, only per channel).
METHOD_LIMITS: Mapping[str, Limit] = {m: TIER_LIMITS[t] for m, t in METHOD_TIERS.items()}
CHANNEL_LIMITS: Mapping[str, Limit] = {POST_MESSAGE: Limit(10, 10.0)}
# A method not listed gets Tier 2: slower than it may need, never faster than Slack allows.
UNKNOWN_METHOD_LIMIT = TIER_LIMITS[2]
# Windows are counted where calls arrive, after a network trip that varies: spacing calls a
# little further apart than the window keeps an earlier, slower call from landing inside it.
ARRIVAL_MARGIN = 0.5


class PacingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AIMS_SLACK_", extra="ignore")

    # The workspace-wide chat.postMessage limit Slack does not publish; unset: no cap of ours.
    posts_per_minute: int | None = Field(default=None, gt=0)


class Pacer:
    """Thread-safe: every thread of the process waits on the same windows and pauses."""

    def __init__(
        self,
        *,
        posts_per_minute: int | None = None,
        method_limits: Mapping[str, Limit] = METHOD_LIMITS,
        channel_limits: Mapping[str, Limit] = CHANNEL_LIMITS,
        unknown_method_limit: Limit = UNKNOWN_METHOD_LIMIT,
        margin: float = ARRIVAL_MARGIN,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.posts_per_minute = posts_per_minute
        self._method_limits = dict(method_limits)
        if posts_per_minute:
            self._method_limits[POST_MESSAGE] = Limit(posts_per_minute, MINUTE)
        self._channel_limits = dict(channel_limits)
        self._unknown = unknown_method_limit
        self._margin = margin
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._recent: dict[Hashable, deque[float]] = {}
        self._paused_until: dict[str, float] = {}
        self._forget_above = 1024

    def wait(self, method: str, channel: str | None = None) -> float:
        """Block until a call to `method` (in `channel`, for per-channel limits) may go, and
        reserve it. Returns the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                windows = self._windows(method, channel)
                allowed_at = self._allowed_at(method, windows, now)
                if allowed_at <= now:
                    for key, _ in windows:
                        self._recent.setdefault(key, deque()).append(now)
                    self._forget_idle(now)
                    return waited
            # Sleep outside the lock, then look again: a pause may have arrived meanwhile.
            self._sleep(allowed_at - now)
            waited += allowed_at - now

    def pause(self, method: str, seconds: float) -> None:
        """No call to `method`, from any thread, for `seconds` from now (Slack's Retry-After)."""
        with self._lock:
            until = self._clock() + seconds
            self._paused_until[method] = max(until, self._paused_until.get(method, until))

    def ready_in(self, method: str, channel: str | None = None) -> float:
        """Seconds until a call to `method` (in `channel`) could go, without reserving it."""
        with self._lock:
            now = self._clock()
            return max(0.0, self._allowed_at(method, self._windows(method, channel), now) - now)

    def paused_for(self, method: str) -> float:
        """Seconds until `method` may be called again after a pause (0 when not paused)."""
        with self._lock:
            return max(0.0, self._paused_until.get(method, 0.0) - self._clock())

    def _windows(self, method: str, channel: str | None) -> list[tuple[Hashable, Limit]]:
        windows: list[tuple[Hashable, Limit]] = []
        per_channel = self._channel_limits.get(method)
        if per_channel is not None:
            windows.append(((method, channel or ""), per_channel))
        per_method = self._method_limits.get(method)
        if per_method is None and per_channel is None:
            per_method = self._unknown
        if per_method is not None:
            windows.append((method, per_method))
        return windows

    def _allowed_at(self, method: str, windows: list[tuple[Hashable, Limit]], now: float) -> float:
        allowed_at = self._paused_until.get(method, now)
        for key, limit in windows:
            recent = self._recent.get(key)
            if recent is None:
                continue
            span = limit.seconds + self._margin
            while recent and recent[0] <= now - span:
                recent.popleft()
            if len(recent) >= limit.calls:
                allowed_at = max(allowed_at, recent[-limit.calls] + span)
        return allowed_at

    def _forget_idle(self, now: float) -> None:
        """Drop the windows of channels no longer posted to (one per person DMed, otherwise)."""
        if len(self._recent) <= self._forget_above:
            return
        limits = (*self._method_limits.values(), *self._channel_limits.values(), self._unknown)
        longest = max(limit.seconds for limit in limits) + self._margin
        idle = [k for k, times in self._recent.items() if not times or times[-1] <= now - longest]
        for key in idle:
            del self._recent[key]
        self._forget_above = max(1024, 2 * len(self._recent))


_shared: dict[str, Pacer] = {}
_shared_lock = threading.Lock()


def shared_pacer(api_url: str) -> Pacer:
    """The process's pacer for the workspace behind `api_url` (a client's base_url): Slack's
    limits are per workspace, so every client of one workspace in the process shares it. A test's
    stand-in on a port of its own gets a pacer of its own."""
    key = api_url.rstrip("/")
    with _shared_lock:
        pacer = _shared.get(key)
        if pacer is None:
            pacer = _shared[key] = Pacer(posts_per_minute=PacingSettings().posts_per_minute)
        return pacer
