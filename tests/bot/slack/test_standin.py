"""The stand-in itself: it really catches calls Slack would refuse."""

from __future__ import annotations

from pathlib import Path

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.support.slack_standin import SlackStandin


def test_calls_outside_slacks_spec_are_refused_and_recorded(
    shared_dir: Path, slack_standin: SlackStandin
) -> None:
    assert slack_standin.spec_checked
    client = WebClient(token="xoxb-1", base_url=slack_standin.api_url)
    with pytest.raises(SlackApiError):
        client.api_call("chat.postMessage", json={"text": "no channel"})
    with pytest.raises(SlackApiError):
        client.api_call("chat.postMessag", json={"channel": "C1"})
    with pytest.raises(SlackApiError):
        client.api_call("chat.postMessage", json={"channel": "C1", "unfurl_links": "maybe"})
    assert [v.split(":")[0] for v in slack_standin.violations] == [
        "chat.postMessage",
        "chat.postMessag",
        "chat.postMessage",
    ]
    assert "required argument 'channel' missing" in slack_standin.violations[0]
    assert "should be boolean" in slack_standin.violations[2]


def test_block_kit_limits_are_enforced(slack_standin: SlackStandin) -> None:
    client = WebClient(token="xoxb-1", base_url=slack_standin.api_url)
    too_many = [{"type": "divider"}] * 51
    long_text = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]
    for blocks in (too_many, long_text):
        with pytest.raises(SlackApiError):
            client.chat_postMessage(channel="C1", text="t", blocks=blocks)
    assert "51 blocks, the limit is 50" in slack_standin.violations[0]
    assert "section text is 3001 characters" in slack_standin.violations[1]
