"""The workspace's people, so an owner typed by name need not be listed in aims.yaml.

users.list is a Tier 2 method: the list is read once and kept for ten minutes. A name counts
only when exactly one active, human member goes by it; anything else is asked again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)

_PAGE = 200
_RETRY_AFTER = 60.0


def _plain(text: str) -> str:
    return " ".join(text.lower().split())


def _names(member: dict[str, Any]) -> set[str]:
    profile = member.get("profile") or {}
    named = (
        member.get("real_name"),
        profile.get("real_name"),
        profile.get("display_name"),
        member.get("name"),
    )
    return {_plain(name) for name in named if isinstance(name, str) and name.strip()}


class WorkspacePeople:
    def __init__(
        self,
        client: WebClient,
        *,
        keep_for: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.keep_for = keep_for
        self.clock = clock
        self._members: list[dict[str, Any]] = []
        self._read_at: float | None = None
        self._lock = threading.Lock()

    def find(self, typed: str) -> str | None:
        """The Slack id of the one person `typed` names, or None (nobody, several, or Slack
        could not be asked: the requester is asked again, never given a guess)."""
        wanted = _plain(typed)
        ids = {member["id"] for member in self._people() if wanted in _names(member)}
        return ids.pop() if len(ids) == 1 else None

    def _people(self) -> list[dict[str, Any]]:
        with self._lock:
            now = self.clock()
            if self._read_at is None or now - self._read_at > self.keep_for:
                try:
                    self._members = self._read_all()
                    self._read_at = now
                except (SlackApiError, OSError) as exc:
                    # Keep the last good list, and try again in a minute rather than on every
                    # lookup (users.list is rate limited).
                    log.warning("could not read the workspace's people: %s", exc)
                    self._read_at = now - self.keep_for + _RETRY_AFTER
            return self._members

    def _read_all(self) -> list[dict[str, Any]]:
        members: list[dict[str, Any]] = []
        cursor = ""
        while True:
            page = self.client.users_list(limit=_PAGE, cursor=cursor or None)
            members += [
                m
                for m in page.get("members") or []
                if not m.get("deleted") and not m.get("is_bot") and m.get("id") != "USLACKBOT"
            ]
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or ""
            if not cursor:
                return members
