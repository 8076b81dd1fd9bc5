"""The Slack rig's fixtures, for test_slack.py."""

from tests.support.slack_app import slack_rig, slack_standin  # noqa: F401  (fixtures)
