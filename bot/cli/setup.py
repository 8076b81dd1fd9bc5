"""`aims init`, `aims config check`, `aims db upgrade`."""

from __future__ import annotations

import shutil
from pathlib import Path

import typer
from rich.markup import escape
from sqlalchemy.orm import Session

from bot.cli.common import app_context, console, fail
from governance.audit.keys import init_key
from governance.catalogue import sync_catalogue
from governance.config import OrgConfig
from governance.context import AppContext
from governance.errors import AimsError, ConfigError
from governance.gateway.self_record import register_aims_bot
from store.ledger_verify import short

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "acme"


def init_organisation(target: Path) -> Path:
    """Copy the sample organisation into `target`; refuses to overwrite an existing aims.yaml."""
    if not (SAMPLE / "aims.yaml").is_file():
        fail(
            f"the sample organisation is missing ({SAMPLE}); reinstall AIMS Bot from its repository"
        )
    config = target / "aims.yaml"
    if config.exists():
        fail(f"{config} already exists; edit it, or choose another folder")
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(SAMPLE / "aims.yaml", config)
    if (SAMPLE / "policies").is_dir():
        shutil.copytree(SAMPLE / "policies", target / "policies", dirs_exist_ok=True)
    return config


def sign_new_ledger(session: Session, context: AppContext) -> str:
    """A new organisation's ledger is signed from its first events (`aims keys init`)."""
    try:
        change = init_key(session, context, actor="aims init")
    except AimsError as exc:
        return f"No signing key was made ({exc}); see `aims keys show`."
    return (
        f"The evidence ledger is signed with key {short(change.fingerprint)} (kept at "
        f"{change.where}; back it up outside this machine)."
    )


def _checked_config(ctx: typer.Context) -> OrgConfig:
    """The organisation's config, or a friendly error naming file, line and key path."""
    try:
        return app_context(ctx).config
    except ConfigError as exc:
        fail(escape(str(exc)))


def register_commands(app: typer.Typer) -> None:
    config_app = typer.Typer(help="Check the organisation's aims.yaml.")
    db_app = typer.Typer(help="Database schema.")
    app.add_typer(config_app, name="config")
    app.add_typer(db_app, name="db")

    @app.command("init")
    def init(
        ctx: typer.Context,
        directory: Path = typer.Argument(Path("."), help="Where to create the organisation."),
    ) -> None:
        """Create a working organisation from the sample (Acme) in DIR."""
        config_path = init_organisation(directory)
        context = app_context(ctx)
        context.config_path = config_path
        context.__dict__.pop("config", None)  # in case anything read the old path's config
        config = _checked_config(ctx)
        with context.db.session() as session:
            sync_catalogue(session, config, actor="aims init")
            itself = register_aims_bot(session, config, actor="aims init").ref
            signing = sign_new_ledger(session, context)
        console.print(
            f"Created {config_path} with the sample organisation "
            f"({len(config.catalogue)} tools in the catalogue; AIMS Bot itself is registered "
            f"as {itself}).",
            highlight=False,
            soft_wrap=True,
        )
        console.print(signing, highlight=False, soft_wrap=True)
        console.print(
            f"Next: cd {directory} && aims register list", highlight=False, soft_wrap=True
        )

    @config_app.command("check")
    def check(ctx: typer.Context) -> None:
        """Validate aims.yaml; errors name the line and key path."""
        context = app_context(ctx)
        config = _checked_config(ctx)
        console.print(
            f"OK {context.config_path}: {config.organisation.name}, {len(config.people)} people, "
            f"{len(config.routing)} routing rules, {len(config.catalogue)} tools",
            highlight=False,
            soft_wrap=True,
        )

    @db_app.command("upgrade")
    def upgrade(ctx: typer.Context) -> None:
        """Bring the database schema to the latest revision."""
        context = app_context(ctx)
        config = _checked_config(ctx)
        context.db.upgrade()
        with context.db.session() as session:
            sync_catalogue(session, config, actor="aims db upgrade")
        console.print("Database is at the latest revision.")
