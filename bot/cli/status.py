"""`aims status [--json]`: what this installation is connected to, and whether it answers.

Exits 1, naming what and what to check, when something it needs does not answer (the database;
the Chroma server when AIMS_CHROMA_URL is set; an unreadable aims.yaml)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import typer
from rich.text import Text

from bot.cli.common import app_context, console, err_console, print_json
from bot.health import (
    Check,
    DatabaseStatus,
    GatewayStatus,
    IndexStatus,
    JobStatus,
    LedgerStatus,
    OutboxStatus,
    SchedulerStatus,
    Status,
    collect_status,
)

_MODES = {"socket": "green", "http": "green", "not configured": "yellow", "misconfigured": "red"}
LABEL_WIDTH = 14


def status_command(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="One JSON object, for scripts."),
) -> None:
    """What this installation is connected to: database and migrations, vector index, Slack
    mode, gateway, scheduled jobs, outbox backlog and ledger head. Exits 1 when the database
    (or a configured Chroma server) does not answer."""
    context = app_context(ctx)
    status = collect_status(context)
    if as_json:
        print_json({"ok": status.ok, **status.model_dump(mode="json")})
    else:
        zone = ZoneInfo(status.timezone or "UTC")
        console.print(_report(status, zone))
        for warning in status.warnings:
            _say(warning, "warning", "yellow")
    for problem in status.problems:
        _say(problem, "error", "red")
    if not status.ok:
        raise typer.Exit(1)


def _say(check: Check, label: str, style: str) -> None:
    text = Text.assemble((f"{label}: ", style), check.detail)
    if check.hint:
        text.append(f"\n  {check.hint}")
    err_console.print(text)


def _heading(status: Status) -> Text:
    name = status.organisation or "(aims.yaml unreadable)"
    return Text.assemble(("AIMS Bot status", "bold"), f": {name} ({status.config_path})")


def _report(status: Status, zone: ZoneInfo) -> Text:
    """One section a line (more for the jobs), continuation lines under the first: plain
    lines that read the same in a terminal, a pipe or a log."""
    slack = status.slack
    database = status.database
    fresh = database is not None and database.reachable and not database.created
    missing = "none (no database yet)" if fresh else "unknown"
    rows = [
        ("database", _database(database)),
        ("vector index", _index(status.vector_index)),
        ("Slack", Text(slack.detail, style=_MODES[slack.mode])),
        ("gateway", _gateway(status.gateway)),
        ("scheduler", _scheduler(status.scheduler, zone)),
        ("outbox", _outbox(status.outbox) if status.outbox else _unknown(missing)),
        ("ledger", _ledger(status.ledger) if status.ledger else _unknown(missing)),
    ]
    report = _heading(status)
    for label, text in rows:
        for number, line in enumerate(text.split("\n")):
            report.append("\n")
            report.append(f"{label if number == 0 else '':<{LABEL_WIDTH}}", "bold")
            report.append_text(line)
    return report


def _unknown(why: str = "unknown") -> Text:
    return Text(why, style="dim")


def _database(database: DatabaseStatus | None) -> Text:
    if database is None:
        return _unknown()
    text = Text(f"{database.kind} {database.url}")
    if not database.reachable:
        return text.append(f"\nunreachable: {database.error}", style="red")
    revision = database.revision
    if not database.created:
        return text.append("\nnot created yet (created at the latest revision on first use)")
    if revision is None:
        return text
    head = ", ".join(revision.head)
    if revision.up_to_date:
        return text.append(f"\nrevision {head} (the latest)", style="green")
    current = ", ".join(revision.current) or "none (no schema yet)"
    return text.append(f"\nrevision {current}, latest {head}", style="yellow")


def _index(index: IndexStatus | None) -> Text:
    if index is None:
        return _unknown()
    text = Text(f"{index.kind} {index.location}")
    if index.collection:
        text.append(f", collection {index.collection}")
    if not index.reachable:
        return text.append(f"\nunreachable: {index.error}", style="red")
    if not index.created:
        text.append(
            "\nempty: nothing ingested yet", style="yellow" if index.database_chunks else ""
        )
    else:
        text.append(f"\n{index.vectors} vectors, {index.chunks} chunks")
    if index.database_chunks:
        text.append(f" (the database holds {index.database_chunks} policy chunks)", style="dim")
    return text


def _gateway(gateway: GatewayStatus | None) -> Text:
    if gateway is None:
        return _unknown()
    if not gateway.enabled:
        return Text("off (no gateway: section in aims.yaml)", style="dim")
    upstreams = ", ".join(gateway.upstreams) or "no upstreams"
    return Text(f"on: {gateway.address} → {upstreams}", style="green")


def _scheduler(scheduler: SchedulerStatus | None, zone: ZoneInfo) -> Text:
    if scheduler is None:
        return _unknown()
    stored = (
        "no scheduler has started on this database yet"
        if scheduler.stored_jobs is None
        else f"{scheduler.stored_jobs} in the scheduler's job store"
    )
    text = Text(f"{scheduler.on} of {len(scheduler.jobs)} jobs on; {stored}")
    width = max(len(job.id) for job in scheduler.jobs)
    for job in scheduler.jobs:
        text.append(f"\n{job.id:<{width}}  ")
        text.append(*(("on ", "green") if job.scheduled else ("off", "dim")))
        text.append(f"  next {_when(job.next_run, zone) if job.next_run else '-'}")
        text.append("  last ")
        text.append(*_last(job, zone))
    return text


def _last(job: JobStatus, zone: ZoneInfo) -> tuple[str, str]:
    run = job.last_run
    if run is None:
        return "never", "dim"
    when = _when(run.started_at, zone)
    if run.ok:
        return f"{when} ok: {run.summary}", ""
    return f"{when} FAILED (reference {run.error_ref})", "red"


def _when(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%a %d %b %H:%M")


def _outbox(outbox: OutboxStatus) -> Text:
    if not outbox.unsent:
        text = Text("nothing waiting to be sent")
    else:
        age = _age(outbox.oldest_age_seconds or 0.0)
        text = Text(f"{outbox.unsent} unsent, the oldest queued {age} ago")
    if outbox.failed:
        text.append(f"; {outbox.failed} given up", style="red")
    return text


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172_800:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86_400:.0f} days"


def _ledger(ledger: LedgerStatus) -> Text:
    if ledger.last_seq is None:
        return Text("no evidence yet")
    return Text(f"{ledger.events} events, last #{ledger.last_seq} {ledger.last_hash}")


def register_commands(root: typer.Typer) -> None:
    root.command("status")(status_command)
