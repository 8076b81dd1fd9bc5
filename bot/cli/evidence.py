"""`aims evidence verify | export`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from bot.cli.common import app_context, console, existing_file, fail
from store import evidence as ledger

app = typer.Typer(no_args_is_help=True)


@app.command("verify")
def verify(
    ctx: typer.Context,
    file: Path | None = typer.Option(None, "--file", help="Verify an export offline instead."),
) -> None:
    """Recompute the hash chain; prints `OK <n> events` or the first broken link."""
    if file is not None:
        try:
            result = ledger.verify(ledger.iter_jsonl(existing_file(file)))
        except ValueError as exc:
            fail(escape(str(exc)))
    else:
        context = app_context(ctx)
        with context.db.session() as session:
            result = ledger.verify(ledger.iter_ledger(session))
    if not result.ok:
        fail(escape(result.describe()), code=2)
    console.print(result.describe(), highlight=False, soft_wrap=True)


@app.command("export")
def export(
    ctx: typer.Context, output: Path = typer.Argument(..., help="JSONL file to write.")
) -> None:
    """Write every event as JSON lines that `aims evidence verify --file` checks offline."""
    context = app_context(ctx)
    with context.db.session() as session:
        count = ledger.export_jsonl(session, output)
    console.print(f"Wrote {count} events to {output}", highlight=False, soft_wrap=True)
