"""Incidents: report, follow-ups every N days until closed, closure needs cause and action."""

from __future__ import annotations

from datetime import timedelta

import pytest

from governance import incidents
from governance.errors import PermissionDenied, ValidationProblem
from governance.incidents import IncidentReport, Severity
from store import evidence
from tests.scheduler.support import LEADS, OWNER, live_record, queued
from tests.support.notices import in_slack

REPORTER = "U0ACME0012"


def report(db, config, now, **overrides):
    fields = {
        "what_happened": "The assistant quoted another customer's balance",
        "occurred_at": now - timedelta(hours=3),
        "severity": Severity.HIGH,
        "people_harmed": False,
        **overrides,
    }
    with db.session() as session:
        return incidents.report_incident(
            session, config=config, actor=REPORTER, now=now, report=IncidentReport(**fields)
        ).ref


def follow_up(db, config, when):
    with db.session() as session:
        return incidents.sweep_incident_follow_ups(session, config=config, now=when).sent


def test_the_owner_and_leads_are_told_about_a_new_incident(db, sample_config, now):
    record = live_record(db, due=None, now=now)
    ref = report(db, sample_config, now, ai_use_ref=record, serious_incident="unsure")
    assert ref == "INC-0001"
    told = queued(db, "incident.reported")
    assert [m.channel for m in told] == [OWNER, *LEADS]
    assert record in told[0].text and "Article 73" in told[0].text
    assert in_slack(told[0]).blocks[1]["elements"][0]["action_id"] == "incident_close"


def test_an_unregistered_tool_can_be_reported_and_the_reporter_hears_back(db, sample_config, now):
    report(db, sample_config, now, unregistered_tool="Otter.ai")
    told = queued(db, "incident.reported")
    assert [m.channel for m in told] == [REPORTER, *LEADS]
    assert "not in the register" in told[0].text and "Article 73" not in told[0].text


def test_a_report_must_say_which_ai_use(db, sample_config, now):
    with pytest.raises(ValidationProblem, match="which AI use"):
        report(db, sample_config, now)


def test_follow_ups_every_n_days_until_closed(db, sample_config, now):
    record = live_record(db, due=None, now=now)
    ref = report(db, sample_config, now, ai_use_ref=record)
    sent = [follow_up(db, sample_config, now + timedelta(days=d)) for d in (1, 7, 8, 14)]
    assert sent == [0, 1, 0, 1]
    with db.session() as session:
        incidents.close_incident(
            session,
            config=sample_config,
            incident=incidents.get_incident(session, ref),
            actor=OWNER,
            root_cause="retrieval ignored the customer filter",
            corrective_action="filter enforced in the query; regression test added",
            now=now + timedelta(days=15),
        )
    assert follow_up(db, sample_config, now + timedelta(days=30)) == 0
    numbers = [
        m.text.split(" on ")[0] for m in queued(db, "incident.follow_up") if m.channel == OWNER
    ]
    assert numbers == ["Follow-up 1", "Follow-up 2"]
    with db.session() as session:
        kinds = [e.kind for e in evidence.iter_ledger(session) if e.subject == ref]
    assert kinds == [
        "incident.reported",
        "incident.followed_up",
        "incident.followed_up",
        "incident.closed",
    ]
    assert "filter enforced" in queued(db, "incident.closed")[0].text


def test_closing_needs_a_root_cause_and_a_corrective_action(db, sample_config, now):
    ref = report(db, sample_config, now, unregistered_tool="DeepSeek")
    with pytest.raises(ValidationProblem, match="root cause"), db.session() as session:
        incidents.close_incident(
            session,
            config=sample_config,
            actor=LEADS[0],
            incident=incidents.get_incident(session, ref),
            root_cause="staff used a personal account",
            corrective_action=" ",
            now=now,
        )
    with pytest.raises(PermissionDenied), db.session() as session:
        incidents.close_incident(
            session,
            config=sample_config,
            actor="U0ACME0009",
            incident=incidents.get_incident(session, ref),
            root_cause="x",
            corrective_action="y",
            now=now,
        )
    with db.session() as session:
        assert incidents.get_incident(session, ref).status == "open"


def test_what_a_reporter_types_is_shown_as_typed_not_as_a_channel_ping(db, sample_config, now):
    record = live_record(db, due=None, now=now)
    report(
        db,
        sample_config,
        now,
        ai_use_ref=record,
        what_happened="It posted <!channel> and a <https://evil.example|bank link>",
    )
    told = queued(db, "incident.reported")[0]
    assert "It posted <!channel> and a" in told.text  # kept as typed, for every transport
    shown = in_slack(told)  # and escaped where Slack would read it as markup
    for seen in (shown.text, str(shown.blocks)):
        assert "<!channel>" not in seen and "&lt;!channel&gt;" in seen
        assert "<https://evil.example" not in seen
