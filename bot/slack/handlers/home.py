"""App Home: publish the person's view when they open it; its buttons; the Ask modal."""

from __future__ import annotations

from slack_bolt import Ack, App

from bot.slack.flows import ask_and_dm, start_registration_in_dm
from bot.slack.home import ask_modal, build_home_view
from bot.slack.ids import ActionId, BlockId, CallbackId
from bot.slack.incidents import open_report_form
from bot.slack.listeners import after_ack, trigger_of, unit_of_work
from bot.slack.payloads import AppHomeOpened, BlockActions, EventCallback, ViewSubmission
from bot.slack.services import Services
from bot.slack.state import AskModalState


def ack_now(ack: Ack) -> None:
    ack()


def publish_home(services: Services, payload: BlockActions | EventCallback, user: str) -> None:
    with unit_of_work(services, payload) as work:
        view = build_home_view(work.session, user, work.config)
    services.messenger.publish_home(user, view)


def register(app: App, services: Services) -> None:
    @after_ack(services, EventCallback)
    def refresh_home(payload: EventCallback) -> None:
        event = payload.event
        if isinstance(event, AppHomeOpened) and event.tab == "home":
            publish_home(services, payload, event.user)

    @after_ack(services, BlockActions)
    def open_ask(payload: BlockActions) -> None:
        user = payload.user_id
        services.messenger.open_view(trigger_of(payload), ask_modal(AskModalState().dump()), user)
        publish_home(services, payload, user)  # a fresh hash: the next click counts

    @after_ack(services, BlockActions)
    def register_from_home(payload: BlockActions) -> None:
        start_registration_in_dm(services, payload, payload.user_id)
        publish_home(services, payload, payload.user_id)

    @after_ack(services, BlockActions)
    def incident_from_home(payload: BlockActions) -> None:
        open_report_form(services, payload)  # the same form /ai-incident opens
        publish_home(services, payload, payload.user_id)

    @after_ack(services, ViewSubmission)
    def answer_ask_modal(payload: ViewSubmission) -> None:
        view, user = payload.view, payload.user_id
        question = view.state.answer(BlockId.ASK_QUESTION.value, ActionId.ASK_INPUT.value)
        ask_and_dm(services, payload, user, question, f"ask:{view.id}")

    app.event("app_home_opened")(ack=ack_now, lazy=[refresh_home])
    app.action(ActionId.HOME_ASK.value)(ack=ack_now, lazy=[open_ask])
    app.action(ActionId.HOME_REGISTER.value)(ack=ack_now, lazy=[register_from_home])
    app.action(ActionId.HOME_INCIDENT.value)(ack=ack_now, lazy=[incident_from_home])
    app.view(CallbackId.ASK_MODAL.value)(ack=ack_now, lazy=[answer_ask_modal])
