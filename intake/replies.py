"""What the conversation engine says back, independent of transport.

It lives with the conversations (intake/) so the domain never imports a transport:
bot/slack/blocks.py renders a Reply as Block Kit and bot/console.py as plain text.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field


class ReplyKind(StrEnum):
    ANSWER = "answer"  # a policy or tool answer, with citations and feedback buttons
    QUESTION = "question"  # the intake asks for a field
    SUMMARY = "summary"  # the intake's summary, awaiting confirm / edit / cancel
    INFO = "info"
    ERROR = "error"
    # A policy question asked mid-registration; the router answers it in place (text: the
    # question) and the registration's question follows.
    ASIDE = "aside"


class Choice(BaseModel):
    """A fixed answer: a button in Slack, a numbered choice in the terminal."""

    label: str
    value: str
    style: str | None = None  # "primary" | "danger" (Slack button styles)


class ReplyCitation(BaseModel):
    number: int
    title: str
    section: str
    passage: str = ""
    url: str | None = None
    chunk_id: str = ""


class Reply(BaseModel):
    kind: ReplyKind = ReplyKind.INFO
    text: str
    citations: list[ReplyCitation] = Field(default_factory=list)
    choices: list[Choice] = Field(default_factory=list)
    record_refs: list[str] = Field(default_factory=list)
    # Private to the asker (an ephemeral message in Slack).
    ephemeral: bool = False
    # Evidence sequence of the answer, so a 👍/👎 click can point at it.
    answer_ref: str | None = None
    # The conversation this reply belongs to, so a button click can find it again.
    conversation_id: int | None = None


class Inbound(BaseModel):
    """One thing a person said or clicked, from any transport."""

    workspace: str = "local"
    user: str
    text: str = ""
    thread: str = "console"
    channel: str | None = None
    # The value of a clicked choice, when the person clicked rather than typed.
    choice: str | None = None
