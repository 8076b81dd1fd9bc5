"""Campaigns in the domain: who may start one, what people are sent, acknowledgements bound to
the version, reminders then escalation outside quiet hours, and the figures."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from governance import outbox
from governance.acknowledgements.campaigns import (
    restart_for_new_version,
    start_campaign,
)
from governance.acknowledgements.figures import campaign_figures, person_acks
from governance.acknowledgements.models import (
    AckChoice,
    Audience,
    AudienceKind,
    CampaignStart,
    Outcome,
)
from governance.acknowledgements.reminders import sweep_ack_reminders
from governance.acknowledgements.responses import acknowledge, leave_audience
from governance.config import OrgConfig
from governance.dates import due_date
from governance.errors import NotFoundError, PermissionDenied, ValidationProblem
from store.db import Database
from store.evidence import iter_ledger, verify
from store.models import EvidenceEvent, OutboundMessage
from tests.governance.acknowledgements.conftest import ACCEPTABLE_USE, store_policy
from tests.support.acks import deliver_requests

LEAD = "U0ACME0001"
STAFF = ["U0ACME0003", "U0ACME0005", "U0ACME0007"]
CHANNEL = "C0ALLSTAFF"
# A Friday, 10:00 in London: 5 and 10 days later are a Wednesday and a Monday, working days.
FRIDAY = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)


def _start(session, config: OrgConfig, *, members=STAFF, actor=LEAD, now=FRIDAY, policy=None):
    campaign = start_campaign(
        session,
        config=config,
        start=CampaignStart(
            policy=policy or "Acceptable Use of AI Tools",
            audience=Audience(
                kind=AudienceKind.CHANNEL, ref=CHANNEL, label="#all-staff", members=members
            ),
            due_on=(now + timedelta(days=14)).date(),
            summary="Grammarly is now restricted.",
        ),
        actor=actor,
        now=now,
    )
    deliver_requests(session)  # as the outbox sender does: each records its ack.sent
    return campaign


def _kinds(session, kind: str) -> int:
    return session.scalar(
        select(func.count()).select_from(EvidenceEvent).where(EvidenceEvent.kind == kind)
    )


def _sent_to(session, kind: str) -> list[str]:
    return list(
        session.scalars(
            select(OutboundMessage.channel)
            .where(OutboundMessage.kind == kind)
            .order_by(OutboundMessage.id)
        )
    )


@pytest.fixture
def campaign_db(db: Database) -> Database:
    with db.session() as session:
        store_policy(session, ACCEPTABLE_USE)
    return db


def test_a_campaign_asks_each_person_once_with_quoted_key_rules(campaign_db, sample_config):
    with campaign_db.session() as session:
        campaign = _start(session, sample_config, members=[*STAFF, STAFF[0]])
        assert campaign.ref == "ACK-0001"
        assert sorted(_sent_to(session, "ack.request")) == sorted(STAFF)
        assert 3 <= len(campaign.key_rules) <= 5
        policy = ACCEPTABLE_USE.read_text()
        text = " ".join(policy.replace("**", "").split())
        assert all(rule["text"] in text for rule in campaign.key_rules)  # quoted, not written
        [row] = session.scalars(
            select(OutboundMessage).where(OutboundMessage.channel == STAFF[0])
        ).all()
        assert "Grammarly is now restricted." in row.text
        assert campaign.key_rules[0]["text"] in row.text
        assert [c["action"] for c in row.notice["choices"]] == ["ack.confirm", "ack.ask"]
        assert _kinds(session, "ack.campaign_started") == 1


def test_bad_starts_are_refused_and_change_nothing(campaign_db, sample_config):
    with campaign_db.session() as session:
        with pytest.raises(NotFoundError) as unknown:
            _start(session, sample_config, policy="Acceptable Use of Crystal Balls")
        assert "Acceptable Use of AI Tools" in str(unknown.value)  # the documents it knows
        with pytest.raises(ValidationProblem, match="resolves to nobody"):
            _start(session, sample_config, members=[])
        with pytest.raises(PermissionDenied):
            _start(session, sample_config, actor=STAFF[0])
    with campaign_db.session() as session:
        assert _sent_to(session, "ack.request") == []
        assert _kinds(session, "ack.campaign_started") == 0


def test_acknowledgements_count_once_and_only_the_addressees(campaign_db, sample_config):
    with campaign_db.session() as session:
        campaign = _start(session, sample_config)
        choice = AckChoice(
            campaign=campaign.ref, person=STAFF[0], version=campaign.version_sha256[:12]
        )
        later = FRIDAY + timedelta(hours=2)
        first = acknowledge(session, config=sample_config, choice=choice, actor=STAFF[0], now=later)
        again = acknowledge(session, config=sample_config, choice=choice, actor=STAFF[0], now=later)
        stranger = acknowledge(
            session, config=sample_config, choice=choice, actor=STAFF[1], now=later
        )
        assert (first.outcome, again.outcome, stranger.outcome) == (
            Outcome.ACKNOWLEDGED,
            Outcome.ALREADY,
            Outcome.REFUSED,
        )
        assert _kinds(session, "ack.acknowledged") == 1
        [event] = session.scalars(
            select(EvidenceEvent).where(EvidenceEvent.kind == "ack.acknowledged")
        ).all()
        payload = json.loads(event.payload)
        assert payload["version_sha256"] == campaign.version_sha256 and payload["shown_sha256"]
        [figures] = campaign_figures(session, later.date())
        assert (figures.asked, figures.acknowledged, figures.pending) == (3, 1, 2)
        assert _sent_to(session, "ack.done") == [STAFF[0]]  # the buttons give way to the date


def test_reminders_then_escalation_only_for_who_is_pending(campaign_db, sample_config):
    with campaign_db.session() as session:
        campaign = _start(session, sample_config)
        for person in STAFF[:2]:
            acknowledge(
                session,
                config=sample_config,
                choice=AckChoice(
                    campaign=campaign.ref, person=person, version=campaign.version_sha256[:12]
                ),
                actor=person,
                now=FRIDAY + timedelta(days=1),
            )
    days5, days10 = FRIDAY + timedelta(days=5), FRIDAY + timedelta(days=10)
    with campaign_db.session() as session:
        assert sweep_ack_reminders(session, config=sample_config, now=days5).reminded == 1
        assert sweep_ack_reminders(session, config=sample_config, now=days5).reminded == 0
        assert _sent_to(session, "ack.reminder") == [STAFF[2]]
    with campaign_db.session() as session:
        result = sweep_ack_reminders(session, config=sample_config, now=days10)
        # The second reminder (owed since day 8) goes with the escalation, once.
        assert (result.reminded, result.escalated) == (1, 1)
        leads = sample_config.members("governance_leads")
        assert sorted(_sent_to(session, "ack.escalation")) == sorted(leads)
        assert sweep_ack_reminders(session, config=sample_config, now=days10).escalated == 0
        assert _kinds(session, "ack.reminded") == 2 and _kinds(session, "ack.escalated") == 1
        assert _sent_to(session, "ack.reminder") == [STAFF[2], STAFF[2]]
        assert verify(iter_ledger(session)).ok


def test_quiet_hours_and_weekends_send_nothing(campaign_db, sample_config):
    with campaign_db.session() as session:
        _start(session, sample_config)
    saturday = datetime(2026, 12, 5, 11, 0, tzinfo=UTC)
    late_evening = datetime(2026, 12, 7, 21, 0, tzinfo=UTC)  # Monday 21:00 in London
    with campaign_db.session() as session:
        for when in (saturday, late_evening):
            result = sweep_ack_reminders(session, config=sample_config, now=when)
            assert result.quiet and "quiet hours" in result.summary()
        assert _sent_to(session, "ack.reminder") == []


def test_a_changed_policy_keeps_old_acknowledgements_and_refuses_the_old_button(
    campaign_db, sample_config
):
    with campaign_db.session() as session:
        old = _start(session, sample_config)
        old_choice = AckChoice(campaign=old.ref, person=STAFF[0], version=old.version_sha256[:12])
        acknowledge(session, config=sample_config, choice=old_choice, actor=STAFF[0], now=FRIDAY)
        store_policy(
            session, ACCEPTABLE_USE, ACCEPTABLE_USE.read_bytes() + b"\n\nYou must never share.\n"
        )
        late = AckChoice(campaign=old.ref, person=STAFF[1], version=old.version_sha256[:12])
        refused = acknowledge(
            session, config=sample_config, choice=late, actor=STAFF[1], now=FRIDAY
        )
        assert refused.outcome is Outcome.REFUSED and "has changed" in refused.message
        [figures] = campaign_figures(session, FRIDAY.date())
        assert figures.acknowledged == 1  # the old version's acknowledgement stands
        assert figures.stale  # the digest says to ask again
        mine = person_acks(session, STAFF[0])
        assert mine[0].status == "acknowledged" and mine[0].superseded
        # Nobody is chased for a version that can no longer be acknowledged.
        later = sweep_ack_reminders(session, config=sample_config, now=FRIDAY + timedelta(days=5))
        assert (later.reminded, later.escalated) == (0, 0)
        # Asking again is one click, once: a second click (another lead, a replica) is refused.
        new = restart_for_new_version(
            session, config=sample_config, ref=old.ref, members=STAFF, actor=LEAD, now=FRIDAY
        )
        with pytest.raises(ValidationProblem, match=f"already replaced by {new.ref}"):
            restart_for_new_version(
                session, config=sample_config, ref=old.ref, members=STAFF, actor=LEAD, now=FRIDAY
            )
        deliver_requests(session)
        offered = acknowledge(
            session, config=sample_config, choice=late, actor=STAFF[1], now=FRIDAY
        )
        assert offered.current == AckChoice(
            campaign=new.ref, person=STAFF[1], version=new.version_sha256[:12]
        )
        [_, figures] = campaign_figures(session, FRIDAY.date())
        assert (figures.asked, figures.acknowledged) == (3, 0)  # everyone asked again


def test_a_request_not_yet_delivered_cannot_be_acknowledged(campaign_db, sample_config):
    with campaign_db.session() as session:
        campaign = start_campaign(
            session,
            config=sample_config,
            start=CampaignStart(
                policy="Acceptable Use of AI Tools",
                audience=Audience(kind=AudienceKind.PEOPLE),
                due_on=(FRIDAY + timedelta(days=14)).date(),
            ),
            actor=LEAD,
            now=FRIDAY,
        )
        choice = AckChoice(campaign=campaign.ref, person=LEAD, version=campaign.version_sha256[:12])
        early = acknowledge(session, config=sample_config, choice=choice, actor=LEAD, now=FRIDAY)
        assert early.outcome is Outcome.REFUSED and "on its way" in early.message
        assert _kinds(session, "ack.acknowledged") == 0
        assert deliver_requests(session) == len(sample_config.people)
        assert _kinds(session, "ack.sent") == len(sample_config.people)
        done = acknowledge(session, config=sample_config, choice=choice, actor=LEAD, now=FRIDAY)
        assert done.outcome is Outcome.ACKNOWLEDGED


def test_leaving_the_audience_stops_the_reminders(campaign_db, sample_config):
    with campaign_db.session() as session:
        campaign = _start(session, sample_config)
        assert leave_audience(
            session,
            kind=AudienceKind.CHANNEL,
            ref=CHANNEL,
            person=STAFF[2],
            now=FRIDAY,
            reason="left #all-staff",
        ) == [campaign.ref]
        result = sweep_ack_reminders(session, config=sample_config, now=FRIDAY + timedelta(days=5))
        assert result.reminded == 2 and STAFF[2] not in _sent_to(session, "ack.reminder")
        [figures] = campaign_figures(session, FRIDAY.date())
        assert (figures.asked, figures.withdrawn) == (2, 1)


def test_due_dates_read_as_people_write_them():
    assert due_date("14d", FRIDAY.date()) == FRIDAY.date() + timedelta(days=14)
    assert due_date("2w", FRIDAY.date()) == FRIDAY.date() + timedelta(days=14)
    assert str(due_date("2026-12-15", FRIDAY.date())) == "2026-12-15"
    with pytest.raises(ValidationProblem, match="14d"):
        due_date("soon", FRIDAY.date())


def test_a_request_slack_will_not_deliver_is_withdrawn_not_chased(db, sample_config):
    with db.session() as session:
        store_policy(session, ACCEPTABLE_USE)
        campaign = start_campaign(
            session,
            config=sample_config,
            start=CampaignStart(
                policy="Acceptable Use of AI Tools",
                audience=Audience(kind=AudienceKind.CHANNEL, ref=CHANNEL, members=["UBOT0001"]),
                due_on=(FRIDAY + timedelta(days=14)).date(),
            ),
            actor=LEAD,
            now=FRIDAY,
        )
        [message] = session.scalars(
            select(OutboundMessage).where(OutboundMessage.kind == "ack.request")
        ).all()
        # The last of its attempts fails the way Slack answers for a bot user.
        message.status, message.claimed_by, message.attempts = "claimed", "w", outbox.MAX_ATTEMPTS
        message.claimed_until = FRIDAY + timedelta(days=1)
        outbox.mark_failed(session, message, worker="w", error="cannot_dm_bot", now=FRIDAY)
        [figures] = campaign_figures(session, FRIDAY.date(), refs=[campaign.ref])
        assert (figures.asked, figures.withdrawn) == (0, 1)
        [event] = session.scalars(
            select(EvidenceEvent).where(EvidenceEvent.kind == "ack.withdrawn")
        ).all()
        assert "cannot_dm_bot" in json.loads(event.payload)["reason"]
