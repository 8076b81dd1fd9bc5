"""/ai-incident opens the report form; "Close incident" on an incident notice opens the closure
form (root cause and corrective action). Each handler is parse → one governance.incidents call
→ what to show; bot.slack.listeners does the rest."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from slack_bolt import Ack, App

from bot.slack.ids import IncidentIds
from bot.slack.incident_forms import (
    close_modal,
    done_view,
    parse_report,
    raise_finding_chosen,
    report_modal,
)
from bot.slack.listeners import Done, Form, Work, on_click, on_submit, trigger_of, unit_of_work
from bot.slack.payloads import BlockActions, SlashCommand, ViewSubmission
from bot.slack.services import Services
from governance import incidents
from governance.findings import service as findings
from governance.findings.models import FindingSource
from store.models import utcnow


def open_report_form(services: Services, payload: SlashCommand | BlockActions) -> None:
    """The /ai-incident flow (and the App Home button): open the report form."""
    with unit_of_work(services, payload) as work:
        uses = incidents.reportable_uses(work.session)
    today = utcnow().astimezone(ZoneInfo(work.config.organisation.timezone)).date()
    view = report_modal(uses, today.isoformat())
    services.messenger.open_view(trigger_of(payload), view, "incident")


def close_clicked(work: Work[BlockActions]) -> Form:
    ref = work.payload.action.value or ""
    return Form(close_modal(ref), ref)


def report_submitted(work: Work[ViewSubmission]) -> Done:
    report = parse_report(work.payload.view.state, work.config.organisation.timezone)
    ref = incidents.report_incident(
        work.session, config=work.config, report=report, actor=work.user, now=utcnow()
    ).ref
    every = work.config.incident_follow_up_days
    thanks = (
        f"Thank you. *{ref}* is recorded; the owner and the governance leads are told, "
        f"and they will follow it up every {every} days until it is closed."
    )
    return Done(done_view("Incident reported", thanks))


def close_submitted(work: Work[ViewSubmission]) -> Done:
    view = work.payload.view
    ref, wanted = view.private_metadata, raise_finding_chosen(view.state)
    incident = incidents.close_incident(
        work.session,
        config=work.config,
        incident=incidents.get_incident(work.session, ref),
        actor=work.user,
        now=utcnow(),
        root_cause=view.state.answer(IncidentIds.ROOT_CAUSE, IncidentIds.VALUE),
        corrective_action=view.state.answer(IncidentIds.ACTION, IncidentIds.VALUE),
        raise_finding=wanted,
    )
    source = FindingSource.INCIDENT
    raised = findings.raised_from(work.session, source, incident.ref) if wanted else None
    told = f" Finding *{raised.ref}* is raised; its owner is told." if raised else ""
    return Done(done_view("Incident closed", f"*{incident.ref}* is closed.{told}"))


def register_incident_handlers(app: App, services: Services) -> None:
    def ack_click(ack: Ack) -> None:
        ack()

    # The button only opens a form, so it works again after a cancel.
    close_button = on_click(services, claim=False)(close_clicked)
    app.action(IncidentIds.CLOSE.value)(ack=ack_click, lazy=[close_button])
    report = on_submit(services, errors_on=IncidentIds.AI_USE)(report_submitted)
    app.view(IncidentIds.REPORT_MODAL.value)(report)
    close = on_submit(services, errors_on=IncidentIds.ACTION)(close_submitted)
    app.view(IncidentIds.CLOSE_MODAL.value)(close)
