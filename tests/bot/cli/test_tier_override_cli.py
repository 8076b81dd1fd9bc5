"""`aims register override-tier`: a governance lead's written override, kept as evidence."""

from __future__ import annotations

from governance import register
from governance.models import RecordFields
from store import evidence


def _one_record(db, now):
    with db.session() as session:
        register.create_record(
            session,
            fields=RecordFields(title="CV screening", risk_tier="high"),
            actor="U0TEST0002",
            now=now,
        )


def test_a_lead_overrides_the_tier_with_a_justification(run_cli, org_file, db, now):
    _one_record(db, now)
    result = run_cli(
        "register",
        "override-tier",
        "AIU-0001",
        "--tier",
        "limited",
        "--as",
        "U0TEST0001",
        "-j",
        "Only ranks internal training course applicants",
        config=org_file,
        database_url=db.url,
    )
    assert result.exit_code == 0, result.output
    assert "high → limited (v2)" in result.output
    with db.session() as session:
        record = register.get_record(session, "AIU-0001")
        kinds = [line.kind for line in evidence.iter_ledger(session)]
    assert (record.risk_tier, record.tier_override) == (
        "limited",
        "Only ranks internal training course applicants",
    )
    assert kinds[-1] == "record.tier_overridden"


def test_someone_who_is_not_a_lead_is_refused_and_nothing_changes(run_cli, org_file, db, now):
    _one_record(db, now)
    result = run_cli(
        "register",
        "override-tier",
        "AIU-0001",
        "--tier",
        "minimal",
        "--as",
        "U0TEST0002",
        "-j",
        "I think so",
        config=org_file,
        database_url=db.url,
    )
    assert result.exit_code == 1
    assert "only a governance lead can override" in result.output
    with db.session() as session:
        assert register.get_record(session, "AIU-0001").risk_tier == "high"


def test_an_override_during_review_asks_the_approvers_again(run_cli, org_file, db, now):
    from governance.approvals.flows import submit_record
    from governance.approvals.service import open_request_for, requests_of
    from governance.config import load_config

    with db.session() as session:
        record = register.create_record(
            session,
            fields=RecordFields(title="CV screening", risk_tier="high", requester="U0TEST0002"),
            actor="U0TEST0002",
            now=now,
        )
        submit_record(
            session, record=record, actor="U0TEST0002", config=load_config(org_file), now=now
        )
    result = run_cli(
        "register",
        "override-tier",
        "AIU-0001",
        "--tier",
        "limited",
        "--as",
        "U0TEST0001",
        "-j",
        "Only ranks internal training course applicants",
        config=org_file,
        database_url=db.url,
    )
    assert result.exit_code == 0, result.output
    with db.session() as session:
        record = register.get_record(session, "AIU-0001")
        request = open_request_for(session, "AIU-0001")
        assert (record.status, request.version, request.tier) == ("in_review", 2, "limited")
        assert [r.status for r in requests_of(session, record)] == ["superseded", "open"]
