"""`aims keys init | rotate | show`, and `aims evidence export` signing a digest."""

from __future__ import annotations

import stat

from tests.store import tampering as t

LEAD, PRIVACY = "U0TEST0001", "U0TEST0002"


def test_init_show_rotate_and_export_as_a_person_runs_them(db, now, org_file, run_cli, tmp_path):
    def aims(*args):
        return run_cli(*args, config=org_file, database_url=db.url)

    assert "No signing key" in aims("keys", "show").stdout
    t.fill_ledger(db, 3, now)
    made = aims("keys", "init")
    assert made.exit_code == 0, made.output
    key_file = org_file.parent / ".aims" / "ledger-signing-key.pem"
    assert f"kept at {key_file}" in made.stdout and "digest 1 signed" in made.stdout
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    fingerprint = made.stdout.split()[2]
    assert fingerprint.startswith("ed25519:") and len(fingerprint) == 8 + 64

    again = aims("keys", "init")
    assert again.exit_code == 1 and "aims keys rotate --as LEAD -j WHY" in again.stderr

    refused = aims("keys", "rotate", "--as", PRIVACY, "-j", "routine")
    assert refused.exit_code == 1
    assert "only a governance lead can rotate the signing key: Grace Lead" in refused.stderr
    rotated = aims("keys", "rotate", "--as", LEAD, "-j", "a lead left")
    assert rotated.exit_code == 0, rotated.output
    assert f"Signing key rotated: {fingerprint} -> ed25519:" in rotated.stdout

    shown = aims("keys", "show").stdout
    assert f"created {fingerprint} by cli:" in shown and f"by {LEAD}" in shown
    assert "-----BEGIN PUBLIC KEY-----" in shown and "PRIVATE" not in shown

    t.fill_ledger(db, 2, now)
    exported = aims("evidence", "export", tmp_path / "out.jsonl")
    assert exported.exit_code == 0
    assert "Wrote 10 events" in exported.stdout and "digest 3 signs it up to #9" in exported.stdout
    assert aims("evidence", "verify").exit_code == 0
