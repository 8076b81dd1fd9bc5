"""Assemble what a command or the bot needs: settings, the organisation's config, the database.

The organisation is found from --config, then AIMS_CONFIG, then ./aims.yaml, then the demo
organisation `aims chat` sets up on a fresh machine (~/.aims-demo, or AIMS_DEMO_DIR); its data
(SQLite file, vector index) lives in `.aims/` beside that file unless AIMS_DATA_DIR says otherwise.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from bot.settings import Settings
from governance.config import OrgConfig, load_config
from store.db import Database, sqlite_url


def demo_dir() -> Path:
    return Path(os.environ.get("AIMS_DEMO_DIR") or Path.home() / ".aims-demo")


def resolve_config_path(explicit: Path | None, settings: Settings) -> Path:
    if explicit is not None:
        return explicit
    if settings.config is not None:
        return settings.config
    here = Path.cwd() / "aims.yaml"
    demo = demo_dir() / "aims.yaml"
    # Only when nothing else names an organisation, so a real one is never shadowed.
    return demo if not here.exists() and demo.exists() else here


@dataclass
class AppContext:
    config_path: Path
    settings: Settings
    extras: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, config_path: Path | None = None, settings: Settings | None = None) -> AppContext:
        settings = settings or Settings()
        return cls(config_path=resolve_config_path(config_path, settings), settings=settings)

    @cached_property
    def config(self) -> OrgConfig:
        return load_config(self.config_path)

    @property
    def base_dir(self) -> Path:
        return self.config_path.resolve().parent

    @cached_property
    def data_dir(self) -> Path:
        path = self.settings.data_dir or self.base_dir / ".aims"
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def database_url(self) -> str:
        return self.settings.database_url or sqlite_url(self.data_dir / "aims.db")

    @cached_property
    def db(self) -> Database:
        database = Database(self.database_url)
        database.ensure_schema()
        return database

    @property
    def chroma_path(self) -> Path:
        return self.settings.chroma_path or self.data_dir / "chroma"

    def policy_paths(self) -> list[Path]:
        return [(self.base_dir / source).resolve() for source in self.config.policy_sources]
