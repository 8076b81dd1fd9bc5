"""A signing key for a test organisation, made the way an operator makes one: `aims keys init`."""

from __future__ import annotations

from typer.testing import CliRunner

from bot.cli import app
from bot.context import AppContext


def init_signing_key(ctx: AppContext) -> str:
    result = CliRunner().invoke(
        app,
        ["--config", str(ctx.config_path), "keys", "init"],
        env={"AIMS_DATABASE_URL": ctx.db.url, "AIMS_DATA_DIR": str(ctx.data_dir)},
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return result.output
