"""`aims evidence verify | export`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from bot.cli.common import app_context, console, err_console, existing_file, fail
from governance.audit import digests
from governance.errors import AimsError
from store import evidence as ledger
from store import ledger_verify

app = typer.Typer(no_args_is_help=True)


@app.command("verify")
def verify(
    ctx: typer.Context,
    file: Path | None = typer.Option(None, "--file", help="Verify an export offline instead."),
) -> None:
    """Check the ledger: its hash chain, its signed digests against the copy kept outside the
    database, and the signing key; one line per check, exit 2 when it was tampered with."""
    if file is not None:
        _verify_export(existing_file(file))
        return
    context = app_context(ctx)
    try:
        with context.db.session() as session:
            report = digests.verify_ledger(session, context)
    except (AimsError, ValueError) as exc:
        fail(escape(str(exc)))
    console.print(report.describe(), highlight=False, soft_wrap=True, markup=False)
    if not report.ok:
        failed = ", ".join(check.name for check in report.failures())
        fail(f"the evidence ledger does not verify ({failed}: see FAIL above)", code=2)


def _verify_export(file: Path) -> None:
    """An export's hash chain (`aims audit verify` checks a pack's digests and keys too)."""
    try:
        result = ledger_verify.walk_export(file).result
    except ValueError as exc:
        fail(escape(str(exc)))
    if not result.ok:
        fail(escape(result.describe()), code=2)
    console.print(result.describe(), highlight=False, soft_wrap=True)


@app.command("export")
def export(
    ctx: typer.Context, output: Path = typer.Argument(..., help="JSONL file to write.")
) -> None:
    """Sign a digest of the ledger (with a signing key), then write every event as JSON lines
    that `aims evidence verify --file` checks offline."""
    context = app_context(ctx)
    digest = None
    try:
        with context.db.session() as session:
            digest = digests.write_digest(session, context)
    except AimsError as exc:
        err_console.print(
            f"[yellow]warning:[/yellow] no digest signed: {escape(str(exc))}", soft_wrap=True
        )
    with context.db.session() as session:
        count = ledger.export_jsonl(session, output)
    signed = (
        f"; digest {digest['digest']} signs it up to #{digest['last_seq']}"
        if digest
        else "; no signed digest (`aims keys init` makes a signing key)"
    )
    console.print(f"Wrote {count} events to {output}{signed}", highlight=False, soft_wrap=True)
