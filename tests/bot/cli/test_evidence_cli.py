"""`aims evidence verify` and `export` as a person runs them."""

from __future__ import annotations

from tests.store import tampering as t


def test_verify_prints_one_line_per_check_and_says_what_a_ledger_without_a_key_cannot_show(
    db, now, org_file, run_cli
):
    t.fill_ledger(db, 5, now)
    result = run_cli("evidence", "verify", config=org_file, database_url=db.url)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("OK   hash chain: 5 events, head #5 ")
    assert [line.split(":")[0] for line in lines] == [
        "OK   hash chain",
        "OK   keys",
        "OK   digest signatures",
        "OK   coverage",
    ]
    assert "cannot be detected until `aims keys init` is run" in lines[1]


def test_verify_fails_naming_the_sequence_when_the_chain_is_broken(db, now, org_file, run_cli):
    t.fill_ledger(db, 5, now)
    t.drop_append_only_triggers(db)
    t.db_delete(db, 2)
    result = run_cli("evidence", "verify", config=org_file, database_url=db.url)
    assert result.exit_code == 2
    assert "FAIL hash chain: at sequence 2: event deleted" in result.stdout
    assert "the evidence ledger does not verify (hash chain" in result.stderr
    assert "Traceback" not in result.output


def test_an_export_verifies_offline_and_an_edited_one_does_not(
    db, now, org_file, run_cli, tmp_path
):
    t.fill_ledger(db, 6, now)
    exported = tmp_path / "ledger.jsonl"
    result = run_cli("evidence", "export", exported, config=org_file, database_url=db.url)
    assert result.exit_code == 0 and "Wrote 6 events" in result.stdout
    assert "no signed digest (`aims keys init` makes a signing key)" in result.stdout
    # Offline: no database needed, only the file.
    assert run_cli("evidence", "verify", "--file", exported, config=org_file).stdout.strip() == (
        "OK 6 events"
    )
    t.file_swap(exported, 2, 4)
    broken = run_cli("evidence", "verify", "--file", exported, config=org_file)
    assert broken.exit_code == 2
    assert "BROKEN at sequence 2: events reordered" in broken.stderr


def test_a_file_that_is_not_an_export_is_named_with_its_line(org_file, run_cli, tmp_path):
    exported = tmp_path / "ledger.jsonl"
    exported.write_text('{"seq": 1}\nnot json\n')
    result = run_cli("evidence", "verify", "--file", exported, config=org_file)
    assert result.exit_code == 1
    assert f"{exported}:1: not an evidence export line" in result.stderr
    assert "Traceback" not in result.output
