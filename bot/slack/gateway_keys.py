"""The "Get a gateway key" button, on an approved use's outcome notice and in App Home: one
governance.gateway.keys.issue_key call (the same checks as `aims gateway key create`), then the
key shown once, privately, in a modal. The key is never posted in a channel, logged, recorded
as evidence or queued in the outbox; the click claim (bot.slack.listeners) makes a Slack retry
or a double click issue one key, not two."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot.slack.blocks import Block, button, context, plain, sections
from bot.slack.ids import GatewayIds
from bot.slack.listeners import Form, Work, on_click
from bot.slack.payloads import BlockActions
from bot.slack.services import Services
from governance.config import GatewaySettings, OrgConfig
from governance.gateway import keys
from governance.text import esc


def endpoint(config: OrgConfig) -> str:
    settings = config.gateway or GatewaySettings()
    return f"http://{settings.host}:{settings.port}/v1"


def key_button(ref: str) -> Block:
    """The button App Home shows beside each of the person's own usable records."""
    return button("Get a gateway key", GatewayIds.GET_KEY, ref)


def key_modal(issued: keys.IssuedKey, base_url: str) -> dict[str, Any]:
    blocks = [
        *sections(
            f"*{esc(issued.key_id)}* for *{esc(issued.record_ref)}* {esc(issued.title)}.\n"
            ":warning: *Copy it now.* This is the only time it is shown: only its hash is kept."
        ),
        *sections(f"```{issued.key}```"),
        context(
            f"Use it as the API key of any OpenAI client with base URL `{esc(base_url)}`. "
            f"Lost it? Revoke it with `aims gateway key revoke {esc(issued.key_id)}` and get "
            "another."
        ),
    ]
    return {
        "type": "modal",
        "callback_id": GatewayIds.KEY_MODAL.value,
        "title": plain("Your gateway key", 24),
        "close": plain("Done", 24),
        "blocks": blocks,
    }


def key_clicked(work: Work[BlockActions]) -> Form:
    issued = keys.issue_key(
        work.session,
        record_ref=work.payload.action.value or "",
        actor=work.user,
        config=work.config,
        via="slack",
    )
    return Form(key_modal(issued, endpoint(work.config)), issued.record_ref, secret=True)


def register_gateway_handlers(app: App, services: Services) -> None:
    def ack_click(ack: Ack) -> None:
        ack()

    # Claimed: a redelivered or double click issues nothing more.
    app.action(GatewayIds.GET_KEY.value)(ack=ack_click, lazy=[on_click(services)(key_clicked)])
