"""Plain-text rendering of Replies and notices for the terminal, and reading a typed choice back.

Choices are numbered; typing the number (or the label) picks one, exactly as clicking the
button would in Slack.
"""

from __future__ import annotations

import re

from governance.notices import Notice
from intake.replies import Choice, Inbound, Reply, ReplyKind

_MARKUP = re.compile(r"\*([^*\n]+)\*")


def render(reply: Reply) -> str:
    """One reply as plain text: text, numbered choices, numbered citations."""
    lines = [_MARKUP.sub(r"\1", reply.text)]
    if reply.kind is ReplyKind.ERROR:
        lines[0] = f"Sorry: {lines[0]}"
    for index, choice in enumerate(reply.choices, start=1):
        lines.append(f"  {index}. {choice.label}")
    if reply.citations:
        lines.append("Sources:")
        lines += [
            f"  [{c.number}] {c.title} › {c.section}" + (f" <{c.url}>" if c.url else "")
            for c in reply.citations
        ]
    return "\n".join(lines)


def render_notice(notice: Notice) -> str:
    """A governance notice as the terminal shows it: its plain text, then its choices, numbered
    (the same notice bot/slack renders as Block Kit)."""
    lines = [notice.as_text()]
    lines += [f"  {index}. {choice.label}" for index, choice in enumerate(notice.choices, start=1)]
    return "\n".join(lines)


def render_all(replies: list[Reply]) -> str:
    return "\n\n".join(render(reply) for reply in replies)


def pick_choice(text: str, offered: list[Choice]) -> str | None:
    """The value of the offered choice the person typed (its number or exact label)."""
    typed = text.strip().rstrip(".").lower()
    if not offered or not typed:
        return None
    if typed.isdigit() and 1 <= int(typed) <= len(offered):
        return offered[int(typed) - 1].value
    for choice in offered:
        if typed == choice.label.lower():
            return choice.value
    return None


def to_inbound(
    text: str,
    offered: list[Choice],
    *,
    user: str,
    workspace: str = "local",
    thread: str = "console",
) -> Inbound:
    """What a typed line means: a click when it names an offered choice, else a message."""
    choice = pick_choice(text, offered)
    # A typed list like "1, 3" stays text; the intake reads numbers against its own choices.
    return Inbound(workspace=workspace, user=user, thread=thread, text=text, choice=choice)
