"""`aims jobs`, `aims incident` and `aims digest` as a person uses them in a terminal."""

from __future__ import annotations

from datetime import timedelta

from typer.testing import CliRunner

from bot.cli import app
from tests.scheduler.support import live_record, queued

runner = CliRunner()


def _aims(app_context, *args):
    return runner.invoke(
        app,
        ["--config", str(app_context.config_path), *args],
        env={"AIMS_DATABASE_URL": app_context.db.url, "COLUMNS": "200"},
        catch_exceptions=False,
    )


def test_jobs_list_shows_every_job_with_its_next_run(app_context):
    listed = _aims(app_context, "jobs", "list")
    assert listed.exit_code == 0
    for job_id in (
        "review-sweep",
        "incident-follow-ups",
        "approval-escalations",
        "intake-expiry",
        "weekly-digest",
    ):
        assert job_id in listed.output
    assert "Europe/London" in listed.output and "Mon " in listed.output


def test_jobs_run_as_if_at_a_time_does_what_was_due_then(app_context, now):
    live_record(app_context.db, due=(now + timedelta(days=10)).date(), now=now)
    early = _aims(app_context, "jobs", "run", "review-sweep", "--now", now.isoformat())
    assert "nothing due" in early.output
    later = (now + timedelta(days=10)).isoformat()
    assert "1 notify" in _aims(app_context, "jobs", "run", "review-sweep", "--now", later).output
    assert [m.kind for m in queued(app_context.db)] == ["review.due"]
    listed = _aims(app_context, "jobs", "list").output.splitlines()
    assert any("review-sweep" in line and line.rstrip(" │").endswith("ok") for line in listed)
    unknown = _aims(app_context, "jobs", "run", "reviews")
    assert unknown.exit_code == 1 and "review-sweep" in unknown.output


def test_report_list_and_close_an_incident_from_the_terminal(app_context):
    reported = _aims(
        app_context,
        "incident",
        "report",
        "--as",
        "U0ACME0012",
        "--tool",
        "Otter.ai",
        "--what",
        "Recorded a board meeting",
        "--severity",
        "high",
        "--no-harm",
    )
    assert reported.exit_code == 0 and "INC-0001" in reported.output
    assert "Recorded a board meeting" in _aims(app_context, "incident", "list").output
    refused = _aims(
        app_context,
        "incident",
        "close",
        "INC-0001",
        "--as",
        "U0ACME0001",
        "--root-cause",
        "personal account",
        "--corrective-action",
        " ",
    )
    assert refused.exit_code == 1 and "corrective action" in refused.output
    closed = _aims(
        app_context,
        "incident",
        "close",
        "INC-0001",
        "--as",
        "U0ACME0001",
        "--root-cause",
        "personal account",
        "--corrective-action",
        "blocked",
    )
    assert closed.exit_code == 0
    assert "No open incidents" in _aims(app_context, "incident", "list").output


def test_digest_dry_run_prints_the_digest_and_sends_nothing(app_context):
    printed = _aims(app_context, "digest", "--dry-run")
    assert "Nothing to report this week" in printed.output
    assert queued(app_context.db) == []
