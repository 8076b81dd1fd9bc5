"""`aims register show` tells an auditor what happened after approval: reviews and incidents."""

from __future__ import annotations

from datetime import timedelta

from bot.render_record import record_detail
from governance import incidents, register, reviews
from governance.incidents import IncidentReport, Severity
from tests.scheduler.support import OWNER, live_record


def test_the_record_shows_its_review_cycle_and_its_closed_incident(db, sample_config, now):
    ref = live_record(db, due=now.date(), now=now)
    with db.session() as session:
        record = register.get_record(session, ref)
        reviews.snooze_review(
            session, record=record, config=sample_config, actor=OWNER, days=7, now=now
        )
        incident = incidents.report_incident(
            session,
            config=sample_config,
            actor=OWNER,
            now=now,
            report=IncidentReport(
                ai_use_ref=ref,
                what_happened="Quoted a wrong fee",
                occurred_at=now - timedelta(hours=1),
                severity=Severity.LOW,
                people_harmed=False,
            ),
        )
        incidents.close_incident(
            session,
            config=sample_config,
            incident=incident,
            actor=OWNER,
            root_cause="Outdated fee table",
            corrective_action="Re-indexed",
            now=now + timedelta(days=1),
        )
    with db.session() as session:
        text = record_detail(session, register.get_record(session, ref), sample_config).as_text()
    snoozed_to = (now.date() + timedelta(days=7)).isoformat()
    assert f"Reviews:\n  due {now.date().isoformat()}: open, snoozed until {snoozed_to}" in text
    assert "Incidents:\n  INC-0001 (low, closed)" in text
    assert "root cause: Outdated fee table; action: Re-indexed" in text
