"""Every way of tampering with a signed ledger is found, and named, both by `aims evidence
verify` on the live database and by the standalone verifier on an audit pack made from it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from governance.audit import digests, signing
from store import evidence, ledger_verify
from store.evidence_kinds import EvidenceKind
from tests.store import tampering as t
from tests.store.signed_ledger import EVENTS, LEAD, SignedLedger, build


@pytest.fixture
def ledger(db, org_file, now) -> SignedLedger:
    # The data directory `aims` finds beside the organisation's aims.yaml.
    return build(db, org_file.parent / ".aims", now)


def _restore_older_backup(ledger: SignedLedger, folder: Path) -> None:
    backup = t.Backup(ledger.db, folder)
    ledger.add(4, hours=4)
    ledger.digest(hours=4)  # digest 4, in the ledger and in the log outside it
    backup.restore()


def _swap_key(ledger: SignedLedger, folder: Path) -> None:
    """A new key file, and digests signed with it, without a rotation the old key endorsed."""
    ledger.key_file.unlink()
    signing.write_private_key(ledger.key_file, signing.SigningKey.generate("mallory"))
    forged = signing.load_key(ledger.place)
    assert forged is not None
    ledger.add(2, hours=4)
    with ledger.db.session() as session:
        digests.append_digest(session, forged, ledger.place)


def _cut_at_the_latest_digest(ledger: SignedLedger, _folder: Path) -> None:
    """Every event the latest digest covers is still there; only its own record is gone."""
    latest = digests.digest_log(ledger.place)[-1]
    t.db_truncate(ledger.db, latest["last_seq"] + 1)


def _backup_from_just_before_a_digest(ledger: SignedLedger, folder: Path) -> None:
    ledger.add(3, hours=4)
    backup = t.Backup(ledger.db, folder)
    ledger.digest(hours=4)  # committed after the backup was taken
    backup.restore()


Tamper = Callable[[SignedLedger, Path], None]
CASES: list[tuple[str, Tamper, str]] = [
    ("payload edited", lambda ledger, _: t.db_edit_payload(ledger.db, 5), "payload edited"),
    ("event deleted", lambda ledger, _: t.db_delete(ledger.db, 5), "event deleted"),
    ("events reordered", lambda ledger, _: t.db_swap(ledger.db, 4, 6), "events reordered"),
    ("event inserted", lambda ledger, _: t.db_insert_after(ledger.db, 5), "event inserted"),
    ("tail cut", lambda ledger, _: t.db_truncate(ledger.db, 27), "events cut from the end"),
    ("chain rewritten", lambda ledger, _: t.db_rewrite_from(ledger.db, 5), "chain rewritten"),
    ("tail cut at a digest", _cut_at_the_latest_digest, "events cut from the end"),
    ("older backup restored", _restore_older_backup, "restored from an older backup (rolled"),
    (
        "backup from before a digest",
        _backup_from_just_before_a_digest,
        "restored from an older backup (rolled",
    ),
    ("key swapped", _swap_key, "key swapped"),
]


def _failed(report: str) -> str:
    return "\n".join(line for line in report.splitlines() if line.startswith("FAIL"))


@pytest.mark.parametrize(("name", "tamper", "found"), CASES, ids=[case[0] for case in CASES])
def test_tampering_is_named_in_the_database_and_in_a_pack(
    ledger, org_file, run_cli, tmp_path, name, tamper, found
):
    t.drop_append_only_triggers(ledger.db)
    tamper(ledger, tmp_path)

    result = run_cli("evidence", "verify", config=org_file, database_url=ledger.db.url)
    assert result.exit_code == 2, result.output
    assert found in _failed(result.stdout)

    report = ledger_verify.verify_pack(ledger.pack(tmp_path / "pack"))
    assert not report.ok
    assert found in _failed(report.describe())


def test_what_is_found_names_the_digest_its_time_and_the_events(ledger, org_file, run_cli):
    t.drop_append_only_triggers(ledger.db)
    t.db_truncate(ledger.db, 27)
    result = run_cli("evidence", "verify", config=org_file, database_url=ledger.db.url)
    assert (
        "FAIL coverage: events cut from the end or the database restored from an older backup "
        "(rolled back): digest 3 of 2026-11-24 11:30 UTC in "
    ) in result.stdout
    assert (
        "covers events up to #28 and was recorded as #29, but the ledger ends at #26; its own "
        "latest digest is "
    ) in result.stdout
    assert "so the record of digest 3 is gone with the events after #26" in result.stdout


def test_a_restored_backup_that_carried_on_is_named_as_such(ledger, org_file, run_cli, tmp_path):
    _restore_older_backup(ledger, tmp_path)
    ledger.add(6, hours=5)  # the restored database reaches past digest 4's events, differently
    result = run_cli("evidence", "verify", config=org_file, database_url=ledger.db.url)
    assert result.exit_code == 2
    assert (
        "FAIL coverage: chain rewritten after digest 3 (or restored from an older backup and "
        "continued): digest 4 of 2026-11-24 13:30 UTC"
    ) in result.stdout


def test_an_untouched_ledger_and_its_pack_verify(ledger, org_file, run_cli, tmp_path, capsys):
    result = run_cli("evidence", "verify", config=org_file, database_url=ledger.db.url)
    assert result.exit_code == 0, result.output
    assert "FAIL" not in result.stdout
    assert f"OK   hash chain: {EVENTS} events" in result.stdout
    assert "the key file" in result.stdout and "holds the same key" in result.stdout
    assert "OK   digest signatures: 3 digests in the ledger and " in result.stdout
    assert "OK   coverage: the ledger reaches digest 3's last event #28" in result.stdout

    pack = ledger.pack(tmp_path / "pack")
    assert ledger_verify.main([str(pack)]) == 0
    printed = capsys.readouterr().out
    assert printed.count("\nOK   ") == 3 and "public_key.pem holds the same key" in printed


def test_a_rotation_is_recorded_and_verifies_clean(ledger, org_file, run_cli, tmp_path):
    before = signing.load_key(ledger.place)
    assert before is not None
    rotated = run_cli(
        "keys",
        "rotate",
        "--as",
        LEAD,
        "-j",
        "yearly rotation",
        config=org_file,
        database_url=ledger.db.url,
    )
    assert rotated.exit_code == 0, rotated.output
    ledger.add(3, hours=5)
    ledger.digest(hours=5)

    with ledger.db.session() as session:
        events = [line for line in evidence.iter_ledger(session) if line.kind.startswith("ledger.")]
    rotation = next(e for e in events if e.kind == EvidenceKind.LEDGER_KEY_ROTATED)
    assert (rotation.actor, rotation.seq) == (LEAD, EVENTS + 1)
    assert '"reason":"yearly rotation"' in rotation.payload
    # The digest right after the rotation is the new key's.
    assert f'"key_fingerprint":"{before.fingerprint}"' not in events[-2].payload

    result = run_cli("evidence", "verify", config=org_file, database_url=ledger.db.url)
    assert result.exit_code == 0, result.output
    assert f"rotated to {signing.short(signing.load_key(ledger.place).fingerprint)}" in (
        result.stdout
    )
    assert ledger_verify.verify_pack(ledger.pack(tmp_path / "pack")).ok
