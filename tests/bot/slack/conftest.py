"""Slack fixtures: the stand-in, the rig, and a scripted router for transport-level tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.context import AppContext
from tests.bot.slack.scripted import ScriptedRouter
from tests.support.slack_app import SlackRig, slack_rig, slack_standin, start_slack_rig
from tests.support.slack_standin import SlackStandin

__all__ = ["slack_rig", "slack_standin"]


@pytest.fixture
def scripted() -> ScriptedRouter:
    return ScriptedRouter()


@pytest.fixture
def scripted_rig(
    app_context: AppContext, slack_standin: SlackStandin, scripted: ScriptedRouter
) -> Iterator[SlackRig]:
    """The real app over HTTP, with a router whose replies each test scripts."""
    with start_slack_rig(
        app_context, router_factory=lambda ctx: scripted, standin=slack_standin
    ) as rig:
        yield rig
