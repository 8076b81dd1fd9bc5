"""The periodic review in Slack: the DM's "Start review" opens the short form, "Snooze 7 days"
snoozes within the configured bound. Thin handlers: ack, parse, call governance.reviews (which
checks the person and writes evidence), tell the person, send what it queued."""

from __future__ import annotations

import logging
from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ValidationError
from slack_bolt import Ack, App, BoltContext

from bot.context import AppContext
from bot.slack.blocks import sections
from bot.slack.common import field_value, send_queued, submitted, tell, trigger_of
from bot.slack.errors import after_ack
from bot.slack.messenger import Messenger
from bot.slack.payloads import BlockActions, ViewState, ViewSubmission
from bot.slack.services import Services
from governance import register, reviews
from governance.errors import AimsError
from governance.reviews import ReviewAction, ReviewAnswers, ReviewOutcome
from store.models import utcnow

log = logging.getLogger(__name__)
SNOOZE_DAYS = 7
BROKEN = "This review button could not be read. Ask a governance lead to check the record."


class ReviewIds(StrEnum):
    MODAL = "review_form"
    IN_USE = "review_in_use"
    CHANGED = "review_changed"
    INCIDENTS = "review_incidents"
    PERFORMING = "review_performing"
    OUTCOME = "review_outcome"
    NOTES = "review_notes"
    RETIRE_REASON = "review_retire_reason"
    RETIRE_ON = "review_retire_on"
    DISPOSAL = "review_data_disposal"
    VALUE = "value"  # every input's action_id: the block_id says which question it answers


class ReviewRef(BaseModel):
    """What the DM's buttons and the modal carry: which record, which due date."""

    ref: str
    due_on: date


QUESTIONS = (
    (ReviewIds.IN_USE, "Is it still in use?"),
    (ReviewIds.CHANGED, "Have its purpose, data, model or vendor changed?"),
    (ReviewIds.INCIDENTS, "Any incidents or complaints since the last review?"),
    (ReviewIds.PERFORMING, "Is it still performing as intended?"),
)
OUTCOMES = (
    (ReviewOutcome.CONTINUE, "Continue as it is"),
    (ReviewOutcome.CHANGE, "Change it (goes back for approval)"),
    (ReviewOutcome.RETIRE, "Retire it"),
)


def _option(value: str, label: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": label}, "value": value}


def _input(
    block_id: str,
    label: str,
    element: dict[str, Any],
    *,
    optional: bool = False,
    hint: str | None = None,
) -> dict[str, Any]:
    block = {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": {"type": "plain_text", "text": label},
        "element": {**element, "action_id": ReviewIds.VALUE.value},
    }
    if hint:
        block["hint"] = {"type": "plain_text", "text": hint}
    return block


def _radio(options: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "radio_buttons", "options": options}


def review_modal(target: ReviewRef, title: str) -> dict[str, Any]:
    yes_no = [_option("yes", "Yes"), _option("no", "No")]
    blocks = [
        *sections(
            f"*{target.ref}* \u201c{title}\u201d, review due {reviews.fmt_day(target.due_on)}"
        )
    ]
    blocks += [_input(block, label, _radio(yes_no)) for block, label in QUESTIONS]
    blocks.append(
        _input(
            ReviewIds.OUTCOME, "Outcome", _radio([_option(o.value, label) for o, label in OUTCOMES])
        )
    )
    text = {"type": "plain_text_input", "multiline": True}
    blocks += [
        _input(ReviewIds.NOTES, "Notes", text, optional=True),
        _input(ReviewIds.RETIRE_REASON, "If retiring: why?", text, optional=True),
        _input(
            ReviewIds.RETIRE_ON, "If retiring: from when?", {"type": "datepicker"}, optional=True
        ),
        _input(
            ReviewIds.DISPOSAL,
            "If retiring: what happens to the data?",
            text,
            optional=True,
            hint="Deleted, returned or archived, where and by whom.",
        ),
    ]
    return {
        "type": "modal",
        "callback_id": ReviewIds.MODAL.value,
        "title": {"type": "plain_text", "text": "Periodic review"},
        "submit": {"type": "plain_text", "text": "Submit"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": target.model_dump_json(),
        "blocks": blocks,
    }


def done_view(text: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Periodic review"},
        "close": {"type": "plain_text", "text": "Done"},
        "blocks": sections(text),
    }


def parse_form(
    values: ViewState,
) -> tuple[ReviewAnswers, ReviewOutcome, reviews.Retirement | None]:
    answers = ReviewAnswers(
        still_in_use=field_value(values, ReviewIds.IN_USE) == "yes",
        changed=field_value(values, ReviewIds.CHANGED) == "yes",
        incidents=field_value(values, ReviewIds.INCIDENTS) == "yes",
        performing=field_value(values, ReviewIds.PERFORMING) == "yes",
        notes=field_value(values, ReviewIds.NOTES),
    )
    outcome = ReviewOutcome(field_value(values, ReviewIds.OUTCOME))
    if outcome is not ReviewOutcome.RETIRE:
        return answers, outcome, None
    retirement = reviews.Retirement.model_validate(
        {
            "reason": field_value(values, ReviewIds.RETIRE_REASON),
            "retire_on": field_value(values, ReviewIds.RETIRE_ON) or utcnow().date(),
            "data_disposal": field_value(values, ReviewIds.DISPOSAL),
        }
    )
    return answers, outcome, retirement


def _retirement_errors(exc: ValidationError) -> dict[str, str]:
    blocks = {
        "reason": ReviewIds.RETIRE_REASON,
        "data_disposal": ReviewIds.DISPOSAL,
        "retire_on": ReviewIds.RETIRE_ON,
    }
    return {
        blocks.get(str(e["loc"][0]), ReviewIds.OUTCOME).value: "Needed to retire it"
        for e in exc.errors()
    }


def _target(raw: str | None) -> ReviewRef | None:
    try:
        return ReviewRef.model_validate_json(raw or "")
    except ValidationError:
        return None


def on_start(ctx: AppContext, messenger: Messenger, click: BlockActions) -> None:
    target, user = _target(click.action.value), click.user_id
    if target is None:
        tell(messenger, click, BROKEN)
        return
    with ctx.db.session() as session:
        record = register.get_record(session, target.ref)
        allowed, title = reviews.may_act_for(ctx.config, record, user), record.title
    if not allowed:
        tell(
            messenger,
            click,
            f":no_entry: Only the owner of {target.ref}, their delegates or "
            "a governance lead can review it.",
        )
        return
    messenger.open_view(trigger_of(click), review_modal(target, title), target.ref)


def on_snooze(ctx: AppContext, messenger: Messenger, click: BlockActions) -> None:
    target, user = _target(click.action.value), click.user_id
    if target is None:
        tell(messenger, click, BROKEN)
        return
    try:
        with ctx.db.session() as session:
            record = register.get_record(session, target.ref)
            until = reviews.snooze_review(
                session,
                record=record,
                config=ctx.config,
                actor=user,
                days=SNOOZE_DAYS,
                now=utcnow(),
            )
    except AimsError as exc:
        tell(messenger, click, f":no_entry: {exc}")
        return
    tell(
        messenger,
        click,
        f":zzz: Snoozed: no reminders about {target.ref} until {reviews.fmt_day(until)}.",
    )


def on_submit(ctx: AppContext, app: App, ack: Ack, submission: ViewSubmission) -> None:
    view, user = submission.view, submission.user_id
    target = _target(view.private_metadata)
    if target is None:
        ack(response_action="errors", errors={ReviewIds.OUTCOME.value: BROKEN})
        return
    try:
        answers, outcome, retirement = parse_form(view.state)
    except ValidationError as exc:
        ack(response_action="errors", errors=_retirement_errors(exc))
        return
    except ValueError:
        ack(response_action="errors", errors={ReviewIds.OUTCOME.value: "Choose an outcome."})
        return
    try:
        with ctx.db.session() as session:
            record = register.get_record(session, target.ref)
            result = reviews.complete_review(
                session,
                record=record,
                config=ctx.config,
                actor=user,
                answers=answers,
                outcome=outcome,
                retirement=retirement,
                now=utcnow(),
            )
    except AimsError as exc:
        # Shown under the outcome: the form stays open with the explanation.
        ack(response_action="errors", errors={ReviewIds.OUTCOME.value: str(exc)[:150]})
        return
    ack(response_action="update", view=done_view(result.message))
    send_queued(ctx, app, "a review")


def register_review_handlers(app: App, services: Services) -> None:
    ctx, messenger = services.ctx, services.messenger

    def ack_click(ack: Ack) -> None:
        ack()

    # Start only opens the form, so it can be clicked again after a cancel; snooze is claimed.
    @after_ack(services, BlockActions, claim=False)
    def start(click: BlockActions) -> None:
        on_start(ctx, messenger, click)

    @after_ack(services, BlockActions)
    def snooze(click: BlockActions) -> None:
        on_snooze(ctx, messenger, click)

    def submit(ack: Ack, context: BoltContext) -> None:
        on_submit(ctx, app, ack, submitted(context))

    app.action(ReviewAction.START.value)(ack=ack_click, lazy=[start])
    app.action(ReviewAction.SNOOZE.value)(ack=ack_click, lazy=[snooze])
    app.view(ReviewIds.MODAL.value)(submit)
