"""Importing training completions from a spreadsheet (CSV or XLSX, as register import reads
them): columns person, course, completed_on and evidence_url (optional). Every row is checked
first; with any problem nothing is imported, and each problem names its row (the header is
row 1) and column."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from governance.config import OrgConfig
from governance.errors import ValidationProblem
from governance.register_io import read_rows
from governance.reviews import local_today
from governance.training.records import (
    bad_url,
    find_course,
    future_date,
    known_people,
    resolve_person,
    store_completion,
    unknown_course,
)

COLUMNS = ("person", "course", "completed_on", "evidence_url")
REQUIRED_COLUMNS = COLUMNS[:3]


@dataclass(frozen=True)
class ImportProblem:
    row: int  # as a person counts in the file: the header is row 1
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.column}: {self.message}"


@dataclass(frozen=True)
class TrainingImport:
    recorded: int  # new completions, one evidence event each
    already: int  # rows whose completion was already on record (nothing changed)
    problems: list[ImportProblem]


@dataclass(frozen=True)
class _Row:
    row: int
    person: str
    course: str
    completed_on: date
    evidence_url: str | None


def import_training(
    session: Session, *, config: OrgConfig, path: Path, actor: str, now: datetime
) -> TrainingImport:
    """Record every row of the file, or, if any row has a problem, none of them."""
    rows = read_rows(path)
    if not any(rows):
        raise ValidationProblem(
            f"{path.name}: no training records in it; the first row is the header "
            f"({', '.join(COLUMNS)}), then one completion a row"
        )
    first_row = 1 if path.suffix.lower() == ".json" else 2  # a JSON list has no header row
    parsed, problems = _check(session, config, rows, now, first_row)
    if problems:
        return TrainingImport(0, 0, problems)
    source = f"import:{path.name}"
    new = 0
    for row in parsed:
        stored = store_completion(
            session,
            person=row.person,
            course=row.course,
            completed_on=row.completed_on,
            evidence_url=row.evidence_url,
            actor=actor,
            now=now,
            source=source,
            row=row.row,
        )
        new += stored.new
    return TrainingImport(new, len(parsed) - new, [])


def _check(
    session: Session, config: OrgConfig, rows: list[dict[str, Any]], now: datetime, first: int
) -> tuple[list[_Row], list[ImportProblem]]:
    columns = {key for row in rows for key in row}
    missing = [column for column in REQUIRED_COLUMNS if column not in columns]
    problems = [
        ImportProblem(1, column, f"no such column; the header needs {', '.join(COLUMNS[:3])}")
        for column in missing
    ]
    header = next(row for row in rows if row)
    reported: set[str] = set()
    for index, raw in enumerate(rows, start=first):
        for key in raw:
            if key not in COLUMNS and key not in reported:
                reported.add(key)
                where = 1 if key in header and first == 2 else index
                problems.append(
                    ImportProblem(where, key, f"unknown column; use {', '.join(COLUMNS)}")
                )
    if problems:
        return [], problems
    known = known_people(session, config)
    today = local_today(config, now)
    parsed: list[_Row] = []
    for index, raw in enumerate(rows, start=first):
        if raw:
            row, found = _check_row(config, known, today, index, raw)
            problems += found
            if row is not None:
                parsed.append(row)
    return parsed, problems


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _check_row(
    config: OrgConfig, known: set[str], today: date, index: int, raw: dict[str, Any]
) -> tuple[_Row | None, list[ImportProblem]]:
    problems: list[ImportProblem] = []

    def problem(column: str, message: str) -> None:
        problems.append(ImportProblem(index, column, message))

    for column in REQUIRED_COLUMNS:
        if not _text(raw.get(column)):
            problem(column, "required: fill it in")
    given = _text(raw.get("person"))
    person = resolve_person(config, known, given) if given else None
    if given and person is None:
        problem("person", f"{given} is not a known person")
    name = _text(raw.get("course"))
    course = find_course(config, name) if name else None
    if name and course is None:
        problem("course", unknown_course(config, name))
    completed_on = _day(raw.get("completed_on"))
    if isinstance(completed_on, str):
        problem("completed_on", completed_on)
        completed_on = None
    elif completed_on is not None and completed_on > today:
        problem("completed_on", future_date(completed_on))
    url = _text(raw.get("evidence_url")) or None
    if url is not None and (message := bad_url(url)) is not None:
        problem("evidence_url", message)
    if problems or person is None or course is None or completed_on is None:
        return None, problems
    return _Row(index, person, course.name, completed_on, url), []


def _day(value: Any) -> date | str | None:
    """The cell as a day; a message if it is not one; None if blank."""
    if isinstance(value, datetime):
        return value.date()  # a spreadsheet turned the date into a date-time
    if isinstance(value, date):
        return value
    text = _text(value)
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return f"{text!r} is not a date; write it as YYYY-MM-DD, like 2026-11-02"
