"""A governance notice, rendered: in Slack with escaped words, mentions, an icon and the buttons
the handlers listen for; in the terminal as plain text with numbered choices."""

from __future__ import annotations

from bot.console import render_notice as terminal
from bot.slack.ids import ApprovalIds, IncidentIds
from bot.slack.notices import render_notice
from governance.notices import (
    ChoiceAction,
    Line,
    Notice,
    NoticeChoice,
    Part,
    Style,
    Tone,
    fact,
    person,
)

NOTICE = Notice(
    kind="incident.reported",
    subject="INC-0001",
    tone=Tone.ESCALATION,
    title="New AI incident INC-0001 (high) about AIU-0001 \u201cClaims & triage\u201d",
    parts=[
        Part(
            lines=[
                person("Reported by", "U0ACME0012", "Oliver Grant"),
                Line(
                    text="It posted <!channel> and a <https://evil.example|link>", style=Style.QUOTE
                ),
                fact("Severity", "high", strong=True),
            ]
        ),
        Part(
            heading="Next", lines=[Line(text="aims incident close INC-0001", style=Style.COMMAND)]
        ),
    ],
    choices=[
        NoticeChoice(action=ChoiceAction.CLOSE_INCIDENT, label="Close incident", value="INC-0001")
    ],
)


def test_slack_escapes_what_people_typed_mentions_people_and_adds_the_buttons() -> None:
    message = render_notice(NOTICE)
    first, second, buttons = message.blocks
    text = first["text"]["text"]
    assert text.startswith(":rotating_light: *New AI incident INC-0001 (high)")
    assert "Claims &amp; triage" in text and "Reported by: <@U0ACME0012>" in text
    assert "> It posted &lt;!channel&gt; and a &lt;https://evil.example|link&gt;" in text
    assert "Severity: *high*" in text
    assert second["text"]["text"] == "*Next*\n`aims incident close INC-0001`"
    assert buttons["block_id"] == "incident:INC-0001"
    [button] = buttons["elements"]
    assert (button["action_id"], button["value"]) == (IncidentIds.CLOSE, "INC-0001")
    assert "<!channel>" not in message.text and "Reported by: <@U0ACME0012>" in message.text


def test_every_choice_has_an_action_id_a_handler_listens_for() -> None:
    from bot.slack.notices import ACTION_IDS

    assert set(ACTION_IDS) == set(ChoiceAction)
    approve = Notice(
        kind="approval.dm",
        subject="AIU-0001",
        title="Your approval is needed",
        choices=[NoticeChoice(action=ChoiceAction.APPROVE, label="Approve", value="{}")],
    )
    [_, actions] = render_notice(approve).blocks
    assert actions["block_id"] == ApprovalIds.ACTIONS_BLOCK
    assert actions["elements"][0]["action_id"] == ApprovalIds.APPROVE


def test_the_terminal_shows_the_same_notice_as_plain_text_with_numbered_choices() -> None:
    shown = terminal(NOTICE)
    assert shown.splitlines()[0] == NOTICE.title
    assert "Reported by: Oliver Grant" in shown  # a name, not a Slack mention
    assert "\u201cIt posted <!channel> and a <https://evil.example|link>\u201d" in shown
    assert shown.endswith("  1. Close incident")
    assert "*" not in shown and ":rotating_light:" not in shown
