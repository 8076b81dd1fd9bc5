"""`aims approvals` and `aims register show`: approvals without Slack, read by a lead."""

from __future__ import annotations

from typer.testing import CliRunner

from bot.cli import app
from governance.approvals.models import Verdict
from governance.approvals.service import open_request_for, slots_of
from governance.models import RiskTier
from governance.register import get_record
from tests.governance.approvals.helpers import MARCUS, OLIVER, PRIYA, SARAH, act, submitted

runner = CliRunner()


def _aims(app_context, *args):
    return runner.invoke(
        app,
        ["--config", str(app_context.config_path), *args],
        env={"AIMS_DATABASE_URL": app_context.db.url, "COLUMNS": "250"},
        catch_exceptions=False,
    )


def test_a_lead_lists_decides_and_reads_who_approved_which_version(app_context, now):
    with app_context.db.session() as session:
        submitted(session, app_context.config, RiskTier.LIMITED, now)
    listed = _aims(app_context, "approvals", "list")
    assert "AIU-0001" in listed.output and "Sarah Whitfield" in listed.output

    refused = _aims(app_context, "approvals", "decide", "AIU-0001", "--as", MARCUS)
    assert refused.exit_code == 1 and "no pending approval" in refused.output

    for who in (OLIVER, PRIYA):
        assert _aims(app_context, "approvals", "decide", "1", "--as", who).exit_code == 0
    done = _aims(
        app_context,
        "approvals",
        "decide",
        "AIU-0001",
        "--as",
        SARAH,
        "--verdict",
        "approve_with_conditions",
        "--condition",
        "DPIA before go-live",
    )
    assert done.exit_code == 0 and "approved with conditions" in done.output

    shown = _aims(app_context, "register", "show", "AIU-0001").output
    assert "Conditions:\n  - DPIA before go-live" in shown
    assert "v1 (request #1" in shown and "approved with conditions" in shown
    assert "privacy: Approved with conditions by Sarah Whitfield" in shown
    assert "(via cli)" in shown


def test_changes_requested_then_resubmitted_from_the_terminal(app_context, now):
    with app_context.db.session() as session:
        submitted(session, app_context.config, RiskTier.MINIMAL, now)
    _aims(
        app_context,
        "approvals",
        "decide",
        "AIU-0001",
        "--as",
        OLIVER,
        "--verdict",
        "request_changes",
        "--reason",
        "Say which team uses it",
    )
    result = _aims(
        app_context,
        "approvals",
        "resubmit",
        "AIU-0001",
        "--as",
        "U0ACMEREQ1",
        "--set",
        "business_unit=Operations",
        "--reason",
        "team named",
    )
    assert "now v2, in review" in result.output
    listed = _aims(app_context, "approvals", "list", "--all", "--json").output
    assert '"status": "changes_requested"' in listed and '"version": 2' in listed


def test_resubmit_refuses_to_set_the_tier_or_owner_from_the_terminal(app_context, now):
    with app_context.db.session() as session:
        submitted(session, app_context.config, RiskTier.HIGH, now)
        for slot in slots_of(session, open_request_for(session, "AIU-0001")):
            act(
                session,
                app_context.config,
                "AIU-0001",
                slot.key,
                slot.approvers[0],
                Verdict.REQUEST_CHANGES,
                reason="Say more",
            )
        assert get_record(session, "AIU-0001").status == "changes_requested"
    result = _aims(
        app_context,
        "approvals",
        "resubmit",
        "AIU-0001",
        "--as",
        "U0ACMEREQ1",
        "--set",
        "risk_tier=minimal",
        "--set",
        "owner=U0ACMEREQ1",
        "--reason",
        "lower it",
    )
    assert result.exit_code == 1
    assert "cannot change owner, risk_tier" in result.output
    assert "Fields you can change:" in result.output
    with app_context.db.session() as session:
        record = get_record(session, "AIU-0001")
        assert (record.version, record.risk_tier, record.owner) == (1, "high", OLIVER)
