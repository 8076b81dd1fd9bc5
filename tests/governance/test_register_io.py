"""Register export → import round trips through CSV, JSON and XLSX; bad files import nothing
and say which row and column to fix."""

from __future__ import annotations

import csv
import json
from datetime import date

import pytest
from openpyxl import load_workbook

from governance import register
from governance.config import load_config
from governance.models import (
    DataCategory,
    Deployment,
    EuAiActRole,
    Oversight,
    RecordFields,
    RecordStatus,
    RiskTier,
)
from governance.register_io import COLUMNS
from governance.tiering import apply_tier
from store import evidence
from tests.support.databases import fresh_database

RECORDS = [
    (
        RecordFields(
            title="Copilot drafts complaint replies",
            purpose="Draft first replies to customer complaints; an agent edits every one",
            business_unit="Customer Operations",
            owner="U0TEST0001",
            requester="U0TEST0002",
            vendor="Microsoft",
            tool="Microsoft 365 Copilot",
            model_version="GPT-4o (2024-11)",
            third_party=True,
            deployment=Deployment.EMPLOYEE_FACING,
            affected_people=["customers", "complaint handlers"],
            data_categories=[DataCategory.PERSONAL, DataCategory.CUSTOMER],
            human_oversight=Oversight.IN_THE_LOOP,
            permissions=["read: complaints inbox"],
            eu_ai_act_role=EuAiActRole.DEPLOYER,
            conditions=["Human review; weekly sampling", "Label AI drafts\nin the CRM"],
            next_review=date(2027, 3, 1),
        ),
        RecordStatus.LIVE,
    ),
    (
        RecordFields(
            title='=HYPERLINK("http://x")',
            purpose="Zürich pilot, ünïcödé",
            agent_write_access=True,
            conditions=["One; with a semicolon"],
        ),
        RecordStatus.DRAFT,
    ),
    (RecordFields(title="2024"), RecordStatus.APPROVED_WITH_CONDITIONS),
]


def _fill(db, now, org_file):
    """The sample records, tiered by the rules as the register tiers them (an import re-tiers
    every row, so a register the rules tiered comes back unchanged)."""
    config = load_config(org_file)
    with db.session() as session:
        for fields, status in RECORDS:
            register.create_record(
                session,
                fields=apply_tier(fields, config),
                actor="U0TEST0001",
                status=status,
                now=now,
            )


def _records(db):
    with db.session() as session:
        return [
            (register.read_fields(record), record.status, record.ref)
            for record in register.list_records(session)
        ]


@pytest.fixture
def second_db(backend, tmp_path):
    """Another fresh database on the same backend, to import into."""
    (tmp_path / "second").mkdir()
    with fresh_database(backend, tmp_path / "second") as database:
        yield database


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
def test_export_then_import_into_a_fresh_database_reproduces_the_register(
    db, second_db, now, org_file, run_cli, tmp_path, fmt
):
    _fill(db, now, org_file)
    exported = tmp_path / f"register.{fmt}"
    result = run_cli("register", "export", exported, config=org_file, database_url=db.url)
    assert result.exit_code == 0, result.output
    assert f"Wrote 3 records to {exported} ({fmt})" in result.stdout

    result = run_cli(
        "register",
        "import",
        exported,
        "--as",
        "U0TEST0002",
        config=org_file,
        database_url=second_db.url,
    )
    assert result.exit_code == 0, result.output
    assert "Imported 3 records (AIU-0001, AIU-0002, AIU-0003)" in result.stdout

    assert _records(second_db) == _records(db)
    with second_db.session() as session:
        lines = list(evidence.iter_ledger(session))
    assert evidence.verify(lines).ok
    imported = [line for line in lines if line.kind == "record.imported"]
    assert [line.subject for line in imported] == ["AIU-0001", "AIU-0002", "AIU-0003"]
    assert all(line.actor == "U0TEST0002" for line in imported)
    assert f'"source":"register.{fmt}"' in imported[0].payload


def test_the_xlsx_export_is_a_readable_spreadsheet(db, now, org_file, run_cli, tmp_path):
    _fill(db, now, org_file)
    exported = tmp_path / "register.xlsx"
    assert (
        run_cli("register", "export", exported, config=org_file, database_url=db.url).exit_code == 0
    )
    sheet = load_workbook(exported).active
    rows = list(sheet.iter_rows(values_only=True))
    assert sheet.title == "AI register"
    assert list(rows[0]) == list(COLUMNS)
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["ref"] == "AIU-0001" and first["status"] == "live"
    assert first["data_categories"] == "personal\ncustomer"  # one item per line in the cell
    assert first["third_party"] is True and first["next_review"] == "2027-03-01"
    # A title that looks like a formula stays text; it is never run by the spreadsheet.
    title_cell = sheet.cell(row=3, column=COLUMNS.index("title") + 1)
    assert (title_cell.value, title_cell.data_type) == ('=HYPERLINK("http://x")', "s")
    assert rows[3][COLUMNS.index("title")] == "2024"


def test_a_csv_export_lists_items_one_per_line(db, now, org_file, run_cli, tmp_path):
    _fill(db, now, org_file)
    exported = tmp_path / "register.csv"
    run_cli("register", "export", exported, config=org_file, database_url=db.url)
    with exported.open(newline="", encoding="utf-8") as handle:
        first = next(csv.DictReader(handle))
    assert first["affected_people"] == "customers\ncomplaint handlers"
    assert first["deployment"] == "employee-facing"


BAD_CSV = """\
title,deployment,data_categories,status,owner
Good one,internal,public,draft,U0TEST0001
Bad deployment,cloud,public,draft,U0TEST0001
,internal,secret,live,U0TEST0001

Another good one,,personal; customer,submitted,U0TEST0002
"""


def test_an_import_with_bad_rows_imports_nothing_and_names_each_row_and_column(
    db, org_file, run_cli, tmp_path
):
    source = tmp_path / "legacy.csv"
    source.write_text(BAD_CSV, encoding="utf-8")
    result = run_cli("register", "import", source, config=org_file, database_url=db.url)
    assert result.exit_code == 1
    assert "legacy.csv: row 3, column deployment: 'cloud' is not allowed" in result.stdout
    assert "legacy.csv: row 4, column title: required: fill it in" in result.stdout
    assert "legacy.csv: row 4, column data_categories.1" not in result.stdout
    assert "row 4, column data_categories: 'secret' is not allowed" in result.stdout
    assert "nothing imported: 3 problem(s) in legacy.csv" in result.stderr
    assert "row 2" not in result.stdout and "row 6" not in result.stdout
    with db.session() as session:
        assert register.list_records(session) == []
        assert evidence.verify(evidence.iter_ledger(session)).count == 0


def test_skip_invalid_imports_the_valid_rows_each_with_evidence(db, org_file, run_cli, tmp_path):
    source = tmp_path / "legacy.csv"
    source.write_text(BAD_CSV, encoding="utf-8")
    result = run_cli(
        "register", "import", source, "--skip-invalid", config=org_file, database_url=db.url
    )
    assert result.exit_code == 0, result.output
    assert "row 3, column deployment" in result.stdout
    assert "Imported 2 records (AIU-0001, AIU-0002); skipped 3 problem(s)" in result.stdout
    records = _records(db)
    assert [(f.title, status) for f, status, _ in records] == [
        ("Good one", "draft"),
        ("Another good one", "submitted"),
    ]
    assert records[1][0].data_categories == [DataCategory.PERSONAL, DataCategory.CUSTOMER]
    with db.session() as session:
        lines = list(evidence.iter_ledger(session))
    assert evidence.verify(lines).ok
    for ref, row in (("AIU-0001", 2), ("AIU-0002", 6)):
        kinds = [line.kind for line in lines if line.subject == ref]
        assert kinds == ["record.created", "record.imported"]
        imported = next(line for line in lines if line.subject == ref and "imported" in line.kind)
        assert json.loads(imported.payload)["row"] == row


def test_json_problems_count_records_from_one(db, org_file, run_cli, tmp_path):
    source = tmp_path / "register.json"
    source.write_text(json.dumps([{"title": "Fine"}, {"title": "Odd", "colour": "red"}]))
    result = run_cli("register", "import", source, config=org_file, database_url=db.url)
    assert result.exit_code == 1
    assert "register.json: row 2, column colour: unknown column" in result.stdout


def test_an_unreadable_file_is_refused_without_a_traceback(db, org_file, run_cli, tmp_path):
    source = tmp_path / "register.xlsx"
    source.write_text("this is not a workbook")
    result = run_cli("register", "import", source, config=org_file, database_url=db.url)
    assert result.exit_code == 1
    assert "not a readable .xlsx workbook" in result.stderr
    latin = tmp_path / "latin.csv"
    latin.write_bytes("title\nCaf\xe9 bot\n".encode("latin-1"))
    result = run_cli("register", "import", latin, config=org_file, database_url=db.url)
    assert result.exit_code == 1 and "CSV UTF-8" in result.stderr


NEAR_MISSES_CSV = """\
title,status,deployment,data_categories,human_oversight,decision_stakes,annex_iii_areas
Complaint drafts,In Review,Customer Facing,Personal; Special Category,In the loop,,
CV ranking,draft,employee_facing,personal,ON THE LOOP,Significant,Employment
"""


def test_near_miss_spellings_are_read_as_the_registers_values_and_each_is_reported(
    db, org_file, run_cli, tmp_path
):
    source = tmp_path / "legacy.csv"
    source.write_text(NEAR_MISSES_CSV, encoding="utf-8")
    result = run_cli("register", "import", source, config=org_file, database_url=db.url)
    assert result.exit_code == 0, result.output
    for reading in (
        "row 2, column status: 'In Review' → 'in_review'",
        "row 2, column deployment: 'Customer Facing' → 'customer-facing'",
        "row 2, column data_categories: 'Special Category' → 'special-category'",
        "row 2, column human_oversight: 'In the loop' → 'in-the-loop'",
        "row 3, column deployment: 'employee_facing' → 'employee-facing'",
        "row 3, column decision_stakes: 'Significant' → 'significant'",
        "row 3, column annex_iii_areas: 'Employment' → 'employment'",
    ):
        assert f"legacy.csv: {reading}" in result.stdout
    [(drafts, status, _), (ranking, _, _)] = _records(db)
    assert status == "in_review" and drafts.deployment is Deployment.CUSTOMER_FACING
    assert drafts.data_categories == [DataCategory.PERSONAL, DataCategory.SPECIAL_CATEGORY]
    assert drafts.human_oversight is Oversight.IN_THE_LOOP
    assert (ranking.decision_stakes, ranking.annex_iii_areas) == ("significant", ["employment"])
    # Read correctly, the Annex III area makes it high risk.
    assert ranking.risk_tier is RiskTier.HIGH


TIERS_CSV = """\
title,deployment,data_categories,risk_tier,tier_override
Internal search,internal,public,high,
Team FAQ bot,employee-facing,internal,limited,
Untiered idea,internal,public,,
Board pack summaries,internal,public,high,Board papers are market-sensitive
"""


def test_the_rules_tier_every_imported_row_and_a_sheet_tier_they_dispute_is_flagged(
    db, org_file, run_cli, tmp_path
):
    source = tmp_path / "legacy.csv"
    source.write_text(TIERS_CSV, encoding="utf-8")
    result = run_cli(
        "register", "import", source, "--as", "U0TEST0001", config=org_file, database_url=db.url
    )
    assert result.exit_code == 0, result.output
    out = " ".join(result.stdout.split())
    assert "Flagged for the governance leads (2)" in out
    assert (
        "row 2 (AIU-0001): the sheet says tier high, the rules give minimal: recorded as "
        "minimal for a governance lead to confirm or override (aims register override-tier)"
    ) in out
    assert "row 5 (AIU-0004): tier high kept as the sheet's override" in out
    assert "AIU-0002" not in out.split("Flagged")[1] and "AIU-0003" not in out.split("Flagged")[1]

    records = {ref: fields for fields, _, ref in _records(db)}
    assert [records[ref].risk_tier for ref in sorted(records)] == [
        RiskTier.MINIMAL,  # the rules' tier, not the sheet's
        RiskTier.LIMITED,  # the sheet agreed
        RiskTier.MINIMAL,  # the sheet had none
        RiskTier.HIGH,  # the sheet's override, kept and flagged
    ]
    assert (
        records["AIU-0001"]
        .tier_reasons[-1]
        .startswith("Imported with tier high (legacy.csv row 2); the rules give minimal.")
    )
    with db.session() as session:
        created = {
            line.subject: json.loads(line.payload)["reason"]
            for line in evidence.iter_ledger(session)
            if line.kind == "record.created"
        }
    assert created["AIU-0001"].startswith(
        "imported from legacy.csv row 2; flagged for the governance leads: the sheet says tier "
        "high, the rules give minimal"
    )
    assert created["AIU-0002"] == "imported from legacy.csv row 3"


def test_a_record_of_a_prohibited_catalogue_tool_is_flagged_at_import(
    db, org_dir, run_cli, tmp_path
):
    source = tmp_path / "legacy.csv"
    source.write_text(
        "title,tool,status\nMeeting notes,otter ai,live\nDrafts,ChatGPT,live\n", encoding="utf-8"
    )
    result = run_cli(
        "register", "import", source, config=org_dir / "aims.yaml", database_url=db.url
    )
    assert result.exit_code == 0, result.output
    out = " ".join(result.stdout.split())
    assert "row 2 (AIU-0001): tool 'otter ai' is prohibited in the catalogue as Otter.ai" in out
    assert "AIU-0002" not in out.split("Flagged")[1]  # ChatGPT is ChatGPT Enterprise: approved
    with db.session() as session:
        [version] = register.versions(session, register.get_record(session, "AIU-0001"))
    assert "prohibited in the catalogue as Otter.ai" in version.reason


@pytest.mark.parametrize(
    ("named", "prohibited"),
    [
        ("Otter.ai", "Otter.ai"),
        ("OTTER AI", "Otter.ai"),
        ("  otterpilot ", "Otter.ai"),
        ("chatgpt free", "ChatGPT (free and personal accounts)"),
        ("ChatGPT", None),  # an alias of ChatGPT Enterprise, which is approved
        ("Claude", None),  # approved with conditions
        ("Midjourney", None),  # restricted, not prohibited
        ("An in-house model", None),
        ("", None),
    ],
)
def test_prohibited_tool_matches_a_name_or_alias_whatever_its_case_or_spacing(
    sample_config, named, prohibited
):
    from governance.catalogue import prohibited_tool

    found = prohibited_tool(sample_config, named)
    assert (found.name if found else None) == prohibited
