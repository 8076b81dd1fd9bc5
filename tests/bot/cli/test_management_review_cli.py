"""`aims management-review prepare | decide | action | hold | show | export` as a governance lead
runs them against the sample organisation: the minutes end up in the ledger and in a file, and
bad input is refused naming what is missing, changing nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from store.evidence_kinds import EvidenceKind
from store.improvement_models import CorrectiveAction, ManagementReview
from store.models import EvidenceEvent, OutboundMessage

LEAD = "Priya Raman"
TOM = "U0ACME0002"


@pytest.fixture
def aims(run_cli, org_dir: Path, db):
    def run(*args: str | Path):
        return run_cli(
            "management-review", *args, config=org_dir / "aims.yaml", database_url=db.url
        )

    return run


def count(db, table) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def test_a_lead_prepares_decides_acts_holds_and_exports_the_review(
    aims, db, tmp_path, run_cli, org_dir
):
    prepared = aims("prepare", "--period", "2026-Q3", "--as", LEAD)
    assert prepared.exit_code == 0, prepared.output
    assert "Prepared MR-2026-Q3 for Q3 2026 (1 Jul 2026 to 30 Sep 2026)" in prepared.stdout
    assert "posts it to the governance channel as a thread" in prepared.stdout
    again = aims("prepare", "--period", "2026-q3", "--as", LEAD)
    assert again.exit_code == 1 and "MR-2026-Q3 already covers Q3 2026" in again.stderr

    decided = aims("decide", "MR-2026-Q3", "Keep the quarterly cadence", "--as", LEAD)
    assert decided.exit_code == 0 and "Recorded decision 1 of MR-2026-Q3." in decided.stdout
    acted = aims(
        "action",
        "MR-2026-Q3",
        "Update the DPIA template",
        "--owner",
        "Tom Okafor",
        "--due",
        "30d",
        "--as",
        LEAD,
    )
    assert acted.exit_code == 0, acted.output
    assert "Recorded ACT-0001 for Tom Okafor, due" in acted.stdout
    held = aims(
        "hold",
        "MR-2026-Q3",
        "--attendee",
        LEAD,
        "--attendee",
        TOM,
        "--held-on",
        "2026-10-06",
        "--as",
        LEAD,
    )
    assert held.exit_code == 0 and "Recorded the minutes of MR-2026-Q3 (2 attendees)." in (
        held.stdout
    )

    shown = json.loads(aims("show", "MR-2026-Q3", "--json").stdout)
    assert (shown["status"], shown["held_on"], shown["attendees"]) == (
        "held",
        "2026-10-06",
        ["Priya Raman", "Tom Okafor"],
    )
    assert [d["text"] for d in shown["decisions"]] == ["Keep the quarterly cadence"]
    assert [(a["ref"], a["owner_name"]) for a in shown["actions"]] == [("ACT-0001", "Tom Okafor")]
    assert shown["inputs"]["period_start"] == "2026-07-01"

    for name in ("minutes.md", "minutes.html"):
        written = aims("export", "MR-2026-Q3", tmp_path / name)
        assert written.exit_code == 0 and f"Wrote MR-2026-Q3 to {tmp_path / name}" in (
            written.stdout
        )
        text = (tmp_path / name).read_text(encoding="utf-8")
        assert "Held on 6 Oct 2026; attended by Priya Raman, Tom Okafor" in text
        assert "Keep the quarterly cadence" in text and "Update the DPIA template" in text
    wrong = aims("export", "MR-2026-Q3", tmp_path / "minutes.txt")
    assert wrong.exit_code == 1 and "name a .md or .html file" in wrong.stderr

    with db.session() as session:
        kinds = session.scalars(select(EvidenceEvent.kind).order_by(EvidenceEvent.seq)).all()
        notes = session.scalar(
            select(func.count())
            .select_from(OutboundMessage)
            .where(OutboundMessage.kind == "management_review.note")
        )
    assert EvidenceKind.MANAGEMENT_REVIEW_PREPARED in kinds
    assert EvidenceKind.MANAGEMENT_REVIEW_DECIDED in kinds
    assert EvidenceKind.FINDING_ACTION_ADDED in kinds
    assert kinds[-1] == EvidenceKind.MANAGEMENT_REVIEW_MINUTES
    assert notes == 3  # the decision, the action and the minutes, in the review's thread
    verified = run_cli("evidence", "verify", config=org_dir / "aims.yaml", database_url=db.url)
    assert verified.exit_code == 0, verified.output


def test_a_non_lead_and_bad_input_are_refused_and_nothing_changes(aims, db):
    refused = aims("prepare", "--period", "2026-Q2", "--as", "Oliver Grant")
    assert refused.exit_code == 1
    assert "only a governance lead can prepare a management review" in refused.stderr
    assert count(db, ManagementReview) == 0
    not_over = aims("prepare", "--from", "2026-11-01", "--to", "2099-12-31", "--as", LEAD)
    assert not_over.exit_code == 1 and "is not over yet" in not_over.stderr
    bad_period = aims("prepare", "--period", "last quarter", "--as", LEAD)
    assert bad_period.exit_code == 1 and "give a quarter (2026-Q4)" in bad_period.stderr

    custom = aims("prepare", "--from", "2026-11-01", "--to", "2026-11-15", "--as", LEAD)
    assert custom.exit_code == 0 and "Prepared MR-2026-11 for 1 Nov 2026 to 15 Nov 2026" in (
        custom.stdout
    )
    for args, message in [
        (("--due", "14d"), "an action needs an owner"),
        (("--owner", "Tom Okafor"), "an action needs a due date"),
        (("--owner", "Nobody Here", "--due", "14d"), "'Nobody Here' is not a known person"),
        (("--owner", TOM, "--due", "2020-01-31"), "the due date 2020-01-31 is in the past"),
        (("--owner", TOM, "--due", "soon"), "'soon' is not a date"),
    ]:
        result = aims("action", "MR-2026-11", "Call the vendor", *args, "--as", LEAD)
        assert result.exit_code == 1 and message in result.stderr, result.output
    by_other = aims(
        "action",
        "MR-2026-11",
        "Call the vendor",
        "--owner",
        TOM,
        "--due",
        "14d",
        "--as",
        "Oliver Grant",
    )
    assert by_other.exit_code == 1 and "only a governance lead" in by_other.stderr
    nobody = aims("hold", "MR-2026-11", "--held-on", "2026-11-20", "--as", LEAD)
    assert nobody.exit_code == 1 and "name who attended" in nobody.stderr
    unknown = aims("show", "MR-2031-Q1")
    assert unknown.exit_code == 1 and "no management review 'MR-2031-Q1'" in unknown.stderr
    assert count(db, CorrectiveAction) == 0
    with db.session() as session:
        review = session.scalars(select(ManagementReview)).one()
        assert (review.status, review.decisions, review.finding_id) == ("prepared", [], None)
