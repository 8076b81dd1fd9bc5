"""A new organisation from nothing: `aims init DIR`, then the register in that folder."""

from __future__ import annotations

import json

import pytest

from bot.cli.setup import SAMPLE

needs_sample = pytest.mark.skipif(
    not (SAMPLE / "aims.yaml").is_file(), reason="examples/acme/aims.yaml is not written yet"
)


@needs_sample
def test_init_then_register_list_works_in_a_fresh_folder(run_cli, tmp_path, monkeypatch):
    target = tmp_path / "acme"
    result = run_cli("init", target)
    assert result.exit_code == 0, result.output
    assert f"Created {target / 'aims.yaml'} with the sample organisation" in result.stdout
    assert "AIMS Bot itself is registered as AIU-0001" in result.stdout
    assert f"Next: cd {target} && aims register list" in result.stdout
    assert (target / "aims.yaml").is_file() and (target / ".aims" / "aims.db").is_file()
    key_file = target / ".aims" / "ledger-signing-key.pem"
    assert (
        "The evidence ledger is signed with key " in result.stdout
        and str(key_file) in result.stdout
    )
    assert key_file.stat().st_mode & 0o777 == 0o600

    monkeypatch.chdir(target)  # as the printed next step says
    listed = run_cli("register", "list")
    assert listed.exit_code == 0, listed.output
    [itself] = json.loads(run_cli("register", "list", "--json").stdout)
    assert (itself["ref"], itself["title"], itself["status"]) == ("AIU-0001", "AIMS Bot", "live")
    checked = run_cli("config", "check")
    assert checked.exit_code == 0 and checked.stdout.startswith("OK ")
    verified = run_cli("evidence", "verify")
    assert verified.exit_code == 0
    # The catalogue sync, AIMS Bot's record, the signing key and the first signed digest.
    assert verified.stdout.startswith("OK   hash chain: 4 events, head #4 ")
    assert "FAIL" not in verified.stdout and "SKIP" not in verified.stdout


@needs_sample
def test_init_refuses_to_overwrite_an_organisation(run_cli, tmp_path):
    target = tmp_path / "acme"
    assert run_cli("init", target).exit_code == 0
    again = run_cli("init", target)
    assert again.exit_code == 1
    assert "already exists; edit it, or choose another folder" in again.stderr


def test_an_unknown_record_is_a_friendly_error(run_cli, org_file, db):
    result = run_cli("register", "show", "AIU-0042", config=org_file, database_url=db.url)
    assert result.exit_code == 1
    assert "no register record 'AIU-0042'" in result.stderr
