"""The app manifest validates against Slack's published schema and matches what the bot does."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
import yaml

from bot.slack.ids import Command

MANIFEST = Path(__file__).resolve().parents[3] / "bot" / "slack" / "manifest.yml"


def manifest() -> dict:
    return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))


@pytest.mark.parametrize("version", ["1.0.0", "2.0.0"])
def test_manifest_validates_against_slacks_schema(shared_dir: Path, version: str) -> None:
    import json

    schema = json.loads(
        (shared_dir / "slack-specs" / f"manifest.schema.{version}.json").read_text()
    )
    jsonschema.validate(manifest(), schema)


def test_manifest_declares_every_command_event_and_surface_the_bot_handles() -> None:
    app = manifest()
    assert {c["command"] for c in app["features"]["slash_commands"]} == {c.value for c in Command}
    assert set(app["settings"]["event_subscriptions"]["bot_events"]) >= {
        "app_home_opened",
        "app_mention",
        "message.im",
    }
    assert app["features"]["app_home"]["home_tab_enabled"] is True
    assert app["settings"]["interactivity"]["is_enabled"] is True
    assert app["settings"]["socket_mode_enabled"] is True
    assert {"chat:write", "commands", "im:write", "files:write"} <= set(
        app["oauth_config"]["scopes"]["bot"]
    )
