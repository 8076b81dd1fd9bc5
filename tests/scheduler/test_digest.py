"""The weekly digest: what the governance leads read, the quiet week, the chart, once a week."""

from __future__ import annotations

import base64
from datetime import timedelta

from bot.slack.outbox_sender import drain_outbox
from governance import digest, feedback, outbox, register
from governance.acknowledgements.campaigns import restart_for_new_version, start_campaign
from governance.acknowledgements.models import AckChoice, Audience, AudienceKind, CampaignStart
from governance.acknowledgements.responses import acknowledge
from governance.incidents import IncidentReport, Severity, report_incident
from governance.models import RecordFields, RecordStatus, RiskTier
from governance.training import record_training
from scheduler.digest_chart import render_chart
from store import evidence
from store.evidence_kinds import EvidenceKind
from tests.governance.acknowledgements.conftest import ACCEPTABLE_USE, store_policy
from tests.scheduler.support import live_record, queued
from tests.support.acks import deliver_requests

LEAD = "U0ACME0001"


def figures(db, config, now):
    with db.session() as session:
        return digest.collect_figures(session, config=config, now=now)


def busy_week(db, config, now):
    live_record(
        db, due=now.date() + timedelta(days=5), now=now - timedelta(days=200), title="Fraud alerts"
    )
    live_record(
        db, due=now.date() - timedelta(days=10), now=now - timedelta(days=200), title="CV screening"
    )
    with db.session() as session:
        pending = register.create_record(
            session,
            fields=RecordFields(title="Sales email drafts"),
            actor="U0ACME0009",
            now=now - timedelta(days=4),
        )
        register.transition(
            session,
            record=pending,
            to=RecordStatus.SUBMITTED,
            actor="U0ACME0009",
            now=now - timedelta(days=3),
        )
        report_incident(
            session,
            config=config,
            actor="U0ACME0012",
            now=now - timedelta(days=2),
            report=IncidentReport(
                unregistered_tool="Otter.ai",
                severity=Severity.LOW,
                what_happened="Meeting recorded by a note-taker",
                occurred_at=now - timedelta(days=2),
                people_harmed=False,
            ),
        )
        for question, tools in [
            ("Can I use ChatGPT?", []),
            ("can i use chatgpt", ["Gamma"]),
            ("Is Otter allowed?", ["gamma", "Tome"]),
        ]:
            evidence.append(
                session,
                actor="U0ACME0011",
                kind=EvidenceKind.ANSWER_GIVEN,
                subject="q",
                payload={
                    "question": question,
                    "question_sha256": "0" * 64,
                    "answer": "See the AI use policy.",
                    "covered": True,
                    "mode": "extractive",
                    "retrieval": {"method": "hybrid", "confidence": 0.5},
                    "citations": [],
                    "tools": [],
                    "unknown_tools": tools,
                },
                now=now - timedelta(days=1),
            )


def test_a_quiet_week_says_nothing_to_report(db, sample_config, now):
    quiet = figures(db, sample_config, now)
    assert quiet.quiet
    assert "Nothing to report this week" in digest.digest_text(quiet)


def test_the_digest_lists_what_needs_the_leads_attention(db, sample_config, now):
    busy_week(db, sample_config, now)
    week = figures(db, sample_config, now)
    text = digest.digest_text(week)
    assert [i.title for i in week.new_registrations] == ["Sales email drafts"]
    assert "Approvals pending (1)" in text and "waiting 3 days" in text
    assert "Fraud alerts" in text and "CV screening" in text and "10 days overdue" in text
    assert "Open incidents (1)" in text and "Meeting recorded" in text
    assert week.top_questions[0].model_dump() == {"label": "Can i use chatgpt", "count": 2}
    assert [(c.label, c.count) for c in week.unknown_tools] == [("gamma", 2), ("tome", 1)]
    assert "possible shadow AI" in text


def test_the_digest_goes_out_once_a_week_with_its_chart(db, sample_config, now):
    busy_week(db, sample_config, now)
    said = []
    for hours in (0, 1):
        with db.session() as session:
            said.append(
                digest.publish_digest(
                    session,
                    config=sample_config,
                    worker="w1",
                    chart=render_chart,
                    now=now + timedelta(hours=hours),
                )
            )
    assert said == ["digest:2026-W48 queued", "digest:2026-W48 already sent"]
    [post], [chart] = queued(db, "digest.weekly"), queued(db, "digest.chart")
    assert (post.op, post.channel, post.kind) == ("post", "C0ACMEGOV1", "digest.weekly")
    assert (chart.op, chart.thread_of) == ("upload", post.dedupe_key)
    attachment = outbox.Attachment.model_validate(chart.attachment)
    assert base64.b64decode(attachment.content_base64).startswith(b"\x89PNG")
    assert attachment.filename.endswith(".png") and attachment.title


def test_the_digest_chart_reaches_slack_as_png_bytes(slack_rig, now):
    ctx = slack_rig.ctx
    busy_week(ctx.db, ctx.config, now)
    with ctx.db.session() as session:
        digest.publish_digest(session, config=ctx.config, worker="w1", chart=render_chart, now=now)
    drain_outbox(ctx, slack_rig.client)
    [post], [chart] = queued(ctx.db, "digest.weekly"), queued(ctx.db, "digest.chart")
    assert (post.status, chart.status) == ("sent", "sent")
    [asked] = slack_rig.standin.calls_to("files.getUploadURLExternal")
    png = slack_rig.standin.uploads[asked.response["file_id"]]
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and int(asked.args["length"]) == len(png)
    [shared] = slack_rig.standin.calls_to("files.completeUploadExternal")
    assert shared.args["thread_ts"] == post.slack_ts
    assert slack_rig.standin.violations == []


def test_a_quiet_week_posts_the_text_without_a_chart(db, sample_config, now):
    with db.session() as session:
        digest.publish_digest(
            session, config=sample_config, worker="w1", chart=render_chart, now=now
        )
    [post] = queued(db)
    assert "Nothing to report" in post.text


def test_the_digest_counts_the_register_by_status_and_tier(db, sample_config, now):
    busy_week(db, sample_config, now)
    text = digest.digest_text(figures(db, sample_config, now))
    table = text.split("*Register by status and risk tier (3 records):*\n```\n")[1].split("```")[0]
    assert table.splitlines() == [
        "status     prohibited  high  limited  minimal  untiered  total",
        "submitted           -     -        -        -         1      1",
        "live                -     2        -        -         -      2",
        "all                 -     2        -        -         1      3",
    ]


def test_a_quiet_week_still_shows_the_register(db, sample_config, now):
    live_record(db, due=None, now=now - timedelta(days=200), tier=RiskTier.MINIMAL)
    quiet = figures(db, sample_config, now)
    assert quiet.quiet
    text = digest.digest_text(quiet)
    assert "Nothing to report" in text and "*Register by status and risk tier (1 record):*" in text


def test_a_long_list_is_cut_short_with_the_command_that_lists_it_all(db, sample_config, now):
    with db.session() as session:
        for number in range(1, 21):
            record = register.create_record(
                session,
                fields=RecordFields(title=f"Use {number}"),
                actor="U0ACME0009",
                now=now - timedelta(days=2),
            )
            register.transition(
                session, record=record, to=RecordStatus.SUBMITTED, actor="U0ACME0009", now=now
            )
    text = digest.digest_text(figures(db, sample_config, now))
    pending = text.split("*Approvals pending (20):*\n")[1].split("\n\n")[0].splitlines()
    assert len(pending) == digest.LIST_CAP + 1
    assert pending[-1] == "\u2022 \u2026and 5 more: `aims approvals list`"
    assert "\u2026and 5 more: `aims register list`" in text  # the new registrations


def test_records_of_prohibited_tools_and_disputed_imported_tiers_wait_for_the_leads(
    db, sample_config, now, tmp_path
):
    from governance.register_io import import_rows
    from governance.tier_override import override_tier

    rows = [
        {"title": "Meeting notes", "tool": "Otter AI", "status": "live"},
        {"title": "Old notes", "tool": "Fireflies", "status": "retired"},
        {"title": "Internal search", "deployment": "internal", "risk_tier": "high"},
    ]
    with db.session() as session:
        import_rows(
            session,
            config=sample_config,
            rows=rows,
            actor="U0ACME0001",
            source="old.xlsx",
            skip_invalid=False,
        )
    text = digest.digest_text(figures(db, sample_config, now))
    assert "*Register records of tools the catalogue prohibits" in text
    assert "\u2022 AIU-0001 Meeting notes (Otter.ai, live)" in text
    assert "Old notes" not in text.split("Register by status")[0]  # retired: nothing to do
    assert "\u2022 AIU-0003 Internal search (recorded minimal; the spreadsheet said high)" in text

    with db.session() as session:
        override_tier(
            session,
            record=register.get_record(session, "AIU-0003"),
            tier=RiskTier.MINIMAL,
            justification="Only public documents: the rules are right",
            actor="U0ACME0001",
            config=sample_config,
            now=now,
        )
    settled = figures(db, sample_config, now)
    assert settled.disputed_tiers == [] and len(settled.prohibited_tool_uses) == 1


def _campaign(session, config, now, members):
    store_policy(session, ACCEPTABLE_USE)
    return start_campaign(
        session,
        config=config,
        start=CampaignStart(
            policy="Acceptable Use of AI Tools",
            audience=Audience(
                kind=AudienceKind.CHANNEL, ref="C0ALL", label="#all", members=members
            ),
            due_on=(now + timedelta(days=14)).date(),
        ),
        actor=LEAD,
        now=now,
    )


def test_open_campaigns_are_counted_in_the_digest_until_a_new_version_replaces_them(
    db, sample_config, now
):
    staff = ["U0ACME0003", "U0ACME0005", "U0ACME0007"]
    with db.session() as session:
        campaign = _campaign(session, sample_config, now - timedelta(days=2), staff)
        deliver_requests(session)  # the running bot sent them
        for person in staff[:2]:
            choice = AckChoice(
                campaign=campaign.ref, person=person, version=campaign.version_sha256[:12]
            )
            acknowledge(session, config=sample_config, choice=choice, actor=person, now=now)
    week = figures(db, sample_config, now)
    assert not week.quiet
    text = digest.digest_text(week)
    assert "*Open policy acknowledgement campaigns (1):*" in text
    assert (
        "\u2022 ACK-0001 Acceptable Use of AI Tools: 2/3 acknowledged, 1 pending, 0 overdue "
        "(due 6 Dec 2026)" in text
    )
    three_weeks_on = digest.digest_text(figures(db, sample_config, now + timedelta(days=21)))
    assert "2/3 acknowledged, 1 pending, 1 overdue" in three_weeks_on
    with db.session() as session:  # the policy changed: a lead asks again for the new version
        store_policy(
            session, ACCEPTABLE_USE, ACCEPTABLE_USE.read_bytes() + b"\n## 9. New\n\nNew.\n"
        )
        restart_for_new_version(
            session, config=sample_config, ref="ACK-0001", members=staff, actor=LEAD, now=now
        )
    text = digest.digest_text(figures(db, sample_config, now))
    assert "ACK-0001" not in text  # superseded: nobody can acknowledge its version any more
    assert "\u2022 ACK-0002 Acceptable Use of AI Tools: 0/3 acknowledged, 3 pending" in text


def test_training_coverage_per_required_course_is_in_every_digest(db, sample_config, now):
    quiet = figures(db, sample_config, now)
    assert quiet.quiet  # missing training is a standing figure, like the register: not news
    text = digest.digest_text(quiet)
    assert "*Training coverage (required courses):*" in text
    assert "\u2022 AI literacy basics: 0/12 trained (0%), 12 missing" in text
    with db.session() as session:
        for lead in sample_config.members("governance_leads"):
            record_training(
                session,
                config=sample_config,
                person=lead,
                course="AI governance for leads",
                completed_on=now.date() - timedelta(days=30),
                evidence_url=None,
                actor=LEAD,
                now=now,
                source="test",
            )
    text = digest.digest_text(figures(db, sample_config, now))
    assert "\u2022 AI governance for leads: 2/2 trained (100%)\n" in text
    assert "\u2022 AI literacy basics: 0/12 trained (0%), 12 missing" in text


def test_feedback_received_this_week_is_counted_and_open_feedback_listed_per_record(
    db, sample_config, now
):
    record = live_record(db, due=None, now=now - timedelta(days=200), title="Refund chatbot")
    with db.session() as session:
        for days_ago, words in [(20, "Rude answers"), (3, "Refuses refunds"), (1, "Wrong policy")]:
            feedback.record_feedback(
                session,
                config=sample_config,
                record_ref=record,
                text=words,
                reporter="U0ACME0012",
                consent=False,
                salt=b"s" * 32,
                now=now - timedelta(days=days_ago),
            )
        feedback.turn_into(
            session, config=sample_config, ref="FB-0003", into="finding", actor=LEAD, now=now
        )
    week = figures(db, sample_config, now)
    assert not week.quiet and week.feedback_received == 2
    text = digest.digest_text(week)
    assert "*Feedback from people affected by AI uses:* 2 received this week" in text
    assert f"\u2022 {record} Refund chatbot (2 open: FB-0001, FB-0002)" in text
