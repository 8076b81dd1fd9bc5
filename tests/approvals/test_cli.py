"""`aims approvals` and `aims register show`: approvals without Slack, read by a lead."""

from __future__ import annotations

from typer.testing import CliRunner

from bot.cli import app
from governance.models import RiskTier
from tests.approvals.helpers import MARCUS, OLIVER, PRIYA, SARAH, submitted

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
