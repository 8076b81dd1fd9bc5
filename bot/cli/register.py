"""`aims register list | show | export | import`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from bot.cli.common import (
    app_context,
    cli_actor,
    console,
    existing_file,
    fail,
    optional_person_option,
    person_option,
    print_json,
)
from governance import register as register_service
from governance import tier_override
from governance.config import OrgConfig
from governance.errors import AimsError, NotFoundError, ValidationProblem
from governance.models import RecordStatus, RiskTier
from governance.register_io import (
    FORMATS,
    ImportResult,
    format_for,
    import_rows,
    read_rows,
    write_export,
)

app = typer.Typer(no_args_is_help=True)
# People on a record, by Slack id: `--json` gives the id and, beside it, the display name.
PEOPLE_FIELDS = ("owner", "requester")


def record_json(snapshot: dict[str, Any], config: OrgConfig) -> dict[str, Any]:
    """A record as `list --json` and `show --json` both give it: each person as their Slack
    id (what `--as` and scripts need) with `<field>_name` beside it (null when unset)."""
    data = dict(snapshot)
    for field in PEOPLE_FIELDS:
        data[f"{field}_name"] = config.display_name(data[field]) if data.get(field) else None
    return data


@app.command("list")
def list_records(
    ctx: typer.Context,
    status: RecordStatus | None = typer.Option(
        None, "--status", help="Only records in this status."
    ),
    as_json: bool = typer.Option(False, "--json", help="One JSON list, for scripts."),
) -> None:
    """The register, one line a record."""
    context = app_context(ctx)
    with context.db.session() as session:
        records = register_service.list_records(session, status=status.value if status else None)
        rows = [record_json(register_service.snapshot(r), context.config) for r in records]
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print(
            f"No record is {status.value}."
            if status
            else "The register is empty. Register an AI use with `aims chat` or in Slack."
        )
        return
    table = Table("ID", "Title", "Tier", "Status", "Owner", "Next review", "v")
    for row in rows:
        table.add_row(
            row["ref"],
            escape(row["title"]),
            row["risk_tier"] or "-",
            row["status"],
            escape(row["owner_name"] or "-"),
            row["next_review"] or "-",
            str(row["version"]),
        )
    console.print(table)


@app.command("show")
def show(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="The record id, like AIU-0007."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object, for scripts."),
) -> None:
    """One record with its version history."""
    from bot.render_record import record_detail

    context = app_context(ctx)
    try:
        with context.db.session() as session:
            record = register_service.get_record(session, ref)
            detail = record_detail(session, record, context.config)
            fields = record_json(register_service.snapshot(record), context.config)
    except NotFoundError as exc:
        fail(escape(str(exc)))
    if as_json:
        # The record's fields exactly as `list --json` gives them; versions and sections beside.
        print_json({**detail.model_dump(mode="json"), "record": fields})
        return
    console.print(detail.as_text(), highlight=False, markup=False)


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
    actor: str | None = optional_person_option(
        "Who is importing, as the evidence records it (default: cli:USER)."
    ),
) -> None:
    """Import records; nothing is imported if any row is invalid (unless --skip-invalid).
    Tiers are the rules'; a sheet tier they disagree with, or a prohibited tool, is flagged."""
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
            config=context.config,
            rows=rows,
            actor=cli_actor(actor),
            source=source.name,
            skip_invalid=skip_invalid,
            first_row=first_row,
        )
    _report_import(source.name, result, skip_invalid=skip_invalid)


def _say(text: str, style: str | None = None) -> None:
    console.print(text, style=style, highlight=False, markup=False, soft_wrap=True)


def _report_import(name: str, result: ImportResult, *, skip_invalid: bool) -> None:
    """Problems, then what was read differently from the sheet, then the leads' flags."""
    for problem in result.problems:
        _say(f"{name}: {problem}", style="yellow")
    if result.problems and not skip_invalid:
        fail(
            f"nothing imported: {len(result.problems)} problem(s) in {escape(name)}. "
            "Fix them, or pass --skip-invalid to import the valid rows."
        )
    if result.respellings:
        _say(f"Read as the register's values ({len(result.respellings)}):")
        for reading in result.respellings:
            _say(f"  {name}: {reading}")
    skipped = f"; skipped {len(result.problems)} problem(s)" if result.problems else ""
    _say(
        f"Imported {len(result.imported)} records"
        + (f" ({', '.join(result.imported)})" if result.imported else "")
        + skipped
    )
    if result.flags:
        _say(
            f"Flagged for the governance leads ({len(result.flags)}): each is kept in its "
            "record's history; disputed tiers and prohibited tools are listed in the weekly "
            "digest until settled.",
            style="yellow",
        )
        for flag in result.flags:
            _say(f"  {name}: {flag}")


@app.command("override-tier")
def override_tier(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="The record id, like AIU-0007."),
    tier: RiskTier = typer.Option(..., "--tier", help="The tier the record should have."),
    justification: str = typer.Option(..., "--justification", "-j", help="Why, in writing."),
    actor: str = person_option("You, a governance lead."),
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
