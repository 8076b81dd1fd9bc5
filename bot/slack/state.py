"""State carried through Slack in a button value or a view's private_metadata: pydantic models
dumped to JSON, never string splitting."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, ValidationError

from governance.errors import StaleActionError


class SlackState(BaseModel):
    def dump(self) -> str:
        return self.model_dump_json(exclude_none=True)

    @classmethod
    def load(cls, raw: str | None) -> Self:
        try:
            return cls.model_validate_json(raw or "")
        except ValidationError as exc:
            raise StaleActionError(
                "That button belongs to an older version of this message; please start again."
            ) from exc


class ChoiceState(SlackState):
    """A clicked intake choice: which conversation thread and which value."""

    thread: str
    value: str
    label: str = ""
    conversation: int | None = None


class ThreadState(SlackState):
    """Which conversation a select menu (or modal) belongs to; lives in the block_id."""

    thread: str
    conversation: int | None = None


class FeedbackState(SlackState):
    """A 👍/👎 on an answer; answer_ref is the evidence sequence of the answer."""

    answer: str
    vote: Literal["up", "down"]


class AskModalState(SlackState):
    """The Ask modal remembers where it was opened from."""

    origin: Literal["home", "command"] = "home"
    channel: str | None = None
