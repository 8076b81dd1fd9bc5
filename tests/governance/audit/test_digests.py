"""Signed digests: the hourly job and what it says, the log outside the database kept whole,
a restored backup or a swapped key refused rather than signed over, and the weekly digest that
carries the ledger's head out of the database."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from governance import digest as weekly
from governance.audit import digests, keys, signing
from scheduler.runner import run_job
from store import ledger_verify
from tests.store import tampering as t

LEAD = "U0ACME0001"


@pytest.fixture
def place(tmp_path, monkeypatch) -> signing.DataDir:
    for name in (signing.ENV_KEY_FILE, signing.ENV_KEY_PEM, digests.ENV_LOG):
        monkeypatch.delenv(name, raising=False)
    return signing.DataDir(tmp_path / "data")


def _job(db, config, place, now):
    outcome = run_job(db, config, "ledger-digest", now=now, data_dir=place.data_dir)
    assert outcome.ok, outcome.describe()
    return outcome.summary


def test_the_hourly_job_signs_only_when_there_is_a_key_and_something_new(
    db, sample_config, place, now
):
    t.fill_ledger(db, 3, now)
    assert _job(db, sample_config, place, now) == "skipped: no signing key (run `aims keys init`)"
    with db.session() as session:
        keys.init_key(session, place, actor=LEAD, now=now)  # #4 key, #5 digest 1
    assert _job(db, sample_config, place, now) == "skipped: no events since digest 1"
    t.fill_ledger(db, 2, now)  # #6, #7
    signed = _job(db, sample_config, place, now + timedelta(hours=1))
    assert signed.startswith("digest 2 signed: events #5–#7, head ")
    assert [d["digest"] for d in digests.digest_log(place)] == [1, 2]
    assert run_job(db, sample_config, "ledger-digest", now=now).summary == (
        "skipped: the scheduler was not given the data directory"
    )


def test_a_restored_backup_is_refused_rather_than_signed_over(
    db, sample_config, place, now, tmp_path
):
    t.fill_ledger(db, 3, now)
    with db.session() as session:
        keys.init_key(session, place, actor=LEAD, now=now)
    backup = t.Backup(db, tmp_path)
    t.fill_ledger(db, 2, now)
    _job(db, sample_config, place, now)  # digest 2: in the log, and in the ledger about to go
    backup.restore()
    t.fill_ledger(db, 2, now)
    outcome = run_job(db, sample_config, "ledger-digest", now=now, data_dir=place.data_dir)
    assert not outcome.ok
    assert "holds digest 2, but the ledger's latest is 1" in outcome.summary
    assert "restored from an older backup" in outcome.summary
    assert [d["digest"] for d in digests.digest_log(place)] == [1, 2]


def test_a_swapped_key_file_signs_nothing(db, sample_config, place, now):
    with db.session() as session:
        keys.init_key(session, place, actor=LEAD, now=now)
    key_file = place.data_dir / signing.KEY_FILE
    key_file.unlink()
    signing.write_private_key(key_file, signing.SigningKey.generate("mallory"))
    t.fill_ledger(db, 2, now)
    outcome = run_job(db, sample_config, "ledger-digest", now=now, data_dir=place.data_dir)
    assert not outcome.ok and "is not the ledger's: the ledger trusts" in outcome.summary
    assert len(digests.digest_log(place)) == 1


def test_a_digest_the_log_missed_is_copied_in_before_the_next(db, sample_config, place, now):
    with db.session() as session:
        keys.init_key(session, place, actor=LEAD, now=now)
    t.fill_ledger(db, 2, now)
    _job(db, sample_config, place, now)
    log = digests.digest_log_path(place)
    lines = log.read_text().splitlines()
    log.write_text(lines[0] + "\n")  # digest 2's line never made it (a failed write)
    t.fill_ledger(db, 2, now)
    _job(db, sample_config, place, now)
    assert [json.loads(line) for line in log.read_text().splitlines()][1] == json.loads(lines[1])
    assert [d["digest"] for d in digests.digest_log(place)] == [1, 2, 3]


def test_the_weekly_digest_prints_the_head_and_the_latest_signature(db, sample_config, place, now):
    t.fill_ledger(db, 3, now)
    with db.session() as session:
        unsigned = weekly.digest_text(
            weekly.collect_figures(session, config=sample_config, now=now)
        )
    assert "*Evidence ledger:* head #3 `" in unsigned and "not signed (`aims keys init`" in unsigned
    with db.session() as session:
        change = keys.init_key(session, place, actor=LEAD, now=now)
    t.fill_ledger(db, 1, now)
    with db.session() as session:
        figures = weekly.collect_figures(session, config=sample_config, now=now)
        text = weekly.digest_text(figures)
        head = figures.ledger
    assert head is not None and (head.seq, head.digest) == (6, 1)
    signature = ledger_verify.signature_fingerprint(change.digest["signature"])
    assert (
        f"*Evidence ledger:* head #6 `{head.head_hash[:16]}`; latest signed digest no. 1, "
        f"signature `{signature}` (key `{signing.short(change.fingerprint)}`)"
    ) in text
