"""Notices from the domain (governance.notices) as Slack messages: mrkdwn sections and the
buttons whose action ids the approval, review and incident handlers listen for.

Everything a person typed is escaped here (governance hands over plain words), a line about a
person becomes a mention, and so does every id the notice lists in `mentions` (people aims.yaml
gives no name, whom the words name by id), and the tone becomes an icon.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.slack.blocks import (
    MAX_FALLBACK_TEXT,
    MAX_MESSAGE_BLOCKS,
    Block,
    SlackMessage,
    actions,
    button,
    clip,
    sections,
)
from bot.slack.ids import (
    AckIds,
    ApprovalIds,
    FindingIds,
    GatewayIds,
    IncidentIds,
    ReviewIds,
)
from governance.notices import ChoiceAction, Line, Notice, NoticeChoice, Style, Tone
from governance.text import esc

ICONS = {
    Tone.REQUEST: ":inbox_tray:",
    Tone.APPROVED: ":white_check_mark:",
    Tone.CONDITIONS: ":ballot_box_with_check:",
    Tone.CHANGES: ":pencil2:",
    Tone.REJECTED: ":x:",
    Tone.REPLACED: ":hourglass:",
    Tone.REMINDER: ":alarm_clock:",
    Tone.ESCALATION: ":rotating_light:",
}
ACTION_IDS: dict[ChoiceAction, str] = {
    ChoiceAction.APPROVE: ApprovalIds.APPROVE,
    ChoiceAction.APPROVE_WITH_CONDITIONS: ApprovalIds.APPROVE_WITH_CONDITIONS,
    ChoiceAction.REQUEST_CHANGES: ApprovalIds.REQUEST_CHANGES,
    ChoiceAction.REJECT: ApprovalIds.REJECT,
    ChoiceAction.EDIT_AND_RESUBMIT: ApprovalIds.EDIT,
    ChoiceAction.START_REVIEW: ReviewIds.START,
    ChoiceAction.SNOOZE_REVIEW: ReviewIds.SNOOZE,
    ChoiceAction.CLOSE_INCIDENT: IncidentIds.CLOSE,
    ChoiceAction.GET_GATEWAY_KEY: GatewayIds.GET_KEY,
    ChoiceAction.ACKNOWLEDGE: AckIds.CONFIRM,
    ChoiceAction.ASK_ABOUT_POLICY: AckIds.QUESTION,
    ChoiceAction.RESTART_CAMPAIGN: AckIds.RESTART,
    ChoiceAction.COMPLETE_ACTION: FindingIds.COMPLETE,
}


def mentioned(text: str, people: Sequence[str]) -> str:
    """`text` (already escaped) with each of `people`'s bare ids shown as a mention. Only whole
    ids count: one inside a longer word, or already in a mention, stays as it is."""
    for user in people:
        text = re.sub(rf"(?<![\w@]){re.escape(user)}(?!\w)", f"<@{user}>", text)
    return text


def line_mrkdwn(line: Line, people: Sequence[str] = ()) -> str:
    value = f"<@{line.person}>" if line.person else mentioned(esc(line.text), people)
    if line.style is Style.STRONG:
        value = f"*{value}*"
    elif line.style is Style.COMMAND:
        value = f"`{value}`"
    label = mentioned(esc(line.label), people)
    text = f"{label}: {value}" if line.label else value
    if line.style is Style.BULLET:
        return f"• {text}"
    if line.style is Style.QUOTE:
        return f"> {text}"
    return text


def title_mrkdwn(notice: Notice) -> str:
    icon = ICONS.get(notice.tone)
    title = f"*{mentioned(esc(notice.title), notice.mentions)}*"
    return f"{icon} {title}" if icon else title


def notice_mrkdwn(notice: Notice) -> list[str]:
    """The notice as mrkdwn, one piece per section: the title shares the first part's."""
    pieces = [[title_mrkdwn(notice)]]
    for index, part in enumerate(notice.parts):
        lines = [f"*{mentioned(esc(part.heading), notice.mentions)}*"] if part.heading else []
        lines += [line_mrkdwn(line, notice.mentions) for line in part.lines]
        if index == 0:
            pieces[0] += lines
        else:
            pieces.append(lines)
    return ["\n".join(piece) for piece in pieces]


def _block_id(notice: Notice, feature: str) -> str:
    # Approval buttons share one block id (a message holds one set); reviews and incidents
    # name the record, as messages sent before notices did.
    return (
        ApprovalIds.ACTIONS_BLOCK.value if feature == "approval" else f"{feature}:{notice.subject}"
    )


def choice_blocks(notice: Notice) -> list[Block]:
    by_feature: dict[str, list[NoticeChoice]] = {}
    for choice in notice.choices:
        by_feature.setdefault(choice.action.feature, []).append(choice)
    return [
        block
        for feature, choices in by_feature.items()
        for block in actions(
            _block_id(notice, feature),
            [button(c.label, ACTION_IDS[c.action], c.value, c.style) for c in choices],
        )
    ]


def render_notice(notice: Notice) -> SlackMessage:
    """One Slack message: sections for the text (within Slack's limits), then the buttons."""
    pieces = notice_mrkdwn(notice)
    blocks = [block for piece in pieces for block in sections(piece)]
    buttons = choice_blocks(notice)
    blocks = blocks[: MAX_MESSAGE_BLOCKS - len(buttons)] + buttons
    return SlackMessage(text=clip("\n".join(pieces), MAX_FALLBACK_TEXT), blocks=blocks)
