"""The one verifier of the evidence ledger: its hash chain, signed digests and signing keys.

STANDALONE: this file imports only the standard library, and `cryptography` lazily (only to
check signatures), never the rest of AIMS Bot. Every audit pack carries a verbatim copy as
`verify_pack.py`, which an auditor runs with a bare interpreter:

    python verify_pack.py PACK_DIR [--fingerprint ed25519:...]

It reads PACK_DIR/evidence.jsonl (the ledger), digests.jsonl (the signed digests kept outside
the database) and public_key.pem, prints one line per check and exits 0 when all pass, 2 when
the evidence was tampered with, 1 when an input cannot be read. AIMS Bot's own `aims evidence
verify` and `aims audit verify` run the same code.

The chain: each event's SHA-256 covers its canonical JSON body (previous hash, time, actor,
kind, subject, payload); the sequence number is its position, checked separately, so a broken
link can be named: payload edited, event deleted, inserted or reordered.

The digests: a signed digest names the last event it covers (`last_seq`) and that event's hash
(`head_hash`), and chains to the previous digest's signature. So events cut from the end, a
database restored from an older backup, a chain rewritten whole and a swapped signing key are
caught too, as long as a digest taken before the damage survives outside the database.

An export line is `{"seq":N,"hash":"<hex>","event":<the hashed body, verbatim>}`: the bytes
hashed are a slice of the line, so a pack verifies at close to the speed of hashing it, and the
line is still JSON an auditor can read.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

GENESIS = "0" * 64
ALGORITHM = "ed25519"
# The ledger's own kinds (store/evidence_kinds.py declares them; this file cannot import it).
KEY_CREATED = "ledger.key_created"
KEY_ROTATED = "ledger.key_rotated"
DIGEST = "ledger.digest"
ROTATION_CONTEXT = b"aims-key-rotation:"
EVIDENCE_FILE, DIGESTS_FILE, PUBLIC_KEY_FILE = "evidence.jsonl", "digests.jsonl", "public_key.pem"
SHORT = 16  # hex characters shown of a hash or fingerprint

ProgressFn = Callable[[int, int], None]  # (bytes of evidence.jsonl read, its size)


class UnusableInput(ValueError):
    """An input that cannot be read as what it should be (exit 1, not a finding)."""


# --- canonical form, hashes, export lines --------------------------------------------------------


def canonical_json(value: Any, default: Callable[[Any], Any] | None = None) -> str:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=default
    )


def event_body(
    *, prev_hash: str, occurred_at: str, actor: str, kind: str, subject: str, payload: str
) -> str:
    """The exact text an event's hash covers."""
    return canonical_json(
        {
            "prev": prev_hash,
            "time": occurred_at,
            "actor": actor,
            "kind": kind,
            "subject": subject,
            "payload": payload,
        }
    )


def event_hash(
    *, prev_hash: str, occurred_at: str, actor: str, kind: str, subject: str, payload: str
) -> str:
    body = event_body(
        prev_hash=prev_hash,
        occurred_at=occurred_at,
        actor=actor,
        kind=kind,
        subject=subject,
        payload=payload,
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def export_line(seq: int, hash_: str, body: str) -> str:
    return f'{{"seq":{seq},"hash":{json.dumps(hash_)},"event":{body}}}'


def short(value: str) -> str:
    """A hash or fingerprint as people compare it: its first 16 hex characters."""
    return value.rpartition(":")[2][:SHORT]


def signature_fingerprint(signature_hex: str) -> str:
    """What the weekly digest prints of the latest digest's signature: sha256 of its bytes."""
    try:
        raw = bytes.fromhex(signature_hex)
    except ValueError:
        raw = signature_hex.encode("utf-8")
    return hashlib.sha256(raw).hexdigest()[:SHORT]


def fingerprint(raw_public_key: bytes) -> str:
    return f"{ALGORITHM}:{hashlib.sha256(raw_public_key).hexdigest()}"


def digest_message(digest: Mapping[str, Any]) -> bytes:
    """The bytes a digest's signature covers: the digest without its signature, canonical."""
    return canonical_json({k: v for k, v in digest.items() if k != "signature"}).encode("utf-8")


def rotation_message(new_fingerprint: str) -> bytes:
    """The bytes the old key signs to endorse its successor."""
    return ROTATION_CONTEXT + new_fingerprint.encode("utf-8")


# --- events as lines -----------------------------------------------------------------------------


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

    def body(self) -> str:
        return event_body(
            prev_hash=self.prev_hash,
            occurred_at=self.occurred_at,
            actor=self.actor,
            kind=self.kind,
            subject=self.subject,
            payload=self.payload,
        )

    def recomputed_hash(self) -> str:
        return hashlib.sha256(self.body().encode("utf-8")).hexdigest()

    def to_json(self) -> str:
        """The event as a line of an export."""
        return export_line(self.seq, self.hash, self.body())


_EVENT_FIELDS = {
    "time": "occurred_at",
    "actor": "actor",
    "kind": "kind",
    "subject": "subject",
    "payload": "payload",
    "prev": "prev_hash",
}
# The export format before the hashed body became a slice of the line; still read.
_FLAT_FIELDS = ("occurred_at", "actor", "kind", "subject", "payload", "prev_hash", "hash")


def parse_line(raw: bytes | str, where: str) -> LedgerLine:
    """One export line (this format or the earlier flat one); UnusableInput naming `where`."""
    try:
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise TypeError("expected one JSON object")
        event = data.get("event")
        if isinstance(event, dict):
            fields = {name: event.get(key) for key, name in _EVENT_FIELDS.items()}
            fields["hash"] = data.get("hash")
        else:
            fields = {name: data.get(name) for name in _FLAT_FIELDS}
        text = {name: value for name, value in fields.items() if isinstance(value, str)}
        wrong = [name for name in fields if name not in text]
        seq = data.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool):
            seq = None
            wrong.insert(0, "seq")
        if wrong or seq is None:
            raise TypeError(f"missing or mistyped: {', '.join(wrong)}")
        return LedgerLine(seq=seq, **text)
    except (json.JSONDecodeError, UnicodeDecodeError, TypeError) as exc:
        raise UnusableInput(f"{where}: not an evidence export line ({exc})") from exc


def iter_export(path: Path) -> Iterator[LedgerLine]:
    """An export's events one at a time (streamed, never loaded whole)."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if raw.strip():
                yield parse_line(raw, f"{path}:{number}")


# --- the chain walk and what a break means -------------------------------------------------------


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


def verify(lines: Iterable[LedgerLine]) -> VerifyResult:
    """Recompute the chain and name the first broken link and the kind of damage.

    Streams: it holds the two previous events and the next one, so a ledger or export of any
    size verifies in constant memory (only a broken link makes it read on, looking for the one
    hash the damaged event points to).

    `bad_seq` is the sequence number at which the chain stops being trustworthy: the edited
    event, the first missing one, the first position holding the wrong event, or the forged one.
    A hash chain alone cannot notice events cut from the end; the signed digests do (see
    `check_ledger`).
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
        return _inserted(line, index, following, previous_seq)
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


def _inserted(
    line: LedgerLine, index: int, following: LedgerLine, previous_seq: int
) -> VerifyResult:
    """The next event links past this one to the one before: this one was slipped in."""
    return VerifyResult(
        False,
        index,
        line.seq,
        "event inserted",
        f"event {following.seq} links past it to event {previous_seq}",
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
        return _inserted(line, index, following, previous_seq)
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


# --- what the walk keeps for the digest checks ---------------------------------------------------


@dataclass
class ChainFacts:
    """The chain's verdict and what the digest checks need from it: the head, the hash at each
    event a digest names, and the ledger's own events (keys and digests), in order."""

    result: VerifyResult
    head_hash: str = GENESIS
    hashes: dict[int, str] = field(default_factory=dict)
    ledger: list[LedgerLine] = field(default_factory=list)

    @property
    def count(self) -> int:
        return self.result.count


def walk(lines: Iterable[LedgerLine], wanted: Iterable[int] = ()) -> ChainFacts:
    """`verify` over any source of events (the database, a careful read of a file), keeping the
    facts on the way."""
    want = set(wanted)
    facts = ChainFacts(VerifyResult(True, 0))

    def observed() -> Iterator[LedgerLine]:
        for line in lines:
            if line.seq in want:
                facts.hashes[line.seq] = line.hash
            if line.kind.startswith("ledger."):
                facts.ledger.append(line)
            facts.head_hash = line.hash
            yield line

    facts.result = verify(observed())
    return facts


def walk_export(
    path: Path, wanted: Iterable[int] = (), progress: ProgressFn | None = None
) -> ChainFacts:
    """The facts of an export file: one fast pass; a file it cannot vouch for (a broken link, a
    blank line) is read again carefully, which also names the damage."""
    seqs = sorted({seq for seq in wanted if seq > 0})
    return _scan(path, seqs, progress) or walk(iter_export(path), seqs)


_PREV = b'"prev":"'
_KIND = b'","kind":"'
_LEDGER = b"ledger."
_PROGRESS_EVERY = 1 << 14  # lines


def _scan(path: Path, wanted: list[int], progress: ProgressFn | None) -> ChainFacts | None:
    """The per-event path, kept to what hashing needs (no JSON): hash the event's slice of the
    line, compare the line's seq and hash prefix with what they must be, find the "prev" link,
    glance at the kind. A line in any other shape (the older format, no final newline, spaces)
    is read carefully; None when a check fails or a line is blank.

    Why `"prev":"` is found by rfind: in the canonical body "prev" is a key of a flat object of
    strings, and a JSON string cannot contain the unescaped sequence `"prev":"`, so it occurs
    once. A forged line could add odd keys, but whatever this reads as its link is covered by
    its hash, which the next event and the signed digests commit to.
    """
    facts = ChainFacts(VerifyResult(True, 0))
    hashes, ledger = facts.hashes, facts.ledger
    total = path.stat().st_size
    # Locals, not globals, in the loop: each saves a dictionary lookup per event.
    sha, marker, kind_at, ledger_kind, letter_l, brace = (
        hashlib.sha256,
        _PREV,
        _KIND,
        _LEDGER,
        ord("l"),
        ord("}"),
    )
    needle = marker + GENESIS.encode()
    start, bound = 91, 10  # where the body starts while seqs have one digit; when they get two
    pending = iter(wanted)
    want = next(pending, -1)
    report_at = _PROGRESS_EVERY if progress else -1
    mark = _next_mark(bound, want, report_at)
    n = 0
    with path.open("rb", buffering=1 << 20) as handle:
        for n, raw in enumerate(handle, 1):  # noqa: B007 (n is the count after the loop)
            if n == mark:  # rare work, merged into one comparison per line
                if n == bound:
                    bound *= 10
                    start += 1
                if n == want + 1:
                    hashes[want] = needle[8:].decode("ascii")
                    want = next(pending, -1)
                if n == report_at and progress is not None:
                    progress(handle.tell(), total)
                    report_at += _PROGRESS_EVERY
                mark = _next_mark(bound, want, report_at)
            hx = sha(raw[start:-2]).hexdigest().encode("ascii")
            if (
                raw.startswith(b'{"seq":%d,"hash":"%b","event":' % (n, hx))
                and raw[-2] == brace
                and raw.startswith(needle, raw.rfind(marker))
            ):
                needle = marker + hx
                kind = raw.find(kind_at) + 10
                if raw[kind] == letter_l and raw.startswith(ledger_kind, kind):
                    ledger.append(parse_line(raw, f"{path}:{n}"))
                continue
            careful = _careful(raw, n, needle, f"{path}:{n}", ledger)
            if careful is None:
                return None
            needle = careful
    head = needle[8:].decode("ascii")
    if want == n and n:
        hashes[n] = head
    if progress is not None:
        progress(total, total)
    facts.result = VerifyResult(True, n)
    facts.head_hash = head
    return facts


def _careful(
    raw: bytes, n: int, needle: bytes, where: str, ledger: list[LedgerLine]
) -> bytes | None:
    """A line not in the fast shape, read as JSON and checked as `verify` checks it: the next
    needle, or None when it does not hold (or is blank, which shifts the numbering)."""
    if not raw.strip():
        return None
    line = parse_line(raw, where)
    link = needle[len(_PREV) :].decode("ascii")
    if line.seq != n or line.prev_hash != link or line.recomputed_hash() != line.hash:
        return None
    if line.kind.startswith("ledger."):
        ledger.append(line)
    return _PREV + line.hash.encode("ascii")


def _next_mark(bound: int, want: int, report_at: int) -> int:
    return min(m for m in (bound, want + 1, report_at) if m > 0)


# --- keys and signatures (cryptography, imported only when there is something to check) ----------


def _crypto() -> Any:
    try:
        from cryptography.hazmat.primitives import serialization
    except ImportError as exc:
        raise UnusableInput(
            "checking the signatures needs the `cryptography` package: pip install cryptography"
        ) from exc
    return serialization


def load_public_key(pem: str | bytes) -> Ed25519PublicKey:
    """A PEM public key; ValueError when it is not an Ed25519 one."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    key = _crypto().load_pem_public_key(pem.encode("ascii") if isinstance(pem, str) else pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def key_fingerprint(key: Ed25519PublicKey) -> str:
    serialization = _crypto()
    return fingerprint(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def fingerprint_of_pem(pem: str | bytes) -> str:
    return key_fingerprint(load_public_key(pem))


def pem_blocks(text: str) -> list[str]:
    """The public keys in a PEM file that may hold several, in order."""
    end = "-----END PUBLIC KEY-----"
    return [f"{block.strip()}\n{end}\n" for block in text.split(end)[:-1] if block.strip()]


def signature_valid(key: Ed25519PublicKey, signature_hex: str, message: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature

    try:
        key.verify(bytes.fromhex(signature_hex), message)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


@dataclass(frozen=True)
class TrustedKey:
    seq: int  # the event that recorded it
    fingerprint: str
    key: Ed25519PublicKey


@dataclass
class _LedgerRecords:
    """What the ledger's own events say: the keys it trusts (in order) and its digests."""

    keys: list[TrustedKey] = field(default_factory=list)
    key_problems: list[str] = field(default_factory=list)
    digests: list[tuple[LedgerLine, Any]] = field(default_factory=list)

    def key_at(self, seq: int) -> TrustedKey | None:
        found = None
        for key in self.keys:
            if key.seq <= seq:
                found = key
        return found


def _payload(line: LedgerLine) -> Any:
    try:
        return json.loads(line.payload)
    except json.JSONDecodeError:
        return None


def _records(lines: Sequence[LedgerLine]) -> _LedgerRecords:
    records = _LedgerRecords()
    for line in lines:
        payload = _payload(line)
        if line.kind == DIGEST:
            records.digests.append((line, payload))
        elif line.kind in (KEY_CREATED, KEY_ROTATED):
            problem = _trust(records, line, payload if isinstance(payload, dict) else {})
            if problem:
                records.key_problems.append(problem)
    return records


def _trust(records: _LedgerRecords, line: LedgerLine, payload: dict[str, Any]) -> str | None:
    """Add the key this event records to the trusted ones, or say why it cannot be trusted."""
    claimed = str(payload.get("fingerprint", ""))
    try:
        key = load_public_key(str(payload.get("public_key_pem", "")))
    except UnusableInput:
        raise
    except ValueError:
        return f"the key event #{line.seq} holds no Ed25519 public key"
    actual = key_fingerprint(key)
    if claimed != actual:
        return f"the key event #{line.seq} names {short(claimed)} but holds key {short(actual)}"
    current = records.keys[-1] if records.keys else None
    if line.kind == KEY_CREATED:
        if current is not None:
            return (
                f"key swapped: event #{line.seq} records a new key {short(actual)} without a "
                f"rotation endorsed by the trusted key {short(current.fingerprint)}"
            )
        records.keys.append(TrustedKey(line.seq, actual, key))
        return None
    if current is None:
        return f"key swapped: event #{line.seq} rotates to {short(actual)} but no key came before"
    endorsed = payload.get("previous_fingerprint") == current.fingerprint and signature_valid(
        current.key, str(payload.get("endorsement", "")), rotation_message(actual)
    )
    if not endorsed:
        return (
            f"key swapped: the rotation at event #{line.seq} to {short(actual)} is not "
            f"endorsed by the trusted key {short(current.fingerprint)}"
        )
    records.keys.append(TrustedKey(line.seq, actual, key))
    return None


# --- the checks ----------------------------------------------------------------------------------

CHAIN, KEYS, SIGNATURES, COVERAGE = "hash chain", "keys", "digest signatures", "coverage"
NO_KEY = (
    "no signing key recorded: events cut from the end, a restored backup or a rewrite of the "
    "whole chain cannot be detected until `aims keys init` is run"
)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    skipped: bool = False  # not run, because an earlier check failed

    def describe(self) -> str:
        status = "SKIP" if self.skipped else "OK" if self.ok else "FAIL"
        return f"{status:<4} {self.name}: {self.detail}"


@dataclass(frozen=True)
class PackReport:
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def describe(self) -> str:
        return "\n".join(check.describe() for check in self.checks)

    def failures(self) -> list[Check]:
        return [check for check in self.checks if not check.ok and not check.skipped]


def check_ledger(
    facts: ChainFacts,
    *,
    log: Sequence[Any] | None,
    log_name: str,
    expected_fingerprint: str | None = None,
    expected_source: str = "the fingerprint given",
) -> PackReport:
    """Every check, one per line, from the chain's facts and the digests kept outside the
    database (`log`: None when there is no such copy)."""
    result = facts.result
    if not result.ok:
        skipped = "not checked: the hash chain is broken"
        return PackReport(
            [Check(CHAIN, False, result.describe().removeprefix("BROKEN "))]
            + [Check(name, False, skipped, skipped=True) for name in (KEYS, SIGNATURES, COVERAGE)]
        )
    records = _records(facts.ledger)
    head = f"head #{result.count} {short(facts.head_hash)}" if result.count else "empty"
    checks = [Check(CHAIN, True, f"{_counted(result.count, 'event')}, {head}")]
    checks.append(_keys_check(records, expected_fingerprint, expected_source))
    signed = _Signed.of(records, log, log_name)
    checks.append(signed.check())
    checks.append(_coverage_check(facts, signed, log_name))
    return PackReport(checks)


def _keys_check(records: _LedgerRecords, expected: str | None, source: str) -> Check:
    if records.key_problems:
        return Check(KEYS, False, "; ".join(records.key_problems))
    if not records.keys:
        if expected:
            return Check(
                KEYS,
                False,
                f"key swapped: {source} holds {short(expected)}, but the ledger records no "
                "signing key",
            )
        return Check(KEYS, True, NO_KEY)
    current = records.keys[-1]
    first = records.keys[0]
    story = (
        f"recorded at #{first.seq}"
        if len(records.keys) == 1
        else (
            f"{short(first.fingerprint)} recorded at #{first.seq}"
            + "".join(
                f", rotated to {short(key.fingerprint)} at #{key.seq}, endorsed by the key before"
                for key in records.keys[1:]
            )
        )
    )
    if expected and not _same_key(expected, current.fingerprint):
        return Check(
            KEYS,
            False,
            f"key swapped: {source} holds {short(expected)}, but the key the ledger trusts is "
            f"{short(current.fingerprint)} ({story})",
        )
    compared = (
        f"; {source} holds the same key"
        if expected
        else "; compare it with the fingerprint published outside this ledger"
    )
    return Check(KEYS, True, f"{ALGORITHM}:{short(current.fingerprint)} ({story}){compared}")


def _same_key(given: str, trusted: str) -> bool:
    """A fingerprint as given (whole, or its first 16 hex as the weekly digest prints it)."""
    wanted = given.strip().lower().rpartition(":")[2]
    return len(wanted) >= SHORT and trusted.rpartition(":")[2].startswith(wanted)


_DIGEST_FIELDS: dict[str, type] = {
    "digest": int,
    "first_seq": int,
    "last_seq": int,
    "head_hash": str,
    "event_count": int,
    "created_at": str,
    "key_fingerprint": str,
    "signature": str,
}


def _shape_problem(digest: Any) -> str | None:
    if not isinstance(digest, dict):
        return "not a JSON object"
    wrong = [
        name
        for name, kind in _DIGEST_FIELDS.items()
        if not isinstance(digest.get(name), kind) or isinstance(digest.get(name), bool)
    ]
    previous = digest.get("previous_signature", False)  # null for the first digest
    if not (previous is None or isinstance(previous, str)):
        wrong.append("previous_signature")
    return f"missing or mistyped: {', '.join(wrong)}" if wrong else None


def when(digest: Mapping[str, Any]) -> str:
    """A digest's time as people read it."""
    raw = str(digest.get("created_at", ""))
    try:
        return datetime.fromisoformat(raw).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return raw or "an unknown time"


def _series(
    entries: Sequence[tuple[str, Any]], records: _LedgerRecords, edited: str
) -> tuple[list[str], list[int]]:
    """Check one series of digests (the ledger's, or the log's): each a digest, numbered 1..n,
    chained by signatures, ranges following on, signed by the key trusted at its last event.
    Returns the problems and the positions of the digests that hold up."""
    problems: list[str] = []
    good: list[int] = []
    previous: dict[str, Any] | None = None
    for position, (where, digest) in enumerate(entries):
        shape = _shape_problem(digest)
        if shape:
            problems.append(f"{edited}: {where} is not a digest ({shape})")
            continue
        problem = _link_problem(digest, previous, edited) or _signature_problem(
            digest, records, edited
        )
        if problem:
            problems.append(problem)
        else:
            good.append(position)
        previous = digest
    return problems, good


def _link_problem(
    digest: dict[str, Any], previous: dict[str, Any] | None, edited: str
) -> str | None:
    number = digest["digest"]
    expected = previous["digest"] + 1 if previous else 1
    if number != expected:
        return (
            f"{edited}: digest {number} stands where digest {expected} belongs (a digest was "
            "removed, added or moved)"
        )
    if digest["previous_signature"] != (previous["signature"] if previous else None):
        return f"{edited}: digest {number} does not chain to digest {number - 1}'s signature"
    first = previous["last_seq"] + 1 if previous else 1
    if (digest["first_seq"], digest["event_count"]) != (first, digest["last_seq"]) or digest[
        "last_seq"
    ] < first:
        return (
            f"{edited}: digest {number} covers events #{digest['first_seq']}–#"
            f"{digest['last_seq']}, not a range that follows on from #{first - 1}"
        )
    return None


def _signature_problem(digest: dict[str, Any], records: _LedgerRecords, edited: str) -> str | None:
    number, last, signer = digest["digest"], digest["last_seq"], digest["key_fingerprint"]
    key = records.key_at(last)
    if key is None:
        return (
            f"key swapped: digest {number} is signed by {short(signer)}, but the ledger records "
            f"no signing key up to event #{last}"
        )
    if signer != key.fingerprint:
        return (
            f"key swapped: digest {number} is signed by {short(signer)}, but the key the ledger "
            f"trusts at event #{last} is {short(key.fingerprint)}"
        )
    if not signature_valid(key.key, digest["signature"], digest_message(digest)):
        return f"{edited}: digest {number}'s signature does not verify (changed after signing)"
    return None


@dataclass
class _Signed:
    """The digests of both series, checked, and how they agree."""

    ledger: list[tuple[LedgerLine, dict[str, Any]]]
    log: list[dict[str, Any]] | None
    log_name: str
    problems: list[str]

    @classmethod
    def of(cls, records: _LedgerRecords, log: Sequence[Any] | None, log_name: str) -> _Signed:
        entries = [(f"the digest event #{line.seq}", payload) for line, payload in records.digests]
        problems, good = _series(entries, records, "digest record edited")
        ledger = [records.digests[position] for position in good]
        kept: list[dict[str, Any]] | None = None
        if log is not None:
            lines = [(f"{log_name} line {n}", entry) for n, entry in enumerate(log, 1)]
            log_problems, held = _series(lines, records, "digest log edited")
            kept = [log[position] for position in held]
            problems += log_problems
            problems += _disagreements(ledger, kept, log_name)
        elif records.digests:
            problems.append(
                f"no {log_name}: the digests kept outside the database are missing, so a "
                "restored backup or events cut from the end cannot be ruled out"
            )
        return cls(ledger, kept, log_name, problems)

    def check(self) -> Check:
        if self.problems:
            return Check(SIGNATURES, False, _joined(self.problems))
        latest = self.latest()
        if latest is None:
            return Check(SIGNATURES, True, "no digests (no signing key)")
        count = max(len(self.ledger), len(self.log or []))
        where = f"the ledger and {self.log_name}" if self.log else "the ledger"
        return Check(
            SIGNATURES,
            True,
            f"{_counted(count, 'digest')} in {where}, each signed by the key trusted then and "
            f"chained to the one before; latest: digest {latest['digest']} of {when(latest)}, "
            f"signature {signature_fingerprint(latest['signature'])}",
        )

    def latest(self) -> dict[str, Any] | None:
        candidates = [d for _, d in self.ledger[-1:]] + (self.log or [])[-1:]
        return max(candidates, key=lambda d: int(d["digest"]), default=None)


def _disagreements(
    ledger: list[tuple[LedgerLine, dict[str, Any]]], log: list[dict[str, Any]], log_name: str
) -> list[str]:
    problems = []
    by_number = {digest["digest"]: digest for _, digest in ledger}
    for entry in log:
        mine = by_number.get(entry["digest"])
        if mine is not None and mine["signature"] != entry["signature"]:
            problems.append(
                f"digest {entry['digest']} differs between the ledger and {log_name}: the "
                "database was restored from an older backup and continued, or rewritten"
            )
            break
    if ledger and (not log or log[-1]["digest"] < ledger[-1][1]["digest"]):
        held = log[-1]["digest"] if log else 0
        problems.append(
            f"{log_name} ends at digest {held}, but the ledger holds digests up to "
            f"{ledger[-1][1]['digest']}: {log_name} was cut, or writing to it failed"
        )
    return problems


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _joined(problems: list[str], most: int = 3) -> str:
    problems = list(dict.fromkeys(problems))  # the ledger's and the log's copy of one digest
    shown = "; ".join(problems[:most])
    return shown + (f"; and {len(problems) - most} more" if len(problems) > most else "")


def _coverage_check(facts: ChainFacts, signed: _Signed, log_name: str) -> Check:
    """Does the ledger reach every digest, with the hash each one signed?"""
    problems: list[str] = []
    for line, digest in signed.ledger:
        if digest["last_seq"] != line.seq - 1 or digest["head_hash"] != line.prev_hash:
            problems.append(_rewritten(digest, line.prev_hash))
            break
    for digest in signed.log or []:
        last = digest["last_seq"]
        # A digest is itself recorded as the event after the last one it covers: a ledger
        # that ends at `last` lost that record, however well the events before it hash.
        if last >= facts.count:
            problems.append(_cut(facts, signed, digest, log_name))
            break
        found = facts.hashes.get(last, "")
        if found != digest["head_hash"]:
            problems.append(_rewritten(digest, found))
            break
    if problems:
        return Check(COVERAGE, False, _joined(problems))
    latest = signed.latest()
    if latest is None:
        return Check(COVERAGE, True, "no digest to compare the ledger's end with")
    since = facts.count - latest["last_seq"]
    return Check(
        COVERAGE,
        True,
        f"the ledger reaches digest {latest['digest']}'s last event #{latest['last_seq']} "
        f"with the hash it signed ({short(latest['head_hash'])}); "
        f"{_counted(since, 'event')} since",
    )


def _rewritten(digest: dict[str, Any], found: str) -> str:
    number, last = digest["digest"], digest["last_seq"]
    after = f"after digest {number - 1}" if number > 1 else "before digest 1"
    there = f"the chain has {short(found)} there" if found else "the chain has no such event"
    return (
        f"chain rewritten {after} (or restored from an older backup and continued): digest "
        f"{number} of {when(digest)} signed {short(digest['head_hash'])} for event "
        f"#{last}; {there}"
    )


def _cut(facts: ChainFacts, signed: _Signed, digest: dict[str, Any], log_name: str) -> str:
    latest = (signed.log or [digest])[-1]
    found = (
        f"digest {latest['digest']} of {when(latest)} in {log_name} covers events up to "
        f"#{latest['last_seq']} and was recorded as #{latest['last_seq'] + 1}, but the ledger "
        f"ends at #{facts.count}"
    )
    own = signed.ledger[-1][1] if signed.ledger else None
    if own is None:
        return (
            "events cut from the end or the database restored from an older backup (rolled "
            f"back): {found}, and holds none of the digests"
        )
    gone = own["digest"] + 1, latest["digest"]
    lost = (
        f", so the record of digest {gone[1]} is gone with the events after #{facts.count}"
        if gone[0] == gone[1]
        else f", so the records of digests {gone[0]}–{gone[1]} are gone with the events after "
        f"#{facts.count}"
        if gone[0] < gone[1]
        else ""
    )
    return (
        "events cut from the end or the database restored from an older backup (rolled back): "
        f"{found}; its own latest digest is digest {own['digest']} of {when(own)}{lost}"
    )


# --- a pack, and the command line ----------------------------------------------------------------


def read_digest_log(path: Path) -> list[Any] | None:
    """The digests a log file holds, in order; None when there is no such file."""
    return parse_digest_lines(path.read_bytes()) if path.is_file() else None


def parse_digest_lines(data: bytes) -> list[Any]:
    """One digest per line; a line that is not JSON stays as its text, for the checks to name."""
    entries: list[Any] = []
    for raw in data.splitlines():
        if raw.strip():
            try:
                entries.append(json.loads(raw))
            except (json.JSONDecodeError, UnicodeDecodeError):
                entries.append(raw.decode("utf-8", "replace").strip())
    return entries


def wanted_seqs(log: Sequence[Any] | None) -> list[int]:
    """The events whose hashes the log's digests name."""
    return [
        entry["last_seq"]
        for entry in log or []
        if isinstance(entry, dict) and isinstance(entry.get("last_seq"), int)
    ]


def verify_pack(
    pack_dir: Path,
    *,
    expected_fingerprint: str | None = None,
    progress: ProgressFn | None = None,
) -> PackReport:
    """Verify an audit pack's evidence.jsonl against its digests.jsonl and public_key.pem.

    The expected fingerprint defaults to the last key in public_key.pem (the current one); give
    the one published elsewhere (the weekly Slack digest) to rule out a pack whose key was
    swapped along with its digests. UnusableInput (a ValueError) when a file cannot be read."""
    evidence = pack_dir / EVIDENCE_FILE
    if not evidence.is_file():
        raise UnusableInput(f"{pack_dir}: no {EVIDENCE_FILE} here; give the audit pack's folder")
    log = read_digest_log(pack_dir / DIGESTS_FILE)
    source = "the fingerprint given"
    keys_file = pack_dir / PUBLIC_KEY_FILE
    if expected_fingerprint is None and keys_file.is_file():
        blocks = pem_blocks(keys_file.read_text(encoding="ascii", errors="replace"))
        if blocks:
            try:
                expected_fingerprint = fingerprint_of_pem(blocks[-1])
            except UnusableInput:
                raise
            except ValueError as exc:
                raise UnusableInput(f"{keys_file}: not an Ed25519 public key ({exc})") from exc
            source = PUBLIC_KEY_FILE
    facts = walk_export(evidence, wanted_seqs(log), progress)
    return check_ledger(
        facts,
        log=log,
        log_name=DIGESTS_FILE,
        expected_fingerprint=expected_fingerprint,
        expected_source=source,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="verify_pack.py",
        description="Verify an AIMS Bot audit pack offline: the evidence's hash chain, its "
        "signed digests and signing keys. Exit 0: verified; 2: tampered with; 1: unreadable.",
    )
    parser.add_argument("pack", nargs="?", default=".", help="the pack's folder (default: .)")
    parser.add_argument(
        "--fingerprint",
        help="the signing key's fingerprint as published elsewhere (the weekly digest); "
        "default: public_key.pem's",
    )
    args = parser.parse_args(argv)
    try:
        report = verify_pack(Path(args.pack), expected_fingerprint=args.fingerprint)
    except (UnusableInput, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(report.describe())
    return 0 if report.ok else 2


if __name__ == "__main__":
    sys.exit(main())
