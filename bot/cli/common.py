"""Shared CLI plumbing: the app context from --config, one console, friendly errors."""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console

from bot.context import AppContext, build_context

PERIOD_HELP = (
    "FROM..TO: dates are whole days in the organisation's timezone (TO included), or ISO "
    "times; leave an end out for an open period. Default: the whole ledger."
)

console = Console()
err_console = Console(stderr=True)


def app_context(ctx: typer.Context) -> AppContext:
    root = ctx.find_root()
    if root.obj is None:
        root.obj = build_context(None)
    assert isinstance(root.obj, AppContext)
    return root.obj


def fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def print_json(value: Any) -> None:
    # Plain print: scripts parse this, so no Rich markup or wrapping.
    print(json.dumps(value, ensure_ascii=False, default=str))


def existing_file(path: Path) -> Path:
    if not path.is_file():
        fail(f"{path}: no such file")
    return path


def cli_actor(explicit: str | None) -> str:
    """Who is acting, as evidence records it: `--as`, else the operating-system user."""
    if explicit:
        return explicit
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"
