"""The weekly digest's gateway section: per use, the week's requests, redactions by kind,
refusals by reason and keys; requests with unknown or revoked keys apart; nothing without a
gateway."""

from __future__ import annotations

from datetime import timedelta

from governance import digest
from governance.gateway.keys import issue_key, revoke_key
from tests.governance.gateway.helpers import OLIVER, approved
from tests.governance.gateway.test_stats import REFUSED, decision, record


def _week(db, config, now):
    with db.session() as session:
        figures = digest.collect_figures(session, config=config, now=now)
    return figures, digest.digest_text(figures)


def test_the_week_of_gateway_activity_is_in_the_digest(db, sample_config, now):
    earlier = now - timedelta(days=3)
    with db.session() as session:
        approved(session, sample_config, now - timedelta(days=30))
        issue_key(session, record_ref="AIU-0001", actor=OLIVER, config=sample_config, now=earlier)
        issue_key(session, record_ref="AIU-0001", actor=OLIVER, config=sample_config, now=earlier)
        revoke_key(
            session,
            key_id="KEY-0001",
            actor=OLIVER,
            reason="rotated",
            config=sample_config,
            now=earlier,
        )
        record(session, decision(), now - timedelta(days=10))  # last week: not counted
        record(session, decision(), earlier)
        record(session, decision(outcome="redact", redacted={"PERSON": 2}), earlier)
        record(session, decision(**REFUSED, reason="blocked_data"), earlier)
        record(session, decision(**REFUSED, reason="revoked_key", key_id="KEY-0001"), earlier)
        unknown = {"key_id": None, "record_ref": None, "version": None, "reason": "unknown_key"}
        record(session, decision(**{**REFUSED, **unknown}, key_prefix="aims_sk_QQQQ"), earlier)
    figures, text = _week(db, sample_config, now)
    assert figures.gateway is not None and not figures.quiet
    [use] = figures.gateway.uses
    assert (use.requests, use.allowed, use.redacted, use.refused) == (4, 1, 1, 2)
    assert "*AI requests through the gateway, per use (1):*" in text
    assert (
        "AIU-0001 DeepL for internal memos: 4 requests (1 allowed, 1 redacted, 2 refused); "
        "personal data replaced: PERSON 2; refused for: blocked_data 1, revoked_key 1; "
        "keys: 1 active, 2 issued, 1 revoked"
    ) in text
    assert (
        "*Requests with unknown, revoked or missing gateway keys (possible shadow AI):* "
        "1 with an unknown key (aims_sk_QQQQ… 1); 1 with a revoked key"
    ) in text


def test_a_quiet_gateway_with_a_key_still_shows_the_key(db, sample_config, now):
    with db.session() as session:
        approved(session, sample_config, now - timedelta(days=30))
        issue_key(
            session,
            record_ref="AIU-0001",
            actor=OLIVER,
            config=sample_config,
            now=now - timedelta(days=20),
        )
    figures, text = _week(db, sample_config, now)
    assert figures.gateway is not None
    assert "AIU-0001 DeepL for internal memos: 0 requests" in text and "keys: 1 active" in text
    assert "possible shadow AI):* none" in text


def test_no_gateway_no_section(db, sample_config, now):
    with db.session() as session:
        approved(session, sample_config, now - timedelta(days=30))
    figures, text = _week(db, sample_config, now)
    assert figures.gateway is None and "gateway" not in text.lower()
