"""Process settings from the environment (prefix AIMS_)."""

from __future__ import annotations

from pathlib import Path

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
