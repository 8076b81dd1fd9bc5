"""`aims finding …` as a governance lead types it (issue 17): raise, plan actions, mark them
done, verify, close, reopen, list and show with the ledger's history; bad input refused naming
what is missing, with nothing saved; `aims incident close --finding` raising one."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from governance.config import OrgConfig, load_config
from governance.incidents import IncidentReport, Severity, report_incident
from governance.reviews import local_today
from store.improvement_models import CorrectiveAction, Finding
from store.models import EvidenceEvent, OutboundMessage, utcnow
from tests.scheduler.support import live_record

LEAD, OWNER, DOER, STRANGER = "U0ACME0001", "U0ACME0003", "U0ACME0005", "U0ACME0009"


@pytest.fixture
def config(org_dir: Path) -> OrgConfig:
    return load_config(org_dir / "aims.yaml")


@pytest.fixture
def aims(run_cli, org_dir: Path, db):
    def run(*args: str):
        return run_cli(*args, config=org_dir / "aims.yaml", database_url=db.url)

    return run


def ok(result) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout


def add(aims, *extra: str):
    return aims(
        "finding",
        "add",
        "--kind",
        "nonconformity",
        "--title",
        "Claims triage ran without its human review",
        "--owner",
        "Sarah Whitfield",
        "--severity",
        "high",
        "--control",
        "a.6.2.6",
        "--as",
        "Priya Raman",
        *extra,
    )


def shown(aims, ref: str = "FND-0001") -> dict:
    return json.loads(ok(aims("finding", "show", ref, "--json")))


def counts(db) -> tuple[int, ...]:
    with db.session() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(table)) or 0
            for table in (Finding, CorrectiveAction, OutboundMessage, EvidenceEvent)
        )


def test_a_finding_from_raised_to_closed_with_its_history(aims, db, config):
    record = live_record(db, due=None, now=utcnow(), owner=OWNER)
    out = ok(add(aims, "--record", record.lower(), "--description", "A release turned it off"))
    assert "Raised FND-0001 (nonconformity, high): Claims triage ran without" in out
    assert "Sarah Whitfield owns it and is told" in out
    ok(aims("finding", "root-cause", "FND-0001", "A feature flag was off", "--as", OWNER))
    due = (local_today(config, utcnow()) + timedelta(days=10)).isoformat()
    out = ok(
        aims(
            "finding",
            "action",
            "FND-0001",
            "Turn the flag on and test it in every release",
            "--owner",
            "marcus.lindqvist@acme.example",
            "--due",
            due,
            "--as",
            OWNER,
        )
    )
    assert f"Planned ACT-0001 for FND-0001: Marcus Lindqvist, due {due}." in out
    ok(
        aims(
            "finding",
            "action",
            "FND-0001",
            "Add a release check",
            "--owner",
            OWNER,
            "--due",
            "14d",
            "--as",
            LEAD,
        )  # fmt: skip
    )
    listed = json.loads(ok(aims("finding", "list", "--json")))
    assert [(f["ref"], f["status"], f["actions"], f["actions_done"]) for f in listed] == [
        ("FND-0001", "actions_planned", 2, 0)
    ]
    assert listed[0]["next_due"] == due
    table = ok(aims("finding", "list"))
    assert "FND-0001" in table and "0/2" in table and "Sarah Whitfield" in table
    ok(aims("finding", "done", "ACT-0001", "--note", "Flag on since 2 Dec", "--as", DOER))
    out = ok(aims("finding", "done", "ACT-0002", "--as", OWNER))
    assert "Every action of FND-0001 is done" in out
    how = "A month of reports: all reviewed"
    ok(aims("finding", "verify", "FND-0001", "--how", how, "--as", OWNER))
    assert "Closed FND-0001." in ok(aims("finding", "close", "FND-0001", "--as", LEAD))
    finding = shown(aims)
    assert (finding["status"], finding["records"], finding["controls"]) == (
        "closed",
        [record],
        ["A.6.2.6"],
    )
    assert finding["root_cause"] == "A feature flag was off"
    assert [(a["ref"], a["owner"]["name"], a["status"]) for a in finding["actions"]] == [
        ("ACT-0001", "Marcus Lindqvist", "done"),
        ("ACT-0002", "Sarah Whitfield", "done"),
    ]
    assert finding["actions"][0]["note"] == "Flag on since 2 Dec"
    assert [line["kind"] for line in finding["history"]] == [
        "finding.raised",
        "finding.updated",
        "finding.action_added",
        "finding.action_added",
        "finding.action_done",
        "finding.action_done",
        "finding.verified",
        "finding.closed",
    ]
    assert finding["history"][6]["what"] == "verified: A month of reports: all reviewed"
    assert finding["history"][2]["actor"] == {"id": OWNER, "name": "Sarah Whitfield"}
    text = ok(aims("finding", "show", "FND-0001"))
    assert "ACT-0001" in text and "planned for Marcus Lindqvist" in text and "closed" in text
    assert ok(aims("finding", "list")).strip() == "No findings (open)."
    out = ok(aims("finding", "reopen", "FND-0001", "--reason", "Turned off again", "--as", LEAD))
    assert "Reopened FND-0001" in out
    assert shown(aims)["history"][-1]["what"] == "reopened: Turned off again"
    assert ok(aims("evidence", "verify")).startswith("OK")


def test_a_finding_cannot_close_without_verification(aims, db):
    ok(add(aims))
    ok(
        aims(
            "finding", "action", "FND-0001", "Fix it", "--owner", DOER, "--due", "7d", "--as", LEAD
        )
    )
    ok(aims("finding", "done", "ACT-0001", "--as", DOER))
    before = counts(db)
    refused = aims("finding", "close", "FND-0001", "--as", LEAD)
    assert refused.exit_code == 1
    assert "verify that the actions worked (verification of effectiveness)" in refused.stderr
    assert shown(aims)["status"] == "actions_done"
    assert counts(db) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "a corrective action needs an owner and a due date: add --owner and --due"),
        (("--owner", DOER), "add --due"),
        (("--due", "7d"), "add --owner"),
        (("--owner", "U0NOBODY01", "--due", "7d"), "the action's owner 'U0NOBODY01' is not"),
        (("--owner", DOER, "--due", "2020-01-01"), "the due date 2020-01-01 is in the past"),
        (("--owner", DOER, "--due", "soon"), "'soon' is not a date: give a date (2026-12-20)"),
    ],
)
def test_a_bad_action_is_refused_naming_what_is_missing_and_nothing_is_saved(
    aims, db, args, message
):
    ok(add(aims))
    before = counts(db)
    refused = aims("finding", "action", "FND-0001", "Fix it", *args, "--as", LEAD)
    assert refused.exit_code == 1, refused.output
    assert message in refused.stderr
    assert counts(db) == before
    assert shown(aims)["status"] == "open"


def test_a_bad_finding_is_refused_and_nothing_is_saved(aims, db):
    before = counts(db)
    not_a_lead = add(aims, "--as", OWNER)  # the last --as wins
    assert not_a_lead.exit_code == 1 and "only a governance lead" in not_a_lead.stderr
    unknown = aims(
        "finding", "add", "--kind", "observation", "--title", "Something", "--owner",
        "Nobody Known", "--severity", "low", "--as", LEAD,
    )  # fmt: skip
    assert unknown.exit_code == 1 and "the owner 'Nobody Known' is not a known" in unknown.stderr
    short = aims(
        "finding", "add", "--kind", "observation", "--title", "x", "--owner", OWNER,
        "--severity", "low", "--as", LEAD,
    )  # fmt: skip
    assert short.exit_code == 1 and "--title: String should have at least 3" in short.stderr
    control = add(aims, "--control", "A.99")
    assert control.exit_code == 1
    assert "A.99 is not an ISO/IEC 42001 Annex A control" in control.stderr
    assert counts(db) == before
    assert ok(aims("finding", "list", "--status", "all")).strip() == "No findings."


def test_closing_an_incident_with_finding_raises_it_with_the_incident_linked(aims, db, config):
    now = utcnow()
    record = live_record(db, due=None, now=now, owner=OWNER)
    with db.session() as session:
        report_incident(
            session,
            config=config,
            actor="U0ACME0012",
            now=now,
            report=IncidentReport(
                ai_use_ref=record,
                what_happened="A claim was declined without the human review",
                occurred_at=now - timedelta(hours=1),
                severity=Severity.CRITICAL,
                people_harmed=False,
            ),
        )
    out = ok(
        aims(
            "incident",
            "close",
            "INC-0001",
            "--as",
            LEAD,
            "--root-cause",
            "Flag off",
            "--corrective-action",
            "Flag on",
            "--finding",
        )  # fmt: skip
    )
    assert out.strip() == "Closed INC-0001. Raised FND-0001; its owner is told."
    finding = shown(aims)
    assert (finding["source"], finding["source_ref"], finding["records"]) == (
        "incident",
        "INC-0001",
        [record],
    )
    assert (finding["kind"], finding["severity"], finding["owner"]["id"]) == (
        "nonconformity",
        "critical",
        OWNER,
    )
    assert (finding["controls"], finding["root_cause"]) == (["A.8.4"], "Flag off")
    assert ok(aims("evidence", "verify")).startswith("OK")
