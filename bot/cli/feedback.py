"""`aims feedback list | turn | add`: the terminal side of /ai-feedback. A governance lead reads
what people said about AI uses and turns it into a finding or an incident."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from bot.cli.common import (
    app_context,
    cli_actor,
    console,
    fail,
    optional_person_option,
    person_option,
    print_json,
)
from governance import feedback as service
from governance.errors import AimsError
from governance.incidents import Severity
from store.models import AIUse, utcnow

app = typer.Typer(no_args_is_help=True)
TEXT_PREVIEW = 60  # characters of the feedback a terminal table shows


class Into(StrEnum):
    FINDING = "finding"
    INCIDENT = "incident"


@app.command("list")
def list_feedback(
    ctx: typer.Context,
    record: str | None = typer.Option(None, "--record", help="Only this AI use, like AIU-0007."),
    status: str | None = typer.Option(
        None, "--status", help="Only open ones, or those turned into a finding or an incident."
    ),
    as_json: bool = typer.Option(False, "--json", help="One JSON list, for scripts."),
) -> None:
    """Feedback from people affected by AI uses, oldest first (who, only when they agreed)."""
    context = app_context(ctx)
    try:
        with context.db.session() as session:
            chosen = service.find_record(session, record) if record else None
            rows: list[dict[str, Any]] = [
                {
                    "ref": f.ref,
                    "record": session.get_one(AIUse, f.ai_use_id).ref,
                    "received_at": f.received_at.isoformat(),
                    "status": f.status,
                    "turned_into": f.turned_into,
                    "anonymous": f.reporter is None,
                    "reporter": f.reporter,
                    "text": f.text,
                }
                for f in service.list_feedback(session, record=chosen, status=status)
            ]
    except AimsError as exc:
        fail(str(exc))
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("No feedback yet.")
        return
    preview = TEXT_PREVIEW if console.is_terminal else None
    table = Table("ID", "Record", "Received", "Status", "From", "Feedback")
    for row in rows:
        table.add_row(
            row["ref"],
            row["record"],
            row["received_at"][:10],
            row["turned_into"] or row["status"],
            "anonymous" if row["anonymous"] else context.config.display_name(row["reporter"]),
            escape(row["text"][:preview]),
        )
    console.print(table)


@app.command("turn")
def turn(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="The feedback, like FB-0001."),
    into: Into = typer.Option(..., "--into", help="A finding (an observation) or an incident."),
    actor: str = person_option("You, a governance lead."),
    severity: Severity = typer.Option(Severity.MEDIUM, "--severity", help="How bad."),
    harmed: bool = typer.Option(
        False, "--harmed/--no-harm", help="For an incident: were people harmed?"
    ),
) -> None:
    """Turn feedback into a finding (owned by the AI use's owner) or an incident."""
    context = app_context(ctx)
    try:
        with context.db.session() as session:
            made = service.turn_into(
                session,
                config=context.config,
                ref=ref,
                into=into.value,
                actor=actor,
                now=utcnow(),
                severity=severity,
                people_harmed=harmed,
            )
    except AimsError as exc:
        fail(str(exc))
    console.print(f"{ref.strip().upper()} is now {into.value} {made}.")


@app.command("add")
def add(
    ctx: typer.Context,
    record: str = typer.Argument(..., help="The AI use, like AIU-0007."),
    text: str = typer.Argument(..., help="What concerns you about it."),
    named: bool = typer.Option(
        False, "--named", help="Share your name (--as) with the record's owner."
    ),
    actor: str | None = optional_person_option("You (needed with --named)."),
) -> None:
    """Give feedback on an AI use, anonymously unless --named."""
    context = app_context(ctx)
    if named and actor is None:
        fail("--named needs --as PERSON: who to name to the record's owner")
    try:
        with context.db.session() as session:
            given = service.record_feedback(
                session,
                config=context.config,
                record_ref=record,
                text=text,
                reporter=cli_actor(actor),
                consent=named,
                salt=service.load_salt(context),
                now=utcnow(),
            )
            ref = given.ref
    except AimsError as exc:
        fail(str(exc))
    how = "with your name" if named else "anonymously (only a salted hash of who you are is kept)"
    console.print(f"Recorded {ref} {how}; the owner of {record.strip().upper()} is told.")
