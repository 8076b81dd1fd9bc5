"""App Home: publish the person's view when they open it; its buttons; the Ask modal."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.slack.errors import after_ack
from bot.slack.flows import ask_and_dm, start_registration_in_dm
from bot.slack.handlers.commands import INCIDENT_FLOW, INCIDENT_SOON
from bot.slack.home import ask_modal, build_home_view, info_modal
from bot.slack.ids import ActionId, BlockId, CallbackId
from bot.slack.services import Services
from bot.slack.state import AskModalState


def ack_now(ack: Ack) -> None:
    ack()


def publish_home(services: Services, user: str) -> None:
    with services.ctx.db.session() as session:
        view = build_home_view(session, user, services.ctx.config)
    services.messenger.publish_home(user, view)


def register(app: App, services: Services) -> None:
    @after_ack(services)
    def refresh_home(body: dict[str, Any], context: BoltContext) -> None:
        event = body["event"]
        if event.get("tab", "home") == "home":
            publish_home(services, event["user"])

    @after_ack(services)
    def open_ask(body: dict[str, Any], context: BoltContext) -> None:
        services.messenger.open_view(
            body["trigger_id"], ask_modal(AskModalState().dump()), body["user"]["id"]
        )
        publish_home(services, body["user"]["id"])  # a fresh hash: the next click counts

    @after_ack(services)
    def register_from_home(body: dict[str, Any], context: BoltContext) -> None:
        start_registration_in_dm(services, body, body["user"]["id"])
        publish_home(services, body["user"]["id"])

    @after_ack(services)
    def incident_from_home(body: dict[str, Any], context: BoltContext) -> None:
        if INCIDENT_FLOW:  # the incident feature's report form, as /ai-incident opens it
            for flow in INCIDENT_FLOW:
                flow(services, body)
        else:
            services.messenger.open_view(
                body["trigger_id"],
                info_modal("Report an incident", INCIDENT_SOON),
                body["user"]["id"],
            )
        publish_home(services, body["user"]["id"])

    @after_ack(services)
    def answer_ask_modal(body: dict[str, Any], context: BoltContext) -> None:
        view, user = body["view"], body["user"]["id"]
        values = view["state"]["values"][BlockId.ASK_QUESTION.value][ActionId.ASK_INPUT.value]
        ask_and_dm(services, body, user, (values.get("value") or "").strip(), f"ask:{view['id']}")

    app.event("app_home_opened")(ack=ack_now, lazy=[refresh_home])
    app.action(ActionId.HOME_ASK.value)(ack=ack_now, lazy=[open_ask])
    app.action(ActionId.HOME_REGISTER.value)(ack=ack_now, lazy=[register_from_home])
    app.action(ActionId.HOME_INCIDENT.value)(ack=ack_now, lazy=[incident_from_home])
    app.view(CallbackId.ASK_MODAL.value)(ack=ack_now, lazy=[answer_ask_modal])
