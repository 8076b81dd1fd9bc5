"""Signed digests of the evidence ledger: the head of the chain, signed with the ledger's key,
each chaining to the previous digest's signature (the idea of CloudTrail's log file
validation, for this ledger).

A digest is kept twice: as a `ledger.digest` event (appended right after the events it covers,
so the next digest covers it in turn), and as a line of an append-only file outside the
database, `<data dir>/ledger-digests.jsonl` (or AIMS_DIGEST_LOG). The weekly Slack digest
prints the head and the latest digest's signature, a third copy. store/ledger_verify.py checks
all of it. Written hourly by the `ledger-digest` job and at every export.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.audit.after_commit import after_commit
from governance.audit.signing import (
    HasDataDir,
    KeyMismatch,
    SigningKey,
    key_place,
    load_key,
    short,
)
from governance.audit.signing import trusted_fingerprint as ledger_key
from governance.errors import AimsError
from store import evidence, ledger_verify
from store.evidence_kinds import EvidenceKind
from store.models import EvidenceEvent, utcnow

LOG_FILE = "ledger-digests.jsonl"
ENV_LOG = "AIMS_DIGEST_LOG"
ACTOR = "aims-bot"


class DigestConflict(AimsError):
    """The digest log outside the database is ahead of the ledger: a restored backup."""


def digest_log_path(ctx: HasDataDir) -> Path:
    named = os.environ.get(ENV_LOG)
    return Path(named).expanduser() if named else ctx.data_dir / LOG_FILE


def digest_log(ctx: HasDataDir) -> list[dict[str, Any]]:
    """The digests in the log outside the database, oldest first. A line that is not a JSON
    object is kept as {"unreadable_line": text}, so a verifier names it rather than skip it."""
    entries = ledger_verify.read_digest_log(digest_log_path(ctx)) or []
    return [e if isinstance(e, dict) else {"unreadable_line": str(e)} for e in entries]


def _digests(session: Session, *, after: int = 0, latest: bool = False) -> list[dict[str, Any]]:
    query = select(EvidenceEvent.payload).where(EvidenceEvent.kind == EvidenceKind.LEDGER_DIGEST)
    if latest:
        query = query.order_by(EvidenceEvent.seq.desc()).limit(1)
    else:
        query = query.order_by(EvidenceEvent.seq)
    found = [json.loads(payload) for payload in session.scalars(query)]
    return [d for d in found if isinstance(d, dict) and int(d.get("digest", 0)) > after]


def latest_digest(session: Session) -> dict[str, Any] | None:
    """The ledger's latest digest (its `ledger.digest` event's payload), or None."""
    found = _digests(session, latest=True)
    return found[0] if found else None


@dataclass(frozen=True)
class DigestOutcome:
    digest: dict[str, Any] | None  # the latest digest, new or not; None without a key
    written: bool
    summary: str


def write_digest(
    session: Session, ctx: HasDataDir, *, now: datetime | None = None, actor: str = ACTOR
) -> dict[str, Any] | None:
    """Sign a digest of the ledger as it stands, in the caller's transaction (the log line is
    written once it commits). Returns the latest digest: the new one, or the last one when no
    event was added since it; None when no signing key is configured."""
    return digest_now(session, ctx, now=now, actor=actor).digest


def digest_now(
    session: Session, ctx: HasDataDir, *, now: datetime | None = None, actor: str = ACTOR
) -> DigestOutcome:
    """`write_digest`, saying what it did (the `ledger-digest` job's summary).

    KeyMismatch when the configured key is not the one the ledger trusts (a swapped key file
    signs nothing); DigestConflict when the log outside the database holds a digest the ledger
    does not (the database was restored from an older backup)."""
    key = load_key(ctx)
    if key is None:
        return DigestOutcome(None, False, "skipped: no signing key (run `aims keys init`)")
    head_seq, _ = evidence.lock_head(session)
    previous = latest_digest(session)
    if previous is not None and head_seq <= int(previous["last_seq"]) + 1:
        return DigestOutcome(
            previous, False, f"skipped: no events since digest {previous['digest']}"
        )
    trusted = ledger_key(session)
    if trusted != key.fingerprint:
        recorded = f"the ledger trusts {short(trusted)}" if trusted else "the ledger records none"
        pending = key_place(ctx).pending
        fix = (
            f"A rotated key waits at {pending}: move it into place."
            if pending is not None and pending.is_file()
            else "Restore the right key file (a rotation needs the trusted key)."
        )
        raise KeyMismatch(
            f"the signing key at {key.where} ({short(key.fingerprint)}) is not the ledger's: "
            f"{recorded}. {fix}"
        )
    digest = append_digest(session, key, ctx, now=now, actor=actor)
    return DigestOutcome(
        digest,
        True,
        f"digest {digest['digest']} signed: events #{digest['first_seq']}–#{digest['last_seq']}"
        f", head {short(digest['head_hash'])}",
    )


def append_digest(
    session: Session,
    key: SigningKey,
    ctx: HasDataDir,
    *,
    now: datetime | None = None,
    actor: str = ACTOR,
) -> dict[str, Any]:
    """Sign the ledger's head with `key` and record the digest in the ledger, and in the log
    once committed. No check that `key` is the trusted one: callers do that (`digest_now`), or
    have just recorded it (`aims keys init`, `rotate`)."""
    head_seq, head_hash = evidence.lock_head(session)
    previous = latest_digest(session)
    log_path = digest_log_path(ctx)
    _catch_up(session, log_path, previous)
    body: dict[str, Any] = {
        "digest": int(previous["digest"]) + 1 if previous else 1,
        "first_seq": int(previous["last_seq"]) + 1 if previous else 1,
        "last_seq": head_seq,
        "head_hash": head_hash,
        "event_count": head_seq,
        "created_at": evidence.timestamp(now or utcnow()),
        "previous_signature": previous["signature"] if previous else None,
        "key_fingerprint": key.fingerprint,
    }
    body["signature"] = key.sign(ledger_verify.digest_message(body))
    evidence.append(
        session,
        actor=actor,
        kind=EvidenceKind.LEDGER_DIGEST,
        subject=f"digest:{body['digest']}",
        payload=body,
        now=now,
    )
    after_commit(session, lambda: append_to_log(log_path, [body]))
    return body


def _catch_up(session: Session, log_path: Path, previous: dict[str, Any] | None) -> None:
    """The log holds every digest the ledger does before a new one is added: one it missed (a
    write that failed after its commit) is copied from the ledger; one the ledger lacks means
    the database went back in time, and nothing is signed over that."""
    logged = _last_number(ledger_verify.read_digest_log(log_path) or [])
    held = int(previous["digest"]) if previous else 0
    if logged > held:
        raise DigestConflict(
            f"the digest log {log_path} holds digest {logged}, but the ledger's latest is "
            f"{held or 'none'}: the database may have been restored from an older backup. Run "
            "`aims evidence verify`; no digest is signed over a ledger that went back."
        )
    if logged < held:
        append_to_log(log_path, _digests(session, after=logged))


def _last_number(entries: list[Any]) -> int:
    numbers = [
        e["digest"] for e in entries if isinstance(e, dict) and isinstance(e.get("digest"), int)
    ]
    return numbers[-1] if numbers else 0


def append_to_log(path: Path, digests: list[dict[str, Any]]) -> None:
    """Append digests the log does not hold yet, one canonical JSON line each, under a file
    lock (two writers that committed one after the other may get here in either order)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        handle.seek(0)
        text = handle.read()
        held = _last_number(ledger_verify.parse_digest_lines(text))
        lines = [
            ledger_verify.canonical_json(digest).encode("utf-8") + b"\n"
            for digest in digests
            if int(digest["digest"]) > held
        ]
        if not lines:
            return
        if text and not text.endswith(b"\n"):
            lines.insert(0, b"\n")  # a line cut short by a crash stays on its own
        handle.seek(0, os.SEEK_END)
        handle.write(b"".join(lines))
        handle.flush()
        os.fsync(handle.fileno())


def verify_ledger(session: Session, ctx: HasDataDir) -> ledger_verify.PackReport:
    """`aims evidence verify`: the chain in the database, its digests against the ones in the
    log outside it, and the configured key against the one the ledger trusts."""
    log_path = digest_log_path(ctx)
    log = ledger_verify.read_digest_log(log_path)
    key = load_key(ctx)
    facts = ledger_verify.walk(evidence.iter_ledger(session), ledger_verify.wanted_seqs(log))
    return ledger_verify.check_ledger(
        facts,
        log=log,
        log_name=str(log_path),
        expected_fingerprint=key.fingerprint if key else None,
        expected_source=f"the key file {key.where}" if key else "",
    )
