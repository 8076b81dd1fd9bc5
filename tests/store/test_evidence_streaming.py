"""Verifying a large export holds a few events at a time, not the whole ledger."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Iterator

from store import evidence
from store.evidence import GENESIS, LedgerLine, event_hash

EVENTS = 50_000


def synthetic_chain(count: int, *, edit_at: int | None = None) -> Iterator[LedgerLine]:
    previous = GENESIS
    for seq in range(1, count + 1):
        payload = json.dumps({"n": seq, "text": "x" * 200})
        fields = {
            "occurred_at": "2026-11-30T00:00:00.000000+00:00",
            "actor": "aims-bot",
            "kind": "test.event",
            "subject": f"S-{seq}",
            "payload": payload,
        }
        digest = event_hash(prev_hash=previous, **fields)
        if seq == edit_at:
            fields["payload"] = payload.replace("x", "y", 1)
        yield LedgerLine(seq=seq, prev_hash=previous, hash=digest, **fields)
        previous = digest


def test_a_large_export_verifies_in_constant_memory() -> None:
    tracemalloc.start()
    result = evidence.verify(synthetic_chain(EVENTS))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert result.ok and result.count == EVENTS
    # The events themselves are ~25 MB; a streaming check holds a handful of them.
    assert peak < 1_000_000


def test_damage_deep_in_a_stream_is_still_named() -> None:
    result = evidence.verify(synthetic_chain(5_000, edit_at=4_321))
    assert not result.ok and result.bad_seq == 4_321 and result.damage == "payload edited"
