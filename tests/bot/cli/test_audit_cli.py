"""`aims audit pack` and `aims audit verify` as an operator and an auditor run them."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from governance.audit.pack import FILES
from tests.governance.audit.signing_key import init_signing_key
from tests.governance.gateway.helpers import approved


@pytest.fixture
def aims(run_cli, app_context):
    """`aims ARGS...` against the test's organisation and database."""

    def run(*args: object):
        return run_cli(*args, config=app_context.config_path, database_url=app_context.db.url)

    return run


def _approve_one(app_context, now) -> str:
    with app_context.db.session() as session:
        return approved(session, app_context.config, now).ref


def _edit_a_payload(evidence: Path, ref: str) -> int:
    """Change what one approval event says, as someone covering their tracks would."""
    lines = evidence.read_text(encoding="utf-8").splitlines(keepends=True)
    for index, line in enumerate(lines):
        if '"approval.completed"' in line:
            lines[index] = line.replace(
                '\\"outcome\\":\\"approved\\"', '\\"outcome\\":\\"rejected\\"'
            )
            assert lines[index] != line
            evidence.write_text("".join(lines), encoding="utf-8")
            return json.loads(line)["seq"]
    raise AssertionError(f"no approval.completed event for {ref}")


def test_a_pack_is_written_then_verifies_and_an_edited_one_does_not(
    aims, app_context, now, tmp_path
):
    init_signing_key(app_context)
    ref = _approve_one(app_context, now)
    out = tmp_path / "packs" / "q4"
    made = aims("audit", "pack", out, "--period", "2026-11-01..2026-11-30")
    assert made.exit_code == 0, made.output
    assert f"Wrote the audit pack to {out}/ and {out}.zip" in made.stdout
    assert "Controls: " in made.stdout and " operating, " in made.stdout
    assert sorted(path.name for path in out.iterdir()) == sorted(FILES)

    verified = aims("audit", "verify", out)
    assert verified.exit_code == 0, verified.output
    checks = verified.stdout.splitlines()
    assert checks[0].startswith("OK   hash chain:")
    assert all(line.startswith("OK") for line in checks) and len(checks) >= 3
    zipped = aims("audit", "verify", f"{out}.zip")  # what the auditor was sent
    assert zipped.exit_code == 0 and zipped.stdout == verified.stdout

    seq = _edit_a_payload(out / "evidence.jsonl", ref)
    tampered = aims("audit", "verify", out)
    assert tampered.exit_code == 2
    assert tampered.stdout.startswith("FAIL hash chain:")
    assert f"{seq}" in tampered.stdout and "payload edited" in tampered.stdout


def test_an_existing_folder_is_never_overwritten(aims, tmp_path):
    packs = tmp_path / "packs"
    out = packs / "q4"
    out.mkdir(parents=True)
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    result = aims("audit", "pack", out)
    assert result.exit_code == 1
    assert "already exists: name a new folder for the pack (nothing was written)" in (result.stderr)
    assert [path.name for path in packs.iterdir()] == ["q4"]
    assert [path.name for path in out.iterdir()] == ["notes.txt"]


def test_a_mistyped_period_is_explained_and_nothing_is_written(aims, tmp_path):
    packs = tmp_path / "packs"
    result = aims("audit", "pack", packs / "q4", "--period", "last quarter")
    assert result.exit_code == 1
    assert "write FROM..TO, e.g. 2026-01-01..2026-03-31" in result.stderr
    assert not packs.exists()


def test_verify_says_what_it_was_given_is_not_a_pack(aims, tmp_path):
    stray = tmp_path / "notes.txt"
    stray.write_text("hello", encoding="utf-8")
    assert "not an audit pack" in aims("audit", "verify", stray).stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    result = aims("audit", "verify", empty)
    assert result.exit_code == 1 and "no evidence.jsonl here" in result.stderr
    with zipfile.ZipFile(tmp_path / "bad.zip", "w") as archive:
        archive.writestr("x/readme.txt", "no pack")
    assert aims("audit", "verify", tmp_path / "bad.zip").exit_code == 1
