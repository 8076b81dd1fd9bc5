"""`aims gateway …`: keys for approved AI uses, a use's gateway options, and what the gateway
did. The same services as Slack: the same checks on who may act, the same evidence, the same
notices queued for the owner.

    aims gateway key create AIU-0007 --as USER
    aims gateway key list [AIU-0007] [--json]
    aims gateway key revoke KEY-0003 --as USER -j "why"
    aims gateway restore AIU-0007 on|off --as USER
    aims gateway stats [--since DATE] [--json]
"""

from __future__ import annotations

from datetime import datetime, time
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from bot.cli.common import (
    app_context,
    console,
    err_console,
    fail,
    person_option,
    print_json,
)
from governance.config import GatewaySettings, OrgConfig
from governance.errors import AimsError
from governance.gateway import keys
from governance.gateway.stats import gateway_stats, shadow_line, use_line
from store.gateway_models import GatewayKey

app = typer.Typer(no_args_is_help=True)
key_app = typer.Typer(no_args_is_help=True)
app.add_typer(key_app, name="key", help="Gateway keys of approved AI uses: create, list, revoke.")


class OnOff(StrEnum):
    ON = "on"
    OFF = "off"


def _endpoint(config: OrgConfig) -> str:
    settings = config.gateway or GatewaySettings()
    return f"http://{settings.host}:{settings.port}/v1"


@key_app.command("create")
def create(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="The record id, like AIU-0007 (approved or live)."),
    actor: str = person_option("You: the record's owner or a governance lead."),
) -> None:
    """Issue a gateway key for an approved AI use. The key is printed once, never again."""
    context = app_context(ctx)
    try:
        with context.db.session() as session:
            issued = keys.issue_key(
                session, record_ref=ref, actor=actor, config=context.config, via="cli"
            )
    except AimsError as exc:
        fail(str(exc))
    # Plain print: nothing may wrap or restyle the key.
    print(f"{issued.key_id} issued for {issued.record_ref} ({issued.title}).\n")
    print(f"    {issued.key}\n")
    err_console.print(
        "[bold yellow]Copy the key now: it is shown this once and cannot be shown again[/] "
        "(only its hash is kept; if it is lost, revoke it and create another).",
        highlight=False,
        soft_wrap=True,
    )
    print(
        f"Use it as the API key of an OpenAI client with base URL {_endpoint(context.config)}; "
        f"it is known from now on as {issued.shown}."
    )


def _key_row(key: GatewayKey, config: OrgConfig) -> dict[str, Any]:
    return {
        "key_id": key.key_id,
        "prefix": key.prefix,
        "record": key.record_ref,
        "created_by": key.created_by,
        "created_at": key.created_at.isoformat(timespec="seconds"),
        "revoked_at": key.revoked_at.isoformat(timespec="seconds") if key.revoked_at else None,
        "revoked_by": key.revoked_by,
        "revoked_reason": key.revoked_reason or None,
        "status": "revoked" if key.revoked_at else "active",
        "created_by_name": config.display_name(key.created_by),
    }


@key_app.command("list")
def list_(
    ctx: typer.Context,
    ref: str | None = typer.Argument(None, help="Only this record's keys (AIU-0007)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON list, for scripts."),
) -> None:
    """Gateway keys, by id and prefix (the keys themselves are never kept)."""
    context = app_context(ctx)
    try:
        with context.db.session() as session:
            rows = [_key_row(k, context.config) for k in keys.list_keys(session, ref)]
    except AimsError as exc:
        fail(str(exc))
    if as_json:
        print_json(rows)
        return
    if not rows:
        where = f" for {ref.upper()}" if ref else ""
        console.print(
            f"No gateway keys{where}. `aims gateway key create AIU-… --as YOU` issues one."
        )
        return
    table = Table("Key", "Prefix", "Record", "Created", "By", "Status")
    for row in rows:
        status = "active"
        if row["revoked_at"]:
            status = f"revoked {row['revoked_at'][:10]}: {row['revoked_reason']}"
        table.add_row(
            row["key_id"],
            f"{row['prefix']}…",
            row["record"],
            row["created_at"][:16].replace("T", " "),
            row["created_by_name"],
            status,
        )
    console.print(table)


@key_app.command("revoke")
def revoke(
    ctx: typer.Context,
    key_id: str = typer.Argument(..., help="The key id, like KEY-0003 (`aims gateway key list`)."),
    actor: str = person_option("You: the record's owner or a governance lead."),
    reason: str = typer.Option(
        ..., "--justification", "--reason", "-j", help="Why, in writing (kept as evidence)."
    ),
) -> None:
    """Revoke a gateway key: requests with it are refused from the next one on."""
    context = app_context(ctx)
    try:
        with context.db.session() as session:
            row = keys.revoke_key(
                session, key_id=key_id, actor=actor, reason=reason, config=context.config
            )
            shown, ref = keys.shown(row), row.record_ref
    except AimsError as exc:
        fail(str(exc))
    console.print(
        f"Revoked {shown} of {ref}; its owner has been told.", highlight=False, soft_wrap=True
    )


@app.command("restore")
def restore(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="The record id, like AIU-0007."),
    state: OnOff = typer.Argument(..., help="on: answers get the originals back; off: default."),
    actor: str = person_option("You: the record's owner or a governance lead."),
) -> None:
    """Put redacted personal data back into a use's answers (per use; off by default)."""
    context = app_context(ctx)
    on = state is OnOff.ON
    try:
        with context.db.session() as session:
            changed = keys.set_restore_placeholders(
                session, record_ref=ref, on=on, actor=actor, config=context.config
            )
    except AimsError as exc:
        fail(str(exc))
    what = "restored in" if on else "left as placeholders in"
    prefix = "" if changed else "Already so: "
    console.print(
        f"{prefix}{ref.upper()}: redacted personal data is {what} the answers its callers get.",
        highlight=False,
        soft_wrap=True,
    )


def parse_since(value: str | None, config: OrgConfig) -> datetime | None:
    """A date (midnight in the organisation's timezone) or an ISO time (UTC without offset)."""
    if value is None:
        return None
    zone = ZoneInfo(config.organisation.timezone)
    try:
        if len(value.strip()) == 10:
            day = datetime.fromisoformat(value.strip()).date()
            return datetime.combine(day, time(0), tzinfo=zone)
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        fail(f"--since {value!r} is not a date; try 2026-11-17 or 2026-11-17T09:00:00+00:00")
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo("UTC"))


@app.command("stats")
def stats(
    ctx: typer.Context,
    since: str | None = typer.Option(
        None, "--since", help="From this date or ISO time (default: everything recorded)."
    ),
    as_json: bool = typer.Option(False, "--json", help="One JSON object, for scripts."),
) -> None:
    """What the gateway did per AI use, and requests with unknown or revoked keys."""
    context = app_context(ctx)
    start = parse_since(since, context.config)
    with context.db.session() as session:
        figures = gateway_stats(session, since=start)
    if as_json:
        data = figures.model_dump(mode="json")
        data["shadow"]["total"] = figures.shadow.total
        print_json(data)
        return
    period = f"since {start:%d %b %Y %H:%M %Z}" if start else "everything recorded"
    print(f"Gateway, {period}:")
    if not figures.uses:
        print("  no requests and no keys")
    for use in figures.uses:
        print(f"  {use_line(use)}")
    print(f"Unknown, revoked or missing keys (possible shadow AI): {shadow_line(figures.shadow)}")


# --- `aims gateway serve [--port N]`: the HTTP gateway (bot/gateway), added by its builder
# --- below this line, as one more @app.command on this same `app`.


@app.command("serve")
def serve(
    ctx: typer.Context,
    port: int | None = typer.Option(
        None, "--port", help="The port to listen on (else gateway.port in aims.yaml, 4000)."
    ),
    host: str | None = typer.Option(
        None, "--host", help="The address to listen on (else gateway.host, 127.0.0.1)."
    ),
) -> None:
    """Serve the OpenAI-compatible gateway (POST /v1/chat/completions, GET /v1/models,
    GET /healthz) until interrupted."""
    from governance.pii import import_presidio

    # Before anything else loads: this process never loads a model (see governance.pii).
    import_presidio(without_ml=True)
    from bot.gateway.serve import make_server

    context = app_context(ctx)
    try:
        server = make_server(context, host=host, port=port)
    except AimsError as exc:
        fail(str(exc))
    config = server.config
    console.print(
        f"AIMS gateway on http://{config.host}:{config.port}/v1 (OpenAI-compatible). "
        "Ctrl-C stops it."
    )
    server.run()
