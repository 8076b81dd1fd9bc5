"""Findings in Slack: the form a lead raises one with (/aims finding opens it, see
bot.slack.finding_forms), and "Mark it done" on a corrective action's notice. Each handler is
parse → one governance.findings call (which checks who is acting, writes evidence and queues
the messages, the notice's button giving way included) → what to show; bot.slack.listeners
does the rest."""

from __future__ import annotations

from slack_bolt import Ack, App

from bot.slack.finding_forms import Field, parse_finding, raised_text
from bot.slack.ids import FindingIds
from bot.slack.incident_forms import done_view
from bot.slack.listeners import Done, Note, Work, on_click, on_submit
from bot.slack.payloads import BlockActions, ViewSubmission
from bot.slack.services import Services
from governance.findings import service
from governance.text import esc
from store.improvement_models import Finding
from store.models import utcnow


def done_clicked(work: Work[BlockActions]) -> Note:
    action = service.complete_action(
        work.session,
        config=work.config,
        ref=work.payload.action.value or "",
        note="",
        actor=work.user,
        now=utcnow(),
    )
    finding = work.session.get_one(Finding, action.finding_id)
    then = (
        f" Every action of {finding.ref} is done: its owner verifies that they worked."
        if finding.status == "actions_done"
        else ""
    )
    return Note(f":white_check_mark: {action.ref} is done: {esc(action.description)}.{then}")


def raise_submitted(work: Work[ViewSubmission]) -> Done:
    wanted = parse_finding(work.payload.view.state)
    finding = service.raise_finding(
        work.session, config=work.config, finding=wanted, actor=work.user, now=utcnow()
    )
    return Done(done_view("Finding raised", raised_text(finding.ref, finding.owner)))


def register_finding_handlers(app: App, services: Services) -> None:
    def ack_click(ack: Ack) -> None:
        ack()

    app.action(FindingIds.COMPLETE.value)(ack=ack_click, lazy=[on_click(services)(done_clicked)])
    app.view(FindingIds.RAISE_MODAL.value)(
        on_submit(services, errors_on=Field.OWNER)(raise_submitted)
    )
