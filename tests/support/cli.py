"""CLI fixtures: a small organisation file and the `aims` CLI in-process.

Expose them to a test directory through its conftest.py:

    from tests.support.cli import org_file, run_cli

    __all__ = ["org_file", "run_cli"]
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from bot.cli import app

SMALL_ORG = """\
organisation:
  name: Test Org
people:
  - slack_id: U0TEST0001
    name: Grace Lead
  - slack_id: U0TEST0002
    name: Pat Privacy
roles:
  governance_leads: [U0TEST0001]
  privacy: [U0TEST0002]
"""

RunCli = Callable[..., Result]


@pytest.fixture
def org_file(tmp_path: Path) -> Path:
    """A minimal valid aims.yaml, independent of the sample organisation."""
    path = tmp_path / "org" / "aims.yaml"
    path.parent.mkdir()
    path.write_text(SMALL_ORG, encoding="utf-8")
    return path


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch) -> RunCli:
    """`aims ARGS...` in-process, the way a person types it, against a chosen database."""
    for name in ("AIMS_CONFIG", "AIMS_DATA_DIR", "AIMS_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)

    def run(
        *args: str | Path, config: Path | None = None, database_url: str | None = None
    ) -> Result:
        argv = [str(arg) for arg in args]
        if config is not None:
            argv = ["--config", str(config), *argv]
        env = {"AIMS_DATABASE_URL": database_url} if database_url else {}
        return CliRunner().invoke(app, argv, env=env, catch_exceptions=False)

    return run
