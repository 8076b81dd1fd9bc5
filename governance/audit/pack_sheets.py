"""The audit pack's spreadsheets: the Statement of Applicability as soa.csv and soa.xlsx (one row
per Annex A control), and the register as register.xlsx (the same file `aims register export`
writes, so it can be read back with `aims register import`)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.audit.pack_models import PackFigures
from governance.register_io import fill_sheet, write_export
from governance.soa import ControlStatus, period_text
from store.models import AIUse

SOA_COLUMNS = (
    "control",
    "title",
    "objective",
    "applicable",
    "justification",
    "status",
    "coverage",
    "implementation",
    "aims_yaml",
    "events_in_period",
    "evidence_by_kind",
    "first_event",
    "last_event",
    "sample_events",
    "evidence_kinds",
    "nist_ai_rmf",
    "eu_ai_act",
)


def soa_rows(rows: Sequence[ControlStatus]) -> list[list[Any]]:
    return [_soa_row(row) for row in rows]


def _soa_row(row: ControlStatus) -> list[Any]:
    firsts = [item.first for item in row.evidence]
    lasts = [item.last for item in row.evidence]
    return [
        row.control,
        row.title,
        f"{row.objective} {row.objective_title}",
        "yes" if row.applicable else "no",
        row.justification,
        row.status.label,
        row.coverage.value,
        row.how,
        ", ".join(row.config),
        row.events,
        "; ".join(f"{item.kind} x{item.count}" for item in row.evidence),
        min(firsts).isoformat() if firsts else "",
        max(lasts).isoformat() if lasts else "",
        " ".join(f"#{seq}" for seq in row.samples),
        ", ".join(row.evidence_kinds),
        ", ".join(row.nist),
        ", ".join(row.ai_act),
    ]


def write_soa_csv(pack: PackFigures, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(SOA_COLUMNS)
        writer.writerows(soa_rows(pack.soa))


def write_soa_xlsx(pack: PackFigures, path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Statement of Applicability"
    fill_sheet(sheet, SOA_COLUMNS, soa_rows(pack.soa))
    about = workbook.create_sheet("About")
    fill_sheet(about, ("", ""), _about_rows(pack))
    workbook.save(path)


def _about_rows(pack: PackFigures) -> list[tuple[str, str]]:
    info = pack.info
    zone = ZoneInfo(info.timezone)
    counts = ", ".join(f"{count} {status.label}" for status, count in pack.soa_summary.items())
    return [
        ("Organisation", info.organisation),
        ("Scope", info.scope),
        ("Standard", "ISO/IEC 42001:2023 Annex A"),
        ("Period", period_text(info.period, zone)),
        ("Pack made", info.generated_at.isoformat()),
        ("Controls", counts),
        ("Evidence", "sample_events are sequence numbers in evidence.jsonl"),
    ]


def write_register_xlsx(session: Session, path: Path) -> int:
    records = session.scalars(select(AIUse).order_by(AIUse.id)).all()
    return write_export(records, path, "xlsx")
