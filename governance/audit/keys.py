"""Creating and rotating the ledger's signing key, each recorded as evidence and followed by a
digest signed with the new key. The key file changes only once the ledger has recorded it: the
new key waits beside the old one (`<key file>.new`) until the caller's transaction commits."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from governance.audit import digests
from governance.audit.after_commit import after_commit
from governance.audit.signing import (
    ENV_KEY_FILE,
    ENV_KEY_PEM,
    HasDataDir,
    KeyPlace,
    SigningKey,
    key_place,
    load_key,
    recorded_keys,
    short,
    write_private_key,
)
from governance.config import OrgConfig
from governance.errors import PermissionDenied, ValidationProblem
from store import evidence, ledger_verify
from store.evidence_kinds import EvidenceKind


@dataclass(frozen=True)
class KeyChange:
    fingerprint: str
    where: str  # the key file (or the variable) that holds the key
    digest: dict[str, Any]  # the digest signed with it straight away
    previous_fingerprint: str | None = None
    archived: Path | None = None  # where the previous key is kept


def init_key(
    session: Session, ctx: HasDataDir, *, actor: str, now: datetime | None = None
) -> KeyChange:
    """Make the ledger's signing key (or adopt the one in AIMS_SIGNING_KEY), record its public
    key, and sign the first digest. Refuses when the ledger already has a key, or the key file
    already exists."""
    recorded = recorded_keys(session)
    if recorded:
        raise ValidationProblem(
            f"the ledger already has a signing key ({short(recorded[-1].fingerprint)}, recorded "
            f"at #{recorded[-1].seq}); to replace it: aims keys rotate --as LEAD -j WHY"
        )
    place = key_place(ctx)
    if place.pem is not None:
        key = load_key(ctx)
        assert key is not None
    else:
        key = SigningKey.generate(place.describe())
        _stage(session, place, key)
    evidence.append(
        session,
        actor=actor,
        kind=EvidenceKind.LEDGER_KEY_CREATED,
        subject=f"key:{short(key.fingerprint)}",
        payload={
            "fingerprint": key.fingerprint,
            "public_key_pem": key.public_pem.decode("ascii"),
            "algorithm": ledger_verify.ALGORITHM,
        },
        now=now,
    )
    digest = digests.append_digest(session, key, ctx, now=now, actor=actor)
    return KeyChange(key.fingerprint, key.where, digest)


def _stage(session: Session, place: KeyPlace, key: SigningKey) -> None:
    """Write the new key beside the key file; move it into place on commit, drop it on
    rollback."""
    assert place.path is not None and place.pending is not None
    path, pending = place.path, place.pending
    if path.exists():
        raise ValidationProblem(
            f"{path} already holds a key, which this ledger has not recorded: move it away to "
            f"make a new one, or point {ENV_KEY_FILE} at another file"
        )
    pending.unlink(missing_ok=True)  # left by an attempt that was never recorded
    write_private_key(pending, key)
    after_commit(
        session, lambda: os.replace(pending, path), on_rollback=lambda: pending.unlink(True)
    )


def rotate_key(
    session: Session,
    ctx: HasDataDir,
    *,
    actor: str,
    reason: str,
    config: OrgConfig,
    now: datetime | None = None,
) -> KeyChange:
    """A governance lead replaces the signing key: the old key endorses the new one (signs
    b"aims-key-rotation:" + its fingerprint), the rotation is recorded with the reason, and a
    digest is signed with the new key. The old key file is kept as
    `<key file stem>.<old fingerprint, 16 hex>.pem`."""
    leads = config.members("governance_leads")
    if actor not in leads:
        names = ", ".join(f"{config.display_name(lead)} ({lead})" for lead in leads)
        raise PermissionDenied(f"only a governance lead can rotate the signing key: {names}")
    why = reason.strip()
    if not why:
        raise ValidationProblem("write why the key is rotated (-j): it is kept as evidence")
    place = key_place(ctx)
    if place.pem is not None:
        raise ValidationProblem(
            f"the signing key comes from {ENV_KEY_PEM}, which AIMS Bot cannot rewrite: point "
            f"{ENV_KEY_FILE} at a writable file holding the key to rotate it there, then store "
            "the new key in your secret store"
        )
    old = load_key(ctx)
    if old is None:
        raise ValidationProblem(f"no signing key at {place.describe()}: run `aims keys init`")
    recorded = recorded_keys(session)
    trusted = recorded[-1].fingerprint if recorded else None
    if trusted != old.fingerprint:
        raise ValidationProblem(
            f"the key at {old.where} ({short(old.fingerprint)}) is not the key the ledger trusts "
            f"({short(trusted) if trusted else 'none recorded'}), so it cannot endorse a new one"
        )
    new = SigningKey.generate(old.where)
    assert place.path is not None and place.pending is not None
    archived = place.path.with_name(f"{place.path.stem}.{short(old.fingerprint)}.pem")
    path, pending = place.path, place.pending
    pending.unlink(missing_ok=True)
    write_private_key(pending, new)

    def swap() -> None:
        os.replace(path, archived)
        os.replace(pending, path)

    after_commit(session, swap, on_rollback=lambda: pending.unlink(True))
    evidence.append(
        session,
        actor=actor,
        kind=EvidenceKind.LEDGER_KEY_ROTATED,
        subject=f"key:{short(new.fingerprint)}",
        payload={
            "previous_fingerprint": old.fingerprint,
            "fingerprint": new.fingerprint,
            "public_key_pem": new.public_pem.decode("ascii"),
            "endorsement": old.sign(ledger_verify.rotation_message(new.fingerprint)),
            "reason": why,
        },
        now=now,
    )
    digest = digests.append_digest(session, new, ctx, now=now, actor=actor)
    return KeyChange(new.fingerprint, new.where, digest, old.fingerprint, archived)
