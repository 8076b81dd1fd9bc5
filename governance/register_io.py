"""Register export and import (CSV, JSON, XLSX) in one tabular shape.

Most organisations already keep a spreadsheet register; import validates every row first and
reports problems by row number and column, so a bad file imports nothing.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from governance.errors import ValidationProblem
from governance.models import RECORD_FIELD_NAMES, RecordFields, RecordStatus
from governance.register import create_record, snapshot
from store import evidence
from store.models import AIUse

COLUMNS: tuple[str, ...] = ("ref", "status", "version", *RECORD_FIELD_NAMES)
LIST_FIELDS = frozenset(
    name for name, info in RecordFields.model_fields.items() if "list" in str(info.annotation)
)
BOOL_FIELDS = frozenset(
    name for name, info in RecordFields.model_fields.items() if info.annotation is bool
)
LIST_SEPARATOR = "; "
FORMATS = ("csv", "json", "xlsx")


def export_rows(records: Sequence[AIUse]) -> list[dict[str, Any]]:
    return [{column: snapshot(record).get(column) for column in COLUMNS} for record in records]


def _flat(value: Any) -> Any:
    if isinstance(value, list):
        return LIST_SEPARATOR.join(str(item) for item in value)
    if value is None:
        return ""
    return value


def write_export(records: Sequence[AIUse], path: Path, fmt: str) -> int:
    rows = export_rows(records)
    if fmt == "json":
        path.write_text(json.dumps(rows, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    elif fmt == "csv":
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows({key: _flat(value) for key, value in row.items()} for row in rows)
    elif fmt == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook()
        sheet = workbook.active
        assert sheet is not None
        sheet.title = "AI register"
        sheet.append(list(COLUMNS))
        for row in rows:
            sheet.append([_flat(row[column]) for column in COLUMNS])
        workbook.save(path)
    else:
        raise ValidationProblem(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    return len(rows)


def read_rows(path: Path) -> list[dict[str, Any]]:
    suffix = path.suffix.lower().lstrip(".")
    if suffix == "json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValidationProblem(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from exc
        if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
            raise ValidationProblem(f"{path}: expected a JSON list of records (as `export` writes)")
        return data
    if suffix == "csv":
        text = path.read_text(encoding="utf-8-sig")
        return list(csv.DictReader(io.StringIO(text)))
    if suffix == "xlsx":
        from openpyxl import load_workbook

        workbook = load_workbook(path, read_only=True, data_only=True)
        sheet = workbook.active
        assert sheet is not None
        values = list(sheet.iter_rows(values_only=True))
        if not values:
            return []
        header = [str(cell) if cell is not None else "" for cell in values[0]]
        return [dict(zip(header, row, strict=False)) for row in values[1:]
                if any(cell not in (None, "") for cell in row)]
    raise ValidationProblem(f"{path}: unknown file type; import reads .csv, .json or .xlsx")


def _coerce(name: str, value: Any) -> Any:
    if name in LIST_FIELDS:
        if value is None or value == "":
            return []
        if isinstance(value, list):
            return value
        return [part.strip() for part in str(value).split(";") if part.strip()]
    if name in BOOL_FIELDS:
        if isinstance(value, bool):
            return value
        text = str(value or "").strip().lower()
        if text in ("", "false", "no", "0", "n"):
            return False
        if text in ("true", "yes", "1", "y"):
            return True
        return value  # let validation name it
    if value is None or value == "":
        return None if RecordFields.model_fields[name].default is None else ""
    return str(value) if not isinstance(value, str | int | float) else value


@dataclass(frozen=True)
class RowProblem:
    row: int  # as a person counts in the file: the header is row 1
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message}"


@dataclass(frozen=True)
class ParsedRow:
    row: int
    fields: RecordFields
    status: RecordStatus
    source_ref: str


def validate_rows(rows: list[dict[str, Any]]) -> tuple[list[ParsedRow], list[RowProblem]]:
    parsed: list[ParsedRow] = []
    problems: list[RowProblem] = []
    for index, raw in enumerate(rows, start=2):
        row_problems: list[RowProblem] = []
        unknown = [key for key in raw if key and key not in COLUMNS]
        row_problems += [RowProblem(index, key, "unknown column") for key in unknown]
        status_text = str(raw.get("status") or RecordStatus.DRAFT.value).strip()
        try:
            status = RecordStatus(status_text)
        except ValueError:
            status = RecordStatus.DRAFT
            row_problems.append(RowProblem(index, "status", f"unknown status {status_text!r}; "
                                           f"use one of {', '.join(s.value for s in RecordStatus)}"))
        values = {name: _coerce(name, raw.get(name)) for name in RECORD_FIELD_NAMES if name in raw}
        try:
            fields = RecordFields.model_validate(values)
        except ValidationError as exc:
            for error in exc.errors():
                column = ".".join(str(part) for part in error["loc"][:1]) or "(row)"
                row_problems.append(RowProblem(index, column, str(error["msg"])))
            fields = None
        if row_problems or fields is None:
            problems += row_problems
            continue
        parsed.append(ParsedRow(index, fields, status, str(raw.get("ref") or "")))
    return parsed, problems


@dataclass(frozen=True)
class ImportResult:
    imported: list[str]
    problems: list[RowProblem]


def import_rows(
    session: Session, *, rows: list[dict[str, Any]], actor: str, source: str, skip_invalid: bool
) -> ImportResult:
    parsed, problems = validate_rows(rows)
    if problems and not skip_invalid:
        return ImportResult([], problems)
    imported = []
    for row in parsed:
        record = create_record(session, fields=row.fields, actor=actor, status=row.status,
                               reason=f"imported from {source} row {row.row}")
        evidence.append(session, actor=actor, kind="record.imported", subject=record.ref,
                        payload={"source": source, "row": row.row, "source_ref": row.source_ref})
        imported.append(record.ref)
    return ImportResult(imported, problems)
