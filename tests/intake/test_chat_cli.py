"""`aims chat` on a fresh machine: sets up the demo, registers a use from piped stdin,
resumes after the process ends mid-conversation, and the record shows in `aims register show`."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.cli import chat as chat_cli
from bot.context import AppContext

FIRST_HALF = (
    "\n".join(
        [
            "We want Copilot to draft replies to customer complaints. An adviser checks every "
            "reply before it is sent.",
            "yes",  # the customer-facing use and the customer data it read are right
            "1",  # "Copilot" is two catalogue tools: 1 = Microsoft 365 Copilot
            "Customer Operations",
            "1",  # owner: Me
        ]
    )
    + "\n"
)
# Decisions about people: no; the catalogue settles location and contract; 1 = Confirm.
SECOND_HALF = "\n".join(["no", "1"]) + "\n"


@pytest.fixture
def ingested(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Policy ingestion is retrieval's (and takes half a minute on a small machine); here we
    check that the first run asks for it, with the demo's own policy folder."""
    calls: list[Path] = []

    def fake_ingest(context: AppContext, out: object) -> None:
        calls.extend(context.policy_paths())

    monkeypatch.setattr(chat_cli, "_ingest", fake_ingest)
    return calls


@pytest.fixture
def fresh_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ingested: list[Path]) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AIMS_CONFIG", raising=False)
    monkeypatch.delenv("AIMS_DATA_DIR", raising=False)
    monkeypatch.delenv("AIMS_DATABASE_URL", raising=False)
    monkeypatch.setenv("AIMS_DEMO_DIR", str(tmp_path / "demo"))
    return tmp_path / "demo"


def test_chat_registers_end_to_end_and_resumes_after_a_restart(
    fresh_machine: Path, ingested: list[Path]
) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["chat", "--user", "U0ACME0009"], input=FIRST_HALF)
    assert first.exit_code == 0, first.output
    assert (fresh_machine / "aims.yaml").exists()
    assert ingested == [(fresh_machine / "policies").resolve()]
    assert "set up the sample organisation" in first.stderr
    assert "Let's register" in first.stdout
    assert "> " not in first.stdout  # no prompt decorations when stdin is not a terminal
    assert first.stdout.rstrip().endswith("3. It decides by itself")

    # The process ended mid-conversation; a new one picks up at the same question.
    second = runner.invoke(app, ["chat", "--user", "U0ACME0009"], input=SECOND_HALF)
    assert second.exit_code == 0, second.output
    assert "Picking up your unfinished registration" in second.stdout
    assert "Which team or business unit" not in second.stdout  # never asked again
    assert "Risk tier: LIMITED" in second.stdout
    assert 'Filed AIU-0002 "Copilot to draft replies to customer complaints"' in second.stdout
    assert ingested == [(fresh_machine / "policies").resolve()]  # first run only

    shown = runner.invoke(
        app, ["--config", str(fresh_machine / "aims.yaml"), "register", "show", "AIU-0002"]
    )
    assert shown.exit_code == 0, shown.output
    assert "Risk tier: limited" in shown.output and "Art. 50" in shown.output.replace("\n", " ")


def test_chat_answers_help_and_quits(fresh_machine: Path) -> None:
    result = CliRunner().invoke(app, ["chat"], input="help\nquit\nmy records\n")
    assert result.exit_code == 0, result.output
    assert "Register a new AI use" in result.output
    assert "Your records" not in result.output and "no register records" not in result.output
