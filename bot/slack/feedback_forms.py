"""The feedback form in Block Kit (/ai-feedback, "Give feedback"), reading it and the command's
words back, and which requests are anonymous-capable: those whose `slack.inbound` record keeps a
pseudonym in place of the person (bot.slack.inbound)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ValidationError

from bot.slack.blocks import input_block, option, plain, sections
from bot.slack.errors import FormProblem
from bot.slack.ids import Command, FeedbackIds
from bot.slack.payloads import (
    BlockActions,
    Option,
    SlackPayload,
    SlashCommand,
    ViewClosed,
    ViewState,
    ViewSubmission,
)
from governance.register import format_ref


class FeedbackForm(StrEnum):
    """The form's blocks; every input's action id is VALUE."""

    RECORD = "feedback_record"
    CONCERN = "feedback_concern"
    CONSENT = "feedback_consent"
    VALUE = "value"


SHARE = "share"
SHARE_LABEL = "Share my name with the record's owner"
ANONYMOUS = "recorded anonymously; only a salted hash of who you are is kept"
MAX_CONCERN = 3000
# The "Give feedback" button: one per record an answer names, suffixed :N after the first.
GIVE = re.compile(rf"^{re.escape(FeedbackIds.GIVE.value)}(:\d+)?$")
_LEADING_REF = re.compile(r"^\s*AIU[-\s]?(\d{1,6})\b[\s:,.;-]*(.*)$", re.I | re.S)


@dataclass(frozen=True)
class CommandWords:
    """/ai-feedback AIU-0007 what concerns you: the record (if the words start with one) and
    the concern."""

    ref: str
    concern: str


def read_command(text: str) -> CommandWords:
    found = _LEADING_REF.match(text)
    if found is None:
        return CommandWords("", text.strip())
    return CommandWords(format_ref(int(found[1])), found[2].strip())


def _input(
    block: FeedbackForm, label: str, element: dict[str, Any], *, optional: bool = False
) -> dict[str, Any]:
    return input_block(block.value, label, element, FeedbackForm.VALUE.value, optional=optional)


def feedback_modal(
    uses: list[tuple[str, str]], ref: str = "", title: str = "", concern: str = ""
) -> dict[str, Any]:
    """The form: which AI use (`ref` chosen, with its `title`), what concerns you, and the box
    that lets the owner see who you are (unticked: anonymous)."""
    options = [option(r, f"{r} {t}") for r, t in uses[:99] if r != ref]
    select: dict[str, Any] = {"type": "static_select", "placeholder": plain("Choose the AI use")}
    if ref:
        chosen = option(ref, f"{ref} {title}".strip())
        options.insert(0, chosen)
        select["initial_option"] = chosen
    text: dict[str, Any] = {"type": "plain_text_input", "multiline": True}
    text["max_length"] = MAX_CONCERN
    if concern:
        text["initial_value"] = concern[:MAX_CONCERN]
    blocks = [
        *sections(
            "Tell the owner of an AI use what concerns you about it. *You stay anonymous unless "
            "you tick the box below*: only a salted hash of who you are is kept, so repeats can "
            "be told apart without anyone knowing who sent them."
        ),
        _input(FeedbackForm.RECORD, "Which AI use?", {**select, "options": options}),
        _input(FeedbackForm.CONCERN, "What concerns you?", text),
        _input(
            FeedbackForm.CONSENT,
            "Your name",
            {"type": "checkboxes", "options": [option(SHARE, SHARE_LABEL)]},
            optional=True,
        ),
    ]
    return {
        "type": "modal",
        "callback_id": FeedbackIds.MODAL.value,
        "title": plain("Feedback on an AI use", 24),
        "submit": plain("Send"),
        "close": plain("Cancel"),
        "blocks": blocks,
    }


def done_view(text: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": plain("Feedback sent", 24),
        "close": plain("Done"),
        "blocks": sections(text),
    }


class _Ticked(BaseModel):
    selected_options: list[Option] = []


def consented(state: ViewState) -> bool:
    """Whether "Share my name with the record's owner" is ticked. Anything unreadable counts
    as not ticked: the reporter stays anonymous."""
    value = state.values.get(FeedbackForm.CONSENT, {}).get(FeedbackForm.VALUE)
    if value is None:
        return False
    try:
        ticked = _Ticked.model_validate(value.model_extra or {})
    except ValidationError:
        return False
    return any(option.value == SHARE for option in ticked.selected_options)


@dataclass(frozen=True)
class FeedbackAnswers:
    record: str
    concern: str
    consent: bool


def parse_form(state: ViewState) -> FeedbackAnswers:
    record = state.answer(FeedbackForm.RECORD, FeedbackForm.VALUE)
    concern = state.answer(FeedbackForm.CONCERN, FeedbackForm.VALUE)
    if not record:
        raise FormProblem({FeedbackForm.RECORD: "Choose the AI use your feedback is about."})
    if not concern:
        raise FormProblem({FeedbackForm.CONCERN: "Say what concerns you about it."})
    return FeedbackAnswers(record, concern, consented(state))


def anonymous_reporter(payload: SlackPayload) -> str | None:
    """The person an anonymous-capable request comes from (None for every other request):
    /ai-feedback, a "Give feedback" click, and the feedback form (submitted or closed) unless
    its "share my name" box is ticked. Their request is recorded with a pseudonym for them."""
    if isinstance(payload, SlashCommand) and payload.command == Command.FEEDBACK:
        return payload.user_id
    if isinstance(payload, BlockActions) and GIVE.match(payload.action.action_id):
        return payload.user_id
    if isinstance(payload, ViewClosed) and payload.view.callback_id == FeedbackIds.MODAL:
        return payload.user_id
    if isinstance(payload, ViewSubmission) and payload.view.callback_id == FeedbackIds.MODAL:
        return None if consented(payload.view.state) else payload.user_id
    return None
