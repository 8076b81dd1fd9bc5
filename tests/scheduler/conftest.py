"""The Slack rig's fixtures, for test_slack.py."""

from tests.support.slack_app import slack_rig, slack_standin

__all__ = ["slack_rig", "slack_standin"]
