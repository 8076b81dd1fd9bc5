"""`aims digest --dry-run [--now ISO-TIME]`: the weekly digest, printed instead of posted."""

from __future__ import annotations

from pathlib import Path

import typer

from bot.cli.common import app_context, console, fail
from bot.cli.jobs import parse_moment
from governance import digest as service
from scheduler.runner import run_job
from store.models import utcnow


def digest_command(
    ctx: typer.Context,
    dry_run: bool = typer.Option(False, "--dry-run", help="Print it here; post nothing."),
    now: str | None = typer.Option(None, "--now", help="As if at this ISO time."),
    chart: Path | None = typer.Option(None, "--chart", help="With --dry-run: save the PNG here."),
) -> None:
    """The weekly digest for the governance leads (without --dry-run: queue it now, once)."""
    context = app_context(ctx)
    moment = parse_moment(now) or utcnow()
    if not dry_run:
        outcome = run_job(context.db, context.config, "weekly-digest", now=moment)
        if not outcome.ok:
            fail(outcome.describe())
        console.print(outcome.describe(), highlight=False)
        return
    with context.db.session() as session:
        figures = service.collect_figures(session, config=context.config, now=moment)
    # Plain print: the digest's own *bold* marks are Slack mrkdwn, not Rich markup.
    print(service.digest_text(figures))
    if chart is not None:
        from scheduler.digest_chart import render_chart

        chart.write_bytes(render_chart(figures))
        console.print(f"Chart saved to {chart}")


def register_commands(root: typer.Typer) -> None:
    root.command("digest")(digest_command)
