"""Start-up refuses missing or malformed tokens, naming the variable and where to get it."""

from __future__ import annotations

import pytest

from bot.settings import SlackSettings
from bot.slack.config import load_slack_config
from governance.errors import ConfigError

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


@pytest.mark.parametrize(
    ("settings", "variable", "hint"),
    [
        (SlackSettings(), "SLACK_BOT_TOKEN", "OAuth & Permissions"),
        (
            SlackSettings(bot_token="xoxp-user-token", signing_secret=SECRET),
            "SLACK_BOT_TOKEN",
            "xoxb-",
        ),
        (SlackSettings(bot_token="xoxb-1-2"), "SLACK_SIGNING_SECRET", "Basic Information"),
        (SlackSettings(bot_token="xoxb-1-2", signing_secret="short"), "SLACK_SIGNING_SECRET", "16"),
        (
            SlackSettings(bot_token="xoxb-1-2", app_token="xoxb-wrong"),
            "SLACK_APP_TOKEN",
            "connections:write",
        ),
    ],
)
def test_bad_settings_name_the_variable_and_how_to_get_it(
    settings: SlackSettings, variable: str, hint: str
) -> None:
    with pytest.raises(ConfigError, match=variable) as failure:
        load_slack_config(settings)
    assert hint in str(failure.value)


def test_an_app_token_means_socket_mode_without_a_signing_secret() -> None:
    config = load_slack_config(SlackSettings(bot_token="xoxb-1-2", app_token="xapp-1-A-3"))
    assert config.socket_mode and config.signing_secret is None
    assert config.base_url == "https://slack.com/api/"


def test_http_mode_and_a_slack_compatible_server() -> None:
    config = load_slack_config(
        SlackSettings(
            bot_token="xoxb-1-2", signing_secret=SECRET, api_url="http://127.0.0.1:4003/api"
        )
    )
    assert not config.socket_mode and config.base_url == "http://127.0.0.1:4003/api/"
