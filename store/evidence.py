"""The evidence ledger: an append-only, SHA-256 hash-chained log an auditor can verify offline.

Each event's hash covers the previous hash, time, actor, kind, subject and canonical payload;
the sequence number is the event's position and is checked separately, so verification can
tell an edited payload from a deleted, inserted or reordered event.
"""

from __future__ import annotations

import hashlib
import json
import re
import weakref
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert, select, text
from sqlalchemy.orm import ORMExecuteState, Session

from store.evidence_kinds import EvidenceKind, evidence_kind
from store.models import EvidenceEvent, utcnow

GENESIS = "0" * 64
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
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default
    )


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


def redact_secrets(value: Any) -> Any:
    """Tokens and secrets never enter the ledger, whatever payload a caller hands over."""
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
    if not _SECRET_KEYS.search(key) or item is None or isinstance(item, bool):
        return redact_secrets(item)  # `has_token: true` says nothing secret
    is_count = isinstance(item, int | float) and not isinstance(item, bool)
    if is_count and _TOKEN_COUNT_KEYS.search(key):
        return item
    return REDACTED


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def event_hash(
    *, prev_hash: str, occurred_at: str, actor: str, kind: str, subject: str, payload: str
) -> str:
    body = canonical_json(
        {
            "prev": prev_hash,
            "time": occurred_at,
            "actor": actor,
            "kind": kind,
            "subject": subject,
            "payload": payload,
        }
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _lock_ledger(session: Session) -> None:
    # SQLite already holds the database write lock (BEGIN IMMEDIATE, see store.db). On Postgres
    # the transaction-scoped advisory lock is held until the caller commits or rolls back, and
    # under READ COMMITTED the next statement sees the previous holder's committed event.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
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
    known = evidence_kind(kind)
    data = dict(payload or {})
    # Checked for shape: characters no column can store (replaced in the check only) do not
    # change it.
    known.check(_UNSTORABLE.sub("\ufffd", canonical_json(data)))
    seq, prev_hash = _next_link(session)
    moment = now or utcnow()
    body = _storable_json(canonical_json(redact_secrets(data)))
    actor, subject = _label(actor), _label(subject)
    occurred = timestamp(moment)
    digest = event_hash(
        prev_hash=prev_hash,
        occurred_at=occurred,
        actor=actor,
        kind=known.value,
        subject=subject,
        payload=body,
    )
    values: dict[str, Any] = {
        "seq": seq,
        "occurred_at": moment,
        "actor": actor,
        "kind": known.value,
        "subject": subject,
        "payload": body,
        "prev_hash": prev_hash,
        "hash": digest,
    }
    # A plain INSERT on the session's connection: the event is never changed after this, so
    # it needs none of the ORM's change tracking (the row returned is a detached copy).
    session.connection().execute(_INSERT, [values])
    _remember_head(session, seq, digest)
    return EvidenceEvent(**values)


_INSERT = insert(EvidenceEvent)
_HEAD = "aims_ledger_head"


def _transaction(session: Session) -> Any:
    return session.get_nested_transaction() or session.get_transaction()


def _next_link(session: Session) -> tuple[int, str]:
    """(sequence number, previous hash) for the next event. The ledger lock is taken and the
    head read once per transaction (savepoint included): a second append in the same one
    follows on from the first without asking the database again."""
    cached = session.info.get(_HEAD)
    if cached is not None and cached[0]() is _transaction(session):
        session.flush()  # the caller's pending rows go first, as the head query would do
        return cached[1] + 1, cached[2]
    _lock_ledger(session)
    last = session.execute(
        select(EvidenceEvent.seq, EvidenceEvent.hash).order_by(EvidenceEvent.seq.desc()).limit(1)
    ).first()
    return (last[0] + 1, last[1]) if last else (1, GENESIS)


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


# --- export and verification -------------------------------------------------------------


@dataclass(frozen=True)
class LedgerLine:
    seq: int
    occurred_at: str
    actor: str
    kind: str
    subject: str
    payload: str
    prev_hash: str
    hash: str

    def recomputed_hash(self) -> str:
        return event_hash(
            prev_hash=self.prev_hash,
            occurred_at=self.occurred_at,
            actor=self.actor,
            kind=self.kind,
            subject=self.subject,
            payload=self.payload,
        )

    def to_json(self) -> str:
        return canonical_json(self.__dict__)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    count: int
    bad_seq: int | None = None
    damage: str | None = None
    detail: str = ""

    def describe(self) -> str:
        if self.ok:
            return f"OK {self.count} events"
        return f"BROKEN at sequence {self.bad_seq}: {self.damage} ({self.detail})"


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


def verify(lines: Iterable[LedgerLine]) -> VerifyResult:
    """Recompute the chain and name the first broken link and the kind of damage.

    Streams: it holds the two previous events and the next one, so a ledger or export of any
    size verifies in constant memory (only a broken link makes it read on, looking for the one
    hash the damaged event points to).

    `bad_seq` is the sequence number at which the chain stops being trustworthy: the edited
    event, the first missing one, the first position holding the wrong event, or the forged one.
    A hash chain alone cannot notice events cut from the end; compare `count` and the last hash
    with a copy kept elsewhere (an earlier export) for that.
    """
    stream = iter(lines)
    behind: deque[LedgerLine] = deque(maxlen=2)
    expected_prev, previous_seq, index = GENESIS, 0, 0
    line = next(stream, None)
    while line is not None:
        following = next(stream, None)
        if line.recomputed_hash() != line.hash:
            return VerifyResult(
                False, index, line.seq, "payload edited", "its content no longer matches its hash"
            )
        if line.prev_hash != expected_prev:
            return _diagnose_link(line, index, behind, following, stream, expected_prev)
        if line.seq != previous_seq + 1:
            return _diagnose_numbering(line, index, following, expected_prev, previous_seq)
        expected_prev, previous_seq = line.hash, line.seq
        behind.append(line)
        line, index = following, index + 1
    return VerifyResult(True, index)


def _diagnose_numbering(
    line: LedgerLine,
    index: int,
    following: LedgerLine | None,
    expected_prev: str,
    previous_seq: int,
) -> VerifyResult:
    """The link holds but the number does not follow on: inserted, reordered or deleted."""
    if following is not None and following.prev_hash == expected_prev:
        return VerifyResult(
            False,
            index,
            line.seq,
            "event inserted",
            f"event {following.seq} links past it to event {previous_seq}",
        )
    if line.seq <= previous_seq:
        return VerifyResult(
            False,
            index,
            previous_seq + 1,
            "events reordered",
            f"event {line.seq} comes after event {previous_seq}",
        )
    return VerifyResult(
        False,
        index,
        previous_seq + 1,
        "event deleted",
        f"event {line.seq} follows event {previous_seq}",
    )


def _diagnose_link(
    line: LedgerLine,
    index: int,
    behind: deque[LedgerLine],
    following: LedgerLine | None,
    rest: Iterator[LedgerLine],
    expected_prev: str,
) -> VerifyResult:
    previous_seq = behind[-1].seq if behind else 0
    ahead = chain([following] if following is not None else [], rest)
    linked = next((later for later in ahead if later.hash == line.prev_hash), None)
    if linked is not None:
        return VerifyResult(
            False,
            index,
            previous_seq + 1,
            "events reordered",
            f"event {line.seq} is in place of event {previous_seq + 1} and links to "
            f"event {linked.seq}, which comes after it",
        )
    if following is not None and following.prev_hash == expected_prev:
        return VerifyResult(
            False,
            index,
            line.seq,
            "event inserted",
            f"event {following.seq} links past it to event {previous_seq}",
        )
    if len(behind) == 2 and line.prev_hash == behind[0].hash:
        return VerifyResult(
            False,
            index,
            previous_seq,
            "event inserted",
            f"event {line.seq} links past it to event {behind[0].seq}",
        )
    detail = f"event {line.seq} links to an event that is no longer there"
    if index and line.seq == previous_seq + 1:
        # Numbers run on, so either later events were renumbered after a deletion, or event
        # `previous_seq` was rewritten with a fresh hash; the chain cannot tell which.
        detail += f" (or event {previous_seq} was rewritten with a new hash)"
    return VerifyResult(False, index, previous_seq + 1, "event deleted", detail)


def export_jsonl(session: Session, path: Path) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for line in iter_ledger(session):
            handle.write(line.to_json() + "\n")
            count += 1
    return count


_LINE_TYPES = {name: (int if name == "seq" else str) for name in LedgerLine.__annotations__}


def read_jsonl(path: Path) -> list[LedgerLine]:
    return list(iter_jsonl(path))


def iter_jsonl(path: Path) -> Iterator[LedgerLine]:
    """An export's lines one at a time (verify streams them); a bad line names its number."""
    with path.open(encoding="utf-8") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                data = json.loads(raw)
                if not isinstance(data, dict):
                    raise TypeError("expected one JSON object")
                wrong = [
                    name
                    for name, kind in _LINE_TYPES.items()
                    if not isinstance(data.get(name), kind) or isinstance(data.get(name), bool)
                ]
                if wrong:
                    raise TypeError(f"missing or mistyped: {', '.join(wrong)}")
                line = LedgerLine(**data)
            except (json.JSONDecodeError, TypeError) as exc:
                raise ValueError(f"{path}:{number}: not an evidence export line ({exc})") from exc
            yield line
