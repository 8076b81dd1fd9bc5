"""The ledger's signing key: made with 0600 permissions outside the database, its public half
recorded as evidence, found where the environment says, rotated only by a governance lead with
the old key's endorsement, and never written anywhere but its own file."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from governance.audit import digests, keys, signing
from governance.errors import ConfigError, PermissionDenied, ValidationProblem
from store import evidence, ledger_verify
from store.evidence_kinds import EvidenceKind

LEAD, PRIVACY = "U0ACME0001", "U0ACME0003"  # examples/acme: a governance lead; privacy only


@pytest.fixture
def place(tmp_path, monkeypatch) -> signing.DataDir:
    for name in (signing.ENV_KEY_FILE, signing.ENV_KEY_PEM, digests.ENV_LOG):
        monkeypatch.delenv(name, raising=False)
    return signing.DataDir(tmp_path / "data")


def _init(db, place, now):
    with db.session() as session:
        return keys.init_key(session, place, actor=LEAD, now=now)


def _ledger(db) -> list[evidence.LedgerLine]:
    with db.session() as session:
        return list(evidence.iter_ledger(session))


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_makes_a_private_key_file_and_records_only_its_public_half(db, place, now):
    change = _init(db, place, now)
    key_file = place.data_dir / signing.KEY_FILE
    assert _mode(key_file) == 0o600 and not key_file.with_name(key_file.name + ".new").exists()
    key = signing.load_key(place)
    assert key is not None and key.fingerprint == change.fingerprint
    created, digest = _ledger(db)
    assert (created.kind, digest.kind) == ("ledger.key_created", "ledger.digest")
    assert json.loads(created.payload) == {
        "fingerprint": key.fingerprint,
        "public_key_pem": key.public_pem.decode(),
        "algorithm": "ed25519",
    }
    # Digest 1 covers the key's own record, in the ledger and in the log outside it.
    assert json.loads(digest.payload) == digests.digest_log(place)[0] == change.digest
    assert change.digest["last_seq"] == created.seq


def test_the_private_key_is_nowhere_but_its_file(db, place, now):
    _init(db, place, now)
    key = signing.load_key(place)
    assert key is not None
    secret = key.private_pem().decode()
    body = secret.splitlines()[1]  # the base64 of the key itself
    written = "".join(line.to_json() for line in _ledger(db))
    written += digests.digest_log_path(place).read_text()
    assert "PRIVATE KEY" not in written and body not in written


def test_init_refuses_a_file_it_did_not_make_and_a_second_key(db, place, now):
    place.data_dir.mkdir(parents=True)
    stray = place.data_dir / signing.KEY_FILE
    stray.write_text("someone else's key")
    with pytest.raises(ValidationProblem, match="has not recorded"):
        _init(db, place, now)
    assert stray.read_text() == "someone else's key" and _ledger(db) == []
    stray.unlink()
    _init(db, place, now)
    with pytest.raises(ValidationProblem, match="aims keys rotate"):
        _init(db, place, now)
    assert len(_ledger(db)) == 2


def test_the_environment_names_the_key_file_or_holds_the_key(
    db, place, now, tmp_path, monkeypatch, sample_config
):
    mounted = tmp_path / "secrets" / "aims.pem"
    monkeypatch.setenv(signing.ENV_KEY_FILE, str(mounted))
    assert signing.key_place(place).path == mounted
    generated = signing.SigningKey.generate("secret store")
    monkeypatch.setenv(signing.ENV_KEY_PEM, generated.private_pem().decode())
    with pytest.raises(ConfigError, match="not both"):
        signing.key_place(place)
    monkeypatch.delenv(signing.ENV_KEY_FILE)
    change = _init(db, place, now)  # adopts the key from the secret store, writes no file
    assert change.fingerprint == generated.fingerprint and change.where == signing.ENV_KEY_PEM
    assert not (place.data_dir / signing.KEY_FILE).exists()
    with pytest.raises(ValidationProblem, match="AIMS_SIGNING_KEY"), db.session() as session:
        keys.rotate_key(session, place, actor=LEAD, reason="x", config=sample_config)


def test_a_file_that_is_not_a_key_is_refused_without_quoting_it(place):
    place.data_dir.mkdir(parents=True)
    (place.data_dir / signing.KEY_FILE).write_text("-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n")
    with pytest.raises(ConfigError, match="does not hold an unencrypted Ed25519") as caught:
        signing.load_key(place)
    assert "c2VjcmV0" not in str(caught.value)


def test_only_a_lead_rotates_and_a_refusal_changes_nothing(db, place, now, sample_config):
    _init(db, place, now)
    before = (place.data_dir / signing.KEY_FILE).read_bytes()
    for actor, reason, error in [
        (PRIVACY, "routine", PermissionDenied),
        (LEAD, "  ", ValidationProblem),
    ]:
        with pytest.raises(error), db.session() as session:
            keys.rotate_key(session, place, actor=actor, reason=reason, config=sample_config)
    assert (place.data_dir / signing.KEY_FILE).read_bytes() == before
    assert sorted(p.name for p in place.data_dir.iterdir()) == [
        digests.LOG_FILE,
        signing.KEY_FILE,
    ]
    assert len(_ledger(db)) == 2


def test_a_rotation_is_endorsed_by_the_old_key_which_is_kept(db, place, now, sample_config):
    old = _init(db, place, now)
    with db.session() as session:
        change = keys.rotate_key(
            session,
            place,
            actor=LEAD,
            reason="a lead left; her old token xoxb-1234-5678-abcdefgh is revoked",
            config=sample_config,
            now=now,
        )
    archived = place.data_dir / f"ledger-signing-key.{signing.short(old.fingerprint)}.pem"
    assert change.archived == archived and _mode(archived) == 0o600
    kept = signing._parse(archived.read_bytes(), "archive")
    assert kept.fingerprint == old.fingerprint
    assert signing.load_key(place).fingerprint == change.fingerprint != old.fingerprint
    rotated = json.loads(_ledger(db)[-2].payload)
    # The lead's words are redacted as usual; the key material is kept as written.
    assert rotated["reason"] == "a lead left; her old token [redacted] is revoked"
    assert rotated["previous_fingerprint"] == old.fingerprint
    assert ledger_verify.signature_valid(
        ledger_verify.load_public_key(kept.public_pem),
        rotated["endorsement"],
        ledger_verify.rotation_message(change.fingerprint),
    )
    assert change.digest["key_fingerprint"] == change.fingerprint


def test_a_rotation_rolled_back_leaves_the_old_key_in_place(db, place, now, sample_config):
    _init(db, place, now)
    before = (place.data_dir / signing.KEY_FILE).read_bytes()
    with pytest.raises(RuntimeError), db.session() as session:
        keys.rotate_key(session, place, actor=LEAD, reason="x", config=sample_config)
        raise RuntimeError("the transaction fails after the rotation was staged")
    assert (place.data_dir / signing.KEY_FILE).read_bytes() == before
    assert not list(place.data_dir.glob("*.new")) and len(_ledger(db)) == 2
    with db.session() as session:
        kinds = [line.kind for line in evidence.iter_ledger(session)]
    assert EvidenceKind.LEDGER_KEY_ROTATED not in kinds


def test_a_key_file_others_can_read_is_warned_about(db, place, now, caplog):
    _init(db, place, now)
    key_file = place.data_dir / signing.KEY_FILE
    assert signing.load_key(place) is not None and "can be read by other users" not in caplog.text
    key_file.chmod(0o644)
    assert signing.load_key(place) is not None
    assert f"signing key {key_file} can be read by other users of this machine" in caplog.text
