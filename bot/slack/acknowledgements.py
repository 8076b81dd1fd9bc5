"""Policy acknowledgements in Slack: a request's two buttons, the leads' "ask for the new version",
the campaign form (/aims ack), and people leaving a channel or group. Each handler is parse →
one governance.acknowledgements call (which checks who is acting, writes evidence and queues
the messages) → what to show; bot.slack.listeners does the rest."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext

from bot.slack import ack_forms as forms
from bot.slack.audience import audience_of
from bot.slack.blocks import SlackMessage, sections
from bot.slack.errors import form_errors
from bot.slack.handlers.home import publish_home
from bot.slack.ids import AckIds
from bot.slack.incident_forms import done_view
from bot.slack.listeners import after_ack, send_queued, submitted, tell, unit_of_work
from bot.slack.payloads import BlockActions, EventCallback, ViewSubmission
from bot.slack.services import Services
from governance.acknowledgements import campaigns, responses
from governance.acknowledgements.models import AudienceKind, CampaignStart
from governance.errors import AimsError
from store.models import utcnow


def register_ack_handlers(app: App, services: Services) -> None:
    client = services.messenger.client

    def ack_now(ack: Ack) -> None:
        ack()

    @after_ack(services, BlockActions)
    def acknowledge(click: BlockActions) -> None:
        choice = forms.choice_of(click.action.value)
        with unit_of_work(services, click) as work:
            result = responses.acknowledge(
                work.session,
                config=work.config,
                choice=choice,
                actor=work.user,
                now=utcnow(),
                via="message" if click.response_url else "home",
            )
        if click.response_url:
            services.messenger.respond(click.response_url, forms.result_message(result))
        else:  # App Home, which now shows it done
            publish_home(services, click, click.user_id)
        send_queued(services)

    @after_ack(services, BlockActions)
    def ask_about_policy(click: BlockActions) -> None:
        choice = forms.choice_of(click.action.value)
        with unit_of_work(services, click) as work:
            campaign, channel, ts = responses.note_question(
                work.session, choice=choice, actor=work.user, now=utcnow()
            )
            prompt = forms.question_prompt(campaign.document_title)
        services.messenger.post(
            channel, SlackMessage(text=prompt, blocks=sections(prompt)), thread_ts=ts
        )

    @after_ack(services, BlockActions)
    def restart(click: BlockActions) -> None:
        # Read in a short transaction; Slack is paged outside any (no lock held meanwhile).
        with unit_of_work(services, click) as work:
            work.config.require_lead(work.user, forms.WHAT)
            old = campaigns.get_campaign(work.session, click.action.value or "")
            kind, ref, label = AudienceKind(old.audience_kind), old.audience_ref, old.audience_label
        audience = audience_of(client, kind, ref, label)
        with unit_of_work(services, click) as work:
            new = campaigns.restart_for_new_version(
                work.session,
                config=work.config,
                ref=old.ref,
                members=audience.members,
                actor=work.user,
                now=utcnow(),
            )
            told = forms.asked(work, new.ref, new.document_title)
        tell(services.messenger, click, f":arrows_counterclockwise: {told}")
        send_queued(services)

    def check_form(ack: Ack, context: BoltContext) -> None:
        """Answered at once (Slack waits 3 s): the form's own answers and the lead check."""
        form = submitted(context)
        try:
            wanted = forms.checked_form(form.view.state, services.ctx.config, form.user.id)
        except AimsError as error:
            ack(
                response_action="errors",
                errors=form_errors(error, form, services.messenger, AckIds.AUDIENCE_KIND),
            )
            return
        ack(
            response_action="update", view=done_view("Sending requests", forms.sending_text(wanted))
        )

    @after_ack(services, ViewSubmission)
    def start(submission: ViewSubmission) -> None:
        config = services.ctx.config
        form = forms.checked_form(submission.view.state, config, submission.user.id)
        audience = audience_of(client, form.kind, form.audience_ref, form.audience_label)
        wanted = CampaignStart(
            policy=form.policy, audience=audience, due_on=form.due_on, summary=form.summary
        )
        with unit_of_work(services, submission) as work:
            campaign = campaigns.start_campaign(
                work.session, config=work.config, start=wanted, actor=work.user, now=utcnow()
            )
            told = forms.asked(work, campaign.ref, campaign.document_title)
        lead = services.messenger.open_dm(work.user)
        services.messenger.post(lead, SlackMessage(text=told, blocks=sections(told)))
        send_queued(services)

    @after_ack(services, EventCallback)
    def left_audience(payload: EventCallback) -> None:
        now = utcnow()
        with unit_of_work(services, payload) as work:
            for kind, ref, person, why in forms.departures(payload.event):
                responses.leave_audience(
                    work.session, kind=kind, ref=ref, person=person, now=now, reason=why
                )

    app.action(AckIds.CONFIRM.value)(ack=ack_now, lazy=[acknowledge])
    app.action(AckIds.QUESTION.value)(ack=ack_now, lazy=[ask_about_policy])
    app.action(AckIds.RESTART.value)(ack=ack_now, lazy=[restart])
    app.view(AckIds.START_MODAL.value)(ack=check_form, lazy=[start])
    app.event("member_left_channel")(ack=ack_now, lazy=[left_audience])
    app.event("subteam_members_changed")(ack=ack_now, lazy=[left_audience])
