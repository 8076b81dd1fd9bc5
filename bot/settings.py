"""Slack's own variable names (SLACK_*); the AIMS_ settings are governance.settings."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from governance.settings import Settings

__all__ = ["Settings", "SlackSettings"]


class SlackSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SLACK_", extra="ignore")

    bot_token: str | None = Field(default=None, repr=False)
    app_token: str | None = Field(default=None, repr=False)
    signing_secret: str | None = Field(default=None, repr=False)
    api_url: str | None = None
    # Hosts a response_url may point at; the error path and replies post nowhere else.
    response_hosts: str = "hooks.slack.com"
