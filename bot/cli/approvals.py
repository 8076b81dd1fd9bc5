"""`aims approvals list | decide | resubmit`: approvals without Slack, through the same services
(the same checks on who may act, the same evidence, the same messages queued for Slack)."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from bot.cli.common import app_context, console, fail, person_option, print_json
from governance.approvals.flows import decide, resubmit_after_changes
from governance.approvals.messages import when
from governance.approvals.models import DecisionInput, Verdict
from governance.approvals.service import (
    get_request,
    list_requests,
    open_request_for,
    pending_slots,
    slots_for_actor,
)
from governance.config import OrgConfig
from governance.errors import AimsError
from governance.register import get_record
from store.approval_models import ApprovalRequest

app = typer.Typer(no_args_is_help=True)


def _find(session: Session, ident: str) -> ApprovalRequest:
    """A request by number (7, #7) or the open request of a record (AIU-0007)."""
    cleaned = ident.strip().lstrip("#")
    return (
        get_request(session, int(cleaned))
        if cleaned.isdigit()
        else open_request_for(session, cleaned)
    )


def _row(session: Session, request: ApprovalRequest, config: OrgConfig) -> dict[str, Any]:
    waiting = (
        [
            {
                "slot": slot.key,
                # Ids for `decide --as`, names for people reading.
                "approvers": [{"id": p, "name": config.display_name(p)} for p in slot.approvers],
            }
            for slot in pending_slots(session, request)
        ]
        if request.status == "open"
        else []
    )
    return {
        "id": request.id,
        "ref": request.record_ref,
        "version": request.version,
        "tier": request.tier,
        "status": request.status,
        "opened_at": request.opened_at.isoformat(timespec="seconds"),
        "waiting_for": waiting,
    }


@app.command("list")
def list_(
    ctx: typer.Context,
    show_all: bool = typer.Option(False, "--all", help="Closed requests too."),
    as_json: bool = typer.Option(False, "--json", help="One JSON list, for scripts."),
) -> None:
    """Approval requests, and whose decision each is waiting for."""
    context = app_context(ctx)
    with context.db.session() as session:
        rows = [
            _row(session, r, context.config)
            for r in list_requests(session, status=None if show_all else "open")
        ]
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("No open approval requests." + ("" if show_all else " (--all shows closed)"))
        return
    table = Table("#", "Record", "v", "Tier", "Status", "Opened", "Waiting for")
    for row in rows:
        waiting = "; ".join(
            f"{w['slot']}: {' or '.join(a['name'] for a in w['approvers'])}"
            for w in row["waiting_for"]
        )
        table.add_row(
            str(row["id"]),
            row["ref"],
            str(row["version"]),
            row["tier"] or "-",
            row["status"],
            row["opened_at"],
            waiting or "-",
        )
    console.print(table)


@app.command("decide")
def decide_(
    ctx: typer.Context,
    ident: str = typer.Argument(..., help="Request number (`aims approvals list`) or record id."),
    actor: str = person_option("You: a named approver or their delegate."),
    verdict: Verdict = typer.Option(Verdict.APPROVE, "--verdict", help="What you decide."),
    reason: str = typer.Option("", "--reason", help="Why (required unless you approve)."),
    conditions: list[str] = typer.Option([], "--condition", help="A condition (repeatable)."),
    slot: str | None = typer.Option(None, "--slot", help="Which approval, if you hold several."),
) -> None:
    """Approve, approve with conditions, request changes or reject."""
    context = app_context(ctx)
    with context.db.session() as session:
        request = _find(session, ident)
        slot_key = slot or _only_slot(session, request, actor, context.config)
        result = decide(
            session,
            config=context.config,
            decision=DecisionInput(
                request_id=request.id,
                slot=slot_key,
                verdict=verdict,
                actor=actor,
                reason=reason,
                conditions=conditions,
                via="cli",
                version=request.version,
            ),
        )
    if not result.accepted:
        fail(result.message)
    console.print(result.message, highlight=False, soft_wrap=True)


def _only_slot(session: Session, request: ApprovalRequest, actor: str, config: OrgConfig) -> str:
    mine = slots_for_actor(session, request, actor, config)
    if len(mine) == 1:
        return mine[0].key
    if not mine:
        waiting = ", ".join(s.key for s in pending_slots(session, request)) or "nothing"
        fail(
            f"{config.display_name(actor)} has no pending approval on {request.record_ref} "
            f"v{request.version} (waiting for: {waiting})."
        )
    fail(
        f"you hold several approvals here; add --slot with one of: {', '.join(s.key for s in mine)}"
    )


def _parse_sets(pairs: list[str]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep:
            fail(f'--set {pair!r}: write field=value, e.g. --set purpose="Draft replies"')
        try:
            changes[name.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            changes[name.strip()] = raw
    return changes


@app.command("resubmit")
def resubmit(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="The record id, like AIU-0007."),
    actor: str = person_option("You: the requester, the business owner or a governance lead."),
    sets: list[str] = typer.Option(
        ...,
        "--set",
        help="field=value (JSON for lists); repeatable. Only the intake's answers (purpose, "
        "data_categories, deployment, ...); the risk tier is recomputed from them.",
    ),
    reason: str = typer.Option(..., "--reason", help="What changed and why."),
) -> None:
    """Make the requested changes: a new version and a new approval request."""
    context = app_context(ctx)
    with context.db.session() as session:
        record = get_record(session, ref)
        try:
            resubmit_after_changes(
                session,
                record=record,
                changes=_parse_sets(sets),
                actor=actor,
                config=context.config,
                reason=reason,
            )
        except AimsError as exc:
            fail(str(exc))
        console.print(
            f"{record.ref} is now v{record.version}, {record.status.replace('_', ' ')}"
            f" (submitted {when(record.updated_at)}); approvers have been asked again.",
            soft_wrap=True,
        )
