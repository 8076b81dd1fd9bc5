"""The periodic review form in Block Kit (five questions and the outcome), reading it back, and
the view that replaces it once the review is recorded."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from bot.slack.blocks import input_block, option, sections
from bot.slack.errors import FormProblem
from bot.slack.ids import ReviewIds
from bot.slack.payloads import ViewState
from governance import reviews
from governance.errors import StaleActionError
from governance.reviews import Retirement, ReviewAnswers, ReviewOutcome, ReviewRef
from store.models import utcnow

FOUND = "review_found"  # "This review found…": raised as an observation on the record
BROKEN = "This review button could not be read. Ask a governance lead to check the record."
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
RETIREMENT_BLOCKS = {
    "reason": ReviewIds.RETIRE_REASON,
    "data_disposal": ReviewIds.DISPOSAL,
    "retire_on": ReviewIds.RETIRE_ON,
}


def review_of(raw: str | None) -> ReviewRef:
    """Which review a button (value) or the form (private_metadata) is about."""
    try:
        return ReviewRef.model_validate_json(raw or "")
    except ValidationError:
        raise StaleActionError(BROKEN) from None


def _input(
    block_id: str, label: str, element: dict[str, Any], *, optional: bool = False, hint: str = ""
) -> dict[str, Any]:
    return input_block(
        block_id, label, element, ReviewIds.VALUE.value, optional=optional, hint=hint
    )


def _radio(options: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "radio_buttons", "options": options}


def review_modal(target: ReviewRef, title: str) -> dict[str, Any]:
    yes_no = _radio([option("yes", "Yes"), option("no", "No")])
    text = {"type": "plain_text_input", "multiline": True}
    due = reviews.fmt_day(target.due_on)
    blocks = [
        *sections(f"*{target.ref}* \u201c{title}\u201d, review due {due}"),
        *(_input(block, label, yes_no) for block, label in QUESTIONS),
        _input(ReviewIds.OUTCOME, "Outcome", _radio([option(o, label) for o, label in OUTCOMES])),
        _input(ReviewIds.NOTES, "Notes", text, optional=True),
        _input(
            FOUND,
            "This review found… (something to improve or watch)",
            text,
            optional=True,
            hint="Raised as an observation on the record, for its owner to follow up.",
        ),
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


def found_in(values: ViewState) -> str:
    """What the reviewer says the review found ("" when nothing)."""
    return values.answer(FOUND, ReviewIds.VALUE)


def parse_form(values: ViewState) -> tuple[ReviewAnswers, ReviewOutcome, Retirement | None]:
    def answer(block: ReviewIds) -> str:
        return values.answer(block, ReviewIds.VALUE)

    answers = ReviewAnswers(
        still_in_use=answer(ReviewIds.IN_USE) == "yes",
        changed=answer(ReviewIds.CHANGED) == "yes",
        incidents=answer(ReviewIds.INCIDENTS) == "yes",
        performing=answer(ReviewIds.PERFORMING) == "yes",
        notes=answer(ReviewIds.NOTES),
    )
    try:
        outcome = ReviewOutcome(answer(ReviewIds.OUTCOME))
    except ValueError:
        raise FormProblem({ReviewIds.OUTCOME: "Choose an outcome."}) from None
    if outcome is not ReviewOutcome.RETIRE:
        return answers, outcome, None
    fields = {
        "reason": answer(ReviewIds.RETIRE_REASON),
        "retire_on": answer(ReviewIds.RETIRE_ON) or utcnow().date(),
        "data_disposal": answer(ReviewIds.DISPOSAL),
    }
    try:
        return answers, outcome, Retirement.model_validate(fields)
    except ValidationError as exc:
        missing = (RETIREMENT_BLOCKS.get(str(e["loc"][0]), ReviewIds.OUTCOME) for e in exc.errors())
        raise FormProblem(dict.fromkeys(missing, "Needed to retire it")) from None
