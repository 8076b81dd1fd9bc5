"""Which mode to run in, and start-up checks that name the variable to fix and where to get it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

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


DEFAULT_RESPONSE_HOSTS = ("hooks.slack.com",)
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class SlackConfig:
    bot_token: str
    signing_secret: str | None
    app_token: str | None
    api_url: str | None
    response_hosts: tuple[str, ...] = DEFAULT_RESPONSE_HOSTS

    @property
    def socket_mode(self) -> bool:
        return self.app_token is not None

    @property
    def base_url(self) -> str:
        """The Web API root slack_sdk expects: https://…/api/ (trailing slash)."""
        url = self.api_url or "https://slack.com/api/"
        return url if url.endswith("/") else url + "/"

    def allows_response_url(self, url: str | None) -> bool:
        """Only Slack's own hosts (SLACK_RESPONSE_HOSTS) over https; plain http only on
        loopback, where the local stand-in runs. A payload cannot send us anywhere else."""
        if not url:
            return False
        parsed = urlsplit(url)
        host = (parsed.hostname or "").lower()
        if host not in self.response_hosts:
            return False
        return parsed.scheme == "https" or (parsed.scheme == "http" and host in LOOPBACK)


def _check(name: str, value: str | None) -> str:
    if not value:
        raise ConfigError(f"{name} is not set. Set it to {_WHERE[name]} (see docs/slack.md).")
    if not _SHAPES[name].match(value.strip()):
        raise ConfigError(
            f"{name} looks malformed: it should be {_WHERE[name]}, which {_EXPECTED[name]}."
        )
    return value.strip()


def _hosts(raw: str) -> tuple[str, ...]:
    hosts = tuple(host.strip().lower() for host in raw.split(",") if host.strip())
    return hosts or DEFAULT_RESPONSE_HOSTS


def load_slack_config(settings: SlackSettings | None = None) -> SlackConfig:
    """Socket Mode when SLACK_APP_TOKEN is set (no signing secret needed), HTTP mode otherwise."""
    settings = settings or SlackSettings()
    bot_token = _check("SLACK_BOT_TOKEN", settings.bot_token)
    hosts = _hosts(settings.response_hosts)
    if settings.app_token:
        app_token = _check("SLACK_APP_TOKEN", settings.app_token)
        secret = settings.signing_secret.strip() if settings.signing_secret else None
        return SlackConfig(bot_token, secret, app_token, settings.api_url, hosts)
    secret = _check("SLACK_SIGNING_SECRET", settings.signing_secret)
    return SlackConfig(bot_token, secret, None, settings.api_url, hosts)
