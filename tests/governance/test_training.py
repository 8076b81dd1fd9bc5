"""AI-literacy and training records: recording a completion, importing a sheet of them (all or
nothing, each problem by row and column), who needs which course, coverage, expiry, and the
review notice that names who on a record is missing training."""

from __future__ import annotations

import csv
import threading
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from governance import register, review_sweep
from governance.config import OrgConfig, parse_config
from governance.errors import ConfigError, ValidationProblem
from governance.models import RecordFields, RecordStatus, RiskTier
from governance.training import (
    CourseCoverage,
    coverage,
    import_training,
    missing_for_record,
    record_training,
    required_courses,
    valid_completions,
)
from store import evidence
from store.ack_models import AckCampaign, AckRequest
from store.models import OutboundMessage
from store.training_models import TrainingRecord

GRACE, PAT, SAM = "U0TEST0001", "U0TEST0002", "U0TEST0003"
OUTSIDER = "U0EXTERN01"  # owns a register record, not listed under people
LITERACY, OVERSIGHT, LEADS = (
    "AI literacy basics",
    "Human oversight of high-risk AI",
    "AI governance for leads",
)

ORG = """\
organisation:
  name: Test Org
people:
  - slack_id: U0TEST0001
    name: Grace Lead
    email: grace@test.example
  - slack_id: U0TEST0002
    name: Pat Privacy
    manager: U0TEST0001
  - slack_id: U0TEST0003
    name: Sam Staff
    email: sam@test.example
roles:
  governance_leads: [U0TEST0001]
  privacy: [U0TEST0002]
training:
  courses:
    - name: AI literacy basics
      valid_for_days: 730
    - name: Human oversight of high-risk AI
    - name: AI governance for leads
  required:
    everyone: [AI literacy basics]
    roles:
      governance_leads: [AI governance for leads]
    tiers:
      high: [AI literacy basics, Human oversight of high-risk AI]
      limited: [AI literacy basics]
"""


@pytest.fixture
def config() -> OrgConfig:
    return parse_config(ORG)


def record(db, config, now, *, person=SAM, course=LITERACY, on=date(2026, 11, 2), url=None):
    with db.session() as session:
        return record_training(
            session,
            config=config,
            person=person,
            course=course,
            completed_on=on,
            evidence_url=url,
            actor=GRACE,
            now=now,
            source="cli",
        )


def ledger(db) -> list[evidence.LedgerLine]:
    with db.session() as session:
        return list(evidence.iter_ledger(session))


def training_rows(db) -> list[tuple[str, str, date, str | None, str]]:
    with db.session() as session:
        rows = session.scalars(select(TrainingRecord).order_by(TrainingRecord.id))
        return [(r.person, r.course, r.completed_on, r.evidence_url, r.source) for r in rows]


def register_use(db, now, *, title, owner, requester="", tier=RiskTier.HIGH, status, due=None):
    with db.session() as session:
        return register.create_record(
            session,
            status=status,
            actor=GRACE,
            now=now,
            fields=RecordFields(
                title=title, owner=owner, requester=requester, risk_tier=tier, next_review=due
            ),
        ).ref


# --- recording one completion ----------------------------------------------------------------


def test_a_completion_is_recorded_once_with_its_evidence_and_again_changes_nothing(db, config, now):
    first = record(db, config, now, url="https://lms.test.example/cert/42")
    again = record(db, config, now, url="https://lms.test.example/cert/42")
    assert first.new and not again.new
    assert training_rows(db) == [
        (SAM, LITERACY, date(2026, 11, 2), "https://lms.test.example/cert/42", "cli")
    ]
    [event] = [line for line in ledger(db) if line.kind == "training.recorded"]
    assert (event.actor, event.subject) == (GRACE, SAM)
    assert '"completed_on":"2026-11-02"' in event.payload and '"course":"AI literacy basics"' in (
        event.payload
    )
    assert evidence.verify(ledger(db)).ok


def test_a_person_may_be_named_by_email_and_a_course_in_any_case(db, config, now):
    done = record(db, config, now, person="Sam@Test.Example", course="  ai LITERACY basics ")
    assert (done.record.person, done.record.course) == (SAM, LITERACY)


def test_an_unknown_course_is_refused_naming_the_known_ones(db, config, now):
    with pytest.raises(ValidationProblem) as error:
        record(db, config, now, course="Prompt wizardry")
    assert str(error.value) == (
        "'Prompt wizardry' is not a course; known courses: AI literacy basics, "
        "Human oversight of high-risk AI, AI governance for leads"
    )
    assert training_rows(db) == [] and ledger(db) == []


def test_a_completion_date_in_the_future_is_refused(db, config, now):
    tomorrow = now.date() + timedelta(days=1)
    with pytest.raises(ValidationProblem) as error:
        record(db, config, now, on=tomorrow)
    assert f"{tomorrow.isoformat()} is in the future" in str(error.value)
    record(db, config, now, on=now.date())  # today is fine
    assert len(training_rows(db)) == 1


def test_an_unknown_person_is_refused(db, config, now):
    with pytest.raises(ValidationProblem) as error:
        record(db, config, now, person="U0NOBODY")
    assert str(error.value).startswith("U0NOBODY is not a known person")
    assert training_rows(db) == []


def test_register_owners_and_people_asked_to_acknowledge_a_policy_are_known(db, config, now):
    register_use(db, now, title="Claims triage", owner=OUTSIDER, status=RecordStatus.DRAFT)
    with db.session() as session:
        campaign = AckCampaign(
            ref="ACK-0001",
            document_source="policies/ai.md",
            document_title="AI policy",
            version_sha256="0" * 64,
            key_rules=[],
            audience_kind="people",
            due_on=date(2026, 12, 1),
            started_by=GRACE,
            started_at=now,
        )
        session.add(campaign)
        session.flush()
        session.add(
            AckRequest(
                campaign_id=campaign.id, person="U0ASKED001", shown_sha256="1" * 64, asked_at=now
            )
        )
    assert record(db, config, now, person=OUTSIDER).new
    assert record(db, config, now, person="U0ASKED001").new


def test_two_replicas_recording_the_same_completion_at_once_record_it_once(pg_db, config, now):
    start, results, errors = threading.Barrier(4), [], []

    def run() -> None:
        try:
            start.wait()
            results.append(record(pg_db, config, now))
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(result.new for result in results) == [False, False, False, True]
    assert len(training_rows(pg_db)) == 1
    assert [line.kind for line in ledger(pg_db)] == ["training.recorded"]
    assert evidence.verify(ledger(pg_db)).ok


# --- importing a sheet -----------------------------------------------------------------------


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["person", "course", "completed_on", "evidence_url"], *rows])
    return path


def run_import(db, config, now, path: Path):
    with db.session() as session:
        return import_training(session, config=config, path=path, actor=GRACE, now=now)


GOOD_ROWS = [
    [GRACE, LITERACY, "2026-10-01", "https://lms.test.example/1"],
    ["sam@test.example", LITERACY, "2026-10-02", ""],
    [PAT, LITERACY, "2026-10-03", ""],
    [GRACE, LEADS, "2026-10-04", ""],
    [SAM, OVERSIGHT, "2026-10-05", ""],
]


def test_a_sheet_with_bad_rows_imports_nothing_and_names_each_row_and_column(
    db, config, now, tmp_path
):
    rows = [*GOOD_ROWS]
    rows.insert(2, ["U0NOBODY", LITERACY, "2026-10-01", ""])  # row 4 (the header is row 1)
    rows.insert(5, [SAM, LEADS, "2027-01-03", ""])  # row 7
    result = run_import(db, config, now, write_csv(tmp_path / "hr.csv", rows))
    assert [str(problem) for problem in result.problems] == [
        "row 4, person: U0NOBODY is not a known person",
        "row 7, completed_on: 2027-01-03 is in the future",
    ]
    assert result.recorded == 0
    assert training_rows(db) == [] and ledger(db) == []


def test_every_kind_of_bad_cell_is_named(db, config, now, tmp_path):
    rows = [
        ["", "Prompt wizardry", "02/11/2026", "lms.test.example/1"],
        [SAM, "", "", ""],
    ]
    result = run_import(db, config, now, write_csv(tmp_path / "hr.csv", rows))
    assert [str(problem) for problem in result.problems] == [
        "row 2, person: required: fill it in",
        "row 2, course: 'Prompt wizardry' is not a course; known courses: AI literacy basics, "
        "Human oversight of high-risk AI, AI governance for leads",
        "row 2, completed_on: '02/11/2026' is not a date; write it as YYYY-MM-DD, like 2026-11-02",
        "row 2, evidence_url: 'lms.test.example/1' is not a web address (it starts with "
        "http:// or https://)",
        "row 3, course: required: fill it in",
        "row 3, completed_on: required: fill it in",
    ]


def test_a_missing_or_unknown_column_is_named_at_the_header(db, config, now, tmp_path):
    path = tmp_path / "hr.csv"
    path.write_text("person,course,done,department\nU0TEST0003,AI literacy basics,x,Ops\n")
    result = run_import(db, config, now, path)
    assert [str(problem) for problem in result.problems] == [
        "row 1, completed_on: no such column; the header needs person, course, completed_on",
        "row 1, done: unknown column; use person, course, completed_on, evidence_url",
        "row 1, department: unknown column; use person, course, completed_on, evidence_url",
    ]


def test_a_good_sheet_imports_every_row_with_one_evidence_event_each(db, config, now, tmp_path):
    result = run_import(db, config, now, write_csv(tmp_path / "hr.csv", GOOD_ROWS))
    assert (result.recorded, result.already, result.problems) == (5, 0, [])
    assert [(person, course) for person, course, *_ in training_rows(db)] == [
        (GRACE, LITERACY),
        (SAM, LITERACY),
        (PAT, LITERACY),
        (GRACE, LEADS),
        (SAM, OVERSIGHT),
    ]
    events = [line for line in ledger(db) if line.kind == "training.recorded"]
    assert len(events) == 5 and all(event.actor == GRACE for event in events)
    assert '"source":"import:hr.csv"' in events[0].payload and '"row":2' in events[0].payload
    assert evidence.verify(ledger(db)).ok
    # The same sheet again records nothing new.
    again = run_import(db, config, now, write_csv(tmp_path / "hr.csv", GOOD_ROWS))
    assert (again.recorded, again.already) == (0, 5)
    assert len(ledger(db)) == 5


def test_an_xlsx_sheet_with_real_dates_imports(db, config, now, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["person", "course", "completed_on"])
    sheet.append([SAM, LITERACY, datetime(2026, 10, 2, 0, 0)])  # noqa: DTZ001 (a sheet's cell)
    sheet.append([PAT, LITERACY, date(2026, 10, 3)])
    workbook.save(tmp_path / "hr.xlsx")
    result = run_import(db, config, now, tmp_path / "hr.xlsx")
    assert (result.recorded, result.problems) == (2, [])
    assert [row[2] for row in training_rows(db)] == [date(2026, 10, 2), date(2026, 10, 3)]


# --- who needs what, and coverage ------------------------------------------------------------


def test_requirements_come_from_everyone_roles_and_the_tiers_of_records_in_use(db, config, now):
    register_use(
        db, now, title="Claims triage", owner=SAM, requester=OUTSIDER, status=RecordStatus.LIVE
    )
    register_use(
        db,
        now,
        title="Chat helper",
        owner=PAT,
        tier=RiskTier.LIMITED,
        status=RecordStatus.SUBMITTED,
    )
    register_use(db, now, title="Draft idea", owner="U0DRAFT001", status=RecordStatus.DRAFT)
    register_use(db, now, title="Old bot", owner="U0OLDBOT01", status=RecordStatus.RETIRED)
    with db.session() as session:
        needs = required_courses(config, session)
    assert needs == {
        GRACE: {LITERACY, LEADS},
        PAT: {LITERACY},
        SAM: {LITERACY, OVERSIGHT},
        OUTSIDER: {LITERACY, OVERSIGHT},
    }


def test_coverage_counts_who_needs_each_course_and_who_is_missing_it(db, config, now, tmp_path):
    register_use(
        db, now, title="Claims triage", owner=SAM, requester=OUTSIDER, status=RecordStatus.LIVE
    )
    run_import(db, config, now, write_csv(tmp_path / "hr.csv", GOOD_ROWS[:3]))
    with db.session() as session:
        rows = coverage(session, config, now)
    assert rows == [
        CourseCoverage(LITERACY, required=4, trained=3, missing=[OUTSIDER]),
        CourseCoverage(OVERSIGHT, required=2, trained=0, missing=[SAM, OUTSIDER]),
        CourseCoverage(LEADS, required=1, trained=0, missing=[GRACE]),
    ]
    assert rows[0].percent == 75


def test_a_completion_stops_counting_after_valid_for_days(db, config, now):
    # Valid for 730 days: completed on 25 Nov 2024, it counts until 24 Nov 2026 (today).
    record(db, config, now, on=date(2024, 11, 25))
    record(db, config, now, person=GRACE, course=LEADS, on=date(2010, 1, 1))  # never expires
    with db.session() as session:
        today = valid_completions(session, config, now)
        tomorrow = valid_completions(session, config, now + timedelta(days=1))
    assert today == {SAM: {LITERACY}, GRACE: {LEADS}}
    assert tomorrow == {GRACE: {LEADS}}
    # A newer completion of the same course counts again.
    record(db, config, now, on=date(2026, 11, 20))
    with db.session() as session:
        assert valid_completions(session, config, now + timedelta(days=1))[SAM] == {LITERACY}


def test_a_records_owner_and_requester_are_missing_what_they_lack(db, config, now):
    ref = register_use(
        db, now, title="Claims triage", owner=SAM, requester=GRACE, status=RecordStatus.LIVE
    )
    record(db, config, now, person=GRACE)
    with db.session() as session:
        use = register.get_record(session, ref)
        assert missing_for_record(session, config, use, now) == [
            (SAM, [LITERACY, OVERSIGHT]),
            (GRACE, [OVERSIGHT, LEADS]),
        ]


# --- the review due notice -------------------------------------------------------------------


def test_the_review_due_notice_lists_who_is_missing_training(db, config, now):
    due = now.date()
    missing = register_use(
        db,
        now,
        title="Claims triage",
        owner=SAM,
        requester=OUTSIDER,
        status=RecordStatus.LIVE,
        due=due,
    )
    trained = register_use(
        db,
        now,
        title="Chat helper",
        owner=PAT,
        tier=RiskTier.LIMITED,
        status=RecordStatus.LIVE,
        due=due,
    )
    record(db, config, now, person=PAT)
    with db.session() as session:
        review_sweep.sweep_reviews(session, config=config, now=now)
        texts = {
            message.subject: message.text
            for message in session.scalars(select(OutboundMessage))
            if message.kind == "review.due"
        }
    assert texts[missing].splitlines()[-3:] == [
        "Missing training",
        "• Sam Staff: AI literacy basics, Human oversight of high-risk AI",
        f"• {OUTSIDER}: AI literacy basics, Human oversight of high-risk AI",
    ]
    assert "Missing training" not in texts[trained]


# --- aims.yaml --------------------------------------------------------------------------------


def line_of(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if fragment in line)


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as error:
        parse_config(text, source="aims.yaml")
    return str(error.value).splitlines()


def test_an_unknown_course_role_or_tier_in_the_requirements_is_located():
    text = (
        ORG.replace("everyone: [AI literacy basics]", "everyone: [AI literacy basic]")
        .replace(
            "governance_leads: [AI governance for leads]",
            "govrnance_leads: [AI governance for leads]",
        )
        .replace("      limited: [AI literacy basics]", "      hihg: [AI literacy basics]")
    )
    assert problems(text) == [
        f"aims.yaml:{line_of(text, 'hihg:')}: training.required.tiers.hihg: unknown value "
        "'hihg'; use one of 'prohibited', 'high', 'limited' or 'minimal'",
    ]
    text = text.replace("      hihg:", "      limited:")
    assert problems(text) == [
        f"aims.yaml:{line_of(text, 'everyone:')}: training.required.everyone[0]: "
        "'AI literacy basic' is not listed under training.courses (did you mean "
        "'AI literacy basics'?)",
        f"aims.yaml:{line_of(text, 'govrnance_leads:')}: training.required.roles."
        "govrnance_leads: unknown role 'govrnance_leads'; known roles: governance_leads, privacy",
    ]


def test_a_manager_not_listed_under_people_is_located():
    text = ORG.replace("manager: U0TEST0001", "manager: U0TEST0009")
    assert problems(text) == [
        f"aims.yaml:{line_of(text, 'manager:')}: people[1].manager: 'U0TEST0009' is not "
        "listed under people"
    ]


def test_an_organisation_without_a_training_section_needs_nothing(db, now):
    plain = parse_config(ORG.split("training:")[0])
    assert plain.person(PAT) is not None and plain.training.courses == []
    with db.session() as session:
        assert required_courses(plain, session) == {}
        assert coverage(session, plain, now) == []
        assert session.scalar(select(func.count()).select_from(TrainingRecord)) == 0
