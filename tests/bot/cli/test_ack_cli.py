"""`aims ack start | status | export` as a governance lead runs them, and `aims ingest` telling
the leads when a policy under an open campaign changes (a fake embedder keeps ingesting fast)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from governance.acknowledgements.campaigns import get_campaign
from governance.acknowledgements.models import AckChoice
from governance.acknowledgements.responses import acknowledge, withdraw
from governance.config import load_config
from governance.register_io import read_rows
from store.ack_models import AckRequest
from store.models import OutboundMessage, utcnow
from tests.retrieval.conftest import FakeEmbedder
from tests.support.acks import deliver_requests
from tests.support.slack_standin import BOT_USER, SlackStandin

POLICY = "Acceptable Use of AI Tools"
LEAD = "U0ACME0001"
EVERYONE = 12  # the people in the sample aims.yaml
START = ("ack", "start", "--policy", POLICY, "--due", "14d", "--as", "Priya Raman")


@pytest.fixture
def org(org_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr("retrieval.runtime.embedder_for", lambda name: FakeEmbedder())
    for variable in ("AIMS_LLM", "AIMS_CHROMA_URL", "SLACK_BOT_TOKEN", "SLACK_API_URL"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AIMS_DATA_DIR", str(org_dir / ".aims"))
    return org_dir


@pytest.fixture
def aims(run_cli, org, db):
    def run(*args: str | Path):
        return run_cli(*args, config=org / "aims.yaml", database_url=db.url)

    ingested = run("ingest")
    assert ingested.exit_code == 0, ingested.output
    return run


def _queued(db, kind: str) -> list[str]:
    with db.session() as session:
        return list(
            session.scalars(
                select(OutboundMessage.channel)
                .where(OutboundMessage.kind == kind)
                .order_by(OutboundMessage.id)
            )
        )


def _status(aims, *ref: str):
    result = aims("ack", "status", *ref, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_start_asks_everyone_and_says_the_running_bot_sends_the_messages(aims, db):
    result = aims(*START, "--audience", "everyone", "--summary", "Grammarly is now restricted.")
    assert result.exit_code == 0, result.output
    assert f"Started ACK-0001: {EVERYONE} people (everyone) asked to acknowledge “{POLICY}”" in (
        result.stdout
    )
    assert "the running bot (`aims run`) sends them as direct messages" in result.stdout
    assert len(set(_queued(db, "ack.request"))) == EVERYONE
    [campaign] = _status(aims)
    assert (campaign["ref"], campaign["asked"], campaign["pending"]) == ("ACK-0001", EVERYONE, 12)


def test_an_unknown_policy_is_refused_naming_the_documents(aims, db):
    result = aims(*START[:3], "Acceptable Use of Crystal Balls", *START[4:], "--audience", "all")
    assert result.exit_code == 1
    error = " ".join(result.stderr.split())
    assert "no policy document called 'Acceptable Use of Crystal Balls'" in error
    assert POLICY in error and "AI Incident Reporting" in error
    assert _queued(db, "ack.request") == [] and _status(aims) == []


def test_a_due_date_that_is_not_in_the_future_is_refused(aims, db):
    result = aims(*START[:4], "--due", "2020-01-01", *START[6:], "--audience", "everyone")
    assert result.exit_code == 1
    assert "Jan 2020 is not in the future" in result.stderr
    unreadable = aims(*START[:4], "--due", "soon", *START[6:], "--audience", "everyone")
    assert (
        unreadable.exit_code == 1 and "is not a date: give a date (2026-12-20)" in unreadable.stderr
    )
    assert _queued(db, "ack.request") == []


def test_only_a_governance_lead_may_start_one(aims, db):
    result = aims(*START[:-1], "U0ACME0005", "--audience", "everyone")
    assert result.exit_code == 1
    assert "only a governance lead can start an acknowledgement campaign" in result.stderr
    assert _queued(db, "ack.request") == []


def test_a_channel_is_asked_of_slack_and_an_empty_one_is_refused(aims, db, monkeypatch):
    without_slack = aims(*START, "--audience", "#all-staff")
    assert without_slack.exit_code == 1
    assert "needs Slack (set SLACK_BOT_TOKEN)" in " ".join(without_slack.stderr.split())
    with SlackStandin() as slack:
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
        monkeypatch.setenv("SLACK_API_URL", slack.api_url)
        slack.channels = [{"id": "C0ALLSTAFF", "name": "all-staff"}, {"id": "C0EMPTY", "name": "e"}]
        staff = [f"U0STAFF{n:03d}" for n in range(250)]  # more than one page of members
        slack.channel_members = {"C0ALLSTAFF": [*staff, BOT_USER], "C0EMPTY": [BOT_USER]}
        empty = aims(*START, "--audience", "#e")
        assert empty.exit_code == 1
        assert "resolves to nobody, so nothing was sent" in " ".join(empty.stderr.split())
        assert _queued(db, "ack.request") == []
        started = aims(*START, "--audience", "#all-staff")
        assert started.exit_code == 0, started.output
        assert "Started ACK-0001: 250 people (#all-staff)" in started.stdout
        assert slack.violations == []
    assert sorted(_queued(db, "ack.request")) == staff  # the bot itself is not asked


def _acknowledge(db, config, person: str) -> None:
    with db.session() as session:
        campaign = get_campaign(session, "ACK-0001")
        choice = AckChoice(campaign="ACK-0001", person=person, version=campaign.version_sha256[:12])
        deliver_requests(session)  # the running bot would have sent them
        acknowledge(session, config=config, choice=choice, actor=person, now=utcnow())


def _withdraw(db, person: str) -> None:
    with db.session() as session:
        campaign = get_campaign(session, "ACK-0001")
        request = session.scalar(
            select(AckRequest).where(
                AckRequest.campaign_id == campaign.id, AckRequest.person == person
            )
        )
        withdraw(session, request, campaign, now=utcnow(), reason="left the company")


@pytest.fixture
def answered(aims, db, org):
    """ACK-0001 to everyone: two acknowledged, one withdrawn, nine pending."""
    assert aims(*START, "--audience", "everyone").exit_code == 0
    config = load_config(org / "aims.yaml")
    for person in ("U0ACME0003", "U0ACME0005"):
        _acknowledge(db, config, person)
    _withdraw(db, "U0ACME0012")
    return aims


def test_status_counts_each_campaign_and_lists_each_person(answered):
    [campaign] = _status(answered)
    counts = ("asked", "acknowledged", "pending", "overdue", "withdrawn")
    assert [campaign[name] for name in counts] == [EVERYONE - 1, 2, 9, 0, 1]
    assert campaign["document"] == POLICY and len(campaign["version"]) == 12
    table = answered("ack", "status").stdout
    assert "ACK-0001" in table and "2/11 (18%)" in table
    detail = _status(answered, "ack-0001")
    people = {p["person"]: p for p in detail["people"]}
    assert detail["acknowledged"] == 2 and len(people) == EVERYONE
    assert people["U0ACME0003"]["status"] == "acknowledged"
    assert people["U0ACME0003"]["name"] == "Sarah Whitfield"
    assert people["U0ACME0003"]["acknowledged_at"]
    assert people["U0ACME0012"]["status"] == "withdrawn"
    assert people["U0ACME0001"]["status"] == "pending"
    listing = answered("ack", "status", "ACK-0001").stdout
    assert "Sarah Whitfield" in listing and "withdrawn" in listing


def test_status_of_an_unknown_campaign_fails(answered):
    result = answered("ack", "status", "ACK-0099")
    assert result.exit_code == 1 and "no campaign 'ACK-0099'" in result.stderr


def test_export_writes_a_row_per_person_as_csv_and_xlsx(answered, tmp_path):
    sheets = {}
    for name in ("ack.csv", "ack.xlsx"):
        result = answered("ack", "export", "ACK-0001", tmp_path / name)
        assert result.exit_code == 0, result.output
        assert f"Wrote {EVERYONE} people of ACK-0001" in result.stdout
        sheets[name] = read_rows(tmp_path / name)
    with (tmp_path / "ack.csv").open(encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    assert header == [
        "person",
        "name",
        "status",
        "asked_at",
        "delivered_at",
        "acknowledged_at",
        "reminders",
        "escalated_at",
        "version",
        "shown_sha256",
    ]
    for rows in sheets.values():
        assert len(rows) == EVERYONE
        by_person = {row["person"]: row for row in rows}
        done = by_person["U0ACME0005"]
        assert (done["name"], done["status"]) == ("Marcus Lindqvist", "acknowledged")
        assert done["acknowledged_at"] and str(done["reminders"]) == "0"
        assert len(done["version"]) == 64 and len(done["shown_sha256"]) == 64
        assert by_person["U0ACME0012"]["status"] == "withdrawn"
    refused = answered("ack", "export", "ACK-0001", tmp_path / "ack.pdf")
    assert refused.exit_code == 1 and "write a .csv or an .xlsx file" in refused.stderr


def test_ingesting_a_changed_policy_tells_the_leads_of_the_campaign(aims, db, org):
    assert aims(*START, "--audience", "everyone").exit_code == 0
    unchanged = aims("ingest")
    assert unchanged.exit_code == 0 and "ACK-0001" not in unchanged.stdout
    policy = org / "policies" / "acceptable-use-of-ai-tools.md"
    policy.write_text(
        policy.read_text() + "\n## 9. Grammarly\n\nGrammarly may not be used for client work.\n"
    )
    changed = aims("ingest")
    assert changed.exit_code == 0, changed.output
    said = " ".join(changed.stdout.split())
    assert (
        f"ACK-0001 asks for the old version of {POLICY}; the governance leads have been told"
        in said
    )
    config = load_config(org / "aims.yaml")
    assert sorted(_queued(db, "ack.policy_changed")) == sorted(config.members("governance_leads"))
