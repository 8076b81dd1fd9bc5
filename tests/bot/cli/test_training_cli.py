"""`aims training record | import | status` as a person runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.governance.test_training import GRACE, ORG, PAT, SAM

LITERACY = "AI literacy basics"


@pytest.fixture
def org(tmp_path: Path) -> Path:
    path = tmp_path / "org" / "aims.yaml"
    path.parent.mkdir()
    path.write_text(ORG, encoding="utf-8")
    return path


@pytest.fixture
def aims(run_cli, org, db):
    def run(*args: str | Path):
        return run_cli(*args, config=org, database_url=db.url)

    return run


def _record(aims, person: str, course: str, completed: str):
    options = ["--person", person, "--course", course, "--completed", completed, "--as", GRACE]
    return aims("training", "record", *options)


def _status(aims) -> dict[str, dict]:
    result = aims("training", "status", "--json")
    assert result.exit_code == 0, result.output
    return {row["course"]: row for row in json.loads(result.stdout)}


def test_record_then_record_again_says_nothing_changed(aims):
    args = ("training", "record", "--person", "sam@test.example", "--course", LITERACY)
    first = aims(*args, "--completed", "2026-11-02", "--as", "Grace Lead")
    assert first.exit_code == 0, first.output
    assert "Recorded: Sam Staff completed 'AI literacy basics' on 2026-11-02." in first.stdout
    again = aims(*args, "--completed", "2026-11-02", "--as", GRACE)
    assert again.exit_code == 0, again.output
    assert "Already recorded" in again.stdout and "nothing changed" in again.stdout
    assert _status(aims)[LITERACY]["trained"] == 1


def test_an_unknown_course_fails_listing_the_courses_and_a_bad_date_is_a_usage_error(aims):
    result = _record(aims, SAM, "Prompt wizardry", "2026-11-02")
    assert result.exit_code == 1
    assert "known courses: AI literacy basics, Human oversight of high-risk AI" in result.stderr
    result = _record(aims, SAM, LITERACY, "2 Nov 2026")
    assert result.exit_code == 2 and "YYYY-MM-DD" in result.output
    assert _status(aims)[LITERACY]["trained"] == 0


def _sheet(path: Path, *rows: str) -> Path:
    path.write_text("person,course,completed_on,evidence_url\n" + "\n".join(rows) + "\n")
    return path


def test_a_sheet_with_a_bad_row_imports_nothing_and_names_the_row(aims, tmp_path):
    sheet = _sheet(
        tmp_path / "hr.csv",
        f"{SAM},{LITERACY},2026-10-01,",
        f"U0NOBODY,{LITERACY},2026-10-01,",
        f"{PAT},{LITERACY},2099-01-01,",
    )
    result = aims("training", "import", sheet, "--as", GRACE)
    assert result.exit_code == 1
    assert "hr.csv: row 3, person: U0NOBODY is not a known person" in result.stdout
    assert "hr.csv: row 4, completed_on: 2099-01-01 is in the future" in result.stdout
    assert "nothing imported: 2 problem(s) in hr.csv" in result.stderr
    assert _status(aims)[LITERACY]["trained"] == 0


def test_a_good_sheet_imports_and_the_ledger_still_verifies(aims, tmp_path):
    sheet = _sheet(
        tmp_path / "hr.csv",
        f"{SAM},{LITERACY},2026-10-01,https://lms.test.example/1",
        f"grace@test.example,{LITERACY},2026-10-02,",
        f"{GRACE},AI governance for leads,2026-10-03,",
    )
    result = aims("training", "import", sheet, "--as", GRACE)
    assert result.exit_code == 0, result.output
    assert "Imported 3 records." in result.stdout
    again = aims("training", "import", sheet, "--as", GRACE)
    assert "Imported 0 records (3 already on record, unchanged)." in again.stdout
    verified = aims("evidence", "verify")
    assert verified.exit_code == 0, verified.output
    assert verified.stdout.startswith("OK   hash chain: 3 events")


def test_status_shows_each_required_course_with_who_is_missing_it(aims):
    assert _record(aims, SAM, LITERACY, "2026-11-02").exit_code == 0
    rows = _status(aims)
    assert rows[LITERACY] == {
        "course": LITERACY,
        "required": 3,
        "trained": 1,
        "missing": [
            {"person": GRACE, "name": "Grace Lead"},
            {"person": PAT, "name": "Pat Privacy"},
        ],
    }
    assert rows["AI governance for leads"]["missing"] == [{"person": GRACE, "name": "Grace Lead"}]
    table = aims("training", "status")
    assert table.exit_code == 0, table.output
    literacy = next(line for line in table.stdout.splitlines() if LITERACY in line)
    assert "3" in literacy and "1 (33%)" in literacy and "Grace Lead, Pat Privacy" in literacy


def test_status_without_a_training_section_says_how_to_add_one(run_cli, org_file, db):
    result = run_cli("training", "status", config=org_file, database_url=db.url)
    assert result.exit_code == 0
    assert "No training is required" in result.stdout
