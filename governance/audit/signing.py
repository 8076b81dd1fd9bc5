"""The ledger's Ed25519 signing key: where it lives, loading and making it, and the keys the
ledger has recorded.

The private key never enters the database, the ledger, a log or an audit pack. It is a PEM file
with 0600 permissions, by default `<data dir>/ledger-signing-key.pem`; AIMS_SIGNING_KEY_FILE
names another file (a mounted secret), or AIMS_SIGNING_KEY holds the PEM itself (from a secret
store). The ledger records the public key and its fingerprint (`ledger.key_created`, then each
`ledger.key_rotated`), which is what store/ledger_verify.py trusts.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.errors import ConfigError
from store import ledger_verify
from store.evidence_kinds import EvidenceKind
from store.ledger_verify import fingerprint_of_pem, short
from store.models import EvidenceEvent

log = logging.getLogger(__name__)

__all__ = [
    "ENV_KEY_FILE",
    "ENV_KEY_PEM",
    "KEY_FILE",
    "DataDir",
    "HasDataDir",
    "KeyMismatch",
    "KeyPlace",
    "RecordedKey",
    "SigningKey",
    "fingerprint_of_pem",
    "key_place",
    "load_key",
    "public_key_pem",
    "recorded_keys",
    "short",
    "trusted_fingerprint",
    "write_private_key",
]

KEY_FILE = "ledger-signing-key.pem"
ENV_KEY_FILE = "AIMS_SIGNING_KEY_FILE"
ENV_KEY_PEM = "AIMS_SIGNING_KEY"
KEY_KINDS = (EvidenceKind.LEDGER_KEY_CREATED, EvidenceKind.LEDGER_KEY_ROTATED)


class HasDataDir(Protocol):
    """Where AIMS Bot keeps its files: the application context, or a `DataDir`."""

    @property
    def data_dir(self) -> Path: ...


@dataclass(frozen=True)
class DataDir:
    """A data directory for callers without an application context (the scheduler)."""

    data_dir: Path


class KeyMismatch(ConfigError):
    """The configured key is not the one the ledger trusts."""


@dataclass(frozen=True)
class KeyPlace:
    """Where the private key is: a file, or the PEM from the environment."""

    path: Path | None
    pem: bytes | None = field(default=None, repr=False)

    def describe(self) -> str:
        return str(self.path) if self.path is not None else ENV_KEY_PEM

    @property
    def pending(self) -> Path | None:
        """Where a new key waits until the ledger has recorded it."""
        return self.path.with_name(self.path.name + ".new") if self.path else None


def key_place(ctx: HasDataDir) -> KeyPlace:
    pem, file = os.environ.get(ENV_KEY_PEM), os.environ.get(ENV_KEY_FILE)
    if pem and file:
        raise ConfigError(f"set {ENV_KEY_PEM} or {ENV_KEY_FILE}, not both")
    if pem:
        return KeyPlace(None, pem.encode("utf-8"))
    return KeyPlace(Path(file).expanduser() if file else ctx.data_dir / KEY_FILE)


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey = field(repr=False)
    where: str  # the file or variable it came from, for messages

    @classmethod
    def generate(cls, where: str) -> SigningKey:
        return cls(Ed25519PrivateKey.generate(), where)

    @property
    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @property
    def fingerprint(self) -> str:
        return ledger_verify.key_fingerprint(self.private.public_key())

    def sign(self, message: bytes) -> str:
        return self.private.sign(message).hex()

    def private_pem(self) -> bytes:
        return self.private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


def load_key(ctx: HasDataDir) -> SigningKey | None:
    """The configured signing key, or None when there is none (ConfigError when what is there
    is not an Ed25519 private key, or a new key waits to be moved into place)."""
    place = key_place(ctx)
    if place.pem is not None:
        return _parse(place.pem, place.describe())
    assert place.path is not None and place.pending is not None
    if not place.path.is_file():
        if place.pending.is_file():
            raise ConfigError(
                f"a new signing key waits at {place.pending}: a `keys init` or `keys rotate` "
                f"stopped after the ledger recorded it; move it to {place.path}"
            )
        return None
    if place.path.stat().st_mode & 0o077:
        log.warning(
            "the ledger's signing key %s can be read by other users of this machine; chmod 600 it",
            place.path,
        )
    return _parse(place.path.read_bytes(), place.describe())


def _parse(pem: bytes, where: str) -> SigningKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        key = None  # the library's message may quote the file; say it in our words
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(
            f"{where} does not hold an unencrypted Ed25519 private key in PEM form "
            "(`aims keys init` makes one)"
        )
    return SigningKey(key, where)


def public_key_pem(ctx: HasDataDir) -> bytes | None:
    """The configured key's public half (PEM), or None without a key."""
    key = load_key(ctx)
    return key.public_pem if key is not None else None


def write_private_key(path: Path, key: SigningKey) -> None:
    """A new file readable by its owner only; refuses to replace one (FileExistsError)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key.private_pem())
        handle.flush()
        os.fsync(handle.fileno())
    path.chmod(0o600)  # whatever the umask made of it


# --- the keys the ledger has recorded ----------------------------------------------------------


@dataclass(frozen=True)
class RecordedKey:
    seq: int
    fingerprint: str
    public_key_pem: str
    rotated: bool
    actor: str
    at: datetime


def recorded_keys(session: Session) -> list[RecordedKey]:
    """The keys the ledger records, oldest first (as written; store/ledger_verify.py checks
    each rotation's endorsement)."""
    rows = session.execute(
        select(
            EvidenceEvent.seq,
            EvidenceEvent.kind,
            EvidenceEvent.payload,
            EvidenceEvent.actor,
            EvidenceEvent.occurred_at,
        )
        .where(EvidenceEvent.kind.in_([kind.value for kind in KEY_KINDS]))
        .order_by(EvidenceEvent.seq)
    )
    keys = []
    for seq, kind, payload, actor, at in rows:
        data = json.loads(payload)
        keys.append(
            RecordedKey(
                seq=seq,
                fingerprint=str(data.get("fingerprint", "")),
                public_key_pem=str(data.get("public_key_pem", "")),
                rotated=kind == EvidenceKind.LEDGER_KEY_ROTATED,
                actor=actor,
                at=at,
            )
        )
    return keys


def trusted_fingerprint(session: Session) -> str | None:
    keys = recorded_keys(session)
    return keys[-1].fingerprint if keys else None
