"""The application context: settings, the organisation's config, the database, and the
services behind protocols (governance.ports). Built once, by the composition root
(bot/context.py), and handed to every transport and to the scheduler; the domain receives it and
never reaches for a transport.

The organisation is found from --config, then AIMS_CONFIG, then ./aims.yaml, then the demo
organisation `aims chat` sets up on a fresh machine (~/.aims-demo, or AIMS_DEMO_DIR); its data
(SQLite file, vector index) lives in `.aims/` beside that file unless AIMS_DATA_DIR says otherwise.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TypeVar, cast

from governance.config import OrgConfig, load_config
from governance.errors import ConfigError
from governance.ports import Answerer, ChatModel, Embedder, VectorIndex
from governance.settings import Settings
from store.db import Database, sqlite_url

T = TypeVar("T")


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


def _unwired(what: str) -> Callable[[AppContext], object]:
    def fail(ctx: AppContext) -> object:
        raise ConfigError(
            f"no {what} is wired into this context (build it with bot.context.build_context)"
        )

    return fail


@dataclass(frozen=True)
class Providers:
    """How each service is made, from the context (lazily: a command that never answers a
    policy question never loads the embedding model)."""

    embedder: Callable[[AppContext], Embedder] = field(default=_unwired("embedder"))  # type: ignore[assignment]
    vector_index: Callable[[AppContext], VectorIndex] = field(default=_unwired("vector index"))  # type: ignore[assignment]
    chat_model: Callable[[AppContext], ChatModel | None] = lambda ctx: None
    answerer: Callable[[AppContext], Answerer] = field(default=_unwired("answerer"))  # type: ignore[assignment]


@dataclass
class AppContext:
    config_path: Path
    settings: Settings
    providers: Providers = field(default_factory=Providers)
    _made: dict[str, object] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, init=False, repr=False)

    @classmethod
    def load(
        cls,
        config_path: Path | None = None,
        settings: Settings | None = None,
        providers: Providers | None = None,
    ) -> AppContext:
        settings = settings or Settings()
        return cls(
            config_path=resolve_config_path(config_path, settings),
            settings=settings,
            providers=providers or Providers(),
        )

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

    # --- services, made once, on first use (threads share them) ----------------------------

    def _service(self, name: str, make: Callable[[AppContext], T]) -> T:
        with self._lock:
            if name not in self._made:
                self._made[name] = make(self)
            return cast(T, self._made[name])

    @property
    def embedder(self) -> Embedder:
        return self._service("embedder", self.providers.embedder)

    @property
    def vector_index(self) -> VectorIndex:
        return self._service("vector_index", self.providers.vector_index)

    @property
    def chat_model(self) -> ChatModel | None:
        return self._service("chat_model", self.providers.chat_model)

    @property
    def answerer(self) -> Answerer:
        return self._service("answerer", self.providers.answerer)
