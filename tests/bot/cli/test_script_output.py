"""What scripts and operators get from the CLI: JSON with ids and numbers, the same record
shape from `register list` and `register show`, and tables that do not wrap into a pipe."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from governance import register
from governance.incidents import IncidentReport, Severity, report_incident
from governance.models import RecordFields, RecordStatus, RiskTier
from scheduler.jobs import JOBS

LONG_TITLE = "Copilot drafts first replies to customer complaints about delayed card payments"
LONG_WHAT = (
    "A note-taker joined the quarterly board meeting uninvited and posted a summary, with "
    "salaries, to an external workspace"
)


@pytest.fixture
def aims(run_cli, app_context):
    """`aims ...` against the sample organisation and this test's database (not a terminal,
    as in a script: CliRunner's output is no TTY)."""
    return lambda *args: run_cli(
        *args, config=app_context.config_path, database_url=app_context.db.url
    )


def _records(app_context, now):
    with app_context.db.session() as session:
        register.create_record(
            session,
            fields=RecordFields(
                title=LONG_TITLE,
                owner="U0ACME0009",
                requester="U0ACME0012",
                risk_tier=RiskTier.LIMITED,
                open_items=["data_location", "contract_dpa"],
            ),
            actor="U0ACME0012",
            status=RecordStatus.SUBMITTED,
            now=now,
        )
        register.create_record(
            session, fields=RecordFields(title="Unowned draft"), actor="U0ACME0012", now=now
        )


def test_register_list_and_show_give_a_record_in_the_same_shape(aims, app_context, now):
    _records(app_context, now)
    listed = json.loads(aims("register", "list", "--json").stdout)
    shown = json.loads(aims("register", "show", "AIU-0001", "--json").stdout)
    assert shown["record"] == listed[0]
    first = listed[0]
    assert (first["owner"], first["owner_name"]) == ("U0ACME0009", "Catherine Doyle")
    assert (first["requester"], first["requester_name"]) == ("U0ACME0012", "Oliver Grant")
    assert first["version"] == 1 and shown["versions"][0]["version"] == 1
    assert (listed[1]["owner"], listed[1]["owner_name"]) == ("", None)


def test_register_show_lists_what_the_requester_did_not_know(aims, app_context, now):
    _records(app_context, now)
    shown = aims("register", "show", "AIU-0001")
    assert "Open items: data_location, contract_dpa" in shown.stdout


def test_register_list_filters_by_a_known_status_only(aims, app_context, now):
    _records(app_context, now)
    submitted = json.loads(aims("register", "list", "--status", "submitted", "--json").stdout)
    assert [row["ref"] for row in submitted] == ["AIU-0001"]
    assert "No record is live." in aims("register", "list", "--status", "live").stdout
    typo = aims("register", "list", "--status", "submited")
    assert typo.exit_code == 2 and "submitted" in typo.output


def test_a_table_into_a_pipe_keeps_each_row_on_one_line(aims, app_context, now):
    _records(app_context, now)
    lines = aims("register", "list").stdout.splitlines()
    [row] = [line for line in lines if "AIU-0001" in line]
    assert LONG_TITLE in row and "Catherine Doyle" in row and "submitted" in row
    jobs = aims("jobs", "list").stdout.splitlines()
    for job in JOBS:
        [line] = [line for line in jobs if f" {job.id} " in line]
        assert job.description in line


def test_incident_list_json_counts_follow_ups_as_a_number(aims, app_context, now):
    with app_context.db.session() as session:
        report_incident(
            session,
            config=app_context.config,
            actor="U0ACME0012",
            now=now,
            report=IncidentReport(
                unregistered_tool="Otter.ai",
                severity=Severity.HIGH,
                what_happened=LONG_WHAT,
                occurred_at=now,
                people_harmed=False,
            ),
        )
    [incident] = json.loads(aims("incident", "list", "--json").stdout)
    assert incident["follow_ups"] == 0 and incident["ref"] == "INC-0001"
    # Into a pipe, the whole text: nothing is cut at the terminal preview's 60 characters.
    [row] = [line for line in aims("incident", "list").stdout.splitlines() if "INC-0001" in line]
    assert LONG_WHAT in row


def test_jobs_list_json_gives_each_jobs_schedule_and_runs(aims, now):
    before = json.loads(aims("jobs", "list", "--json").stdout)
    assert [job["id"] for job in before] == [job.id for job in JOBS]
    digest = next(job for job in before if job["id"] == "weekly-digest")
    assert digest["schedule"] == "cron[day_of_week='mon', hour='9', minute='0']"
    assert digest["timezone"] == "Europe/London"
    assert datetime.fromisoformat(digest["next_run"]).weekday() == 0  # a Monday
    assert all(job["last_run"] is None for job in before)

    assert aims("jobs", "run", "review-sweep", "--now", now.isoformat()).exit_code == 0
    after = json.loads(aims("jobs", "list", "--json").stdout)
    last = next(job for job in after if job["id"] == "review-sweep")["last_run"]
    assert last["ok"] is True and isinstance(last["duration_ms"], int)
    assert last["as_of"] == now.isoformat(timespec="seconds")
