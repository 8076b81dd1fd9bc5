"""`aims training record | import | status`: AI-literacy and other training completions."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from bot.cli.common import app_context, console, existing_file, fail, person_option, print_json
from governance import training as service
from governance.config import OrgConfig
from governance.errors import AimsError
from store.models import utcnow

app = typer.Typer(no_args_is_help=True)
SHOWN = 12  # missing people a table row names; --json lists everyone


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date; write it as YYYY-MM-DD") from None


def _say(text: str, style: str | None = None) -> None:
    console.print(text, style=style, highlight=False, markup=False, soft_wrap=True)


@app.command("record")
def record(
    ctx: typer.Context,
    person: str = typer.Option(
        ..., "--person", help="Who completed it: a Slack user id, or an email in aims.yaml."
    ),
    course: str = typer.Option(..., "--course", help="The course, as listed in aims.yaml."),
    completed: date = typer.Option(
        ..., "--completed", parser=_day, metavar="YYYY-MM-DD", help="The day it was completed."
    ),
    evidence_url: str | None = typer.Option(
        None, "--evidence", metavar="URL", help="A link to the certificate or LMS record."
    ),
    actor: str = person_option("You, who record it."),
) -> None:
    """Record that someone completed a training course; recording it again changes nothing."""
    context = app_context(ctx)
    try:
        with context.db.session() as session:
            done = service.record_training(
                session,
                config=context.config,
                person=person,
                course=course,
                completed_on=completed,
                evidence_url=evidence_url,
                actor=actor,
                now=utcnow(),
                source="cli",
            )
            who, name = done.record.person, done.record.course
    except AimsError as exc:
        fail(escape(str(exc)))
    what = f"{context.config.display_name(who)} completed {name!r} on {completed.isoformat()}"
    _say(f"Recorded: {what}." if done.new else f"Already recorded: {what}; nothing changed.")


@app.command("import")
def import_(
    ctx: typer.Context,
    source: Path = typer.Argument(
        ..., help="A .csv or .xlsx file: person, course, completed_on, evidence_url (optional)."
    ),
    actor: str = person_option("You, who import it."),
) -> None:
    """Import completions; nothing is imported if any row has a problem."""
    context = app_context(ctx)
    try:
        with context.db.session() as session:
            result = service.import_training(
                session,
                config=context.config,
                path=existing_file(source),
                actor=actor,
                now=utcnow(),
            )
    except AimsError as exc:
        fail(escape(str(exc)))
    for problem in result.problems:
        _say(f"{source.name}: {problem}", style="yellow")
    if result.problems:
        hint = (
            " A person is named by their Slack user id, or by an email listed under people in "
            "aims.yaml."
            if any(problem.column == "person" for problem in result.problems)
            else ""
        )
        fail(f"nothing imported: {len(result.problems)} problem(s) in {escape(source.name)}.{hint}")
    already = f" ({result.already} already on record, unchanged)" if result.already else ""
    _say(f"Imported {result.recorded} records{already}.")


@app.command("status")
def status(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="One JSON list, for scripts."),
) -> None:
    """Per required course: how many need it, how many have it, and who is missing it."""
    context = app_context(ctx)
    config = context.config
    with context.db.session() as session:
        rows = service.coverage(session, config, utcnow())
    if as_json:
        print_json([_json(row, config) for row in rows])
        return
    if not rows:
        _say(
            "No training is required: add a training: section to aims.yaml (the courses, and "
            "who needs them)."
        )
        return
    table = Table("Course", "Required", "Trained", "Missing")
    for row in rows:
        names = ", ".join(config.display_name(person) for person in row.missing[:SHOWN])
        if len(row.missing) > SHOWN:
            names += f" and {len(row.missing) - SHOWN} more (--json lists everyone)"
        table.add_row(
            escape(row.course), str(row.required), f"{row.trained} ({row.percent}%)", escape(names)
        )
    console.print(table)


def _json(row: service.CourseCoverage, config: OrgConfig) -> dict[str, Any]:
    return {
        "course": row.course,
        "required": row.required,
        "trained": row.trained,
        "missing": [
            {"person": person, "name": config.display_name(person)} for person in row.missing
        ],
    }
