"""`aims jobs list [--json] | run ID [--now ISO-TIME]` and `aims scheduler` (the scheduler
on its own)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import typer
from rich.table import Table
from sqlalchemy import func, select

from bot.cli.common import app_context, console, fail, print_json
from bot.context import AppContext
from governance.errors import AimsError
from scheduler import service
from scheduler.jobs import JOBS, Job
from scheduler.runner import run_job
from store.models import utcnow
from store.review_models import JobRun

app = typer.Typer(no_args_is_help=True)


def parse_moment(value: str | None) -> datetime | None:
    """An ISO time; without an offset it means UTC, so `--now 2026-12-01T09:00` is unambiguous."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        fail(f"--now {value!r} is not an ISO time; try 2026-12-01T09:00:00+00:00")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _last_runs(context: AppContext) -> dict[str, JobRun]:
    with context.db.session() as session:
        latest = (select(JobRun.job_id, func.max(JobRun.id)).group_by(JobRun.job_id)).subquery()
        rows = session.scalars(select(JobRun).join(latest, JobRun.id == latest.c[1])).all()
        return {row.job_id: row for row in rows}


def _describe_last(run: JobRun | None, tz: str) -> str:
    if run is None:
        return "never"
    when = run.started_at.astimezone(ZoneInfo(tz)).strftime("%d %b %H:%M")
    return f"{when} {'ok' if run.ok else 'FAILED ' + (run.error_ref or '')}".strip()


def _last_json(run: JobRun | None) -> dict[str, Any] | None:
    if run is None:
        return None
    return {
        "started_at": run.started_at.isoformat(timespec="seconds"),
        "as_of": run.as_of.isoformat(timespec="seconds"),
        "ok": run.ok,
        "duration_ms": run.duration_ms,
        "summary": run.summary,
        "error_ref": run.error_ref,
    }


@dataclass(frozen=True)
class JobState:
    job: Job
    schedule: str | None  # None: not configured, so never scheduled
    timezone: str  # the schedule's
    next_run: datetime | None
    last_run: JobRun | None

    def as_json(self) -> dict[str, Any]:
        """Times in UTC ISO (the table shows them in the organisation's timezone)."""
        return {
            "id": self.job.id,
            "description": self.job.description,
            "schedule": self.schedule,
            "timezone": self.timezone,
            "next_run": self.next_run.isoformat(timespec="seconds") if self.next_run else None,
            "last_run": _last_json(self.last_run),
        }


def _job_states(context: AppContext) -> list[JobState]:
    nexts = service.next_runs(context.config, utcnow())
    last = _last_runs(context)
    states = []
    for job in JOBS:
        trigger = job.schedule(context.config)
        schedule = str(trigger) if trigger is not None else None
        states.append(
            JobState(
                job, schedule, context.config.organisation.timezone, nexts[job.id], last.get(job.id)
            )
        )
    return states


@app.command("list")
def list_jobs(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="One JSON list, for scripts."),
) -> None:
    """Every scheduled job, its schedule, next run (organisation time) and last run."""
    context = app_context(ctx)
    tz = context.config.organisation.timezone
    states = _job_states(context)
    if as_json:
        print_json([state.as_json() for state in states])
        return
    table = Table(title=f"Jobs (times in {tz})")
    table.add_column("ID", no_wrap=True)
    for heading in ("What it does", "Next run", "Last run"):
        table.add_column(heading)
    for state in states:
        shown = (
            state.next_run.astimezone(ZoneInfo(tz)).strftime("%a %d %b %H:%M")
            if state.next_run
            else "not scheduled (not configured)"
        )
        table.add_row(
            state.job.id, state.job.description, shown, _describe_last(state.last_run, tz)
        )
    console.print(table)


@app.command("run")
def run(
    ctx: typer.Context,
    job_id: str = typer.Argument(..., help="A job id from `aims jobs list`."),
    now: str | None = typer.Option(None, "--now", help="Run as if at this ISO time."),
) -> None:
    """Run one job now (it does only what is due, so running it again is safe)."""
    context = app_context(ctx)
    try:
        outcome = run_job(
            context.db, context.config, job_id, now=parse_moment(now), data_dir=context.data_dir
        )
    except AimsError as exc:
        fail(str(exc))
    if not outcome.ok:
        fail(outcome.describe())
    console.print(outcome.describe(), highlight=False)


def register_commands(root: typer.Typer) -> None:
    root.add_typer(app, name="jobs", help="Scheduled jobs: list them, run one now.")
    root.command("scheduler")(scheduler_command)


def scheduler_command(ctx: typer.Context) -> None:
    """Run the scheduler on its own (without the Slack app) until interrupted."""
    context = app_context(ctx)
    scheduler = service.start(context.db, context.config, context.data_dir)
    console.print(
        f"Scheduler running {len(scheduler.get_jobs())} jobs; Ctrl-C stops it. "
        "Messages it queues are sent by `aims run`."
    )
    try:
        threading.Event().wait()
    finally:
        scheduler.shutdown(wait=False)
