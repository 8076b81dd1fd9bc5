"""`aims ack start | status | export`: policy acknowledgement campaigns from the terminal.

Starting a campaign queues one direct message per person; the running bot (`aims run`) sends
them from its outbox, paced to Slack's limits, and its scheduler sends reminders."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape
from rich.table import Table

from bot.cli.common import app_context, console, fail, person_option, print_json
from governance.acknowledgements import campaigns as service
from governance.acknowledgements.figures import campaign_figures, requests_of
from governance.acknowledgements.models import Audience, CampaignFigures, CampaignStart
from governance.config import OrgConfig
from governance.dates import due_date
from governance.errors import AimsError
from governance.reviews import fmt_day, local_today
from store.ack_models import AckCampaign, AckRequest
from store.models import utcnow

if TYPE_CHECKING:
    from slack_sdk import WebClient

app = typer.Typer(no_args_is_help=True)
EXPORT_COLUMNS = (
    "person",
    "name",
    "status",
    "asked_at",
    "delivered_at",
    "acknowledged_at",
    "reminders",
    "escalated_at",
    "version",
    "shown_sha256",
)
EXPORT_FORMATS = ("csv", "xlsx")
SENT_BY_THE_BOT = (
    "The requests are queued: the running bot (`aims run`) sends them as direct messages, "
    "paced to Slack's limits, then reminds whoever has not acknowledged."
)


def _say(text: str, style: str | None = None) -> None:
    console.print(text, style=style, highlight=False, markup=False, soft_wrap=True)


def slack_client() -> WebClient | None:
    """A Web API client built as `aims run` builds one (SLACK_BOT_TOKEN, SLACK_API_URL, retries
    on 429); None without a token, when only `everyone` can be resolved."""
    from bot.settings import SlackSettings

    settings = SlackSettings()
    if not settings.bot_token:
        return None
    from bot.slack.app import make_client
    from bot.slack.config import SlackConfig

    return make_client(SlackConfig(settings.bot_token.strip(), None, None, settings.api_url))


def _resolved_audience(typed: str) -> Audience:
    from slack_sdk.errors import SlackClientError

    from bot.slack.audience import resolve_audience

    try:
        return resolve_audience(slack_client(), typed)
    except (SlackClientError, OSError) as exc:
        fail(escape(f"could not reach Slack to resolve {typed!r}: {exc}"))


@app.command("start")
def start(
    ctx: typer.Context,
    policy: str = typer.Option(..., "--policy", help="The document's title (or file name)."),
    audience: str = typer.Option(
        ...,
        "--audience",
        help="everyone (the people in aims.yaml), a channel (#all-staff or C…) or a user group "
        "(@risk-team or S…); channels and groups need SLACK_BOT_TOKEN.",
    ),
    due: str = typer.Option("14d", "--due", help="Days (14d), weeks (2w) or a date (YYYY-MM-DD)."),
    summary: str = typer.Option("", "--summary", help="What changed, in your words."),
    actor: str = person_option("You, a governance lead."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object, for scripts."),
) -> None:
    """Ask an audience to read a policy's current version and acknowledge it."""
    context = app_context(ctx)
    now = utcnow()
    try:
        due_on = due_date(due, local_today(context.config, now))
        with context.db.session() as session:  # what needs no Slack is checked before asking it
            context.config.require_lead(actor, service.START)
            service.find_document(session, policy)
        chosen = _resolved_audience(audience)
        with context.db.session() as session:
            details = CampaignStart(policy=policy, audience=chosen, due_on=due_on, summary=summary)
            campaign = service.start_campaign(
                session, config=context.config, start=details, actor=actor, now=now
            )
            [figures] = campaign_figures(
                session, local_today(context.config, now), refs=[campaign.ref]
            )
    except AimsError as exc:
        fail(escape(str(exc)))
    if as_json:
        print_json(figures.model_dump(mode="json"))
        return
    people = "1 person" if figures.asked == 1 else f"{figures.asked} people"
    _say(
        f"Started {figures.ref}: {people} ({figures.audience}) asked to acknowledge "
        f"“{figures.document}” (version {figures.version}) by {fmt_day(figures.due_on)}."
    )
    _say(SENT_BY_THE_BOT)
    _say(f"Follow it with `aims ack status {figures.ref}`.")


def _share(figures: CampaignFigures) -> str:
    return f"{figures.acknowledged}/{figures.asked} ({round(100 * figures.done_share)}%)"


def _campaigns_table(rows: list[CampaignFigures]) -> Table:
    table = Table(
        "Campaign",
        "Policy",
        "Version",
        "Audience",
        "Due",
        "Status",
        "Acknowledged",
        "Pending",
        "Overdue",
        "Withdrawn",
    )
    for row in rows:
        table.add_row(
            row.ref,
            escape(row.document),
            row.version,
            escape(row.audience),
            row.due_on.isoformat(),
            row.status,
            _share(row),
            str(row.pending),
            str(row.overdue),
            str(row.withdrawn),
        )
    return table


def person_status(request: AckRequest, campaign: AckCampaign, today: date) -> str:
    """pending, overdue (pending past the due date), acknowledged or withdrawn."""
    if request.status == "pending" and campaign.due_on < today:
        return "overdue"
    return request.status


def _moment(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def person_row(
    request: AckRequest, campaign: AckCampaign, config: OrgConfig, today: date
) -> dict[str, Any]:
    """One person of a campaign, as `status --json` and the export give it."""
    return {
        "person": request.person,
        "name": config.display_name(request.person),
        "status": person_status(request, campaign, today),
        "asked_at": _moment(request.asked_at),
        "delivered_at": _moment(request.delivered_at),
        "acknowledged_at": _moment(request.acknowledged_at),
        "withdrawn_at": _moment(request.withdrawn_at),
        "reminders": request.reminders_sent,
        "escalated_at": _moment(request.escalated_at),
        "questions": request.questions,
        "version": campaign.version_sha256,
        "shown_sha256": request.shown_sha256,
    }


def _people_table(people: list[dict[str, Any]]) -> Table:
    table = Table("Person", "Name", "Status", "On", "Reminders", "Escalated")
    for person in people:
        when = person["acknowledged_at"] or person["withdrawn_at"]
        table.add_row(
            person["person"],
            escape(person["name"]),
            person["status"],
            (when or "")[:10],
            str(person["reminders"]),
            (person["escalated_at"] or "")[:10],
        )
    return table


@app.command("status")
def status(
    ctx: typer.Context,
    ref: str | None = typer.Argument(None, help="One campaign, like ACK-0001, person by person."),
    as_json: bool = typer.Option(False, "--json", help="One JSON value, for scripts."),
) -> None:
    """Every campaign's completion; with a campaign, each person's status too."""
    context = app_context(ctx)
    today = local_today(context.config, utcnow())
    try:
        with context.db.session() as session:
            if ref is not None:
                service.get_campaign(session, ref)  # an unknown ref says so
            rows = campaign_figures(session, today, refs=None if ref is None else [ref])
            people = (
                [person_row(r, c, context.config, today) for r, c in requests_of(session, ref)]
                if ref is not None
                else []
            )
    except AimsError as exc:
        fail(escape(str(exc)))
    if as_json:
        figures = [row.model_dump(mode="json") for row in rows]
        print_json(figures if ref is None else {**figures[0], "people": people})
        return
    if not rows:
        _say("No acknowledgement campaigns yet: start one with `aims ack start`.")
        return
    console.print(_campaigns_table(rows))
    if ref is not None:
        console.print(_people_table(people))


def _export_rows(people: list[dict[str, Any]]) -> list[list[Any]]:
    return [["" if person[c] is None else person[c] for c in EXPORT_COLUMNS] for person in people]


def write_export(people: list[dict[str, Any]], path: Path, fmt: str) -> None:
    """CSV or XLSX, one row per person; times are ISO 8601 in UTC."""
    rows = _export_rows(people)
    if fmt == "csv":
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(EXPORT_COLUMNS)
            writer.writerows(rows)
        return
    from openpyxl import Workbook

    from governance.register_io import fill_sheet

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Acknowledgements"
    fill_sheet(sheet, EXPORT_COLUMNS, rows)
    workbook.save(path)


@app.command("export")
def export(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="The campaign, like ACK-0001."),
    output: Path = typer.Argument(..., help="The file to write: .csv or .xlsx."),
) -> None:
    """Write a campaign, one row per person, for an auditor or HR."""
    fmt = output.suffix.lower().lstrip(".")
    if fmt not in EXPORT_FORMATS:
        fail(f"{escape(output.name)}: write a .csv or an .xlsx file")
    context = app_context(ctx)
    today = local_today(context.config, utcnow())
    try:
        with context.db.session() as session:
            campaign = service.get_campaign(session, ref)
            people = [person_row(r, c, context.config, today) for r, c in requests_of(session, ref)]
            name = campaign.ref
    except AimsError as exc:
        fail(escape(str(exc)))
    write_export(people, output, fmt)
    _say(f"Wrote {len(people)} people of {name} to {output} ({fmt}).")
