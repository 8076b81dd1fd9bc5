"""Findings in Slack (issue 17), through the real Bolt app over signed HTTP and the Slack
stand-in: /aims finding's form for a lead (each problem under its field, anyone else refused),
"Mark it done" on an action's notice (only its owner, the finding's owner or a lead; the
button then gives way), "Raise a finding from this incident" when closing one, and a periodic
review that found something."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.context import AppContext
from bot.slack.finding_forms import VALUE, Field
from bot.slack.ids import IncidentIds, ReviewIds
from bot.slack.incident_forms import RAISE_FINDING
from bot.slack.outbox_sender import drain_outbox
from bot.slack.review_forms import FOUND
from governance.findings import service
from governance.findings.models import FindingKind, FindingSource, NewAction, NewFinding
from governance.incidents import IncidentReport, Severity, report_incident
from governance.review_sweep import sweep_reviews
from governance.reviews import local_today
from store.evidence import iter_ledger, verify
from store.improvement_models import Finding
from store.models import EvidenceEvent, utcnow
from tests.scheduler.support import live_record
from tests.support.slack_app import SlackRig, interaction_body, start_slack_rig
from tests.support.slack_standin import Call, SlackStandin, dm_of

LEAD, OWNER, DOER, STRANGER = "U0ACME0001", "U0ACME0003", "U0ACME0005", "U0ACME0009"
REPORTER = "U0ACME0012"


@pytest.fixture
def rig(app_context: AppContext, slack_standin: SlackStandin) -> Iterator[SlackRig]:
    with start_slack_rig(app_context, standin=slack_standin) as started:
        yield started
    with app_context.db.session() as session:
        assert verify(iter_ledger(session)).ok  # `aims evidence verify` passes
    assert slack_standin.violations == []


# --- helpers ---------------------------------------------------------------------------------


def eventually(check: Callable[[], Any], timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
    return found


def posts_to(rig: SlackRig, person: str, words: str) -> list[Call]:
    return [
        call
        for call in rig.standin.calls_to("chat.postMessage")
        if call.channel == dm_of(person) and words in call.text_of_blocks()
    ]


def told(rig: SlackRig, count: int) -> str:
    """The text of the `count`-th private reply through a response_url."""
    return rig.standin.wait_for("response_url", count, timeout=15)[-1].text_of_blocks()


def open_form(rig: SlackRig, user: str = LEAD) -> dict[str, Any]:
    opened = len(rig.standin.calls_to("views.open"))
    assert rig.send_command("/aims", "finding", user=user).status == 200
    return rig.standin.wait_for("views.open", opened + 1)[-1].view


def picked(kind: str, **state: Any) -> dict[str, Any]:
    return {VALUE: {"type": kind, **state}}


def option(value: str) -> dict[str, Any]:
    return {"value": value, "text": {"type": "plain_text", "text": value}}


def form_values(
    *, title: str = "Triage overrides are not logged", owner: str | None = OWNER, **extra: Any
) -> dict[str, Any]:
    values = {
        Field.KIND: picked("static_select", selected_option=option("nonconformity")),
        Field.TITLE: picked("plain_text_input", value=title),
        Field.SEVERITY: picked("static_select", selected_option=option("high")),
        Field.OWNER: picked("users_select", selected_user=owner),
        Field.CONTROLS: picked("multi_static_select", selected_options=[option("A.6.2.8")]),
        Field.DESCRIPTION: picked("plain_text_input", value="Seen in the November sample"),
        **extra,
    }
    return {block.value: state for block, state in values.items()}


def findings(rig: SlackRig) -> list[Finding]:
    with rig.ctx.db.session() as session:
        rows = list(session.scalars(select(Finding).order_by(Finding.id)))
        session.expunge_all()
        return rows


def finding_events(rig: SlackRig) -> int:
    """How many finding events the ledger holds (the click itself is recorded too, apart)."""
    with rig.ctx.db.session() as session:
        query = select(func.count()).where(EvidenceEvent.kind.like("finding.%"))
        return session.scalar(query) or 0


# --- /aims finding ---------------------------------------------------------------------------


def test_a_lead_raises_a_finding_with_the_form_and_its_owner_is_told(rig):
    record = live_record(rig.ctx.db, due=None, now=utcnow(), owner=OWNER, title="Claims triage")
    form = open_form(rig)
    assert form["callback_id"] == "finding_raise"
    shown = json.dumps(form)
    assert f"{record} Claims triage" in shown and "users_select" in shown and "A.6.2.8" in shown
    missing = rig.submit_view(form, form_values(title="", owner=None), user=LEAD, view_id="VF1")
    errors = missing.json()["errors"]
    assert "Say in a sentence what was found." in errors[Field.TITLE]
    assert "Choose who owns it" in errors[Field.OWNER]
    assert findings(rig) == []
    chosen = picked("multi_static_select", selected_options=[option(record)])
    answer = rig.submit_view(
        form, form_values(**{Field.RECORDS: chosen}), user=LEAD, view_id="VF2"
    ).json()
    assert answer["response_action"] == "update"
    assert "*FND-0001* is raised" in json.dumps(answer["view"])
    [finding] = findings(rig)
    assert (finding.kind, finding.source, finding.severity, finding.owner) == (
        "nonconformity",
        "lead",
        "high",
        OWNER,
    )
    assert (finding.records, finding.controls, finding.raised_by) == ([record], ["A.6.2.8"], LEAD)
    dm = eventually(lambda: posts_to(rig, OWNER, "Finding FND-0001"))[-1]
    assert "Triage overrides are not logged" in dm.text_of_blocks()
    assert "plan the corrective actions" in dm.text_of_blocks()


def test_an_owner_nobody_knows_is_refused_under_the_owner_field(rig):
    form = open_form(rig)
    answer = rig.submit_view(form, form_values(owner="U0NOBODY01"), user=LEAD).json()
    assert "is not a known person" in answer["errors"][Field.OWNER]
    assert findings(rig) == []


def test_a_choice_slack_would_never_send_is_refused_on_the_form(rig):
    form = open_form(rig)
    broken = picked("multi_static_select", selected_options="A.6.2.8")
    answer = rig.submit_view(form, form_values(**{Field.CONTROLS: broken}), user=LEAD)
    assert answer.status == 200
    assert "could not be read" in answer.json()["errors"][Field.CONTROLS]
    assert findings(rig) == []


def test_someone_not_a_lead_is_refused_the_form_privately(rig):
    assert rig.send_command("/aims", "finding", user=STRANGER).status == 200
    assert "only a governance lead can raise a finding" in told(rig, 1)
    rig.standin.settle()
    assert rig.standin.calls_to("views.open") == []


# --- "Mark it done" --------------------------------------------------------------------------


def planned_action(rig: SlackRig) -> Call:
    """A finding owned by OWNER with one action for DOER; the action's DM, as sent."""
    now, config = utcnow(), rig.ctx.config
    with rig.ctx.db.session() as session:
        finding = service.raise_finding(
            session,
            config=config,
            actor=LEAD,
            now=now,
            finding=NewFinding(
                kind=FindingKind.OPPORTUNITY,
                source=FindingSource.LEAD,
                title="Prompts are not versioned",
                owner=OWNER,
            ),
        )
        service.plan_action(
            session,
            config=config,
            ref=finding.ref,
            actor=OWNER,
            now=now,
            action=NewAction(
                description="Keep prompts in git",
                owner=DOER,
                due_on=local_today(config, now) + timedelta(days=10),
            ),
        )
    drain_outbox(rig.ctx, rig.client)
    [dm] = posts_to(rig, DOER, "Corrective action ACT-0001")
    return dm


def test_mark_it_done_by_its_owner_completes_it_and_the_button_gives_way(rig):
    dm = planned_action(rig)
    assert "Mark it done" in json.dumps(dm.blocks)
    assert rig.click(dm, label="Mark it done", user=DOER).status == 200
    assert ":white_check_mark: ACT-0001 is done: Keep prompts in git." in told(rig, 1)
    assert "Every action of FND-0001 is done" in told(rig, 1)
    update = eventually(lambda: rig.standin.calls_to("chat.update"))[-1]
    assert (update.args["channel"], update.args["ts"]) == (dm.channel, dm.ts)
    assert "is done" in update.text_of_blocks() and "Mark it done" not in json.dumps(update.blocks)
    with rig.ctx.db.session() as session:
        action = service.get_action(session, "ACT-0001")
        assert (action.status, action.done_by) == ("done", DOER)
        assert service.get_finding(session, "FND-0001").status == "actions_done"


def test_mark_it_done_by_someone_else_is_refused_privately(rig):
    dm = planned_action(rig)
    before = finding_events(rig)
    assert rig.click(dm, label="Mark it done", user=STRANGER).status == 200
    refusal = told(rig, 1)
    assert "only ACT-0001's owner, FND-0001's owner or a governance lead can mark it done" in (
        refusal
    )
    rig.standin.settle()
    assert rig.standin.calls_to("chat.update") == []
    assert finding_events(rig) == before
    with rig.ctx.db.session() as session:
        assert service.get_action(session, "ACT-0001").status == "open"
    assert rig.click(dm, label="Mark it done", user=OWNER).status == 200  # the finding's owner
    assert "ACT-0001 is done" in told(rig, 2)


def test_a_mark_it_done_naming_no_action_is_answered_privately(rig):
    dm = planned_action(rig)
    payload = rig.click_payload(dm, label="Mark it done", user=DOER)
    payload["actions"][0]["value"] = "ACT-9999"
    assert rig.post(interaction_body(payload), "application/x-www-form-urlencoded").status == 200
    assert "no corrective action 'ACT-9999'" in told(rig, 1)


# --- raised from an incident's closure and a review ------------------------------------------


def test_closing_an_incident_with_the_box_ticked_raises_a_finding(rig):
    now = utcnow()
    record = live_record(rig.ctx.db, due=None, now=now, owner=OWNER)
    with rig.ctx.db.session() as session:
        report_incident(
            session,
            config=rig.ctx.config,
            actor=REPORTER,
            now=now,
            report=IncidentReport(
                ai_use_ref=record,
                what_happened="A claim was declined without the human review",
                occurred_at=now - timedelta(hours=1),
                severity=Severity.HIGH,
                people_harmed=False,
            ),
        )
    drain_outbox(rig.ctx, rig.client)
    [notice] = posts_to(rig, LEAD, "New AI incident INC-0001")
    rig.click(notice, label="Close incident", user=LEAD)
    form = rig.standin.wait_for("views.open")[-1].view
    assert "Raise a finding from this incident" in json.dumps(form)
    text = {"type": "plain_text_input"}
    values = {
        IncidentIds.ROOT_CAUSE.value: {IncidentIds.VALUE.value: {**text, "value": "Flag off"}},
        IncidentIds.ACTION.value: {IncidentIds.VALUE.value: {**text, "value": "Flag on"}},
        RAISE_FINDING: {
            IncidentIds.VALUE.value: {
                "type": "checkboxes",
                "selected_options": [option(RAISE_FINDING)],
            }
        },
    }
    answer = rig.submit_view(form, values, user=LEAD).json()
    assert "*INC-0001* is closed. Finding *FND-0001* is raised" in json.dumps(answer["view"])
    [finding] = findings(rig)
    assert (finding.source, finding.source_ref, finding.records) == (
        "incident",
        "INC-0001",
        [record],
    )
    assert (finding.owner, finding.severity, finding.controls) == (OWNER, "high", ["A.8.4"])
    closed = eventually(lambda: posts_to(rig, LEAD, "Incident INC-0001 is closed"))[-1]
    assert "Finding raised" in closed.text_of_blocks() and "FND-0001" in closed.text_of_blocks()


def test_closing_an_incident_without_the_box_raises_nothing(rig):
    now = utcnow()
    with rig.ctx.db.session() as session:
        report_incident(
            session,
            config=rig.ctx.config,
            actor=REPORTER,
            now=now,
            report=IncidentReport(
                unregistered_tool="Otter.ai",
                what_happened="A note-taker joined a call",
                occurred_at=now,
                severity=Severity.LOW,
                people_harmed=False,
            ),
        )
    drain_outbox(rig.ctx, rig.client)
    [notice] = posts_to(rig, LEAD, "New AI incident INC-0001")
    rig.click(notice, label="Close incident", user=LEAD)
    form = rig.standin.wait_for("views.open")[-1].view
    text = {"type": "plain_text_input"}
    values = {
        IncidentIds.ROOT_CAUSE.value: {IncidentIds.VALUE.value: {**text, "value": "Invited"}},
        IncidentIds.ACTION.value: {IncidentIds.VALUE.value: {**text, "value": "Blocked"}},
    }
    answer = rig.submit_view(form, values, user=LEAD).json()
    assert json.dumps(answer["view"]).count("FND-") == 0
    assert findings(rig) == []


def test_a_review_that_found_something_raises_an_observation(rig):
    now = utcnow()
    record = live_record(rig.ctx.db, due=now.date() - timedelta(days=1), now=now, owner=OWNER)
    with rig.ctx.db.session() as session:
        sweep_reviews(session, config=rig.ctx.config, now=now)
    drain_outbox(rig.ctx, rig.client)
    [dm] = [c for c in rig.standin.calls_to("chat.postMessage") if c.channel == dm_of(OWNER)]
    rig.click(dm, label="Start review", user=OWNER)
    form = rig.standin.wait_for("views.open")[-1].view
    assert "This review found" in json.dumps(form)

    def radio(value: str) -> dict[str, Any]:
        return {ReviewIds.VALUE.value: {"type": "radio_buttons", "selected_option": option(value)}}

    found = "Nobody checks the vendor's monthly model updates"
    values = {
        ReviewIds.IN_USE.value: radio("yes"),
        ReviewIds.CHANGED.value: radio("no"),
        ReviewIds.INCIDENTS.value: radio("no"),
        ReviewIds.PERFORMING.value: radio("yes"),
        ReviewIds.OUTCOME.value: radio("continue"),
        FOUND: {ReviewIds.VALUE.value: {"type": "plain_text_input", "value": found}},
    }
    answer = rig.submit_view(form, values, user=OWNER).json()
    assert "Observation FND-0001 is raised" in json.dumps(answer["view"])
    [finding] = findings(rig)
    assert (finding.kind, finding.source, finding.source_ref, finding.title) == (
        "observation",
        "review",
        record,
        found,
    )
