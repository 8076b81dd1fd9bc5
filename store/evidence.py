"""The evidence ledger: an append-only, SHA-256 hash-chained log an auditor can verify offline.

Each event's hash covers the previous hash, time, actor, kind, subject and canonical payload;
the sequence number is the event's position and is checked separately, so verification can
tell an edited payload from a deleted, inserted or reordered event. The hashing, the export
line format and the verification itself live in store/ledger_verify.py, the standalone verifier
audit packs carry; this module writes the ledger and reads it back.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, event, insert, select, text
from sqlalchemy.orm import ORMExecuteState, Session

from store import ledger_verify
from store.evidence_kinds import EvidenceKind, evidence_kind
from store.ledger_verify import GENESIS, LedgerLine, event_hash, iter_export
from store.models import EvidenceEvent, utcnow

# The chain's verification is the standalone verifier's; callers know it from here too.
verify = ledger_verify.verify
VerifyResult = ledger_verify.VerifyResult

# Any constant works; it only has to be the same for every writer of this database. On Postgres
# it is paired with the ledger table's oid, so ledgers in two schemas of one database (replicas
# of two organisations, parallel test runs) do not queue behind each other.
LEDGER_LOCK_KEY = 4_242_001
REDACTED = "[redacted]"

_SECRET_KEYS = re.compile(
    r"(token|secret|passw(or)?d|passphrase|authorization|signature|api[_-]?key|private[_-]?key"
    r"|credential|response_url)",
    re.I,
)
# Counts such as an LLM call's `prompt_tokens` are usage figures, not secrets.
_TOKEN_COUNT_KEYS = re.compile(r"tokens$|tokens?_(count|used|limit)$", re.I)
_SECRET_VALUES = re.compile(
    r"\b(xox[abposre]-[A-Za-z0-9-]+"  # Slack bot, user and refresh tokens
    r"|xapp-[A-Za-z0-9-]+"  # Slack app-level tokens
    r"|sk-[A-Za-z0-9_-]{16,}"  # OpenAI / Anthropic style API keys
    r"|aims_sk_[A-Za-z0-9_-]{16,}"  # AIMS gateway keys (a prefix, aims_sk_ + 4, stays)
    r"|gh[pousr]_[A-Za-z0-9]{20,}"  # GitHub tokens
    r"|AKIA[0-9A-Z]{16}"  # AWS access key ids
    r"|hooks\.slack\.com/(?:services|actions|app|commands)/[A-Za-z0-9/_-]+"  # webhooks and
    # response URLs: whoever holds one can post as the bot
    r")"
    r"|(?<=Bearer )[A-Za-z0-9._~+/-]{8,}=*",
)


# Characters a database text column refuses (Postgres: NUL) or UTF-8 cannot encode (lone
# surrogates). A payload may carry them from any sender.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
LABEL_LENGTH = 128  # actor and subject columns


def _storable_json(body: str) -> str:
    """The same JSON with unstorable characters written as \\u escapes (they can only occur
    inside JSON strings, where an escape means the same character)."""
    return _UNSTORABLE.sub(lambda match: f"\\u{ord(match.group()):04x}", body)


def _label(value: str) -> str:
    return _UNSTORABLE.sub("", value)[:LABEL_LENGTH]


class AppendOnlyViolation(RuntimeError):
    pass


def canonical_json(value: Any) -> str:
    return ledger_verify.canonical_json(value, default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, set | frozenset | tuple):
        return sorted(value, key=str)
    return str(value)


_PLAIN = (int, float, type(None))  # bool is an int


def redact_secrets(value: Any) -> Any:
    """Tokens and secrets never enter the ledger, whatever payload a caller hands over."""
    # The commonest shapes first: this runs on every value of every event.
    if isinstance(value, str):
        return _SECRET_VALUES.sub(REDACTED, value)
    if isinstance(value, _PLAIN):
        return value
    if type(value) is dict:
        return {str(key): _redact_item(str(key), item) for key, item in value.items()}
    if hasattr(value, "model_dump"):
        value = value.model_dump(mode="json")
    if isinstance(value, Mapping):
        return {str(key): _redact_item(str(key), item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [redact_secrets(item) for item in items]
    if isinstance(value, str):
        return _SECRET_VALUES.sub(REDACTED, value)
    return value


def _redact_item(key: str, item: Any) -> Any:
    if not _names_secret(key) or item is None or isinstance(item, bool):
        return redact_secrets(item)  # `has_token: true` says nothing secret
    is_count = isinstance(item, int | float) and not isinstance(item, bool)
    if is_count and _TOKEN_COUNT_KEYS.search(key):
        return item
    return REDACTED


@lru_cache(maxsize=4096)
def _names_secret(key: str) -> bool:
    # Payloads repeat the same few keys; every append asks about each of them.
    return _SECRET_KEYS.search(key) is not None


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _lock_ledger(connection: Connection) -> None:
    # SQLite already holds the database write lock (BEGIN IMMEDIATE, see store.db). On Postgres
    # the transaction-scoped advisory lock is held until the caller commits or rolls back, and
    # under READ COMMITTED the next statement sees the previous holder's committed event.
    if connection.dialect.name == "postgresql":
        connection.execute(
            text("SELECT pg_advisory_xact_lock(:key, 'evidence_events'::regclass::oid::int)"),
            {"key": LEDGER_LOCK_KEY},
        )


def append(
    session: Session,
    *,
    actor: str,
    kind: EvidenceKind,
    subject: str,
    payload: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> EvidenceEvent:
    """Append one event in the caller's transaction; the caller's commit makes it durable.

    The kind must be in the catalogue (store.evidence_kinds) and the payload must match its
    kind's model: otherwise a ValueError (UnknownEvidenceKind, PayloadMismatch), nothing
    written."""
    new = _checked(NewEvent(actor, kind, subject, payload))
    seq, prev_hash = _next_link(session)
    values = _linked(new, seq, prev_hash, now or utcnow())
    session.connection().execute(_INSERT, [values])
    _remember_head(session, seq, values["hash"])
    return EvidenceEvent(**values)


@dataclass(frozen=True)
class NewEvent:
    actor: str
    kind: EvidenceKind
    subject: str
    payload: Mapping[str, Any] | None = None


def append_many(connection: Connection, events: Sequence[NewEvent]) -> list[int | Exception]:
    """Append `events` in order, with one INSERT, in the transaction open on `connection` (the
    group committer's batches: a Core connection, none of the ORM session's work per batch).

    Per event: its sequence number, or the error that refused it (the ValueError of a payload
    its kind does not accept; that event is not written, the others are). A database error is
    raised, and the caller's rollback writes nothing."""
    outcomes: list[int | Exception] = []
    checked: list[_Checked] = []
    for new in events:
        try:
            checked.append(_checked(new))
        except Exception as exc:  # refused before anything is written: only this event fails
            outcomes.append(exc)
        else:
            outcomes.append(len(checked) - 1)
    if not checked:
        return outcomes
    seq, prev_hash = _head(connection)
    moment = utcnow()
    rows: list[dict[str, Any]] = []
    for item in checked:
        rows.append(_linked(item, seq, prev_hash, moment))
        seq, prev_hash = seq + 1, rows[-1]["hash"]
    connection.execute(_INSERT, rows)
    return [
        outcome if isinstance(outcome, Exception) else int(rows[outcome]["seq"])
        for outcome in outcomes
    ]


@dataclass(frozen=True)
class _Checked:
    kind: str
    actor: str
    subject: str
    body: str  # canonical JSON, secrets redacted, storable


def _checked(new: NewEvent) -> _Checked:
    """The event validated against its kind and made ready to store; a ValueError
    (UnknownEvidenceKind, PayloadMismatch) if it may not be."""
    known = evidence_kind(new.kind)
    data = dict(new.payload or {})
    plain = canonical_json(data)
    # Checked for shape: characters no column can store (replaced in the check only) do not
    # change it.
    known.check(_UNSTORABLE.sub("\ufffd", plain))
    # Signatures and public keys (the ledger's own kinds) are public by design: redacting their
    # "signature" fields would destroy them.
    verbatim = known.verbatim_fields
    redacted = (
        {
            key: value if key in verbatim else redact_secrets({key: value})[key]
            for key, value in data.items()
        }
        if verbatim
        else redact_secrets(data)
    )
    body = _storable_json(plain if redacted == data else canonical_json(redacted))
    return _Checked(known.value, _label(new.actor), _label(new.subject), body)


def _linked(event: _Checked, seq: int, prev_hash: str, moment: datetime) -> dict[str, Any]:
    """The row of `event` as number `seq`, hashed onto the chain after `prev_hash`."""
    digest = event_hash(
        prev_hash=prev_hash,
        occurred_at=timestamp(moment),
        actor=event.actor,
        kind=event.kind,
        subject=event.subject,
        payload=event.body,
    )
    return {
        "seq": seq,
        "occurred_at": moment,
        "actor": event.actor,
        "kind": event.kind,
        "subject": event.subject,
        "payload": event.body,
        "prev_hash": prev_hash,
        "hash": digest,
    }


_INSERT = insert(EvidenceEvent)
_HEAD = "aims_ledger_head"


def _transaction(session: Session) -> Any:
    return session.get_nested_transaction() or session.get_transaction()


def _next_link(session: Session) -> tuple[int, str]:
    """(sequence number, previous hash) for the next event. The ledger lock is taken and the
    head read once per transaction (savepoint included): a second append in the same one
    follows on from the first without asking the database again."""
    cached = session.info.get(_HEAD)
    session.flush()  # the caller's pending rows go first, as the head query would do
    if cached is not None and cached[0]() is _transaction(session):
        return cached[1] + 1, cached[2]
    return _head(session.connection())


def _head(connection: Connection) -> tuple[int, str]:
    """(sequence number, previous hash) for the next event, under the ledger lock."""
    _lock_ledger(connection)
    last = connection.execute(_HEAD_QUERY).first()
    return (last[0] + 1, last[1]) if last else (1, GENESIS)


_EVENTS = EvidenceEvent.__table__
_HEAD_QUERY = select(_EVENTS.c.seq, _EVENTS.c.hash).order_by(_EVENTS.c.seq.desc()).limit(1)


def head(session: Session) -> tuple[int, str] | None:
    """(sequence number, hash) of the last event, as committed; None for an empty ledger."""
    last = session.connection().execute(_HEAD_QUERY).first()
    return (int(last[0]), str(last[1])) if last else None


def lock_head(session: Session) -> tuple[int, str]:
    """(sequence number, hash) of the last event ((0, GENESIS) when empty), with the ledger
    locked until the caller's transaction ends: nothing is appended between reading the head
    and acting on it."""
    seq, prev_hash = _next_link(session)
    _remember_head(session, seq - 1, prev_hash)
    return seq - 1, prev_hash


def _remember_head(session: Session, seq: int, hash_: str) -> None:
    session.info[_HEAD] = (weakref.ref(_transaction(session)), seq, hash_)


APPEND_ONLY = "evidence is append-only: events can be added, never updated or deleted"


@event.listens_for(Session, "before_flush")
def _refuse_changes(session: Session, _context: Any, _instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, EvidenceEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise AppendOnlyViolation(APPEND_ONLY)


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state: ORMExecuteState) -> None:
    # `session.execute(update(EvidenceEvent))` bypasses the flush; the database triggers would
    # refuse it too, but with a driver error instead of this one.
    if (state.is_update or state.is_delete) and any(
        mapper.class_ is EvidenceEvent for mapper in state.all_mappers
    ):
        raise AppendOnlyViolation(APPEND_ONLY)


# --- export and verification ---------------------------------------------------------------

_LEDGER_COLUMNS = (
    EvidenceEvent.seq,
    EvidenceEvent.occurred_at,
    EvidenceEvent.actor,
    EvidenceEvent.kind,
    EvidenceEvent.subject,
    EvidenceEvent.payload,
    EvidenceEvent.prev_hash,
    EvidenceEvent.hash,
)


def iter_ledger(session: Session, batch: int = 5000) -> Iterator[LedgerLine]:
    """Every event in sequence order, in batches (plain rows: verifying needs no ORM objects).

    Starts from the lowest sequence number present, whatever it is, so a row slipped in with
    seq 0 or below is seen (and refused) rather than skipped."""
    last: int | None = None
    while True:
        query = select(*_LEDGER_COLUMNS).order_by(EvidenceEvent.seq).limit(batch)
        if last is not None:
            query = query.where(EvidenceEvent.seq > last)
        rows = session.execute(query).all()
        if not rows:
            return
        for seq, occurred_at, actor, kind, subject, payload, prev_hash, hash_ in rows:
            yield LedgerLine(
                seq, timestamp(occurred_at), actor, kind, subject, payload, prev_hash, hash_
            )
        last = rows[-1].seq


def export_jsonl(session: Session, path: Path) -> int:
    """Write every event as one line `{"seq":N,"hash":"...","event":<the hashed body>}` (see
    store/ledger_verify.py); returns how many."""
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for line in iter_ledger(session):
            handle.write(line.to_json() + "\n")
            count += 1
    return count


def read_jsonl(path: Path) -> list[LedgerLine]:
    return list(iter_jsonl(path))


def iter_jsonl(path: Path) -> Iterator[LedgerLine]:
    """An export's lines one at a time (verify streams them), in this format or the earlier
    flat one; a line that is neither is a ValueError naming the file and line number."""
    return iter_export(path)
