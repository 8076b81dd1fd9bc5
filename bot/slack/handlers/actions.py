"""Button and select clicks in messages: intake choices and answer feedback."""

from __future__ import annotations

from slack_bolt import Ack, App

from bot.slack.blocks import SlackMessage, replace_block
from bot.slack.blocks import context as note_block
from bot.slack.ids import ActionId
from bot.slack.listeners import after_ack, unit_of_work
from bot.slack.payloads import Action, BlockActions
from bot.slack.services import Services, inbound
from bot.slack.state import ChoiceState, FeedbackState, ThreadState
from governance.errors import StaleActionError
from governance.text import esc
from store import evidence
from store.evidence_kinds import EvidenceKind


def ack_action(ack: Ack) -> None:
    ack()


def settle_message(services: Services, payload: BlockActions, note: str) -> None:
    """Swap the clicked buttons for a note, so the choice shows and cannot be clicked again.
    Slack does not send an ephemeral message's blocks back, so there the note is added below."""
    container, message = payload.container, payload.message
    if message is not None and container is not None and container.message_ts:
        blocks = replace_block(message.blocks, payload.action.block_id, note_block(note))
        services.messenger.update(
            str(payload.channel_id),
            container.message_ts,
            message.text or note,
            blocks,
        )
    elif payload.response_url:
        reply = SlackMessage(text=note, blocks=[note_block(note)], ephemeral=True)
        services.messenger.respond(payload.response_url, reply)


def chosen_state(action: Action) -> ChoiceState:
    if action.type == "static_select":
        where = ThreadState.load(action.block_id)
        if action.selected_option is None:
            raise StaleActionError("That menu arrived without a choice; please pick again.")
        return ChoiceState(
            thread=where.thread,
            conversation=where.conversation,
            value=action.selected_option.value,
            label=action.selected_option.text.text,
        )
    return ChoiceState.load(action.value)


def register(app: App, services: Services) -> None:
    @after_ack(services, BlockActions)
    def continue_conversation(payload: BlockActions) -> None:
        state, user, channel = chosen_state(payload.action), payload.user_id, payload.channel_id
        if channel is None:
            raise StaleActionError("That choice did not say which conversation it belongs to.")
        settle_message(
            services, payload, f"*{esc(state.label or state.value)}* (chosen by <@{user}>)"
        )
        replies = services.router().handle(
            inbound(payload, user=user, thread=state.thread, channel=channel, choice=state.value)
        )
        thread_ts = state.thread if state.thread.replace(".", "").isdigit() else None
        services.messenger.send_replies(
            replies, channel=channel, thread_key=state.thread, thread_ts=thread_ts, user=user
        )

    @after_ack(services, BlockActions)
    def record_feedback(payload: BlockActions) -> None:
        state, user = FeedbackState.load(payload.action.value), payload.user_id
        container = payload.container
        with unit_of_work(services, payload) as work:
            evidence.append(
                work.session,
                actor=user,
                kind=EvidenceKind.ANSWER_FEEDBACK,
                subject=state.answer,
                payload={
                    "vote": state.vote,
                    "answer_ref": state.answer,
                    "channel": container.channel_id if container else None,
                    "message_ts": container.message_ts if container else None,
                },
            )
        thumb = "👍" if state.vote == "up" else "👎"
        settle_message(services, payload, f"{thumb} Thanks <@{user}>, your feedback is recorded.")

    app.action(ActionId.CHOICE.pattern())(ack=ack_action, lazy=[continue_conversation])
    app.action(ActionId.FEEDBACK_UP.value)(ack=ack_action, lazy=[record_feedback])
    app.action(ActionId.FEEDBACK_DOWN.value)(ack=ack_action, lazy=[record_feedback])
