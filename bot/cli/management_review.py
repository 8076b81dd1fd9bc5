"""`aims management-review prepare | decide | action | hold | show | export`: the management
review (ISO/IEC 42001 9.3) from the terminal, for governance leads. What is prepared, decided or
recorded here is also noted in the review's Slack thread by the running bot (`aims run`)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from rich.markup import escape

from bot.cli.common import (
    console,
    fail,
    person_by_name,
    person_option,
    print_json,
    unit_of_work,
)
from governance.config import OrgConfig
from governance.dates import WHEN_FORMS, due_date
from governance.management_review import service
from governance.management_review.export import export_html, export_markdown
from governance.management_review.models import ReviewDocument
from governance.management_review.periods import (
    PERIOD_FORMS,
    Period,
    between,
    last_period,
    parse_period,
    period_title,
)
from governance.management_review.queries import get_review, review_document
from governance.reviews import local_today
from store.models import utcnow

app = typer.Typer(no_args_is_help=True)
REF_HELP = "The review, like MR-2026-Q4."


def _say(text: str) -> None:
    console.print(text, highlight=False, markup=False, soft_wrap=True)


def _day(value: str, what: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        fail(escape(f"{what} {value!r} is not a date: write it like 2026-12-31"))


def _period(config: OrgConfig, period: str | None, first: str | None, last: str | None) -> Period:
    if period and (first or last):
        fail("give --period or --from/--to, not both")
    if period:
        return parse_period(period)
    if first or last:
        if not (first and last):
            fail("give both --from and --to (the last day, included)")
        return between(_day(first, "--from"), _day(last, "--to"))
    return last_period(local_today(config, utcnow()), config.management_review.every_months)


@app.command("prepare")
def prepare(
    ctx: typer.Context,
    period: str | None = typer.Option(None, "--period", help=f"The period: {PERIOD_FORMS}."),
    first: str | None = typer.Option(None, "--from", help="The first day (with --to)."),
    last: str | None = typer.Option(None, "--to", help="The last day, included (with --from)."),
    actor: str = person_option("You, a governance lead."),
    as_json: bool = typer.Option(False, "--json", help="The inputs as JSON, for scripts."),
) -> None:
    """Prepare the review's inputs (default: the period that has just ended) and queue them for
    the governance channel as a thread, with a chart and the Markdown export."""
    from scheduler.digest_chart import render_review_chart

    with unit_of_work(ctx) as (session, context):
        start, end = _period(context.config, period, first, last)
        review = service.prepare_review(
            session,
            config=context.config,
            period_start=start,
            period_end=end,
            actor=actor,
            now=utcnow(),
            chart=render_review_chart,
        )
        ref, inputs = review.ref, dict(review.inputs)
    if as_json:
        print_json({"ref": ref, "inputs": inputs})
        return
    _say(
        f"Prepared {ref} for {period_title((start, end))}: ledger events "
        f"#{inputs['first_seq']} to #{inputs['last_seq']} ({inputs['events']} events). The "
        "running bot (`aims run`) posts it to the governance channel as a thread."
    )


@app.command("decide")
def decide(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help=REF_HELP),
    text: str = typer.Argument(..., help="What was decided."),
    actor: str = person_option("You, a governance lead."),
) -> None:
    """Record a decision of the review."""
    with unit_of_work(ctx) as (session, context):
        review = service.record_decision(
            session, config=context.config, ref=ref, text=text, actor=actor, now=utcnow()
        )
        said = f"Recorded decision {len(review.decisions)} of {review.ref}."
    _say(said)


@app.command("action")
def action(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help=REF_HELP),
    text: str = typer.Argument(..., help="What is to be done."),
    owner: str = typer.Option("", "--owner", help="Who does it: a name, Slack id or email."),
    due: str = typer.Option("", "--due", help=f"When it is due: {WHEN_FORMS}."),
    actor: str = person_option("You, a governance lead."),
) -> None:
    """Record an action of the review: a corrective action, followed up until done."""
    now = utcnow()
    with unit_of_work(ctx) as (session, context):
        due_on = due_date(due, local_today(context.config, now)) if due.strip() else None
        row = service.record_action(
            session,
            config=context.config,
            ref=ref,
            owner=person_by_name(context.config, owner) if owner.strip() else None,
            description=text,
            due_on=due_on,
            actor=actor,
            now=now,
        )
        said = (
            f"Recorded {row.ref} for {context.config.display_name(row.owner)}, due "
            f"{row.due_on}; its owner is told and reminded before and after the due date."
        )
    _say(said)


@app.command("hold")
def hold(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help=REF_HELP),
    attendees: list[str] = typer.Option(
        [], "--attendee", help="Someone who attended (repeat it): a name, Slack id or email."
    ),
    held_on: str = typer.Option(..., "--held-on", help="The day it was held (2027-01-12)."),
    actor: str = person_option("You, a governance lead."),
) -> None:
    """Record that the review was held, and who attended: the minutes."""
    with unit_of_work(ctx) as (session, context):
        review = service.hold(
            session,
            config=context.config,
            ref=ref,
            attendees=[person_by_name(context.config, given) for given in attendees],
            held_on=_day(held_on, "--held-on"),
            actor=actor,
            now=utcnow(),
        )
        said = f"Recorded the minutes of {review.ref} ({len(review.attendees)} attendees)."
    _say(said)


def _document(ctx: typer.Context, ref: str) -> ReviewDocument:
    with unit_of_work(ctx) as (session, context):
        return review_document(session, context.config, get_review(session, ref))


@app.command("show")
def show(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help=REF_HELP),
    as_json: bool = typer.Option(False, "--json", help="One JSON object, for scripts."),
) -> None:
    """The review: its minutes so far, then its inputs (as Markdown)."""
    document = _document(ctx, ref)
    if as_json:
        print_json(document.model_dump(mode="json"))
        return
    print(export_markdown(document), end="")


@app.command("export")
def export(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help=REF_HELP),
    path: Path = typer.Argument(..., help="FILE.md (Markdown) or FILE.html (a web page)."),
) -> None:
    """Write the review's minutes and inputs to a file."""
    render = {".md": export_markdown, ".html": export_html, ".htm": export_html}.get(
        path.suffix.lower()
    )
    if render is None:
        fail(escape(f"{path}: name a .md or .html file"))
    document = _document(ctx, ref)
    path.write_text(render(document), encoding="utf-8")
    _say(f"Wrote {document.ref} to {path}.")
