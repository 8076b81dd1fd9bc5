"""`aims register list | show | export | import`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from bot.cli.common import app_context, console, existing_file, fail, print_json
from governance import register as register_service
from governance import tier_override
from governance.errors import AimsError, NotFoundError, ValidationProblem
from governance.models import RiskTier
from governance.register_io import FORMATS, format_for, import_rows, read_rows, write_export

app = typer.Typer(no_args_is_help=True)


@app.command("list")
def list_records(
    ctx: typer.Context,
    status: str | None = typer.Option(None, help="Only records in this status."),
    as_json: bool = typer.Option(False, "--json", help="One JSON list, for scripts."),
) -> None:
    """The register, one line a record."""
    context = app_context(ctx)
    with context.db.session() as session:
        records = register_service.list_records(session, status=status)
        rows = [register_service.snapshot(record) for record in records]
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("The register is empty. Register an AI use with `aims chat` or in Slack.")
        return
    table = Table("ID", "Title", "Tier", "Status", "Owner", "Next review", "v")
    for row in rows:
        table.add_row(
            row["ref"],
            row["title"],
            row["risk_tier"] or "-",
            row["status"],
            context.config.display_name(row["owner"]) if row["owner"] else "-",
            row["next_review"] or "-",
            str(row["version"]),
        )
    console.print(table)


@app.command("show")
def show(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="The record id, like AIU-0007."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """One record with its version history."""
    from bot.render_record import record_detail

    context = app_context(ctx)
    try:
        with context.db.session() as session:
            record = register_service.get_record(session, ref)
            detail = record_detail(session, record, context.config)
    except NotFoundError as exc:
        fail(escape(str(exc)))
    if as_json:
        print_json(detail.model_dump(mode="json"))
        return
    console.print(detail.as_text(), highlight=False)


@app.command("export")
def export(
    ctx: typer.Context,
    output: Path = typer.Argument(..., help="File to write."),
    fmt: str | None = typer.Option(
        None, "--format", "-f", help="csv, json or xlsx (default: from the file name, else csv)."
    ),
) -> None:
    """Write the whole register to a file."""
    chosen = format_for(output, fmt)
    if chosen not in FORMATS:
        fail(f"unknown format {chosen!r}; use one of {', '.join(FORMATS)}")
    context = app_context(ctx)
    with context.db.session() as session:
        count = write_export(register_service.list_records(session), output, chosen)
    console.print(f"Wrote {count} records to {output} ({chosen})", highlight=False, soft_wrap=True)


@app.command("import")
def import_(
    ctx: typer.Context,
    source: Path = typer.Argument(..., help="A .csv, .json or .xlsx file in the export's format."),
    skip_invalid: bool = typer.Option(
        False, "--skip-invalid", help="Import the valid rows anyway."
    ),
    actor: str = typer.Option("cli", "--as", help="Who is importing (recorded as evidence)."),
) -> None:
    """Import records; nothing is imported if any row is invalid (unless --skip-invalid)."""
    context = app_context(ctx)
    try:
        rows = read_rows(existing_file(source))
    except ValidationProblem as exc:
        fail(escape(str(exc)))
    # A JSON list has no header row: its first record is record 1.
    first_row = 1 if source.suffix.lower() == ".json" else 2
    with context.db.session() as session:
        result = import_rows(
            session,
            rows=rows,
            actor=actor,
            source=source.name,
            skip_invalid=skip_invalid,
            first_row=first_row,
        )
    for problem in result.problems:
        console.print(
            f"[yellow]{escape(source.name)}: {escape(str(problem))}[/yellow]",
            highlight=False,
            soft_wrap=True,
        )
    if result.problems and not skip_invalid:
        fail(
            f"nothing imported: {len(result.problems)} problem(s) in {escape(source.name)}. "
            "Fix them, or pass --skip-invalid to import the valid rows."
        )
    skipped = f"; skipped {len(result.problems)} problem(s)" if result.problems else ""
    console.print(
        f"Imported {len(result.imported)} records"
        + (f" ({', '.join(result.imported)})" if result.imported else "")
        + skipped,
        highlight=False,
        soft_wrap=True,
    )


@app.command("override-tier")
def override_tier(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="The record id, like AIU-0007."),
    tier: RiskTier = typer.Option(..., "--tier", help="The tier the record should have."),
    justification: str = typer.Option(..., "--justification", "-j", help="Why, in writing."),
    actor: str = typer.Option(..., "--as", help="Your Slack id (a governance lead)."),
) -> None:
    """A governance lead overrides the computed risk tier, with a written justification."""
    context = app_context(ctx)
    with context.db.session() as session:
        record = register_service.get_record(session, ref)
        previous = record.risk_tier or "none"
        try:
            tier_override.override_tier(
                session,
                record=record,
                tier=tier,
                justification=justification,
                actor=actor,
                config=context.config,
            )
        except AimsError as exc:
            fail(str(exc))
        version = record.version
    console.print(
        f"{ref.upper()}: risk tier {previous} → {tier.value} (v{version}), "
        "justification recorded as evidence.",
        highlight=False,
    )
