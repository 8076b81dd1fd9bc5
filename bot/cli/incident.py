"""`aims incident report | list | close`: the terminal side of /ai-incident."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import typer
from pydantic import ValidationError
from rich.markup import escape
from rich.table import Table

from bot.cli.common import app_context, console, fail, person_option, print_json
from bot.cli.jobs import parse_moment
from governance import incidents as service
from governance.errors import AimsError
from governance.findings.models import FindingSource
from governance.findings.service import raised_from
from governance.incidents import IncidentReport, Severity
from store.models import utcnow

app = typer.Typer(no_args_is_help=True)
WHAT_PREVIEW = 60  # characters of "what happened" a terminal table shows


class Serious(StrEnum):
    YES = "yes"
    NO = "no"
    UNSURE = "unsure"


@app.command("report")
def report(
    ctx: typer.Context,
    actor: str = person_option("You, the reporter."),
    record: str | None = typer.Option(None, "--record", help="The AI use, like AIU-0007."),
    tool: str = typer.Option("", "--tool", help="The tool, when it is not in the register."),
    what: str = typer.Option(..., "--what", prompt="What happened?", help="What happened."),
    when: str | None = typer.Option(None, "--when", help="When it happened (ISO time; now)."),
    severity: Severity = typer.Option(..., "--severity", prompt=True, help="How bad."),
    harmed: bool = typer.Option(..., "--harmed/--no-harm", prompt="Were people harmed?"),
    harm_details: str = typer.Option("", "--harm-details", help="Who and how, if harmed."),
    serious: Serious = typer.Option(
        Serious.UNSURE, "--serious", help="May it be a serious incident under EU AI Act Article 73?"
    ),
) -> None:
    """Report an AI incident; the owner and the governance leads are told."""
    context = app_context(ctx)
    now = utcnow()
    try:
        details = IncidentReport(
            ai_use_ref=record,
            unregistered_tool=tool,
            what_happened=what,
            occurred_at=parse_moment(when) or now,
            severity=severity,
            people_harmed=harmed,
            harm_details=harm_details,
            serious_incident=serious.value,
        )
    except ValidationError as exc:
        fail("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))
    try:
        with context.db.session() as session:
            ref = service.report_incident(
                session, config=context.config, report=details, actor=actor, now=now
            ).ref
    except AimsError as exc:
        fail(str(exc))
    console.print(
        f"Reported {ref}. The owner and the governance leads are told; follow-ups "
        f"every {context.config.incident_follow_up_days} days until it is closed."
    )


@app.command("list")
def list_incidents(
    ctx: typer.Context,
    show_all: bool = typer.Option(False, "--all", help="Closed incidents too."),
    as_json: bool = typer.Option(False, "--json", help="One JSON list, for scripts."),
) -> None:
    """Open incidents (or all of them)."""
    context = app_context(ctx)
    with context.db.session() as session:
        rows: list[dict[str, Any]] = [
            {
                "ref": i.ref,
                "severity": i.severity,
                "status": i.status,
                "reported_at": i.reported_at.isoformat(),
                "what": i.what_happened,
                "follow_ups": i.follow_ups_sent,
            }
            for i in service.list_incidents(session, status=None if show_all else "open")
        ]
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("No open incidents." if not show_all else "No incidents reported.")
        return
    # A terminal gets a short preview; a pipe or a file gets the whole text (no wrapping there).
    preview = WHAT_PREVIEW if console.is_terminal else None
    table = Table("ID", "Severity", "Status", "Reported", "Follow-ups", "What happened")
    for row in rows:
        table.add_row(
            row["ref"],
            row["severity"],
            row["status"],
            row["reported_at"][:10],
            str(row["follow_ups"]),
            escape(row["what"][:preview]),
        )
    console.print(table)


@app.command("close")
def close(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="The incident, like INC-0003."),
    actor: str = person_option("You: the reporter, the AI use's owner or a governance lead."),
    root_cause: str = typer.Option(..., "--root-cause", prompt="Root cause"),
    action: str = typer.Option(..., "--corrective-action", prompt="Corrective action"),
    finding: bool = typer.Option(
        False, "--finding", help="Raise a finding from it, so its corrective actions are followed."
    ),
) -> None:
    """Close an incident: a root cause and a corrective action are required."""
    context = app_context(ctx)
    try:
        with context.db.session() as session:
            incident = service.get_incident(session, ref)
            service.close_incident(
                session,
                config=context.config,
                incident=incident,
                actor=actor,
                root_cause=root_cause,
                corrective_action=action,
                now=utcnow(),
                raise_finding=finding,
            )
            raised = raised_from(session, FindingSource.INCIDENT, incident.ref) if finding else None
            told = f" Raised {raised.ref}; its owner is told." if raised else ""
    except AimsError as exc:
        fail(str(exc))
    console.print(f"Closed {ref.upper()}.{told}", highlight=False)


def register_commands(root: typer.Typer) -> None:
    root.add_typer(app, name="incident", help="AI incidents: report, list, close.")
