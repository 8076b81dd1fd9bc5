"""`aims`: the command line. Each feature registers its commands in its own module."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from bot.cli import (
    ack,
    answers,
    approvals,
    audit,
    chat,
    digest,
    evidence,
    feedback,
    findings,
    gateway,
    incident,
    jobs,
    keys,
    management_review,
    policies,
    register,
    run,
    setup,
    soa,
    status,
    training,
)
from bot.cli.common import err_console
from bot.context import build_context
from bot.logs import configure_logging
from governance.errors import AimsError

app = typer.Typer(
    name="aims",
    help="AIMS Bot: your AI management system, in Slack and in the terminal.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root(
    ctx: typer.Context,
    config: Path | None = typer.Option(
        None, "--config", "-c", help="The organisation's aims.yaml (else AIMS_CONFIG, ./aims.yaml)."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log more."),
) -> None:
    configure_logging(verbose, None)  # AIMS_LOG_FORMAT=json: one JSON object per line
    ctx.obj = build_context(config)


# The one list of command groups; a feature adds itself here.
setup.register_commands(app)
app.add_typer(register.app, name="register", help="The AI register: list, show, export, import.")
app.add_typer(evidence.app, name="evidence", help="The evidence ledger: verify and export.")
app.add_typer(approvals.app, name="approvals", help="Approval requests: list, decide, resubmit.")
app.add_typer(training.app, name="training", help="AI literacy training: record, import, status.")
app.add_typer(ack.app, name="ack", help="Policy acknowledgements: start, status, export.")
app.add_typer(
    management_review.app,
    name="management-review",
    help="The management review: prepare, decide, action, hold, show, export.",
)
app.add_typer(
    feedback.app,
    name="feedback",
    help="Feedback on AI uses: list, turn into a finding or incident.",
)
app.add_typer(findings.app, name="finding", help="Findings and their corrective actions.")
app.add_typer(
    gateway.app,
    name="gateway",
    help="The AI gateway: keys for approved uses, their options, what it decided.",
)
app.add_typer(
    policies.app,
    name="policies",
    help="Policy passages withheld or contradicting the catalogue; trust a document.",
)
jobs.register_commands(app)
incident.register_commands(app)
digest.register_commands(app)
chat.register_commands(app)
run.register_commands(app)
answers.register_commands(app)
soa.register_commands(app)
audit.register_commands(app)
keys.register_commands(app)
status.register_commands(app)


def main() -> None:
    try:
        app()
    except AimsError as exc:
        err_console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
