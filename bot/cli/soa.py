"""`aims soa [--json] [--period FROM..TO]`: the Statement of Applicability with live evidence."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import typer
from rich.table import Table
from rich.text import Text

from bot.cli.common import PERIOD_HELP, app_context, console, fail, print_json
from governance import soa as service
from governance.errors import ValidationProblem
from governance.soa import ControlStatus, Period, SoaStatus

STYLES = {
    SoaStatus.OPERATING: "green",
    SoaStatus.NO_EVIDENCE: "yellow",
    SoaStatus.NOT_IMPLEMENTED: "red",
    SoaStatus.NOT_APPLICABLE: "dim",
}
KINDS_SHOWN = 4  # evidence kinds listed per control in the table (--json has them all)


def soa_command(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="One JSON document, for scripts."),
    period: str | None = typer.Option(None, "--period", help=PERIOD_HELP),
) -> None:
    """The Statement of Applicability: each ISO/IEC 42001 Annex A control, whether it applies,
    how AIMS Bot implements it and the evidence that it operated."""
    context = app_context(ctx)
    timezone = context.config.organisation.timezone
    try:
        chosen = service.parse_period(period, timezone) if period else None
        with context.db.session() as session:
            rows = service.statement_of_applicability(session, context.config, chosen)
    except ValidationProblem as exc:
        fail(str(exc))
    if as_json:
        print_json(_document(context.config.organisation.name, chosen, rows))
        return
    zone = ZoneInfo(timezone)
    console.print(
        Text.assemble(
            ("Statement of Applicability", "bold"),
            f" — {context.config.organisation.name} — ISO/IEC 42001 Annex A\n",
            f"Period: {service.period_text(chosen, zone)}\n",
            _summary_text(rows),
        )
    )
    console.print(_table(rows, zone))
    console.print(
        Text(
            "Applies: every control does unless aims.yaml excludes it under soa.not_applicable, "
            "with the justification. no evidence in period: AIMS Bot implements the control, but "
            "no event in the period shows it operating. --json lists every kind and time.",
            style="dim",
        )
    )


def _document(name: str, period: Period | None, rows: list[ControlStatus]) -> dict[str, Any]:
    start, end = period or (None, None)
    return {
        "organisation": name,
        "standard": "ISO/IEC 42001:2023 Annex A",
        "period": {
            "start": start.isoformat() if start else None,
            "end": end.isoformat() if end else None,  # exclusive
        },
        "summary": {status.value: count for status, count in service.summary(rows).items()},
        "controls": [
            {**row.model_dump(mode="json"), "status_label": row.status.label, "events": row.events}
            for row in rows
        ],
    }


def _summary_text(rows: list[ControlStatus]) -> Text:
    counts = service.summary(rows)
    text = Text(f"{len(rows)} controls: ")
    for index, status in enumerate(SoaStatus):
        if index:
            text.append(", ")
        text.append(f"{counts[status]} {status.label}", style=STYLES[status])
    return text


def _table(rows: list[ControlStatus], zone: ZoneInfo) -> Table:
    table = Table(show_lines=True, expand=True)
    table.add_column("Control", ratio=3, min_width=22, overflow="fold")
    table.add_column("Applies; how AIMS Bot implements it", ratio=6, overflow="fold")
    table.add_column("Evidence in period", ratio=4, overflow="fold")
    objective = ""
    for row in rows:
        if row.objective != objective:
            objective = row.objective
            table.add_row(Text(f"{row.objective} {row.objective_title}", style="bold"))
        table.add_row(
            Text.assemble(
                (row.control, "bold"),
                f" {row.title}\n",
                (row.status.label, STYLES[row.status]),
            ),
            _how(row),
            _evidence(row, zone),
        )
    return table


def _how(row: ControlStatus) -> Text:
    if not row.applicable:
        text = Text.assemble(("Not applicable: ", "bold"), row.justification, "\n")
    elif row.justification != service.DEFAULT_JUSTIFICATION:
        text = Text.assemble(("Applies: ", "bold"), row.justification, "\n")
    else:
        text = Text("Applies. ", style="bold")
    text.append(row.how)
    details = [f"coverage: {row.coverage.value}"]
    if row.config:
        details.append(f"aims.yaml: {', '.join(row.config)}")
    text.append("\n" + "; ".join(details), style="dim")
    return text


def _evidence(row: ControlStatus, zone: ZoneInfo) -> Text:
    if not row.evidence:
        return Text("-" if not row.evidence_kinds else "none", style="dim")
    text = Text()
    for item in row.evidence[:KINDS_SHOWN]:
        first, last = _day(item.first, zone), _day(item.last, zone)
        text.append(f"{item.kind} ×{item.count}", style="bold")
        text.append(f" {first}" + (f"→{last}" if last != first else "") + "\n", style="dim")
    if len(row.evidence) > KINDS_SHOWN:
        text.append(f"+{len(row.evidence) - KINDS_SHOWN} more kinds\n", style="dim")
    text.append("events " + " ".join(f"#{seq}" for seq in row.samples))
    return text


def _day(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d")


def register_commands(root: typer.Typer) -> None:
    root.command("soa")(soa_command)
