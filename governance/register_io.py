"""Register export and import (CSV, JSON, XLSX) in one tabular shape.

Most organisations already keep a spreadsheet register; import validates every row first and
reports problems by row number and column, so a bad file imports nothing. What it reads
differently from the sheet (spellings, tiers) and what the leads must look at is reported too
(governance/import_review.py).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from governance.config import OrgConfig
from governance.errors import ValidationProblem
from governance.import_review import Respelling, respell_row, respelled, review_row
from governance.models import RECORD_FIELD_NAMES, RecordFields, RecordStatus
from governance.register import create_record, snapshot
from store import evidence
from store.evidence_kinds import EvidenceKind
from store.models import AIUse

COLUMNS: tuple[str, ...] = ("ref", "status", "version", *RECORD_FIELD_NAMES)
LIST_FIELDS = frozenset(
    name for name, info in RecordFields.model_fields.items() if "list" in str(info.annotation)
)
BOOL_FIELDS = frozenset(
    name for name, info in RecordFields.model_fields.items() if info.annotation is bool
)
DATE_FIELDS = frozenset(
    name for name, info in RecordFields.model_fields.items() if "date" in str(info.annotation)
)
# In a spreadsheet cell a list is one item per line; import also accepts "a; b" (hand-made
# registers) and a JSON array (what export writes when an item itself holds ";" or a newline).
LIST_SEPARATOR = "; "
LIST_LINE_SEPARATOR = "\n"
FORMATS = ("csv", "json", "xlsx")


def export_rows(records: Sequence[AIUse]) -> list[dict[str, Any]]:
    rows = []
    for record in records:
        data = snapshot(record)
        rows.append({column: data.get(column) for column in COLUMNS})
    return rows


def _flat(value: Any) -> Any:
    if isinstance(value, list):
        items = [str(item) for item in value]
        ambiguous = any(";" in item or "\n" in item for item in items)
        if ambiguous or (items and items[0].startswith("[")):
            return json.dumps(items, ensure_ascii=False)
        return LIST_LINE_SEPARATOR.join(items)
    if value is None:
        return ""
    return value


def format_for(path: Path, fmt: str | None = None) -> str:
    """The export format: as asked, else from the file's suffix, else CSV."""
    if fmt is not None:
        return fmt
    suffix = path.suffix.lower().lstrip(".")
    return suffix if suffix in FORMATS else "csv"


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
        _write_xlsx(rows, path)
    else:
        raise ValidationProblem(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    return len(rows)


def _write_xlsx(rows: list[dict[str, Any]], path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "AI register"
    fill_sheet(sheet, COLUMNS, ([_flat(row[column]) for column in COLUMNS] for row in rows))
    workbook.save(path)


def fill_sheet(sheet: Any, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """A bold, frozen header row, then the rows: text stays text (a title like "=SUM(...)" is
    not a formula) and a cell of several lines wraps."""
    from openpyxl.styles import Alignment, Font

    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for row in rows:
        sheet.append(list(row))
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
            if isinstance(cell.value, str) and "\n" in cell.value:
                cell.alignment = Alignment(wrap_text=True, vertical="top")


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The file's records, in file order; a blank spreadsheet row is an empty dict, so row
    numbers in problems match what a person sees in the file."""
    suffix = path.suffix.lower().lstrip(".")
    if suffix == "json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValidationProblem(
                f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})"
            ) from exc
        if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
            raise ValidationProblem(f"{path}: expected a JSON list of records (as `export` writes)")
        return data
    if suffix == "csv":
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValidationProblem(
                f"{path}: not UTF-8 text; in Excel use Save As > CSV UTF-8, or import the .xlsx"
            ) from exc
        return _table(list(csv.reader(io.StringIO(text))))
    if suffix == "xlsx":
        return _table(_xlsx_values(path))
    raise ValidationProblem(f"{path}: unknown file type; import reads .csv, .json or .xlsx")


def _xlsx_values(path: Path) -> list[list[Any]]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (BadZipFile, InvalidFileException, KeyError, OSError) as exc:
        raise ValidationProblem(f"{path}: not a readable .xlsx workbook ({exc})") from exc
    try:
        sheet = workbook.active
        assert sheet is not None
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _table(values: list[list[Any]]) -> list[dict[str, Any]]:
    if not values:
        return []
    header = ["" if cell is None else str(cell).strip() for cell in values[0]]
    rows: list[dict[str, Any]] = []
    for cells in values[1:]:
        if all(_blank(cell) for cell in cells):
            rows.append({})
            continue
        row = dict(zip(header, cells, strict=False))
        row.pop("", None)  # a column with no header
        for extra, cell in enumerate(cells[len(header) :], start=len(header) + 1):
            if not _blank(cell):
                row[f"{_BEYOND_HEADER}{extra}"] = cell
        rows.append(row)
    # A spreadsheet's trailing blank rows are not records.
    while rows and not rows[-1]:
        rows.pop()
    return rows


_BEYOND_HEADER = "(no header) column "


def _split_list(value: Any) -> Any:
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return value
    text = str(value).strip()
    if text.startswith("[") and text.endswith("]"):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError:
            parsed = None
        if isinstance(parsed, list):
            return parsed
    separator = "\n" if "\n" in text else ";"
    return [part.strip() for part in text.split(separator) if part.strip()]


def _coerce(name: str, value: Any) -> Any:
    if name in LIST_FIELDS:
        return _split_list(value)
    if name in BOOL_FIELDS:
        if isinstance(value, bool):
            return value
        text = str("" if value is None else value).strip().lower()
        if text in ("", "false", "no", "0", "n"):
            return False
        if text in ("true", "yes", "1", "y"):
            return True
        return value  # let validation name it
    if value is None or (isinstance(value, str) and not value.strip()):
        return None if RecordFields.model_fields[name].default is None else ""
    if name in DATE_FIELDS and isinstance(value, datetime):
        return value.date()  # a spreadsheet turned the date into a date-time
    if name in DATE_FIELDS and isinstance(value, date):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value.strip() if isinstance(value, str) else str(value)


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
    respellings: list[Respelling]


def validate_rows(
    rows: list[dict[str, Any]], *, first_row: int = 2
) -> tuple[list[ParsedRow], list[RowProblem]]:
    """Check every row. `first_row` is the number a person sees on the first record: 2 in a
    spreadsheet (the header is row 1), 1 in a JSON list."""
    parsed: list[ParsedRow] = []
    problems: list[RowProblem] = []
    for index, raw in enumerate(rows, start=first_row):
        if not raw:
            continue  # a blank row
        row_problems = _row_problems(index, raw)
        values = {name: _coerce(name, raw.get(name)) for name in RECORD_FIELD_NAMES if name in raw}
        values, respellings = respell_row(index, values)
        status_text = str(raw.get("status") or RecordStatus.DRAFT.value).strip()
        if (status_spelling := respelled("status", status_text)) is not None:
            respellings.insert(0, Respelling(index, "status", status_text, status_spelling))
            status_text = status_spelling
        try:
            status = RecordStatus(status_text)
        except ValueError:
            status = RecordStatus.DRAFT
            known = ", ".join(s.value for s in RecordStatus)
            row_problems.append(
                RowProblem(index, "status", f"unknown status {status_text!r}; use one of {known}")
            )
        fields: RecordFields | None
        try:
            fields = RecordFields.model_validate(values)
        except ValidationError as exc:
            for error in exc.errors():
                column = ".".join(str(part) for part in error["loc"][:1]) or "(row)"
                row_problems.append(RowProblem(index, column, _field_message(error)))
            fields = None
        if row_problems or fields is None:
            problems += row_problems
            continue
        parsed.append(ParsedRow(index, fields, status, str(raw.get("ref") or ""), respellings))
    return parsed, problems


def _row_problems(index: int, raw: dict[str, Any]) -> list[RowProblem]:
    problems = []
    for key in raw:
        if key.startswith(_BEYOND_HEADER):
            column = key.removeprefix(_BEYOND_HEADER)
            problems.append(RowProblem(index, column, "a value with no column name above it"))
        elif key and key not in COLUMNS:
            problems.append(RowProblem(index, key, "unknown column"))
    return problems


def _field_message(error: Any) -> str:
    message = str(error["msg"])
    if error["type"] in ("enum", "literal_error"):
        return f"{error['input']!r} is not allowed: {message}"
    if error["type"] == "missing" or (error["type"] == "string_too_short" and not error["input"]):
        return "required: fill it in"
    return message


@dataclass(frozen=True)
class ImportFlag:
    row: int
    ref: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row} ({self.ref}): {self.message}"


@dataclass(frozen=True)
class ImportResult:
    imported: list[str]
    problems: list[RowProblem]
    respellings: list[Respelling]  # cells read as a fixed value spelt differently
    flags: list[ImportFlag]  # for the governance leads


def import_rows(
    session: Session,
    *,
    config: OrgConfig,
    rows: list[dict[str, Any]],
    actor: str,
    source: str,
    skip_invalid: bool,
    first_row: int = 2,
) -> ImportResult:
    """Create a record for every valid row, tiered by the rules, each with its evidence; with
    problems and without `skip_invalid`, nothing at all. A row's flags are written into its
    record's first version (the reason the ledger keeps) as well as returned."""
    parsed, problems = validate_rows(rows, first_row=first_row)
    respellings = [reading for row in parsed for reading in row.respellings]
    if problems and not skip_invalid:
        return ImportResult([], problems, respellings, [])
    imported: list[str] = []
    flags: list[ImportFlag] = []
    for row in parsed:
        where = f"{source} row {row.row}"
        reviewed = review_row(row.fields, config, where=where)
        reason = f"imported from {where}"
        if reviewed.flags:
            reason += "; flagged for the governance leads: " + "; ".join(reviewed.flags)
        record = create_record(
            session, fields=reviewed.fields, actor=actor, status=row.status, reason=reason
        )
        evidence.append(
            session,
            actor=actor,
            kind=EvidenceKind.RECORD_IMPORTED,
            subject=record.ref,
            payload={"source": source, "row": row.row, "source_ref": row.source_ref},
        )
        imported.append(record.ref)
        flags += [ImportFlag(row.row, record.ref, message) for message in reviewed.flags]
    return ImportResult(imported, problems, respellings, flags)
