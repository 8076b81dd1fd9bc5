"""`aims keys init | rotate | show`: the key that signs digests of the evidence ledger.

aims keys init [--as WHO]
aims keys rotate --as LEAD -j "why"
aims keys show [--json]
"""

from __future__ import annotations

from typing import Any

import typer
from rich.markup import escape

from bot.cli.common import (
    app_context,
    cli_actor,
    console,
    err_console,
    fail,
    optional_person_option,
    person_option,
    print_json,
)
from governance.audit import keys, signing
from governance.errors import AimsError

app = typer.Typer(no_args_is_help=True)


@app.command("init")
def init(
    ctx: typer.Context,
    actor: str | None = optional_person_option(
        "Who creates it, as the evidence records it (default: cli:USER)."
    ),
) -> None:
    """Create the ledger's signing key (a 0600 file in the data directory, or
    AIMS_SIGNING_KEY_FILE; or adopt the key in AIMS_SIGNING_KEY), record its public key as
    evidence and sign the first digest."""
    context = app_context(ctx)
    try:
        with context.db.session() as session:
            change = keys.init_key(session, context, actor=cli_actor(actor))
    except AimsError as exc:
        fail(escape(str(exc)))
    print(f"Signing key {change.fingerprint}")
    print(f"  kept at {change.where} (readable by you only; it never enters the database)")
    print(f"  recorded in the ledger, and digest {change.digest['digest']} signed with it")
    err_console.print(
        "[bold yellow]Back the key file up somewhere safe:[/] without it no further digest can "
        "be signed, and a rotation needs the old key to endorse the new one.",
        highlight=False,
        soft_wrap=True,
    )


@app.command("rotate")
def rotate(
    ctx: typer.Context,
    actor: str = person_option("You, a governance lead."),
    justification: str = typer.Option(
        ..., "--justification", "--reason", "-j", help="Why, in writing (kept as evidence)."
    ),
) -> None:
    """Replace the signing key: the old key endorses the new one, the rotation is recorded as
    evidence, and the old key file is kept beside the new one."""
    context = app_context(ctx)
    try:
        with context.db.session() as session:
            change = keys.rotate_key(
                session,
                context,
                actor=actor,
                reason=justification,
                config=context.config,
            )
    except AimsError as exc:
        fail(escape(str(exc)))
    assert change.previous_fingerprint is not None
    print(f"Signing key rotated: {change.previous_fingerprint} -> {change.fingerprint}")
    print(f"  the new key is at {change.where}; the old one is kept at {change.archived}")
    print(f"  digest {change.digest['digest']} signed with the new key")


@app.command("show")
def show(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="One JSON object, for scripts."),
) -> None:
    """The signing key's fingerprint and public key, and the keys the ledger has recorded."""
    context = app_context(ctx)
    try:
        configured = signing.load_key(context)
        place = signing.key_place(context).describe()
        with context.db.session() as session:
            recorded = signing.recorded_keys(session)
    except AimsError as exc:
        fail(escape(str(exc)))
    if as_json:
        print_json(_as_json(configured, place, recorded))
        return
    if configured is None and not recorded:
        console.print(f"No signing key (none at {place}). `aims keys init` creates one.")
        return
    for key in recorded:
        how = "rotated to" if key.rotated else "created"
        at = key.at.isoformat(timespec="seconds")
        print(f"#{key.seq} {at} {how} {key.fingerprint} by {key.actor}")
    trusted = recorded[-1].fingerprint if recorded else None
    if configured is None:
        fail(f"no signing key at {place}, though the ledger trusts {trusted}", code=1)
    print(f"Signing key at {place}: {configured.fingerprint}")
    if configured.fingerprint != trusted:
        fail(
            f"this is not the key the ledger trusts ({trusted or 'none recorded'}): digests "
            "signed with it would be reported as a key swap",
            code=1,
        )
    print(configured.public_pem.decode("ascii"), end="")


def _as_json(
    configured: signing.SigningKey | None, place: str, recorded: list[signing.RecordedKey]
) -> dict[str, Any]:
    return {
        "configured": {
            "where": place,
            "fingerprint": configured.fingerprint,
            "public_key_pem": configured.public_pem.decode("ascii"),
        }
        if configured
        else None,
        "recorded": [
            {
                "seq": key.seq,
                "fingerprint": key.fingerprint,
                "rotated": key.rotated,
                "by": key.actor,
                "at": key.at.isoformat(),
            }
            for key in recorded
        ],
    }


def register_commands(root: typer.Typer) -> None:
    root.add_typer(
        app, name="keys", help="The key that signs digests of the evidence ledger: init, rotate."
    )
