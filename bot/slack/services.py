"""What every Slack handler needs, built once per app and closed over by the listeners."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.context import AppContext
from bot.slack.messenger import Messenger, RouterFactory, RouterLike
from intake.replies import Inbound


@dataclass
class Services:
    ctx: AppContext
    messenger: Messenger
    router_factory: RouterFactory

    def router(self) -> RouterLike:
        return self.router_factory(self.ctx)


def inbound(
    body: dict[str, Any],
    *,
    user: str,
    thread: str,
    text: str = "",
    channel: str | None = None,
    choice: str | None = None,
) -> Inbound:
    team = body.get("team_id") or (body.get("team") or {}).get("id") or "local"
    return Inbound(
        workspace=str(team), user=user, text=text, thread=thread, channel=channel, choice=choice
    )
