"""What an attacker can do to the ledger, in the database (with its triggers dropped) and in an
exported JSONL file. Each tampering returns nothing; the tests run `verify` and say what a
person must be told."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, insert, text

from store import evidence
from store.db import Database
from store.evidence_kinds import EvidenceKind
from store.ledger_verify import parse_line
from store.models import EvidenceEvent

FORGED = {
    "actor": "U0MALLORY1",
    "kind": "record.approved",
    "subject": "AIU-0001",
    "payload": '{"approved":true}',
}
FORGED_AT = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def fill_ledger(db: Database, count: int, now: datetime) -> None:
    with db.session() as session:
        for number in range(1, count + 1):
            evidence.append(
                session,
                actor=f"U0TEST000{number % 3 + 1}",
                kind=EvidenceKind.RECORD_UPDATED,
                subject=f"AIU-{number:04d}",
                payload={
                    "version": number,
                    "changes": {"n": {"from": number - 1, "to": number}},
                    "reason": f"change {number}",
                },
                now=now,
            )


def drop_append_only_triggers(db: Database) -> None:
    """What someone with database access does first."""
    with db.engine.begin() as connection:
        if db.is_postgres:
            connection.execute(
                text("DROP TRIGGER IF EXISTS evidence_append_only ON evidence_events")
            )
        else:
            connection.execute(text("DROP TRIGGER IF EXISTS evidence_no_update"))
            connection.execute(text("DROP TRIGGER IF EXISTS evidence_no_delete"))


def _hash_of(connection: Connection, seq: int) -> str:
    return str(
        connection.execute(
            text("SELECT hash FROM evidence_events WHERE seq = :seq"), {"seq": seq}
        ).scalar_one()
    )


def _move(connection: Connection, seq: int, to: int) -> None:
    connection.execute(
        text("UPDATE evidence_events SET seq = :to WHERE seq = :seq"), {"to": to, "seq": seq}
    )


def db_edit_payload(db: Database, seq: int) -> None:
    with db.engine.begin() as connection:
        connection.execute(
            text("UPDATE evidence_events SET payload = :p WHERE seq = :seq"),
            {"p": '{"n":999}', "seq": seq},
        )


def db_delete(db: Database, seq: int) -> None:
    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM evidence_events WHERE seq = :seq"), {"seq": seq})


def db_swap(db: Database, first: int, second: int) -> None:
    with db.engine.begin() as connection:
        _move(connection, first, -1)
        _move(connection, second, first)
        _move(connection, -1, second)


def db_insert_after(db: Database, seq: int) -> None:
    """Renumber the later events and slot in a forged one that links to its predecessor."""
    with db.engine.begin() as connection:
        last = connection.execute(text("SELECT max(seq) FROM evidence_events")).scalar_one()
        for later in range(last, seq, -1):
            _move(connection, later, later + 1)
        _insert(connection, forged_line(seq + 1, _hash_of(connection, seq)))


def db_insert_forged(db: Database, seq: int, prev_hash: str) -> None:
    with db.engine.begin() as connection:
        _insert(connection, forged_line(seq, prev_hash))


def _insert(connection: Connection, forged: evidence.LedgerLine) -> None:
    connection.execute(
        insert(EvidenceEvent.__table__).values(
            seq=forged.seq,
            occurred_at=FORGED_AT,
            actor=forged.actor,
            kind=forged.kind,
            subject=forged.subject,
            payload=forged.payload,
            prev_hash=forged.prev_hash,
            hash=forged.hash,
        )
    )


def forged_line(seq: int, prev_hash: str) -> evidence.LedgerLine:
    occurred = evidence.timestamp(FORGED_AT)
    return evidence.LedgerLine(
        seq=seq,
        occurred_at=occurred,
        prev_hash=prev_hash,
        **FORGED,
        hash=evidence.event_hash(prev_hash=prev_hash, occurred_at=occurred, **FORGED),
    )


# --- the same in an exported file ------------------------------------------------------------


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _write(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _events(path: Path) -> list[evidence.LedgerLine]:
    return [parse_line(line, str(path)) for line in _lines(path)]


def file_edit_payload(path: Path, seq: int) -> None:
    """Change an event's payload in place, its hash left as it was."""
    events = _events(path)
    events[seq - 1] = replace(events[seq - 1], payload='{"n":999}')
    _write(path, [event.to_json() for event in events])


def file_delete(path: Path, seq: int) -> None:
    lines = _lines(path)
    del lines[seq - 1]
    _write(path, lines)


def file_swap(path: Path, first: int, second: int) -> None:
    lines = _lines(path)
    lines[first - 1], lines[second - 1] = lines[second - 1], lines[first - 1]
    _write(path, lines)


def file_insert_after(path: Path, seq: int) -> None:
    events = _events(path)
    forged = forged_line(seq + 1, events[seq - 1].hash)
    renumbered = [replace(event, seq=event.seq + 1) for event in events[seq:]]
    _write(path, [e.to_json() for e in [*events[:seq], forged, *renumbered]])


# --- what only the signed digests catch --------------------------------------------------------


def db_truncate(db: Database, from_seq: int) -> None:
    """Cut the events from `from_seq` on: the chain that remains is whole."""
    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM evidence_events WHERE seq >= :seq"), {"seq": from_seq})


def db_rewrite_from(db: Database, seq: int) -> None:
    """Change event `seq`'s payload and recompute every hash from there on, so the chain is
    consistent again (what someone with database access but without the signing key can do)."""
    with db.session() as session:
        lines = [line for line in evidence.iter_ledger(session) if line.seq >= seq]
    prev_hash = lines[0].prev_hash
    with db.engine.begin() as connection:
        for line in lines:
            payload = '{"n":999}' if line.seq == seq else line.payload
            rewritten = replace(line, payload=payload, prev_hash=prev_hash)
            connection.execute(
                text(
                    "UPDATE evidence_events SET payload = :payload, prev_hash = :prev, "
                    "hash = :hash WHERE seq = :seq"
                ),
                {
                    "payload": payload,
                    "prev": prev_hash,
                    "hash": rewritten.recomputed_hash(),
                    "seq": line.seq,
                },
            )
            prev_hash = rewritten.recomputed_hash()


class Backup:
    """A copy of the database as it stands, restored later over whatever it became: the SQLite
    file itself (copied with SQLite's backup API, as a backup tool does); on Postgres, the
    ledger table's rows."""

    def __init__(self, db: Database, folder: Path) -> None:
        self.db = db
        if db.is_postgres:
            with db.engine.connect() as connection:
                self.rows = [
                    dict(row._mapping)
                    for row in connection.execute(text("SELECT * FROM evidence_events"))
                ]
            return
        self.copy = folder / "backup.db"
        db.engine.dispose()
        with closing(sqlite3.connect(_sqlite_file(db))) as live:
            with closing(sqlite3.connect(self.copy)) as copy:
                live.backup(copy)

    def restore(self) -> None:
        if self.db.is_postgres:
            drop_append_only_triggers(self.db)
            with self.db.engine.begin() as connection:
                connection.execute(text("DELETE FROM evidence_events"))
                connection.execute(insert(EvidenceEvent.__table__), self.rows)
            return
        self.db.engine.dispose()
        with closing(sqlite3.connect(self.copy)) as copy:
            with closing(sqlite3.connect(_sqlite_file(self.db))) as live:
                copy.backup(live)


def _sqlite_file(db: Database) -> str:
    return db.url.removeprefix("sqlite:///")
