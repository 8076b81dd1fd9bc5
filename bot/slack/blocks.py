"""Block Kit builders that respect Slack's limits, and the renderer for router Replies.

Limits (https://api.slack.com/reference/block-kit): 50 blocks per message, 100 per view,
3,000 characters of section text, 2,000 per button value, 255 per action/block/callback id,
75 per button label, 25 elements per actions block, 100 options per select (value ≤ 150).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.slack.ids import ActionId, BlockId, FeedbackIds
from bot.slack.state import ChoiceState, FeedbackState, ThreadState
from governance.text import esc  # the one mrkdwn escape, shared with governance's messages
from intake.replies import Choice, Reply, ReplyCitation, ReplyKind

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_BUTTON_VALUE = 2000
MAX_ID = 255
MAX_PLAIN_LABEL = 75
MAX_ACTION_ELEMENTS = 25
MAX_SELECT_OPTIONS = 100
MAX_OPTION_VALUE = 150
MAX_FALLBACK_TEXT = 3000
MAX_BUTTONS_BEFORE_SELECT = 5
MAX_FEEDBACK_BUTTONS = 3  # "Give feedback" buttons under an answer naming records

Block = dict[str, Any]


@dataclass
class SlackMessage:
    """One chat message: fallback text, blocks (≤ 50) and whether only the asker sees it."""

    text: str
    blocks: list[Block] = field(default_factory=list)
    ephemeral: bool = False


def split_text(text: str, limit: int = MAX_SECTION_TEXT) -> list[str]:
    """Split at paragraph, line or word boundaries so every piece fits in `limit` characters."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = max(window.rfind("\n\n"), window.rfind("\n"))
        if cut < limit // 2:
            cut = window.rfind(" ")
        if cut <= 0:  # one word longer than the limit: cut it
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def check_id(value: str) -> str:
    if not value or len(value) > MAX_ID:
        raise ValueError(f"Slack ids are 1–{MAX_ID} characters; got {len(value)}")
    return value


def plain(text: str, limit: int = MAX_PLAIN_LABEL) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit), "emoji": True}


def option(value: str, label: str) -> Block:
    """One choice of a select or radio group (Slack: a label up to 75, a value up to 150)."""
    return {"text": plain(label), "value": value[:150]}


def input_block(
    block_id: str,
    label: str,
    element: Block,
    action_id: str,
    *,
    optional: bool = False,
    hint: str = "",
) -> Block:
    """A form's input: its block id says which answer it is, `action_id` how the form reads it."""
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": plain(label, 2000),
        "element": {**element, "action_id": action_id},
    }
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def sections(text: str) -> list[Block]:
    """One or more section blocks holding `text` (already mrkdwn), split within the limit."""
    return [{"type": "section", "text": mrkdwn(piece)} for piece in split_text(text)]


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, 150)}


def context(text: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(clip(text, MAX_SECTION_TEXT))]}


def divider() -> Block:
    return {"type": "divider"}


def button(label: str, action_id: str, value: str, style: str | None = None) -> Block:
    if len(value) > MAX_BUTTON_VALUE:
        raise ValueError(
            f"button value is {len(value)} characters; Slack allows {MAX_BUTTON_VALUE}"
        )
    element: Block = {
        "type": "button",
        "text": plain(label),
        "action_id": check_id(action_id),
        "value": value,
    }
    if style in ("primary", "danger"):
        element["style"] = style
    return element


def actions(block_id: str, elements: list[Block]) -> list[Block]:
    """Actions blocks of at most 25 elements each (block ids stay unique)."""
    chunks = [
        elements[i : i + MAX_ACTION_ELEMENTS] for i in range(0, len(elements), MAX_ACTION_ELEMENTS)
    ]
    return [
        {
            "type": "actions",
            "block_id": check_id(block_id if n == 0 else f"{block_id}:{n}"),
            "elements": chunk,
        }
        for n, chunk in enumerate(chunks)
    ]


def choice_blocks(choices: list[Choice], thread: str, conversation: int | None) -> list[Block]:
    """Buttons for a few fixed answers, a select menu for many."""
    if len(choices) <= MAX_BUTTONS_BEFORE_SELECT:
        buttons = [
            button(
                choice.label,
                ActionId.CHOICE.numbered(index),
                ChoiceState(
                    thread=thread, value=choice.value, label=choice.label, conversation=conversation
                ).dump(),
                choice.style,
            )
            for index, choice in enumerate(choices)
        ]
        return actions(BlockId.CHOICES, buttons)
    options = [
        {"text": plain(choice.label), "value": choice.value[:MAX_OPTION_VALUE]}
        for choice in choices[:MAX_SELECT_OPTIONS]
    ]
    select = {
        "type": "static_select",
        "action_id": ActionId.CHOICE.value,
        "placeholder": plain("Choose…"),
        "options": options,
    }
    block_id = ThreadState(thread=thread, conversation=conversation).dump()
    return [{"type": "actions", "block_id": check_id(block_id), "elements": [select]}]


def citation_line(citation: ReplyCitation) -> str:
    name = esc(f"{citation.title} › {citation.section}" if citation.section else citation.title)
    if citation.url:
        name = f"<{citation.url}|{name.replace('|', '¦')}>"
    return f"{citation.number}. {name}"


def sources_blocks(citations: list[ReplyCitation]) -> list[Block]:
    lines = "\n".join(citation_line(c) for c in sorted(citations, key=lambda c: c.number))
    return [divider(), *sections(f"*Sources*\n{lines}")]


def feedback_blocks(answer_ref: str) -> list[Block]:
    return actions(
        BlockId.FEEDBACK,
        [
            button(
                "👍 Helpful",
                ActionId.FEEDBACK_UP,
                FeedbackState(answer=answer_ref, vote="up").dump(),
            ),
            button(
                "👎 Not helpful",
                ActionId.FEEDBACK_DOWN,
                FeedbackState(answer=answer_ref, vote="down").dump(),
            ),
        ],
    )


def give_feedback_blocks(refs: list[str]) -> list[Block]:
    """Under an answer that names register records: a "Give feedback" button per record (the
    first few), for anyone it affects to tell its owner what concerns them (bot.slack.feedback)."""
    return actions(
        FeedbackIds.GIVE,
        [
            button(
                f"Give feedback on {ref}",
                FeedbackIds.GIVE if n == 0 else f"{FeedbackIds.GIVE.value}:{n}",
                ref,
            )
            for n, ref in enumerate(refs[:MAX_FEEDBACK_BUTTONS])
        ],
    )


def reply_blocks(reply: Reply, thread: str) -> list[Block]:
    """All blocks for one Reply, in reading order (may exceed one message; see render_reply)."""
    body = esc(reply.text)
    if reply.kind is ReplyKind.ERROR:
        body = f":warning: {body}"
    blocks = sections(body) if body.strip() else []
    if reply.record_refs:
        blocks.append(context("Records: " + ", ".join(esc(r) for r in reply.record_refs)))
    if reply.citations:
        blocks += sources_blocks(reply.citations)
    if reply.kind is ReplyKind.ANSWER and reply.answer_ref:
        blocks += feedback_blocks(reply.answer_ref)
    if reply.kind is ReplyKind.ANSWER and reply.record_refs:
        blocks += give_feedback_blocks(reply.record_refs)
    if reply.choices:
        blocks += choice_blocks(reply.choices, thread, reply.conversation_id)
    return blocks


def render_reply(reply: Reply, thread: str) -> list[SlackMessage]:
    """One Reply as one or more messages of at most 50 blocks; buttons stay on the last one."""
    blocks = reply_blocks(reply, thread)
    chunks = [blocks[i : i + MAX_MESSAGE_BLOCKS] for i in range(0, len(blocks), MAX_MESSAGE_BLOCKS)]
    text = clip(reply.text, MAX_FALLBACK_TEXT) or "…"
    return [
        SlackMessage(text=text, blocks=chunk, ephemeral=reply.ephemeral) for chunk in chunks or [[]]
    ]


def render_replies(replies: list[Reply], thread: str) -> list[SlackMessage]:
    return [message for reply in replies for message in render_reply(reply, thread)]


def replace_block(blocks: list[Block], block_id: str, replacement: Block) -> list[Block]:
    """The message's blocks with one block swapped (e.g. buttons for "✓ chosen")."""
    return [replacement if block.get("block_id") == block_id else block for block in blocks]


def fit_view(blocks: list[Block], note: str) -> list[Block]:
    """At most 100 blocks in a view; when cut, the last block says so."""
    if len(blocks) <= MAX_VIEW_BLOCKS:
        return blocks
    return [*blocks[: MAX_VIEW_BLOCKS - 1], context(note)]
