"""Gateway figures per use, from the gateway's evidence: decisions, redactions, refusals, keys,
and requests with unknown or revoked keys counted apart."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from governance.gateway.keys import issue_key, revoke_key
from governance.gateway.stats import gateway_stats, use_line
from store import evidence
from store.evidence_kinds import EvidenceKind
from tests.governance.gateway.helpers import OLIVER, approved


def decision(**changes: Any) -> dict[str, Any]:
    """A gateway.decision payload: an allowed request of AIU-0001 unless changed."""
    return {
        "key_id": "KEY-0001",
        "key_prefix": "aims_sk_abcd",
        "record_ref": "AIU-0001",
        "version": 1,
        "model": "gpt-4o-mini",
        "outcome": "allow",
        "reason": None,
        "message": "",
        "found": {},
        "redacted": {},
        "prompt_sha256_received": "a" * 64,
        "prompt_sha256_forwarded": "a" * 64,
        "upstream": "openai",
        "upstream_status": 200,
        "latency_ms": 12.5,
        "prompt_tokens": 10,
        "completion_tokens": 5,
        "via": "http",
        **changes,
    }


def record(session, payload: dict[str, Any], at) -> None:
    evidence.append(
        session,
        actor=payload["key_id"] or "gateway",
        kind=EvidenceKind.GATEWAY_DECISION,
        subject=payload["record_ref"] or "gateway",
        payload=payload,
        now=at,
    )


REFUSED = {"outcome": "refuse", "prompt_sha256_forwarded": None, "upstream_status": None}


def test_decisions_and_keys_add_up_per_use_and_shadow_attempts_stand_apart(db, sample_config, now):
    with db.session() as session:
        approved(session, sample_config, now)
        approved(session, sample_config, now, title="Second use")
        issue_key(session, record_ref="AIU-0001", actor=OLIVER, config=sample_config, now=now)
        issue_key(session, record_ref="AIU-0001", actor=OLIVER, config=sample_config, now=now)
        revoke_key(session, key_id="KEY-0002", actor=OLIVER, reason="rotated", config=sample_config)
        for payload in [
            decision(),
            decision(via="in-process", prompt_tokens=None, completion_tokens=None),
            decision(
                outcome="redact",
                found={"EMAIL_ADDRESS": 2, "PERSON": 1},
                redacted={"EMAIL_ADDRESS": 2, "PERSON": 1},
                prompt_sha256_forwarded="b" * 64,
            ),
            decision(outcome="redact", redacted={"EMAIL_ADDRESS": 1}),
            decision(**REFUSED, reason="blocked_data", found={"CREDIT_CARD": 1}),
            decision(**REFUSED, reason="model_not_allowed"),
            decision(**REFUSED, reason="revoked_key", key_id="KEY-0002"),
            decision(**REFUSED, record_ref="AIU-0002", reason="not_approved"),
            decision(
                **REFUSED,
                key_id=None,
                record_ref=None,
                version=None,
                reason="unknown_key",
                key_prefix="aims_sk_zzzz",
            ),
            decision(
                **REFUSED,
                key_id=None,
                record_ref=None,
                version=None,
                reason="unknown_key",
                key_prefix="aims_sk_zzzz",
            ),
            decision(
                **REFUSED,
                key_id=None,
                record_ref=None,
                version=None,
                reason="no_key",
                key_prefix="",
            ),
        ]:
            record(session, payload, now)
    with db.session() as session:
        stats = gateway_stats(session, since=None)
    first, second = stats.uses
    assert (first.record_ref, second.record_ref) == ("AIU-0001", "AIU-0002")
    assert (first.requests, first.allowed, first.redacted, first.refused) == (7, 2, 2, 3)
    assert first.refusals == {"blocked_data": 1, "model_not_allowed": 1, "revoked_key": 1}
    assert first.redactions == {"EMAIL_ADDRESS": 3, "PERSON": 1}
    assert first.in_process == 1 and first.prompt_tokens == 60 and first.completion_tokens == 30
    assert (first.keys_issued, first.keys_revoked, first.keys_active) == (2, 1, 1)
    assert (second.requests, second.refusals, second.keys_active) == (1, {"not_approved": 1}, 0)
    assert (stats.shadow.no_key, stats.shadow.unknown_key, stats.shadow.revoked_key) == (1, 2, 1)
    assert stats.shadow.unknown_prefixes == {"aims_sk_zzzz": 2} and stats.shadow.total == 4
    assert stats.requests == 8 and stats.any_activity


def test_only_the_period_counts_but_existing_keys_always_show(db, sample_config, now):
    with db.session() as session:
        approved(session, sample_config, now)
        issue_key(session, record_ref="AIU-0001", actor=OLIVER, config=sample_config, now=now)
        record(session, decision(), now - timedelta(days=8))
        record(session, decision(outcome="redact", redacted={"PERSON": 1}), now)
    with db.session() as session:
        week = gateway_stats(session, since=now - timedelta(days=7))
        before = gateway_stats(session, since=None, until=now - timedelta(days=7))
    [use] = week.uses
    assert (use.requests, use.redacted, use.keys_issued, use.keys_active) == (1, 1, 1, 1)
    [old] = before.uses
    assert (old.requests, old.allowed, old.keys_issued, old.keys_active) == (1, 1, 0, 1)


def test_no_gateway_no_activity(db):
    with db.session() as session:
        stats = gateway_stats(session, since=None)
    assert stats.uses == [] and not stats.any_activity and stats.shadow.total == 0


def test_many_decisions_stream_in_batches(db, monkeypatch, now):
    monkeypatch.setattr("governance.gateway.stats.BATCH", 7)
    with db.session() as session:
        for index in range(30):
            record(session, decision(outcome="allow" if index % 3 else "redact"), now)
    with db.session() as session:
        [use] = gateway_stats(session, since=None).uses
    assert (use.requests, use.allowed, use.redacted) == (30, 20, 10)


def completed(**changes: Any) -> dict[str, Any]:
    """A gateway.completed payload: AIU-0001's request answered unless changed."""
    return {
        "decision_seq": 1,
        "key_id": "KEY-0001",
        "record_ref": "AIU-0001",
        "model": "gpt-4o-mini",
        "upstream": "openai",
        "stream": False,
        "outcome": "answered",
        "upstream_status": 200,
        "reference": None,
        "latency_ms": 20.0,
        "first_byte_ms": 5.0,
        "prompt_tokens": 100,
        "completion_tokens": 7,
        "restored": 0,
        "answer_sha256": "c" * 64,
        **changes,
    }


def test_completions_bring_token_counts_and_provider_failures(db, now):
    untold = {"prompt_tokens": None, "completion_tokens": None}
    with db.session() as session:
        for _ in range(3):
            record(session, decision(**untold), now)
        for payload in (
            completed(),
            completed(outcome="upstream_timeout", upstream_status=None, **untold),
            completed(outcome="upstream_error", upstream_status=500, **untold),
        ):
            evidence.append(
                session,
                actor="gateway",
                kind=EvidenceKind.GATEWAY_COMPLETED,
                subject="AIU-0001",
                payload=payload,
                now=now,
            )
    with db.session() as session:
        [use] = gateway_stats(session, since=None).uses
    assert (use.requests, use.allowed, use.upstream_failures) == (3, 3, 2)
    assert (use.prompt_tokens, use.completion_tokens) == (100, 7)
    assert "provider failed 2 times" in use_line(use)
