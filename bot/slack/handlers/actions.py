"""Button and select clicks in messages: intake choices and answer feedback."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.slack.blocks import SlackMessage, replace_block
from bot.slack.blocks import context as note_block
from bot.slack.errors import after_ack
from bot.slack.ids import ActionId, EvidenceKind
from bot.slack.services import Services, inbound
from bot.slack.state import ChoiceState, FeedbackState, ThreadState
from governance.text import esc
from store import evidence


def ack_action(ack: Ack) -> None:
    ack()


def settle_message(services: Services, body: dict[str, Any], note: str) -> None:
    """Swap the clicked buttons for a note, so the choice shows and cannot be clicked again.
    Slack does not send an ephemeral message's blocks back, so there the note is added below."""
    action, container = body["actions"][0], body.get("container") or {}
    message = body.get("message") or {}
    if message and container.get("message_ts"):
        blocks = replace_block(message.get("blocks") or [], action["block_id"], note_block(note))
        services.messenger.update(
            container["channel_id"], container["message_ts"], message.get("text") or note, blocks
        )
    elif body.get("response_url"):
        reply = SlackMessage(text=note, blocks=[note_block(note)], ephemeral=True)
        services.messenger.respond(body["response_url"], reply)


def chosen_state(action: dict[str, Any]) -> ChoiceState:
    if action.get("type") == "static_select":
        where = ThreadState.load(action["block_id"])
        option = action["selected_option"]
        return ChoiceState(
            thread=where.thread,
            conversation=where.conversation,
            value=option["value"],
            label=option["text"]["text"],
        )
    return ChoiceState.load(action.get("value"))


def channel_of(body: dict[str, Any]) -> str:
    container, channel = body.get("container") or {}, body.get("channel") or {}
    return str(container.get("channel_id") or channel.get("id"))


def register(app: App, services: Services) -> None:
    @after_ack(services)
    def continue_conversation(body: dict[str, Any], context: BoltContext) -> None:
        state, user = chosen_state(body["actions"][0]), body["user"]["id"]
        channel = channel_of(body)
        settle_message(services, body, f"*{esc(state.label or state.value)}* (chosen by <@{user}>)")
        replies = services.router().handle(
            inbound(body, user=user, thread=state.thread, channel=channel, choice=state.value)
        )
        thread_ts = state.thread if state.thread.replace(".", "").isdigit() else None
        services.messenger.send_replies(
            replies, channel=channel, thread_key=state.thread, thread_ts=thread_ts, user=user
        )

    @after_ack(services)
    def record_feedback(body: dict[str, Any], context: BoltContext) -> None:
        state, user = FeedbackState.load(body["actions"][0].get("value")), body["user"]["id"]
        container = body.get("container") or {}
        with services.ctx.db.session() as session:
            evidence.append(
                session,
                actor=user,
                kind=EvidenceKind.FEEDBACK,
                subject=state.answer,
                payload={
                    "vote": state.vote,
                    "answer_ref": state.answer,
                    "channel": container.get("channel_id"),
                    "message_ts": container.get("message_ts"),
                },
            )
        thumb = "👍" if state.vote == "up" else "👎"
        settle_message(services, body, f"{thumb} Thanks <@{user}>, your feedback is recorded.")

    app.action(ActionId.CHOICE.pattern())(ack=ack_action, lazy=[continue_conversation])
    app.action(ActionId.FEEDBACK_UP.value)(ack=ack_action, lazy=[record_feedback])
    app.action(ActionId.FEEDBACK_DOWN.value)(ack=ack_action, lazy=[record_feedback])
