"""Process settings from the environment (prefix AIMS_), plus Slack's own variable names."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AIMS_", extra="ignore")

    config: Path | None = None
    data_dir: Path | None = None
    database_url: str | None = None
    chroma_path: Path | None = None
    chroma_url: str | None = None
    llm: str | None = None
    embedding_model: str | None = None
    port: int = 3000


class SlackSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SLACK_", extra="ignore")

    bot_token: str | None = Field(default=None, repr=False)
    app_token: str | None = Field(default=None, repr=False)
    signing_secret: str | None = Field(default=None, repr=False)
    api_url: str | None = None
    # Hosts a response_url may point at; the error path and replies post nowhere else.
    response_hosts: str = "hooks.slack.com"
