"""`aims feedback list | turn | add` as a governance lead runs them."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from governance import incidents
from governance.findings.service import get_finding
from store.models import utcnow
from tests.scheduler.support import OWNER, live_record

LEAD, STAFF = "Priya Raman", "U0ACME0012"  # Priya leads governance; Oliver Grant does not


@pytest.fixture
def aims(run_cli, app_context):
    return lambda *args: run_cli(
        *args, config=app_context.config_path, database_url=app_context.db.url
    )


@pytest.fixture
def record(app_context) -> str:
    return live_record(app_context.db, due=None, now=utcnow() - timedelta(days=30))


def listed(aims, *args: str) -> list[dict]:
    result = aims("feedback", "list", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_feedback_added_anonymously_is_listed_without_anyone_named(aims, record):
    added = aims("feedback", "add", record, "It refuses every refund")
    assert added.exit_code == 0, added.output
    assert "Recorded FB-0001 anonymously" in added.stdout
    [row] = listed(aims, "--record", record)
    assert (row["ref"], row["record"], row["anonymous"], row["reporter"]) == (
        "FB-0001",
        record,
        True,
        None,
    )
    table = aims("feedback", "list")
    assert "FB-0001" in table.stdout and "anonymous" in table.stdout


def test_named_feedback_needs_who_and_names_them(aims, record):
    refused = aims("feedback", "add", record, "It refuses every refund", "--named")
    assert refused.exit_code == 1 and "--named needs --as" in refused.stderr
    assert listed(aims) == []
    named = aims("feedback", "add", record, "It refuses every refund", "--named", "--as", STAFF)
    assert named.exit_code == 0, named.output
    assert listed(aims)[0]["reporter"] == STAFF
    assert "Oliver Grant" in aims("feedback", "list").stdout


def test_a_lead_turns_feedback_into_a_finding_and_another_into_an_incident(
    aims, record, app_context
):
    for words in ("It refuses every refund", "It told a customer to sue us"):
        assert aims("feedback", "add", record, words).exit_code == 0
    turned = aims("feedback", "turn", "FB-0001", "--into", "finding", "--as", LEAD)
    assert turned.exit_code == 0, turned.output
    assert "FB-0001 is now finding FND-0001" in turned.stdout
    incident = aims("feedback", "turn", "fb-0002", "--into", "incident", "--as", LEAD)
    assert incident.exit_code == 0, incident.output
    assert "FB-0002 is now incident INC-0001" in incident.stdout
    with app_context.db.session() as session:
        finding = get_finding(session, "FND-0001")
        assert (finding.source_ref, finding.owner, finding.records) == ("FB-0001", OWNER, [record])
        assert incidents.get_incident(session, "INC-0001").what_happened.startswith("It told")
    assert [(r["status"], r["turned_into"]) for r in listed(aims)] == [
        ("finding", "FND-0001"),
        ("incident", "INC-0001"),
    ]
    assert listed(aims, "--status", "open") == []


def test_only_a_lead_can_turn_feedback_and_a_refusal_changes_nothing(aims, record):
    aims("feedback", "add", record, "It refuses every refund")
    refused = aims("feedback", "turn", "FB-0001", "--into", "finding", "--as", STAFF)
    assert refused.exit_code == 1 and "only a governance lead" in refused.stderr
    assert listed(aims)[0]["status"] == "open"


def test_an_unknown_record_or_feedback_says_how_to_find_them(aims, record):
    unknown = aims("feedback", "add", "AIU-0099", "Something is off")
    assert unknown.exit_code == 1 and "no AI use AIU-0099" in unknown.stderr
    assert "AIU-0007" in unknown.stderr  # what an id looks like
    missing = aims("feedback", "turn", "FB-0042", "--into", "finding", "--as", LEAD)
    assert missing.exit_code == 1 and "aims feedback list" in missing.stderr
    assert listed(aims) == []
