"""`aims chat`: talk to the bot in the terminal, on the embedded default setup.

On a fresh machine (no --config, no AIMS_CONFIG, no ./aims.yaml) it creates the sample
organisation in ~/.aims-demo and ingests its policies, so one command shows the whole product.
Reads stdin too: a script can pipe lines in, and then no prompts or banners are printed.
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import TextIO

import typer

from bot.cli.common import app_context
from bot.console import render_all, to_inbound
from bot.context import AppContext, demo_dir
from intake.replies import Choice, Inbound, Reply
from retrieval.runtime import ingest_policies
from retrieval.warm_up import warm_up_in_background

_BYE = {"quit", "exit", "bye", ":q"}


def _needs_demo(ctx: typer.Context, context: AppContext) -> bool:
    explicit = ctx.find_root().params.get("config")
    return (
        explicit is None
        and context.settings.config is None
        and (not context.config_path.exists() or context.config_path.parent == demo_dir())
    )


def prepare_demo(context: AppContext, target: Path, out: TextIO) -> None:
    """Point the context at the sample organisation in `target`, creating it on first use."""
    from bot.cli.setup import init_organisation, sign_new_ledger
    from governance.catalogue import sync_catalogue
    from governance.gateway.self_record import register_aims_bot

    config_path = target / "aims.yaml"
    created = not config_path.exists()
    if created:
        init_organisation(target)
    context.config_path = config_path
    for cached in ("config", "data_dir", "db"):
        context.__dict__.pop(cached, None)
    signing = ""
    with context.db.session() as session:
        sync_catalogue(session, context.config, actor="aims chat")
        if created:  # AIMS Bot is itself an AI use of the new organisation
            register_aims_bot(session, context.config, actor="aims chat")
            signing = sign_new_ledger(session, context)
    if created:
        print(
            f"No aims.yaml here, so I set up the sample organisation (Acme) in {target}.\n"
            f"Other commands use it with: aims --config {config_path} ...\n{signing}",
            file=out,
        )
        _ingest(context, out)


def _ingest(context: AppContext, out: TextIO) -> None:
    print("Reading the sample policies (first run only)...", file=out)
    try:
        with context.db.session() as session:
            report = ingest_policies(context, session, actor="aims chat")
        print(f"Ingested {report.total_chunks} policy passages.", file=out)
    except Exception as exc:  # policy search is optional; registering still works
        print(f"Could not ingest the policies ({exc}); policy answers may be limited.", file=out)


def _default_user() -> str:
    try:
        return f"local:{getpass.getuser()}"
    except (KeyError, OSError):
        return "local:user"


def run_chat(
    context: AppContext,
    *,
    user: str,
    thread: str,
    stdin: TextIO,
    out: TextIO,
    interactive: bool,
    config_hint: Path | None = None,
) -> None:
    from bot.router import Router

    router = Router(context)
    offered: list[Choice] = []

    def show(replies: list[Reply]) -> None:
        nonlocal offered
        if replies:
            print(render_all(replies), file=out, flush=True)
            offered = next((r.choices for r in reversed(replies) if r.choices), [])
        refs = [ref for reply in replies for ref in reply.record_refs]
        if refs and config_hint is not None:
            print(
                f"(This is the demo organisation: aims --config {config_hint} register show "
                f"{refs[0]})",
                file=out,
            )

    resumed = router.resume(Inbound(user=user, thread=thread))
    if interactive:
        print(
            'AIMS Bot. Ask a policy question, say "register" to register an AI use, '
            '"help" for more, "quit" to leave.',
            file=out,
        )
    if resumed:
        print("Picking up your unfinished registration:", file=out)
    show(resumed)
    while True:
        if interactive:
            print("\n> ", end="", file=out, flush=True)
        line = stdin.readline()
        if not line:
            break
        text = line.rstrip("\n")
        if text.strip().lower() in _BYE:
            break
        if not text.strip() and not offered:
            continue
        show(router.handle(to_inbound(text, offered, user=user, thread=thread)))


def register_commands(app: typer.Typer) -> None:
    @app.command("chat")
    def chat(
        ctx: typer.Context,
        user: str = typer.Option(
            None, "--user", "-u", help="Who you are (a Slack id from aims.yaml, or any name)."
        ),
        thread: str = typer.Option(
            "console", "--thread", help="Conversation name; the same name resumes it."
        ),
    ) -> None:
        """Talk to AIMS Bot in the terminal: policy questions, tool checks, registrations."""
        context = app_context(ctx)
        interactive = sys.stdin.isatty()
        hint = None
        if _needs_demo(ctx, context):
            target = demo_dir()
            prepare_demo(context, target, sys.stderr if not interactive else sys.stdout)
            hint = context.config_path
        if interactive:  # loads policy search while the person reads the banner and types
            warm_up_in_background(context)
        run_chat(
            context,
            user=user or _default_user(),
            thread=thread,
            stdin=sys.stdin,
            out=sys.stdout,
            interactive=interactive,
            config_hint=hint,
        )
