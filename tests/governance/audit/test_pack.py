"""The audit pack an auditor takes away: every file, the Statement of Applicability as CSV and
spreadsheets, index.html whose every cited event is real, text people typed escaped, and the
page as a browser renders it. One ledger and one pack for the whole module."""

from __future__ import annotations

import csv
import html
import importlib.util
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.context import AppContext, build_context
from bot.settings import Settings
from governance.audit.pack import FILES, PackResult, build_pack
from governance.frameworks import frameworks
from governance.register_io import read_rows
from governance.soa import parse_period
from store.db import Database
from store.evidence import iter_jsonl
from tests.conftest import REPO, SAMPLE
from tests.governance.approvals.helpers import PRIYA
from tests.governance.audit.html_tables import read_tables, row_with
from tests.governance.audit.pack_ledger import (
    CONDITION,
    HOSTILE_INCIDENT,
    HOSTILE_TITLE,
    Ledger,
    fill,
)
from tests.governance.audit.signing_key import init_signing_key
from tests.support.databases import fresh_database

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
CHROMIUM = Path("/usr/bin/chromium")


@dataclass(frozen=True)
class Built:
    ctx: AppContext
    ledger: Ledger
    result: PackResult

    @property
    def folder(self) -> Path:
        return self.result.folder

    def page(self) -> str:
        return (self.folder / "index.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def db(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """Module-scoped (it overrides the suite's `db`, so the Postgres pass runs this module too):
    one ledger for every test here."""
    with fresh_database(backend, tmp_path_factory.mktemp("db")) as database:
        yield database


@pytest.fixture(scope="module")
def built(db: Database, tmp_path_factory: pytest.TempPathFactory) -> Built:
    org = tmp_path_factory.mktemp("org")
    text = (SAMPLE / "aims.yaml").read_text(encoding="utf-8")
    (org / "aims.yaml").write_text(text + "\n" + _uncommented_audit_example(text), "utf-8")
    ctx = build_context(org / "aims.yaml", Settings(database_url=db.url))
    ctx.__dict__["db"] = db
    init_signing_key(ctx)
    ledger = fill(db, ctx.config, NOW)
    period = parse_period("2026-10-24..2026-11-24", ctx.config.organisation.timezone)
    out = tmp_path_factory.mktemp("packs") / "acme-q4"
    result = build_pack(ctx, out, period=period, actor=PRIYA, now=NOW)
    return Built(ctx, ledger, result)


def _uncommented_audit_example(sample: str) -> str:
    """The sample aims.yaml's commented `audit:` section, as an organisation would enable it."""
    example = sample[sample.index("# audit:") :].split("\n\n")[0]
    return "\n".join(line.removeprefix("# ") for line in example.splitlines()) + "\n"


def _events(built: Built) -> dict[int, tuple[str, str, str]]:
    """seq → (kind, subject, hash), from the pack's own evidence.jsonl."""
    return {
        line.seq: (line.kind, line.subject, line.hash)
        for line in iter_jsonl(built.folder / "evidence.jsonl")
    }


def test_the_folder_and_the_zip_beside_it_hold_every_file(built: Built) -> None:
    folder = built.folder
    assert sorted(path.name for path in folder.iterdir()) == sorted(FILES)
    assert built.result.zip == folder.with_name("acme-q4.zip")
    with zipfile.ZipFile(built.result.zip) as archive:
        assert sorted(archive.namelist()) == sorted(f"acme-q4/{name}" for name in FILES)
        for name in FILES:
            assert archive.read(f"acme-q4/{name}") == (folder / name).read_bytes(), name
    # Nothing half-written is left beside them, and only their owner can read them.
    assert sorted(path.name for path in folder.parent.iterdir()) == ["acme-q4", "acme-q4.zip"]
    assert folder.stat().st_mode & 0o077 == 0 and built.result.zip.stat().st_mode & 0o077 == 0
    verifier = REPO / "store" / "ledger_verify.py"
    assert (folder / "verify_pack.py").read_bytes() == verifier.read_bytes()
    assert "python verify_pack.py ." in (folder / "VERIFY.md").read_text(encoding="utf-8")


def test_soa_csv_has_one_row_per_annex_a_control_in_the_standards_order(built: Built) -> None:
    with (built.folder / "soa.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["control"] for row in rows] == [control.id for control in frameworks().controls]
    assert len(rows) == 38
    by_id = {row["control"]: row for row in rows}
    assert by_id["A.5.2"]["status"] == "operating"  # approvals in the period
    assert by_id["A.8.4"]["status"] == "operating"  # the incident
    assert by_id["A.4.5"]["status"] == "not implemented"
    samples = by_id["A.8.4"]["sample_events"].split()
    events = _events(built)
    assert samples and all(
        events[int(s.lstrip("#"))][0]
        in {"incident.reported", "incident.followed_up", "incident.closed"}
        for s in samples
    )


def test_the_spreadsheets_open_in_openpyxl(built: Built) -> None:
    soa = load_workbook(built.folder / "soa.xlsx", read_only=True)
    rows = list(soa["Statement of Applicability"].iter_rows(values_only=True))
    assert rows[0][0] == "control" and len(rows) == 1 + 38
    about = {row[0]: row[1] for row in soa["About"].iter_rows(values_only=True)}
    assert about["Organisation"] == "Acme Financial Services Ltd"
    register = read_rows(built.folder / "register.xlsx")  # what `aims register import` reads
    titles = {row["ref"]: row["title"] for row in register}
    assert titles[built.ledger.hostile] == HOSTILE_TITLE  # stored as typed, not as a formula
    assert set(titles) >= {built.ledger.approved, built.ledger.waiting, built.ledger.overdue}


def test_every_event_index_html_cites_is_in_evidence_jsonl_with_that_kind_and_hash(
    built: Built,
) -> None:
    tables, links = read_tables(built.page())
    events = _events(built)
    listed = {int(row.id[1:]): row.cells for row in tables["evidence-table"] if row.id}
    assert links and set(links) == set(listed)
    for seq, (number, _when, kind, _actor, subject, hash_) in listed.items():
        assert number == f"#{seq}"
        assert events[seq] == (kind, subject, hash_)
    # And each figure links to events about what it describes.
    ledger = built.ledger
    incident = row_with(tables["incidents-table"], ledger.incident)
    assert {events[seq][1] for seq in incident.links} == {ledger.incident}
    approval = row_with(tables["approvals-table"], ledger.approved)
    assert {events[seq][1] for seq in approval.links} == {ledger.approved}
    assert {events[seq][0] for seq in approval.links} == {"approval.completed", "approval.decided"}
    waiting = row_with(tables["overdue-table"], ledger.overdue)
    assert {events[seq][0] for seq in waiting.links} == {"approval.completed"}


def test_text_people_typed_is_shown_escaped_never_as_markup(built: Built) -> None:
    page = built.page()
    for typed in (HOSTILE_TITLE, HOSTILE_INCIDENT, CONDITION, "<tome>"):  # tools: lower case
        assert typed not in page
        assert html.escape(typed, quote=True) in page
    assert "<script" not in page and "<img" not in page and "<b>" not in page
    tables, _ = read_tables(page)  # as a browser shows it: the text as typed
    assert HOSTILE_TITLE in row_with(tables["register-table"], built.ledger.hostile).text
    assert HOSTILE_INCIDENT in row_with(tables["incidents-table"], built.ledger.incident).text


def test_the_page_reports_the_period_register_approvals_reviews_incidents_and_use(
    built: Built,
) -> None:
    page = built.page()
    tables, _ = read_tables(page)
    ledger = built.ledger
    about = {row.cells[0]: row.cells[1] for row in tables["about-table"]}
    assert about["Organisation"] == "Acme Financial Services Ltd"
    assert about["Scope"] == built.ctx.config.audit.scope  # aims.yaml's, in its own words
    assert about["Scope"].startswith("All AI systems Acme Financial Services uses")
    assert about["Signing"].startswith("Ed25519 key ed25519:")
    assert "2026-10-24 00:00 to before 2026-11-25 00:00 (Europe/London)" in page
    tiers = {row.cells[0]: row.cells[1] for row in tables["tiers-table"]}
    assert tiers == {"high": "1", "minimal": "3"}
    approval = row_with(tables["approvals-table"], ledger.approved)
    assert CONDITION in approval.text and "Oliver Grant" in approval.text
    # Approved before the period: its record is in the register, not among the decisions.
    assert ledger.overdue not in " ".join(row.text for row in tables["approvals-table"])
    assert ledger.waiting in page and "Waiting for a decision now (1)" in page
    assert "continue" in row_with(tables["reviews-table"], ledger.approved).text
    overdue = row_with(tables["overdue-table"], ledger.overdue)
    assert "Old translator" in overdue.text and "35 days" in overdue.cells
    incident = row_with(tables["incidents-table"], ledger.incident)
    assert "high" in incident.cells and "open" in incident.cells
    answers = {row.cells[0]: row.cells[1] for row in tables["answers-table"]}
    assert answers["Questions answered"] == "3"
    assert answers["Not covered (a gap in the policies)"] == "2"
    assert answers["Asked about gamma (not in the catalogue)"] == "2"
    gateway = row_with(tables["gateway-table"], ledger.approved)
    assert "2 requests (1 allowed, 1 redacted, 0 refused)" in gateway.text
    assert "1 with an unknown key" in page


def test_a_browser_renders_the_soa_table_with_38_controls(built: Built, tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip(
            "headless Chromium is not installed (/usr/bin/chromium, Debian package `chromium`)"
        )
    dom = subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",  # root in a container has no user namespace for the sandbox
            "--disable-gpu",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--dump-dom",
            (built.folder / "index.html").as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    tables, _ = read_tables(dom)
    rows = tables["soa-table"]
    assert len(rows) == 38
    assert [row.cells[0].split()[0] for row in rows] == [c.id for c in frameworks().controls]
    assert all(
        row.cells[3] in {"operating", "no evidence in period", "not implemented", "not applicable"}
        for row in rows
    )


def _bare_site(target: Path) -> Path:
    """cryptography and the one compiled module it loads (_cffi_backend), copied alone into
    `target`: everything the pack's verifier may import beyond the standard library."""
    target.mkdir()
    for name in ("cryptography", "_cffi_backend"):
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.origin is not None, name
        origin = Path(spec.origin)
        if origin.name == "__init__.py":
            shutil.copytree(origin.parent, target / name)
        else:
            shutil.copy2(origin, target / origin.name)
    return target


def test_the_pack_verifies_on_a_machine_with_only_python_and_cryptography(
    built: Built, tmp_path: Path
) -> None:
    pack = shutil.copytree(built.folder, tmp_path / "received")
    env = {"PYTHONPATH": str(_bare_site(tmp_path / "site")), "PATH": "/usr/bin:/bin"}

    def bare(*args: str) -> subprocess.CompletedProcess[str]:
        # -S: no site-packages (neither the venv's nor the project's); run outside the repo.
        return subprocess.run(
            [sys.executable, "-S", *args], cwd=pack, env=env, capture_output=True, text=True
        )

    assert bare("-c", "import governance").returncode != 0  # AIMS Bot is not there
    assert bare("-c", "import cffi").returncode != 0
    result = bare("verify_pack.py", ".")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines and all(line.startswith("OK") for line in lines), result.stdout
    assert any("hash chain" in line and f"{built.result.events} events" in line for line in lines)
    assert any("signature" in line for line in lines)


def test_the_private_key_is_in_no_file_of_the_pack(built: Built) -> None:
    key_file = built.ctx.data_dir / "ledger-signing-key.pem"
    secret = b"".join(key_file.read_bytes().splitlines()[1:-1])  # the PEM's base64 body
    assert secret
    for path in [*built.folder.iterdir(), built.result.zip]:
        assert secret not in path.read_bytes(), path.name
