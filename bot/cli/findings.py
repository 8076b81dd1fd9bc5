"""`aims finding add | list | show | root-cause | action | done | verify | close | reopen`:
findings and their corrective actions from the terminal, through the same services as Slack
(the same checks on who may act, the same evidence, the same messages queued for Slack)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Any

import typer
from pydantic import ValidationError
from rich.markup import escape
from rich.table import Table
from sqlalchemy.orm import Session

from bot.cli.common import (
    app_context,
    console,
    fail,
    person_by_name,
    person_option,
    print_json,
    unit_of_work,
)
from governance.config import OrgConfig
from governance.dates import due_date
from governance.findings import service
from governance.findings.models import FindingKind, FindingSource, NewAction, NewFinding
from governance.incidents import Severity
from governance.reviews import local_today
from store.evidence_kinds import EvidenceKind as K
from store.improvement_models import CorrectiveAction, Finding
from store.models import EvidenceEvent, utcnow

app = typer.Typer(no_args_is_help=True)
PERSON_HELP = "A Slack user id, an email or a name, as listed under people in aims.yaml."
TITLE_PREVIEW = 60  # characters of a title a terminal table shows


class Shown(StrEnum):
    """Which findings `list` shows: open (anything not closed), one status, or all."""

    OPEN = "open"
    ACTIONS_PLANNED = "actions_planned"
    ACTIONS_DONE = "actions_done"
    VERIFIED = "verified"
    CLOSED = "closed"
    ALL = "all"


def _say(text: str) -> None:
    console.print(text, highlight=False, markup=False, soft_wrap=True)


def _invalid(exc: ValidationError) -> str:
    return "; ".join(
        f"--{'.'.join(map(str, e['loc'])).replace('_', '-')}: {e['msg']}" for e in exc.errors()
    )


def _who(config: OrgConfig, person: str | None) -> dict[str, str] | None:
    return {"id": person, "name": config.display_name(person)} if person else None


def _action_row(config: OrgConfig, action: CorrectiveAction) -> dict[str, Any]:
    return {
        "ref": action.ref,
        "description": action.description,
        "owner": _who(config, action.owner),
        "due_on": action.due_on.isoformat(),
        "status": action.status,
        "done_by": _who(config, action.done_by),
        "done_at": action.done_at.isoformat(timespec="seconds") if action.done_at else None,
        "note": action.done_note,
        "nudged_before_on": _day(action.nudged_before_on),
        "nudged_after_on": _day(action.nudged_after_on),
        "escalated_on": _day(action.escalated_on),
    }


def _day(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _finding_row(
    config: OrgConfig, finding: Finding, actions: list[CorrectiveAction]
) -> dict[str, Any]:
    open_actions = [a for a in actions if a.status == "open"]
    return {
        "ref": finding.ref,
        "kind": finding.kind,
        "title": finding.title,
        "severity": finding.severity,
        "status": finding.status,
        "owner": _who(config, finding.owner),
        "source": finding.source,
        "source_ref": finding.source_ref,
        "records": list(finding.records),
        "controls": list(finding.controls),
        "actions": len(actions),
        "actions_done": len(actions) - len(open_actions),
        "next_due": min((a.due_on for a in open_actions), default=None),
        "raised_at": finding.raised_at.isoformat(timespec="seconds"),
    }


@app.command("add")
def add(
    ctx: typer.Context,
    kind: FindingKind = typer.Option(..., "--kind", help="What it is."),
    title: str = typer.Option(..., "--title", help="In a sentence: what was found."),
    owner: str = typer.Option(..., "--owner", metavar="PERSON", help=f"Its owner. {PERSON_HELP}"),
    severity: Severity = typer.Option(..., "--severity", help="How bad."),
    records: list[str] = typer.Option([], "--record", help="An AI use, like AIU-0007 (repeat)."),
    controls: list[str] = typer.Option(
        [], "--control", help="An ISO/IEC 42001 Annex A control, like A.6.2.6 (repeat)."
    ),
    description: str = typer.Option("", "--description", help="What was found, in detail."),
    root_cause: str = typer.Option("", "--root-cause", help="The root cause, if known."),
    actor: str = person_option("You, a governance lead."),
) -> None:
    """Raise a finding (nonconformity, observation or opportunity for improvement)."""
    config = app_context(ctx).config
    try:
        wanted = NewFinding(
            kind=kind,
            source=FindingSource.LEAD,
            title=title.strip(),
            description=description,
            records=[ref.strip().upper() for ref in records],
            controls=[control.strip().upper() for control in controls],
            severity=severity,
            owner=person_by_name(config, owner),
            root_cause=root_cause,
        )
    except ValidationError as exc:
        fail(escape(_invalid(exc)))
    with unit_of_work(ctx) as (session, context):
        finding = service.raise_finding(
            session, config=context.config, finding=wanted, actor=actor, now=utcnow()
        )
        ref, who = finding.ref, config.display_name(finding.owner)
    _say(f"Raised {ref} ({kind.value}, {severity.value}): {wanted.title}")
    _say(f"{who} owns it and is told; plan its actions with `aims finding action {ref} …`.")


@app.command("list")
def list_(
    ctx: typer.Context,
    status: Shown = typer.Option(Shown.OPEN, "--status", help="open: everything not closed."),
    as_json: bool = typer.Option(False, "--json", help="One JSON list, for scripts."),
) -> None:
    """Findings, with their actions' progress."""
    context = app_context(ctx)
    chosen = None if status is Shown.ALL else status.value
    with context.db.session() as session:
        rows = [
            _finding_row(context.config, f, list(service.actions_of(session, f)))
            for f in service.list_findings(session, status=chosen)
        ]
    if as_json:
        print_json(rows)
        return
    if not rows:
        _say("No findings." if status is Shown.ALL else f"No findings ({status.value}).")
        return
    preview = TITLE_PREVIEW if console.is_terminal else None
    table = Table("ID", "Kind", "Severity", "Status", "Owner", "Actions done", "Next due", "Title")
    for row in rows:
        table.add_row(
            row["ref"],
            row["kind"],
            row["severity"],
            row["status"].replace("_", " "),
            escape(row["owner"]["name"]),
            f"{row['actions_done']}/{row['actions']}",
            row["next_due"].isoformat() if row["next_due"] else "-",
            escape(row["title"][:preview]),
        )
    console.print(table)


def _summary(event: EvidenceEvent, config: OrgConfig) -> str:
    """One line of a finding's history, from its evidence event."""
    data = json.loads(event.payload)
    action = data.get("action", "")
    say: dict[str, Callable[[], str]] = {  # by kind (K: store.evidence_kinds.EvidenceKind)
        K.FINDING_RAISED: lambda: f"raised from {data['source']} {data['source_ref']}".strip(),
        K.FINDING_UPDATED: lambda: f"{data['field'].replace('_', ' ')} set: {data['to']}",
        K.FINDING_ACTION_ADDED: lambda: (
            f"{action} planned for {config.display_name(data['owner'])}, due {data['due_on']}: "
            f"{data['description']}"
        ),
        K.FINDING_ACTION_DONE: lambda: (
            f"{action} done" + (f": {data['note']}" if data["note"] else "")
        ),
        K.FINDING_ACTION_NUDGED: lambda: f"{action}'s owner nudged {data['when']} its due date",
        K.FINDING_ACTION_ESCALATED: lambda: f"{action} overdue: the governance leads were told",
        K.FINDING_VERIFIED: lambda: f"verified: {data['verification']}",
        K.FINDING_CLOSED: lambda: "closed",
        K.FINDING_REOPENED: lambda: f"reopened: {data['reason']}",
    }
    return say.get(event.kind, lambda: event.kind)()


@app.command("show")
def show(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="The finding, like FND-0001."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object, for scripts."),
) -> None:
    """A finding: its actions (owners, due dates, status) and its history from the ledger."""
    with unit_of_work(ctx) as (session, context):
        config = context.config
        finding = service.get_finding(session, ref)
        actions = list(service.actions_of(session, finding))
        shown = {
            **_finding_row(config, finding, actions),
            "description": finding.description,
            "root_cause": finding.root_cause,
            "verification": finding.verification,
            "raised_by": _who(config, finding.raised_by),
            "reopened": finding.reopened,
            "actions": [_action_row(config, a) for a in actions],
            "history": [
                {
                    "seq": e.seq,
                    "at": e.occurred_at.isoformat(timespec="seconds"),
                    "actor": _who(config, e.actor),
                    "kind": e.kind,
                    "what": _summary(e, config),
                }
                for e in service.history(session, finding)
            ],
        }
    if as_json:
        print_json(shown)
        return
    _print_finding(shown)


def _print_finding(shown: dict[str, Any]) -> None:
    _say(f"{shown['ref']}: {shown['title']}")
    facts = [
        ("Kind", shown["kind"]),
        ("Severity", shown["severity"]),
        ("Status", shown["status"].replace("_", " ")),
        ("Owner", shown["owner"]["name"]),
        ("From", f"{shown['source'].replace('_', ' ')} {shown['source_ref']}".strip()),
        ("Records", ", ".join(shown["records"])),
        ("Annex A controls", ", ".join(shown["controls"])),
        ("Description", shown["description"]),
        ("Root cause", shown["root_cause"]),
        ("Verification", shown["verification"]),
    ]
    for label, value in facts:
        if value:
            _say(f"  {label}: {value}")
    if shown["actions"]:
        table = Table("Action", "Owner", "Due", "Status", "What")
        for a in shown["actions"]:
            status = a["status"] if a["status"] == "open" else f"done {a['done_at'][:10]}"
            table.add_row(
                a["ref"], escape(a["owner"]["name"]), a["due_on"], status, escape(a["description"])
            )
        console.print(table)
    else:
        _say(f"No corrective actions yet: `aims finding action {shown['ref']} …` plans one.")
    history = Table("#", "When", "Who", "What")
    for line in shown["history"]:
        who = line["actor"]["name"] if line["actor"] else ""
        history.add_row(str(line["seq"]), line["at"][:16], escape(who), escape(line["what"]))
    console.print(history)


@app.command("root-cause")
def root_cause(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="The finding, like FND-0001."),
    text: str = typer.Argument(..., help="The root cause."),
    actor: str = person_option("You: the finding's owner or a governance lead."),
) -> None:
    """Record a finding's root cause."""
    with unit_of_work(ctx) as (session, context):
        finding = service.set_root_cause(
            session, config=context.config, ref=ref, root_cause=text, actor=actor, now=utcnow()
        )
        done = finding.ref
    _say(f"Recorded the root cause of {done}.")


@app.command("action")
def action(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="The finding, like FND-0001."),
    description: str = typer.Argument(..., help="What will be done."),
    owner: str | None = typer.Option(
        None, "--owner", metavar="PERSON", help=f"Who does it. {PERSON_HELP}"
    ),
    due: str | None = typer.Option(
        None, "--due", metavar="DATE|14d", help="By when: a date (2026-12-20), days or weeks."
    ),
    actor: str = person_option("You: the finding's owner or a governance lead."),
) -> None:
    """Plan a corrective action, with an owner and a due date; its owner is told."""
    missing = [what for what, given in (("--owner", owner), ("--due", due)) if not given]
    if missing:
        fail(
            f"a corrective action needs an owner and a due date: add {' and '.join(missing)} "
            "(like --owner U012ABCDEF --due 2026-12-20, or --due 14d)"
        )
    assert owner is not None and due is not None
    with unit_of_work(ctx) as (session, context):
        now = utcnow()
        try:
            wanted = NewAction(
                description=description.strip(),
                owner=person_by_name(context.config, owner),
                due_on=due_date(due, local_today(context.config, now)),
            )
        except ValidationError as exc:
            fail(escape(_invalid(exc)))
        planned = service.plan_action(
            session, config=context.config, ref=ref, action=wanted, actor=actor, now=now
        )
        told = (planned.ref, context.config.display_name(planned.owner), planned.due_on)
    _say(f"Planned {told[0]} for {ref.strip().upper()}: {told[1]}, due {told[2].isoformat()}.")
    _say(f"{told[1]} is told, nudged before and after the due date, then the leads.")


@app.command("done")
def done(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="The corrective action, like ACT-0001."),
    note: str = typer.Option("", "--note", help="What was done, where to see it."),
    actor: str = person_option("You: the action's owner, the finding's owner or a lead."),
) -> None:
    """Mark a corrective action done."""
    with unit_of_work(ctx) as (session, context):
        completed = service.complete_action(
            session, config=context.config, ref=ref, note=note, actor=actor, now=utcnow()
        )
        finding = session.get_one(Finding, completed.finding_id)
        what = (completed.ref, finding.ref, finding.status)
    _say(f"{what[0]} is done.")
    if what[2] == "actions_done":
        _say(f"Every action of {what[1]} is done: verify their effect with `aims finding verify`.")


def _moved(
    ctx: typer.Context, call: Callable[[Session, OrgConfig, datetime], Finding], said: str
) -> None:
    with unit_of_work(ctx) as (session, context):
        finding = call(session, context.config, utcnow())
        ref = finding.ref
    _say(said.format(ref=ref))


@app.command("verify")
def verify(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="The finding, like FND-0001."),
    how: str = typer.Option(..., "--how", help="What shows the actions worked."),
    actor: str = person_option("You: the finding's owner or a governance lead."),
) -> None:
    """Record the verification of effectiveness: what shows the actions worked."""
    _moved(
        ctx,
        lambda s, c, now: service.verify(
            s, config=c, ref=ref, verification=how, actor=actor, now=now
        ),
        "Verified {ref}; it can be closed: `aims finding close {ref}`.",
    )


@app.command("close")
def close(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="The finding, like FND-0001."),
    actor: str = person_option("You: the finding's owner or a governance lead."),
) -> None:
    """Close a verified finding."""
    _moved(
        ctx,
        lambda s, c, now: service.close(s, config=c, ref=ref, actor=actor, now=now),
        "Closed {ref}.",
    )


@app.command("reopen")
def reopen(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="The finding, like FND-0001."),
    reason: str = typer.Option(..., "--reason", help="Why: what shows the fix did not hold."),
    actor: str = person_option("You: the finding's owner or a governance lead."),
) -> None:
    """Reopen a finding whose fix did not hold; plan new actions for it."""
    _moved(
        ctx,
        lambda s, c, now: service.reopen(s, config=c, ref=ref, reason=reason, actor=actor, now=now),
        "Reopened {ref}: plan new actions with `aims finding action {ref} …`.",
    )
