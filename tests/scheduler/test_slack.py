"""Reviews and incidents in Slack, through the real Bolt app over HTTP and the Slack stand-in."""

from __future__ import annotations

import time
from datetime import timedelta

from bot.slack.incidents import IncidentIds
from bot.slack.outbox_sender import drain_outbox
from bot.slack.reviews import ReviewIds
from governance import incidents, register, reviews
from governance.review_sweep import sweep_reviews
from store.models import utcnow
from tests.scheduler.support import LEADS, OWNER, live_record

REPORTER = "U0ACME0012"


def _dm(user):
    return "D" + user[1:]


def _wait_for_view(rig, count=1):
    return rig.standin.wait_for("views.open", count=count)[count - 1].view


def _radio(value):
    return {ReviewIds.VALUE.value: {"type": "radio_buttons", "selected_option": {"value": value}}}


def _text(value, kind="plain_text_input"):
    return {ReviewIds.VALUE.value: {"type": kind, "value": value}}


def _review_dm(rig):
    """Sweep now and send what it queued; returns the owner's review DM."""
    now = utcnow()
    ref = live_record(rig.ctx.db, due=now.date() - timedelta(days=1), now=now)
    with rig.ctx.db.session() as session:
        sweep_reviews(session, config=rig.ctx.config, now=now)
    drain_outbox(rig.ctx, rig.client)
    [dm] = [c for c in rig.standin.calls_to("chat.postMessage") if c.channel == _dm(OWNER)]
    return ref, dm


def test_the_owner_reviews_from_the_dm_and_the_next_review_is_set(slack_rig):
    ref, dm = _review_dm(slack_rig)
    assert ref in dm.text_of_blocks()
    assert slack_rig.click(dm, label="Start review", user=OWNER).status == 200
    form = _wait_for_view(slack_rig)
    assert "still in use" in slack_rig.standin.calls_to("views.open")[0].text_of_blocks()
    answers = {
        ReviewIds.IN_USE: _radio("yes"),
        ReviewIds.CHANGED: _radio("no"),
        ReviewIds.INCIDENTS: _radio("no"),
        ReviewIds.PERFORMING: _radio("yes"),
        ReviewIds.OUTCOME: _radio("continue"),
    }
    reply = slack_rig.submit_view(form, {k.value: v for k, v in answers.items()}, user=OWNER)
    assert reply.json()["response_action"] == "update"
    assert "next review" in str(reply.json()["view"]["blocks"])
    with slack_rig.ctx.db.session() as session:
        record = register.get_record(session, ref)
        assert record.next_review == utcnow().date() + timedelta(days=90)
    assert slack_rig.standin.violations == []


def test_a_changed_use_is_refused_continue_and_the_form_says_why(slack_rig):
    ref, dm = _review_dm(slack_rig)
    slack_rig.click(dm, label="Start review", user=OWNER)
    form = _wait_for_view(slack_rig)
    answers = {
        ReviewIds.IN_USE: _radio("yes"),
        ReviewIds.CHANGED: _radio("yes"),
        ReviewIds.INCIDENTS: _radio("no"),
        ReviewIds.PERFORMING: _radio("yes"),
        ReviewIds.OUTCOME: _radio("continue"),
    }
    reply = slack_rig.submit_view(form, {k.value: v for k, v in answers.items()}, user=OWNER)
    assert "re-approval" in reply.json()["errors"][ReviewIds.OUTCOME.value]


def test_snooze_from_the_dm_says_until_when(slack_rig):
    ref, dm = _review_dm(slack_rig)
    slack_rig.click(dm, label="Snooze 7 days", user=OWNER)
    [note] = slack_rig.standin.wait_for("response_url")
    assert "Snoozed" in note.args["text"] and ref in note.args["text"]


def test_a_double_click_on_snooze_snoozes_once(slack_rig):
    ref, dm = _review_dm(slack_rig)
    for _ in range(2):
        assert slack_rig.click(dm, label="Snooze 7 days", user=OWNER).status == 200
    slack_rig.standin.wait_for("response_url")
    slack_rig.standin.settle(quiet=0.5)
    [note] = slack_rig.standin.calls_to("response_url")
    until = utcnow().date() + timedelta(days=7)
    assert reviews.fmt_day(until) in note.args["text"]
    with slack_rig.ctx.db.session() as session:
        cycle = reviews.current_cycle(session, register.get_record(session, ref))
        assert cycle.snoozed_until == until


def test_a_stranger_cannot_open_someone_elses_review(slack_rig):
    _, dm = _review_dm(slack_rig)
    slack_rig.click(dm, label="Start review", user="U0ACME0009")
    [note] = slack_rig.standin.wait_for("response_url")
    assert "Only the owner" in note.args["text"]
    assert slack_rig.standin.calls_to("views.open") == []


def test_ai_incident_opens_the_form_and_the_leads_hear_about_it(slack_rig):
    assert slack_rig.send_command("/ai-incident", user=REPORTER).status == 200
    form = _wait_for_view(slack_rig)
    values = {
        IncidentIds.AI_USE: {
            "value": {"type": "static_select", "selected_option": {"value": "unregistered"}}
        },
        IncidentIds.TOOL: _text("Otter.ai"),
        IncidentIds.WHAT: _text("A note-taker joined a customer call"),
        IncidentIds.DAY: {
            "value": {"type": "datepicker", "selected_date": utcnow().date().isoformat()}
        },
        IncidentIds.SEVERITY: {
            "value": {"type": "static_select", "selected_option": {"value": "medium"}}
        },
        IncidentIds.HARMED: _radio("no"),
        IncidentIds.SERIOUS: _radio("no"),
    }
    reply = slack_rig.submit_view(
        form, {k.value: v for k, v in values.items()}, user=REPORTER, view_id="VREPORT"
    )
    assert "INC-0001" in str(reply.json()["view"]["blocks"])
    posts = _wait_posts(slack_rig, 3)
    assert {p.channel for p in posts} == {_dm(REPORTER), *map(_dm, LEADS)}
    lead_post = next(p for p in posts if p.channel == _dm(LEADS[0]))
    slack_rig.click(lead_post, label="Close incident", user=LEADS[0])
    close_form = _wait_for_view(slack_rig, count=2)
    refused = slack_rig.submit_view(
        close_form,
        {IncidentIds.ROOT_CAUSE.value: _text("x"), IncidentIds.ACTION.value: _text(" ")},
        user=LEADS[0],
        view_id="VCLOSE1",
    )
    assert "corrective action" in refused.json()["errors"][IncidentIds.ACTION.value]
    closed = slack_rig.submit_view(
        close_form,
        {
            IncidentIds.ROOT_CAUSE.value: _text("bot invited by a participant"),
            IncidentIds.ACTION.value: _text("Otter blocked at the proxy"),
        },
        # A distinct view id: the middleware keys view submissions by view id and hash, so
        # an identical resubmission after an error would be taken for a retry.
        user=LEADS[0],
        view_id="VCLOSE2",
    )
    assert closed.json()["response_action"] == "update"
    with slack_rig.ctx.db.session() as session:
        incident = incidents.get_incident(session, "INC-0001")
        assert (incident.status, incident.closed_by) == ("closed", LEADS[0])
    assert slack_rig.standin.violations == []


def _wait_posts(rig, count, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        posts = rig.standin.calls_to("chat.postMessage")
        if len(posts) >= count:
            return posts
        time.sleep(0.05)
    raise AssertionError(f"expected {count} posts, got {rig.standin.calls_to('chat.postMessage')}")
