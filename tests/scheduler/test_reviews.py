"""Periodic reviews with an injected clock: cadence, due notice, reminders, escalation, lapse,
snooze and the three outcomes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.exc import OperationalError

from governance import register, review_cadence, review_sweep, reviews
from governance.approvals.service import open_request_for
from governance.errors import PermissionDenied, ValidationProblem
from governance.models import RecordStatus, RiskTier
from governance.reviews import Retirement, ReviewAnswers, ReviewOutcome
from scheduler.runner import run_job
from store import evidence
from store.models import AIUse
from tests.scheduler.support import LEADS, OWNER, kinds, live_record, queued
from tests.support.notices import in_slack

FINE = ReviewAnswers(still_in_use=True, changed=False, incidents=False, performing=True)


def sweep(db, config, when):
    with db.session() as session:
        return review_sweep.sweep_reviews(session, config=config, now=when)


def days(n):
    return timedelta(days=n)


@pytest.mark.parametrize(
    ("tier", "expected"),
    [
        (RiskTier.HIGH, date(2027, 2, 22)),
        (RiskTier.LIMITED, date(2027, 5, 23)),
        (RiskTier.MINIMAL, date(2027, 11, 24)),
        (None, date(2027, 2, 22)),
    ],
)
def test_approval_sets_the_next_review_from_the_tiers_cadence(sample_config, tier, expected):
    record = AIUse(risk_tier=tier.value if tier else None, review_lapsed=True)
    assert review_cadence.set_next_review(record, sample_config, date(2026, 11, 24)) == expected
    assert record.next_review == expected and record.review_lapsed is False


def test_nothing_is_sent_before_the_review_is_due(db, sample_config, now):
    live_record(db, due=now.date() + days(1), now=now)
    assert sweep(db, sample_config, now).sent == {}
    assert queued(db) == []


def test_the_owner_gets_one_review_dm_with_the_form_buttons(db, sample_config, now):
    ref = live_record(db, due=now.date(), now=now)
    sweep(db, sample_config, now)
    sweep(db, sample_config, now + timedelta(hours=1))
    [message] = queued(db)
    assert (message.channel, message.kind) == (OWNER, "review.due")
    assert ref in message.text and "still in use" in message.text.lower()
    buttons = [e["action_id"] for e in in_slack(message).blocks[-1]["elements"]]
    assert buttons == ["review_start", "review_snooze"]


def test_overdue_reviews_get_weekly_reminders_then_go_to_the_leads(db, sample_config, now):
    ref = live_record(db, due=now.date(), now=now)
    for offset in (0, 3, 7, 8, 14):
        sweep(db, sample_config, now + days(offset))
    assert kinds(db) == [
        ("review.due", OWNER),
        ("review.reminder", OWNER),
        ("review.reminder", OWNER),
        ("review.escalation", LEADS[0]),
        ("review.escalation", LEADS[1]),
    ]
    reminder_2 = queued(db, "review.reminder")[1]
    assert "Reminder 2" in reminder_2.text and "14 days overdue" in reminder_2.text
    escalation = queued(db, "review.escalation")[0]
    assert ref in escalation.text and f"<@{OWNER}>" in in_slack(escalation).text


def test_after_downtime_only_the_latest_reminder_is_sent(db, sample_config, now):
    live_record(db, due=now.date(), now=now)
    sweep(db, sample_config, now)
    sweep(db, sample_config, now + days(10))  # days 7 passed unseen
    sweep(db, sample_config, now + days(22))
    reminders = [m.text.split(":")[0] for m in queued(db, "review.reminder")]
    assert reminders == ["Reminder 1", "Reminder 3"]


def test_past_the_grace_period_the_record_is_flagged_review_lapsed(db, sample_config, now):
    ref = live_record(db, due=now.date(), now=now)
    sweep(db, sample_config, now)
    sweep(db, sample_config, now + days(30))
    sweep(db, sample_config, now + days(31))
    with db.session() as session:
        record = register.get_record(session, ref)
        assert record.review_lapsed and record.status == "live" and record.version == 2
        lapse_events = [e for e in evidence.iter_ledger(session) if e.kind == "review.lapsed"]
    assert len(lapse_events) == 1
    told = sorted(m.channel for m in queued(db, "review.lapsed"))
    assert told == sorted([OWNER, *LEADS])


def test_a_lapse_suspends_when_the_config_says_so_and_a_review_restores_it(db, sample_config, now):
    config = sample_config.model_copy(
        update={"reviews": sample_config.reviews.model_copy(update={"on_lapse": "suspend"})}
    )
    ref = live_record(db, due=now.date(), now=now)
    sweep(db, config, now)
    sweep(db, config, now + days(30))
    with db.session() as session:
        assert register.get_record(session, ref).status == "suspended"
        result = reviews.complete_review(
            session,
            record=register.get_record(session, ref),
            config=config,
            actor=OWNER,
            answers=FINE,
            outcome=ReviewOutcome.CONTINUE,
            now=now + days(32),
        )
    with db.session() as session:
        record = register.get_record(session, ref)
        assert (record.status, record.review_lapsed) == ("live", False)
        assert record.next_review == result.next_review == (now + days(32 + 90)).date()


def test_snooze_pauses_reminders_within_the_configured_bound(db, sample_config, now):
    ref = live_record(db, due=now.date(), now=now)
    sweep(db, sample_config, now)
    with db.session() as session:
        until = reviews.snooze_review(
            session,
            record=register.get_record(session, ref),
            config=sample_config,
            actor=OWNER,
            days=7,
            now=now,
        )
    assert until == now.date() + days(7)
    with db.session() as session:  # the same snooze again (a double click) changes nothing
        again = reviews.snooze_review(
            session,
            record=register.get_record(session, ref),
            config=sample_config,
            actor=OWNER,
            days=7,
            now=now,
        )
    assert again == until
    sweep(db, sample_config, now + days(7))
    assert queued(db, "review.reminder") == []
    sweep(db, sample_config, now + days(14))
    assert len(queued(db, "review.reminder")) == 1
    with pytest.raises(ValidationProblem, match="at most 30 days"), db.session() as session:
        reviews.snooze_review(
            session,
            record=register.get_record(session, ref),
            config=sample_config,
            actor=OWNER,
            days=31,
            now=now,
        )


def test_continue_sets_the_next_review_from_the_cadence(db, sample_config, now):
    ref = live_record(db, due=now.date(), now=now, tier=RiskTier.LIMITED)
    sweep(db, sample_config, now)
    with db.session() as session:
        result = reviews.complete_review(
            session,
            record=register.get_record(session, ref),
            config=sample_config,
            actor=OWNER,
            answers=FINE,
            outcome=ReviewOutcome.CONTINUE,
            now=now + days(2),
        )
    assert result.next_review == now.date() + days(2 + 180)
    sweep(db, sample_config, now + days(9))
    assert queued(db, "review.reminder") == []  # the completed review stops the reminders


def test_change_opens_a_new_version_and_goes_back_for_approval(db, sample_config, now):
    ref = live_record(db, due=now.date(), now=now)
    answers = FINE.model_copy(update={"changed": True, "notes": "now uses GPT-5"})
    with db.session() as session:
        reviews.complete_review(
            session,
            record=register.get_record(session, ref),
            config=sample_config,
            actor=OWNER,
            answers=answers,
            outcome=ReviewOutcome.CHANGE,
            now=now,
            changes={"model_version": "gpt-5"},
        )
    with db.session() as session:
        record = register.get_record(session, ref)
        # submit_record opens the approval request for v2, which puts the record in review.
        assert record.status == "in_review"
        assert open_request_for(session, ref).version == 2
        assert (record.version, record.model_version) == (2, "gpt-5")
        assert record.next_review is None
        assert register.versions(session, record)[-1].reason.endswith("now uses GPT-5")


def test_a_changed_use_cannot_simply_continue(db, sample_config, now):
    ref = live_record(db, due=now.date(), now=now)
    with pytest.raises(ValidationProblem, match="re-approval"), db.session() as session:
        reviews.complete_review(
            session,
            record=register.get_record(session, ref),
            config=sample_config,
            actor=OWNER,
            answers=FINE.model_copy(update={"changed": True}),
            outcome=ReviewOutcome.CONTINUE,
            now=now,
        )


def test_retire_records_reason_date_and_data_disposal(db, sample_config, now):
    ref = live_record(db, due=now.date(), now=now)
    retirement = Retirement(
        reason="replaced by vendor tool",
        retire_on=now.date(),
        data_disposal="prompts deleted from the vendor tenant",
    )
    with db.session() as session:
        reviews.complete_review(
            session,
            record=register.get_record(session, ref),
            config=sample_config,
            actor=OWNER,
            answers=FINE.model_copy(update={"still_in_use": False}),
            outcome=ReviewOutcome.RETIRE,
            retirement=retirement,
            now=now,
        )
    with db.session() as session:
        assert register.get_record(session, ref).status == RecordStatus.RETIRED
        [retired] = [e for e in evidence.iter_ledger(session) if e.kind == "record.retired"]
    assert "prompts deleted" in retired.payload
    sweep(db, sample_config, now + days(1))
    assert queued(db) == []


def test_only_the_owner_their_delegates_or_leads_may_review(db, sample_config, now):
    ref = live_record(db, due=now.date(), now=now)
    with pytest.raises(PermissionDenied), db.session() as session:
        reviews.complete_review(
            session,
            record=register.get_record(session, ref),
            config=sample_config,
            actor="U0ACME0009",
            answers=FINE,
            outcome=ReviewOutcome.CONTINUE,
            now=now,
        )
    with db.session() as session:  # Daniel Costa is Sarah Whitfield's delegate
        reviews.complete_review(
            session,
            record=register.get_record(session, ref),
            config=sample_config,
            actor="U0ACME0004",
            answers=FINE,
            outcome=ReviewOutcome.CONTINUE,
            now=now,
        )


def test_a_crash_after_claiming_is_retried_not_lost(db, sample_config, now, monkeypatch):
    live_record(db, due=now.date(), now=now)
    real = review_sweep.outbox.enqueue

    def crash(*args, **kwargs):
        real(*args, **kwargs)
        raise OperationalError("INSERT", {}, ConnectionError("server closed the connection"))

    monkeypatch.setattr(review_sweep.outbox, "enqueue", crash)
    failed = run_job(db, sample_config, "review-sweep", now=now)
    assert not failed.ok and failed.error_ref and queued(db) == []
    monkeypatch.setattr(review_sweep.outbox, "enqueue", real)
    assert run_job(db, sample_config, "review-sweep", now=now).ok
    assert [m.kind for m in queued(db)] == ["review.due"]


def test_one_failing_record_does_not_hold_back_the_other_owners_reviews(
    db, sample_config, now, monkeypatch
):
    broken = live_record(db, due=now.date(), now=now, title="Broken one")
    fine = live_record(db, due=now.date(), now=now, title="Fine one")
    real_due = review_sweep._STEP_HANDLERS[review_sweep.Step.NOTIFY]

    def due_unless_broken(session, config, record, *rest):
        if record.ref == broken:
            raise RuntimeError("owner lookup failed")
        real_due(session, config, record, *rest)

    monkeypatch.setitem(review_sweep._STEP_HANDLERS, review_sweep.Step.NOTIFY, due_unless_broken)
    result = sweep(db, sample_config, now)
    assert result.failed == [broken] and f"skipped after errors: {broken}" in result.summary()
    assert [m.subject for m in queued(db, "review.due")] == [fine]
    with db.session() as session:
        assert evidence.verify(evidence.iter_ledger(session)).ok
