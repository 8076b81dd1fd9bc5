"""`--as PERSON` everywhere in the CLI: a person listed in aims.yaml (by Slack id or name), a
Slack-shaped id aims.yaml does not list (with a warning), and nothing else."""

from __future__ import annotations

import json

import pytest

from governance import register
from governance.approvals.flows import submit_record
from governance.approvals.service import open_request_for
from governance.models import RecordFields, RiskTier
from store import evidence

REQUESTER, OWNER = "U0ACME0012", "U0ACME0009"  # Oliver Grant asks; Catherine Doyle owns


@pytest.fixture
def aims(run_cli, app_context):
    """`aims ...` against the sample organisation and this test's database."""
    return lambda *args: run_cli(
        *args, config=app_context.config_path, database_url=app_context.db.url
    )


@pytest.fixture
def waiting_request(app_context, now):
    """AIU-0001, minimal risk, waiting for its owner's approval."""
    with app_context.db.session() as session:
        record = register.create_record(
            session,
            fields=RecordFields(
                title="Sales email drafts",
                requester=REQUESTER,
                owner=OWNER,
                risk_tier=RiskTier.MINIMAL,
            ),
            actor=REQUESTER,
            now=now,
        )
        submit_record(session, record=record, actor=REQUESTER, config=app_context.config, now=now)
    return "AIU-0001"


def _ledger_kinds(app_context) -> list[str]:
    with app_context.db.session() as session:
        return [line.kind for line in evidence.iter_ledger(session)]


def test_a_team_name_cannot_decide_an_approval(aims, app_context, waiting_request):
    before = _ledger_kinds(app_context)
    result = aims("approvals", "decide", waiting_request, "--as", "Operations team")
    assert result.exit_code == 2
    assert '--as "Operations team" is not a person' in result.stderr
    assert "Slack user id (like U0ACME0001)" in result.stderr
    assert 'their name as written there (like "Priya Raman")' in result.stderr
    assert _ledger_kinds(app_context) == before
    with app_context.db.session() as session:
        assert open_request_for(session, waiting_request).status == "open"
        assert register.get_record(session, waiting_request).status == "in_review"


def test_a_name_from_aims_yaml_acts_as_that_persons_slack_id(aims, app_context, waiting_request):
    result = aims("approvals", "decide", waiting_request, "--as", "  catherine   DOYLE ")
    assert result.exit_code == 0, result.output
    with app_context.db.session() as session:
        decided = [
            line for line in evidence.iter_ledger(session) if line.kind == "approval.decided"
        ]
        assert register.get_record(session, waiting_request).status == "approved"
    assert [line.actor for line in decided] == [OWNER]


def test_an_unlisted_slack_id_is_accepted_with_a_warning(aims, app_context):
    result = aims(
        "incident",
        "report",
        "--as",
        "U0NEWHIRE1",
        "--tool",
        "Otter.ai",
        "--what",
        "Recorded a call",
        "--severity",
        "low",
        "--no-harm",
    )
    assert result.exit_code == 0, result.output
    assert "warning: U0NEWHIRE1 is not among the people in aims.yaml" in result.stderr
    with app_context.db.session() as session:
        [reported] = [
            line for line in evidence.iter_ledger(session) if line.kind == "incident.reported"
        ]
    assert reported.actor == "U0NEWHIRE1"


@pytest.mark.parametrize(
    "args",
    [
        ("incident", "report", "--what", "x", "--severity", "low", "--no-harm"),
        ("register", "override-tier", "AIU-0001", "--tier", "high", "-j", "why"),
        ("gateway", "key", "create", "AIU-0001"),
        ("policies", "trust", "ai-policy.md", "-j", "why"),
        ("keys", "rotate", "-j", "why"),
        ("approvals", "resubmit", "AIU-0001", "--set", "purpose=x", "--reason", "why"),
    ],
)
def test_every_as_refuses_what_is_not_a_person_and_changes_nothing(aims, app_context, args):
    result = aims(*args, "--as", "the security team")
    assert result.exit_code == 2, result.output
    assert '--as "the security team" is not a person' in result.stderr
    assert _ledger_kinds(app_context) == []


def test_an_optional_as_is_checked_too(aims, app_context, tmp_path):
    source = tmp_path / "legacy.csv"
    source.write_text("title\nMeeting notes\n", encoding="utf-8")
    refused = aims("register", "import", source, "--as", "Ops")
    assert refused.exit_code == 2 and '--as "Ops" is not a person' in refused.stderr
    with app_context.db.session() as session:
        assert register.list_records(session) == []
    imported = aims("register", "import", source, "--as", "Priya Raman")
    assert imported.exit_code == 0, imported.output
    assert _ledger_kinds(app_context)[-1] == "record.imported"
    with app_context.db.session() as session:
        actors = {line.actor for line in evidence.iter_ledger(session)}
    assert actors == {"U0ACME0001"}


def test_a_name_two_people_share_must_be_given_as_an_id(run_cli, tmp_path, db):
    config = tmp_path / "twins.yaml"
    config.write_text(
        "organisation: {name: Twins Ltd}\n"
        "people:\n"
        "  - {slack_id: U0TWIN0001, name: Sam Lee}\n"
        "  - {slack_id: U0TWIN0002, name: Sam Lee}\n"
        "roles: {governance_leads: [U0TWIN0001]}\n",
        encoding="utf-8",
    )
    result = run_cli(
        "incident",
        "report",
        "--as",
        "Sam Lee",
        "--what",
        "x",
        "--severity",
        "low",
        "--no-harm",
        config=config,
        database_url=db.url,
    )
    assert result.exit_code == 2
    assert "2 people in aims.yaml have that name (U0TWIN0001, U0TWIN0002)" in result.stderr


def test_approvals_list_json_names_each_approver_by_id_and_name(aims, waiting_request):
    result = aims("approvals", "list", "--json")
    assert result.exit_code == 0, result.output
    [request] = json.loads(result.stdout)
    assert request["waiting_for"] == [
        {
            "slot": request["waiting_for"][0]["slot"],
            "approvers": [{"id": OWNER, "name": "Catherine Doyle"}],
        }
    ]
    assert isinstance(request["id"], int) and isinstance(request["version"], int)
