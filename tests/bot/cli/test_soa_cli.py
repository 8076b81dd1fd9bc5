"""`aims soa` as a person (or a script) runs it."""

from __future__ import annotations

import json
from datetime import datetime

from typer.testing import CliRunner

from bot.cli import app
from governance.approvals.service import open_request_for, slots_of
from governance.models import RiskTier
from tests.governance.approvals.helpers import act, submitted

runner = CliRunner()


def _aims(app_context, *args: str):
    return runner.invoke(
        app,
        ["--config", str(app_context.config_path), *args],
        env={"AIMS_DATABASE_URL": app_context.db.url, "COLUMNS": "250"},
        catch_exceptions=False,
    )


def _approve_one(app_context, now) -> None:
    with app_context.db.session() as session:
        record = submitted(session, app_context.config, RiskTier.MINIMAL, now)
        for slot in slots_of(session, open_request_for(session, record.ref)):
            act(session, app_context.config, record.ref, slot.key, slot.approvers[0], now=now)


def _controls(result) -> dict[str, dict]:
    assert result.exit_code == 0, result.output
    return {row["control"]: row for row in json.loads(result.stdout)["controls"]}


def test_json_has_every_control_with_its_status_evidence_and_a_summary(app_context, now):
    _approve_one(app_context, now)
    result = _aims(app_context, "soa", "--json")
    document = json.loads(result.stdout)
    assert document["organisation"] == "Acme Financial Services Ltd"
    assert document["period"] == {"start": None, "end": None}
    assert len(document["controls"]) == 38
    assert sum(document["summary"].values()) == 38
    assert set(document["summary"]) == {
        "operating",
        "no_evidence_in_period",
        "not_implemented",
        "not_applicable",
    }
    row = _controls(result)["A.5.2"]
    assert row["status"] == "operating" and row["status_label"] == "operating"
    assert row["applicable"] is True and row["justification"]
    assert row["how"] and row["coverage"] in {"full", "partial"}
    assert "Art. 6" in row["ai_act"] and row["nist"]
    assert row["events"] == 2
    requested = next(item for item in row["evidence"] if item["kind"] == "approval.requested")
    assert requested["count"] == 1
    assert datetime.fromisoformat(requested["first"]) == now
    assert datetime.fromisoformat(requested["last"]) == now
    assert len(requested["samples"]) == 1 and requested["samples"][0] in row["samples"]
    assert _controls(result)["A.4.5"]["status"] == "not_implemented"


def test_period_filters_the_evidence_by_whole_days(app_context, now):
    _approve_one(app_context, now)  # 2026-11-24 09:30 UTC, in London the same day
    day = now.date().isoformat()
    inside = _controls(_aims(app_context, "soa", "--json", "--period", f"{day}..{day}"))
    assert inside["A.5.2"]["status"] == "operating"
    after = _controls(_aims(app_context, "soa", "--json", "--period", "2026-11-25.."))
    assert after["A.5.2"]["status"] == "no_evidence_in_period"
    assert after["A.5.2"]["evidence"] == []
    before = _controls(_aims(app_context, "soa", "--json", "--period", "..2026-11-23"))
    assert before["A.5.2"]["status"] == "no_evidence_in_period"


def test_the_terminal_table_shows_each_control_status_and_evidence(app_context, now):
    _approve_one(app_context, now)
    result = _aims(app_context, "soa", "--period", "2026-11-01..2026-11-30")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Statement of Applicability" in out and "Acme Financial Services Ltd" in out
    assert "Period: 2026-11-01 00:00 to before 2026-12-01 00:00 (Europe/London)" in out
    assert "38 controls:" in out
    line = next(line for line in out.splitlines() if "A.5.2 AI system impact" in line)
    assert "approval.requested ×1" in line
    assert any("A.8.4" in line for line in out.splitlines())
    assert "no evidence in period" in out and "not implemented" in out
    assert "Not implemented: computing and hosting resources" in out


def test_a_mistyped_period_is_explained_without_a_traceback(app_context):
    result = _aims(app_context, "soa", "--period", "last quarter")
    assert result.exit_code == 1
    assert "write FROM..TO, e.g. 2026-01-01..2026-03-31" in result.stderr
    assert "Traceback" not in result.output
