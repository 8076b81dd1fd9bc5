"""The `aims` CLI and the Slack rig, for the gateway's CLI and Slack tests."""

from tests.support.cli import org_file, run_cli
from tests.support.slack_app import slack_rig, slack_standin

__all__ = ["org_file", "run_cli", "slack_rig", "slack_standin"]
