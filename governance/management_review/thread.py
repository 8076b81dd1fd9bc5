"""The management review's thread in Slack: which thread is a review's (from its first message's
outbox row, so a restart forgets none), what a lead types there (`decide: …`,
`action: @owner … by 2026-12-20`), and doing it.

Parsing is a pure function; Slack sends a mention as `<@U123>` (or `<@U123|name>`)."""

from __future__ import annotations

import re
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.config import OrgConfig
from governance.dates import WHEN, due_date
from governance.errors import PermissionDenied
from governance.management_review.models import Act, Decide, Other, ThreadCommand
from governance.management_review.queries import inputs_key
from governance.management_review.service import record_action, record_decision
from governance.reviews import local_today
from store.improvement_models import ManagementReview
from store.models import OutboundMessage

_COMMAND = re.compile(
    r"^\s*(?P<word>decide|decided|decision|action)\s*[:\-–—]\s*(?P<rest>.*)$", re.I | re.S
)
_MENTION = re.compile(r"<@(?P<id>[UW][A-Z0-9]+)(?:\|[^>]*)?>")
# "by 2026-12-20", "due in 14 days", "before 14d" anywhere; or a bare date at the end.
_DUE = re.compile(rf"\b(?:by|due(?:\s+on)?|before|within)\s+(?P<when>{WHEN})\b", re.I)
# At the end without "by", a date, "in 14 days" or "14d": "keep logs for 30 days" is a
# description, not a due date.
_DUE_AT_END = re.compile(
    r"(?:^|\s)(?P<when>\d{4}-\d{1,2}-\d{1,2}|in\s+\d+\s+(?:days?|weeks?)|\d+\s*[dw])"
    r"\s*[.!]?\s*$",
    re.I,
)
_FILLER = re.compile(r"^(?:to|should|will|must)\s+", re.I)
HINT = (
    "In {ref}'s thread I record the review's decisions and actions: “decide: …” or "
    "“action: @owner what to do by 2026-12-20” (or “in 14 days”). Nothing was recorded."
)


def _action(rest: str, today: date) -> Act:
    mention = _MENTION.search(rest)
    owner = mention["id"] if mention else None
    if mention:
        rest = rest[: mention.start()] + " " + rest[mention.end() :]
    due = _DUE.search(rest) or _DUE_AT_END.search(rest)
    due_on = due_date(due["when"], today) if due else None
    if due:
        rest = rest[: due.start()] + " " + rest[due.end() :]
    rest = _MENTION.sub(lambda other: "@" + other["id"], rest)  # anyone else named stays named
    description = _FILLER.sub("", " ".join(rest.split()).strip(" ,;:-–—")).strip()
    return Act(owner=owner, description=description, due_on=due_on)


def parse_thread_message(text: str, today: date) -> ThreadCommand:
    """`decide: …` → Decide; `action: @owner … by DATE` → Act (owner or date None when not
    given: the service refuses, naming them); anything else → Other."""
    found = _COMMAND.match(text)
    if found is None:
        return Other()
    rest = found["rest"].strip()
    if found["word"].lower() == "action":
        return _action(rest, today)
    return Decide(text=rest)


def review_in_thread(session: Session, *, channel: str, thread: str) -> str | None:
    """The review whose first message is `thread` (its ts) in `channel`, if any."""
    refs = session.scalars(select(ManagementReview.ref)).all()
    if not refs:
        return None
    key = session.scalar(
        select(OutboundMessage.dedupe_key).where(
            OutboundMessage.dedupe_key.in_([inputs_key(ref) for ref in refs]),
            OutboundMessage.slack_channel == channel,
            OutboundMessage.slack_ts == thread,
        )
    )
    return key.removeprefix(inputs_key("")) if key else None


def answer_in_thread(
    session: Session, *, config: OrgConfig, ref: str, person: str, text: str, now: datetime
) -> str:
    """Do what a message in the review's thread asks. Returns "" when it was recorded (the note
    in the thread says so), else a hint for the person; refuses anyone but a lead."""
    if not config.is_lead(person):
        raise PermissionDenied(
            f"only a governance lead can record decisions and actions of {ref}; nothing was "
            "recorded"
        )
    command = parse_thread_message(text, local_today(config, now))
    if isinstance(command, Decide):
        record_decision(session, config=config, ref=ref, text=command.text, actor=person, now=now)
        return ""
    if isinstance(command, Act):
        record_action(
            session,
            config=config,
            ref=ref,
            owner=command.owner,
            description=command.description,
            due_on=command.due_on,
            actor=person,
            now=now,
        )
        return ""
    return HINT.format(ref=ref)
