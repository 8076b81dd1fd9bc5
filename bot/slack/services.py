"""What every Slack handler needs, built once per app and closed over by the listeners."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.context import AppContext
from bot.slack.config import SlackConfig
from bot.slack.inbound import InboundReceipts
from bot.slack.messenger import Messenger, RouterFactory, RouterLike
from bot.slack.payloads import EventCallback, Interaction, SlashCommand
from intake.replies import Inbound


@dataclass
class Services:
    ctx: AppContext
    messenger: Messenger
    router_factory: RouterFactory
    config: SlackConfig
    # Filled by the HTTP edge; the work after each ack waits on its request's record.
    receipts: InboundReceipts = field(default_factory=InboundReceipts)

    def router(self) -> RouterLike:
        return self.router_factory(self.ctx)


def inbound(
    payload: Interaction | SlashCommand | EventCallback,
    *,
    user: str,
    thread: str,
    text: str = "",
    channel: str | None = None,
    choice: str | None = None,
) -> Inbound:
    return Inbound(
        workspace=payload.workspace,
        user=user,
        text=text,
        thread=thread,
        channel=channel,
        choice=choice,
    )
