"""The composition root: the one place that picks the concrete services behind the context's
protocols. Every program (the CLI, `aims chat`, `aims run`, the scheduler) builds its context
here; the context type itself lives in governance.context, outside every transport."""

from __future__ import annotations

from pathlib import Path

from governance.context import AppContext, Providers, demo_dir, resolve_config_path
from governance.settings import Settings
from retrieval.runtime import retrieval_providers

__all__ = ["AppContext", "Settings", "build_context", "demo_dir", "resolve_config_path"]


def providers() -> Providers:
    return retrieval_providers()


def build_context(config_path: Path | None = None, settings: Settings | None = None) -> AppContext:
    return AppContext.load(config_path, settings, providers())
