"""Notices: what the domain wants someone told, as typed data that names no transport.

A service describes what happened (a tone, a one-line title, a few parts of plain lines and
labelled facts, about which record) and the choices the reader has, and queues the notice
through the outbox in its own transaction (`governance.outbox.notify`). `bot/slack/notices.py`
renders it as Block Kit with the action ids its click handlers listen for; `as_text` and the
terminal render it as plain text. Nothing here is markup: no mrkdwn, no emoji codes, no Slack
ids; a person is named by id and display name (a `person` line, or an id listed in
`mentions` when there is no name), and the transport decides how to show them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from store.outbox_kinds import OutboxKind


class Tone(StrEnum):
    """What kind of news a notice is; a transport may show it as an icon."""

    NEWS = "news"
    ASK = "ask"  # someone is asked to act
    REQUEST = "request"
    APPROVED = "approved"
    CONDITIONS = "conditions"
    CHANGES = "changes"
    REJECTED = "rejected"
    REPLACED = "replaced"
    REMINDER = "reminder"
    ESCALATION = "escalation"


class Style(StrEnum):
    PLAIN = "plain"
    STRONG = "strong"  # the value is the point (a tier, a status)
    BULLET = "bullet"
    QUOTE = "quote"  # someone's own words
    COMMAND = "command"  # something to type in a terminal


class Line(BaseModel):
    """One line: plain words, optionally a labelled fact ("Risk tier: high"). A line about a
    person carries their id (`person`) and display name (`text`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str = ""
    label: str = ""
    style: Style = Style.PLAIN
    person: str | None = None


class Part(BaseModel):
    """A paragraph: an optional heading and its lines."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    heading: str = ""
    lines: list[Line] = Field(default_factory=list)


class ChoiceAction(StrEnum):
    """What a choice does when taken; each transport maps these to its own ids."""

    APPROVE = "approval.approve"
    APPROVE_WITH_CONDITIONS = "approval.approve_with_conditions"
    REQUEST_CHANGES = "approval.request_changes"
    REJECT = "approval.reject"
    EDIT_AND_RESUBMIT = "approval.edit"
    START_REVIEW = "review.start"
    SNOOZE_REVIEW = "review.snooze"
    CLOSE_INCIDENT = "incident.close"
    GET_GATEWAY_KEY = "gateway.key"  # value: the record's ref
    ACKNOWLEDGE = "ack.confirm"  # value: an acknowledgements.models.AckChoice
    ASK_ABOUT_POLICY = "ack.ask"  # value: an AckChoice
    RESTART_CAMPAIGN = "ack.restart"  # value: the campaign's ref
    COMPLETE_ACTION = "finding.complete"  # value: the corrective action's ref

    @property
    def feature(self) -> str:
        """approval, review, incident, gateway or ack: the feature whose handler takes it."""
        return self.value.split(".", 1)[0]


class NoticeChoice(BaseModel):
    """A choice offered with a notice; `value` is the state the choice carries back (a pydantic
    model dumped to JSON, or a bare ref)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    action: ChoiceAction
    label: str
    value: str
    style: Literal["primary", "danger"] | None = None


class Notice(BaseModel):
    """What happened, to whom it matters (the outbox row says who), about which record."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: OutboxKind  # what the message is (store.outbox_kinds)
    subject: str  # the record or incident it is about
    tone: Tone = Tone.NEWS
    title: str
    parts: list[Part] = Field(default_factory=list)
    choices: list[NoticeChoice] = Field(default_factory=list)
    # People the words name by their id, because aims.yaml gives no name for them: a transport
    # that can mention people shows each of these ids as a mention; plain text keeps the id.
    mentions: list[str] = Field(default_factory=list)

    def as_text(self) -> str:
        """Plain text: the title, then every part (what the outbox keeps as the row's text)."""
        lines = [self.title]
        for part in self.parts:
            if part.heading:
                lines.append(part.heading)
            lines += [line_text(line) for line in part.lines]
        return "\n".join(lines)


def line_text(line: Line) -> str:
    text = f"{line.label}: {line.text}" if line.label else line.text
    if line.style is Style.BULLET:
        return f"• {text}"
    if line.style is Style.QUOTE:
        return f"“{text}”"
    return text


def bullets(items: list[str]) -> list[Line]:
    return [Line(text=item, style=Style.BULLET) for item in items]


def fact(label: str, text: str, *, strong: bool = False) -> Line:
    return Line(label=label, text=text, style=Style.STRONG if strong else Style.PLAIN)


def person(label: str, user: str, name: str) -> Line:
    """A fact naming a person: `name` for plain text, `user` for a transport that mentions."""
    return Line(label=label, text=name, person=user)
