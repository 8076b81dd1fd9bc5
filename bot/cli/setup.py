"""`aims init`, `aims config check`, `aims db upgrade`."""

from __future__ import annotations

import shutil
from pathlib import Path

import typer

from bot.cli.common import app_context, console, fail
from governance.catalogue import sync_catalogue

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "acme"


def init_organisation(target: Path) -> Path:
    """Copy the sample organisation into `target`; refuses to overwrite an existing aims.yaml."""
    if not SAMPLE.is_dir():
        fail(f"the sample organisation is missing ({SAMPLE}); reinstall AIMS Bot from its repository")
    config = target / "aims.yaml"
    if config.exists():
        fail(f"{config} already exists; edit it, or choose another folder")
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(SAMPLE / "aims.yaml", config)
    shutil.copytree(SAMPLE / "policies", target / "policies", dirs_exist_ok=True)
    return config


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
        with context.db.session() as session:
            sync_catalogue(session, context.config, actor="aims init")
        console.print(f"Created {config_path} with the sample organisation "
                      f"({len(context.config.catalogue)} tools in the catalogue).")
        console.print(f"Next: cd {directory} && aims register list")

    @config_app.command("check")
    def check(ctx: typer.Context) -> None:
        """Validate aims.yaml; errors name the line and key path."""
        context = app_context(ctx)
        config = context.config
        console.print(
            f"OK {context.config_path}: {config.organisation.name}, {len(config.people)} people, "
            f"{len(config.routing)} routing rules, {len(config.catalogue)} tools"
        )

    @db_app.command("upgrade")
    def upgrade(ctx: typer.Context) -> None:
        """Bring the database schema to the latest revision."""
        context = app_context(ctx)
        context.db.upgrade()
        with context.db.session() as session:
            sync_catalogue(session, context.config, actor="aims db upgrade")
        console.print("Database is at the latest revision.")
