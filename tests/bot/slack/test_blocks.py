"""Block Kit builders: Slack's limits hold whatever the router says."""

from __future__ import annotations

import pytest

from bot.slack.blocks import button, render_reply, split_text
from bot.slack.state import ChoiceState
from governance.errors import StaleActionError
from intake.replies import Choice, Reply, ReplyKind
from tests.support.slack_spec import check_blocks


def test_split_text_prefers_paragraphs_then_words_and_never_exceeds_the_limit() -> None:
    text = "alpha " * 300 + "\n\n" + "gamma " * 700
    pieces = split_text(text, 3000)
    assert pieces[0] == ("alpha " * 300).strip()  # the paragraph break, not mid-paragraph
    assert all(len(piece) <= 3000 for piece in pieces)
    assert all(not piece.startswith("amma") for piece in pieces)
    assert split_text("x" * 7000, 3000) == ["x" * 3000, "x" * 3000, "x" * 1000]


def test_escapes_slack_control_characters() -> None:
    [message] = render_reply(Reply(text="Use <b> & don't"), "1.0")
    assert message.blocks[0]["text"]["text"] == "Use &lt;b&gt; &amp; don't"


def test_long_button_values_and_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="2000"):
        button("OK", "aims_choice", "v" * 2001)
    with pytest.raises(ValueError, match="255"):
        button("OK", "a" * 256, "v")


def test_every_rendering_stays_within_limits() -> None:
    reply = Reply(
        kind=ReplyKind.QUESTION,
        text="word " * 40_000,
        choices=[Choice(label="a very long label " * 10, value=str(n)) for n in range(150)],
    )
    messages = render_reply(reply, "1700000000.000100")
    assert len(messages) > 1
    for message in messages:
        assert check_blocks(message.blocks, 50, "test") == []


def test_a_tampered_button_value_is_a_stale_action() -> None:
    with pytest.raises(StaleActionError):
        ChoiceState.load('{"nope": 1}')
