"""Which mode to run in, and start-up checks that name the variable to fix and where to get it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.settings import SlackSettings
from governance.errors import ConfigError

_WHERE = {
    "SLACK_BOT_TOKEN": "the Bot User OAuth Token (xoxb-…) under OAuth & Permissions after "
    "installing the app to your workspace",
    "SLACK_APP_TOKEN": "an app-level token (xapp-…) with the connections:write scope, under "
    "Basic Information › App-Level Tokens",
    "SLACK_SIGNING_SECRET": "the Signing Secret under Basic Information › App Credentials",
}
_SHAPES = {
    "SLACK_BOT_TOKEN": re.compile(r"^xoxb-[A-Za-z0-9-]+$"),
    "SLACK_APP_TOKEN": re.compile(r"^xapp-[A-Za-z0-9-]+$"),
    "SLACK_SIGNING_SECRET": re.compile(r"^[A-Za-z0-9]{16,}$"),
}
_EXPECTED = {
    "SLACK_BOT_TOKEN": "starts with xoxb-",
    "SLACK_APP_TOKEN": "starts with xapp-",
    "SLACK_SIGNING_SECRET": "is at least 16 letters and digits",
}


@dataclass(frozen=True)
class SlackConfig:
    bot_token: str
    signing_secret: str | None
    app_token: str | None
    api_url: str | None

    @property
    def socket_mode(self) -> bool:
        return self.app_token is not None

    @property
    def base_url(self) -> str:
        """The Web API root slack_sdk expects: https://…/api/ (trailing slash)."""
        url = self.api_url or "https://slack.com/api/"
        return url if url.endswith("/") else url + "/"


def _check(name: str, value: str | None) -> str:
    if not value:
        raise ConfigError(f"{name} is not set. Set it to {_WHERE[name]} (see docs/slack.md).")
    if not _SHAPES[name].match(value.strip()):
        raise ConfigError(
            f"{name} looks malformed: it should be {_WHERE[name]}, which {_EXPECTED[name]}."
        )
    return value.strip()


def load_slack_config(settings: SlackSettings | None = None) -> SlackConfig:
    """Socket Mode when SLACK_APP_TOKEN is set (no signing secret needed), HTTP mode otherwise."""
    settings = settings or SlackSettings()
    bot_token = _check("SLACK_BOT_TOKEN", settings.bot_token)
    if settings.app_token:
        app_token = _check("SLACK_APP_TOKEN", settings.app_token)
        secret = settings.signing_secret.strip() if settings.signing_secret else None
        return SlackConfig(bot_token, secret, app_token, settings.api_url)
    secret = _check("SLACK_SIGNING_SECRET", settings.signing_secret)
    return SlackConfig(bot_token, secret, None, settings.api_url)
