"""`aims run`: the Slack bot (Socket Mode when SLACK_APP_TOKEN is set, HTTP mode otherwise),
with the outbox sender and the scheduler in background threads, and the AI gateway beside them
when aims.yaml has a `gateway:` section."""

from __future__ import annotations

import typer

from bot.cli.common import app_context, console, fail


def register_commands(app: typer.Typer) -> None:
    @app.command("run")
    def run(
        ctx: typer.Context,
        port: int | None = typer.Option(
            None,
            "--port",
            help="HTTP mode: the port for /slack/events (else AIMS_PORT, else 3000).",
        ),
        host: str = typer.Option("0.0.0.0", "--host", help="HTTP mode: the address to listen on."),
        workers: int | None = typer.Option(
            None,
            "--workers",
            help="HTTP mode: processes for the work after each ack (else AIMS_WORKERS, else 2; "
            "0 runs it in threads of the serving process).",
        ),
    ) -> None:
        """Run the Slack bot until interrupted."""
        from slack_bolt.error import BoltError
        from slack_sdk.errors import SlackApiError

        from bot.slack.app import create_app
        from bot.slack.config import load_slack_config
        from bot.slack.run import serve

        context = app_context(ctx)
        config = load_slack_config()  # a missing or malformed token stops here, naming it
        try:
            slack_app, services = create_app(context, config)
        except (BoltError, SlackApiError) as exc:
            fail(
                f"Slack refused SLACK_BOT_TOKEN ({exc}). Copy the Bot User OAuth Token again "
                "from OAuth & Permissions, and check SLACK_API_URL if you set it."
            )
        gateway = None
        if context.config.gateway is not None:
            from bot.gateway.serve import start_in_thread

            gateway = start_in_thread(context)  # before Slack's threads: it loads Presidio
            settings = context.config.gateway
            console.print(f"AIMS gateway on http://{settings.host}:{settings.port}/v1")
        mode = (
            "Socket Mode"
            if config.socket_mode
            else f"HTTP mode on port {port or context.settings.port}"
        )
        # Start-up loads the embedding model and policy indexes first (a few seconds), so
        # the first question is answered as fast as the rest.
        console.print(f"AIMS Bot starting in {mode}, loading policy search first. Ctrl-C stops it.")
        try:
            serve(
                context,
                slack_app,
                services,
                host=host,
                port=port or context.settings.port,
                workers=context.settings.workers if workers is None else workers,
            )
        finally:
            if gateway is not None:
                gateway.stop()
