"""What the audit pack takes from the signing side (governance.audit.signing and .digests, and
the standalone verifier store/ledger_verify.py): a fresh signed digest at pack time, the digest
log kept outside the database, the public keys the ledger trusted, and the verifier's source."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from governance.audit import digests, signing
from governance.context import AppContext
from governance.errors import ConfigError
from store import ledger_verify

VERIFIER = Path(ledger_verify.__file__)


def sign_digest(ctx: AppContext, *, now: datetime, actor: str) -> dict[str, Any] | None:
    """A digest of the ledger as it stands, signed and committed (its line reaches the digest
    log outside the database on commit): the latest digest, or None without a signing key."""
    with ctx.db.session() as session:
        return digests.write_digest(session, ctx, now=now, actor=actor)


def copy_digest_log(ctx: AppContext, target: Path) -> None:
    """The digest log kept outside the database, byte for byte (an empty file when there is
    none yet): the auditor checks what it holds, unreadable lines included."""
    log = digests.digest_log_path(ctx)
    if log.is_file():
        shutil.copyfile(log, target)
    else:
        target.write_bytes(b"")


def public_keys(session: Session, ctx: AppContext) -> list[str]:
    """Every public key the ledger recorded, oldest first; the configured key last when the
    ledger does not end with it (so the verifier reports the swap rather than hide it)."""
    keys = [key.public_key_pem.strip() for key in signing.recorded_keys(session)]
    current = signing.public_key_pem(ctx)
    if current is not None:
        pem = current.decode("ascii").strip()
        if not keys or keys[-1] != pem:
            keys.append(pem)
    return keys


def verifier_source() -> str:
    if not VERIFIER.is_file():
        raise ConfigError(f"{VERIFIER} is missing: reinstall AIMS Bot")
    return VERIFIER.read_text(encoding="utf-8")
