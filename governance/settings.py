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
    # Kept apart on a shared Chroma server: part of the collection's name (retrieval.index).
    chroma_namespace: str | None = None
    llm: str | None = None
    embedding_model: str | None = None
    port: int = 3000
    # HTTP mode: processes running the work after Slack's acks (0: threads in the serving one;
    # one at most with an embedded index, which is safe in one process only).
    workers: int = 2
