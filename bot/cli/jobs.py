"""`aims jobs list | run ID [--now ISO-TIME]` and `aims scheduler` (the scheduler on its own)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import typer
from rich.table import Table
from sqlalchemy import func, select

from bot.cli.common import app_context, console, fail
from bot.context import AppContext
from governance.errors import AimsError
from scheduler import service
from scheduler.jobs import JOBS
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


@app.command("list")
def list_jobs(ctx: typer.Context) -> None:
    """Every scheduled job, its schedule, next run (organisation time) and last run."""
    context = app_context(ctx)
    tz = context.config.organisation.timezone
    nexts = service.next_runs(context.config, utcnow())
    last = _last_runs(context)
    table = Table(title=f"Jobs (times in {tz})")
    table.add_column("ID", no_wrap=True)
    for heading in ("What it does", "Next run", "Last run"):
        table.add_column(heading)
    for job in JOBS:
        upcoming = nexts[job.id]
        shown = (
            upcoming.astimezone(ZoneInfo(tz)).strftime("%a %d %b %H:%M")
            if upcoming
            else ("not scheduled (not configured)")
        )
        table.add_row(job.id, job.description, shown, _describe_last(last.get(job.id), tz))
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
