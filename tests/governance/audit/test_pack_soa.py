"""The Statement of Applicability in the pack follows the ledger: a control with no events in
the period reads "no evidence in period" in every file, and "operating" once an approval shows
it working (governance/soa.py's own statuses are tested in tests/governance/test_soa.py)."""

from __future__ import annotations

import csv
from pathlib import Path

from governance.audit.pack import build_pack
from store.evidence import iter_jsonl
from tests.governance.approvals.helpers import PRIYA
from tests.governance.audit.html_tables import read_tables, row_with
from tests.governance.gateway.helpers import approved


def _pack_says(app_context, out: Path, now, control: str) -> tuple[str, str, set[str]]:
    """(status in soa.csv, status in index.html, kinds of the events index.html cites for it)."""
    build_pack(app_context, out, period=None, actor=PRIYA, now=now)
    with (out / "soa.csv").open(encoding="utf-8", newline="") as handle:
        csv_row = next(row for row in csv.DictReader(handle) if row["control"] == control)
    tables, _ = read_tables((out / "index.html").read_text(encoding="utf-8"))
    html_row = row_with(tables["soa-table"], f"{control} ")
    kinds = {line.seq: line.kind for line in iter_jsonl(out / "evidence.jsonl")}
    return csv_row["status"], html_row.cells[3], {kinds[seq] for seq in html_row.links}


def test_a_control_reads_no_evidence_in_period_then_operating_after_an_approval(
    app_context, now, tmp_path
):
    assert _pack_says(app_context, tmp_path / "before", now, "A.5.2") == (
        "no evidence in period",
        "no evidence in period",
        set(),
    )
    with app_context.db.session() as session:
        approved(session, app_context.config, now)
    status, shown, cited = _pack_says(app_context, tmp_path / "after", now, "A.5.2")
    assert status == shown == "operating"
    assert cited == {"approval.requested", "approval.completed"}
