"""Policy acknowledgements in Slack: a request's two buttons, the leads' "ask for the new version",
the campaign form (/aims ack), and people leaving a channel or group. Each handler is parse →
one governance.acknowledgements call (which checks who is acting, writes evidence and queues
the messages) → what to show; bot.slack.listeners does the rest."""

from __future__ import annotations

from slack_bolt import Ack, App

from bot.slack import ack_forms as forms
from bot.slack.audience import audience_of
from bot.slack.blocks import SlackMessage, sections
from bot.slack.handlers.home import publish_home
from bot.slack.ids import AckIds
from bot.slack.incident_forms import done_view
from bot.slack.listeners import (
    Done,
    Note,
    Work,
    after_ack,
    on_click,
    on_submit,
    send_queued,
    unit_of_work,
)
from bot.slack.payloads import BlockActions, EventCallback, ViewSubmission
from bot.slack.services import Services
from governance import outbox
from governance.acknowledgements import campaigns as ack
from governance.acknowledgements import responses
from governance.acknowledgements.models import AudienceKind, CampaignStart
from governance.errors import StaleActionError
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
                work.session, config=work.config, choice=choice, actor=work.user, now=utcnow()
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
            campaign = responses.note_question(
                work.session, choice=choice, actor=work.user, now=utcnow()
            )
            title = campaign.document_title
            request = outbox.find_sent(work.session, ack.request_key(campaign.ref, work.user))
            where = (request.slack_channel, request.slack_ts) if request else (None, None)
        if not where[0] or not where[1]:
            raise StaleActionError("Your request has not reached you yet; try again shortly.")
        prompt = forms.question_prompt(title)
        message = SlackMessage(text=prompt, blocks=sections(prompt))
        services.messenger.post(where[0], message, thread_ts=where[1])

    def restart(work: Work[BlockActions]) -> Note:
        ack.require_lead(work.config, work.user, forms.WHAT)
        old = ack.get_campaign(work.session, work.payload.action.value or "")
        kind = AudienceKind(old.audience_kind)
        audience = audience_of(client, kind, old.audience_ref, old.audience_label)
        new = ack.restart_for_new_version(
            work.session,
            config=work.config,
            ref=old.ref,
            members=audience.members,
            actor=work.user,
            now=utcnow(),
        )
        return Note(f":arrows_counterclockwise: {forms.asked(work, new.ref, new.document_title)}")

    def start(work: Work[ViewSubmission]) -> Done:
        form = forms.parse_campaign(work.payload.view.state, forms.today(work.config))
        ref = form.channel if form.kind is AudienceKind.CHANNEL else form.group
        audience = audience_of(client, form.kind, ref, form.group_label)
        wanted = CampaignStart(
            policy=form.policy, audience=audience, due_on=form.due_on, summary=form.summary
        )
        campaign = ack.start_campaign(
            work.session, config=work.config, start=wanted, actor=work.user, now=utcnow()
        )
        told = forms.asked(work, campaign.ref, campaign.document_title)
        return Done(done_view("Requests sent", told))

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
    app.action(AckIds.RESTART.value)(ack=ack_now, lazy=[on_click(services)(restart)])
    app.view(AckIds.START_MODAL.value)(on_submit(services, errors_on=AckIds.AUDIENCE_KIND)(start))
    app.event("member_left_channel")(ack=ack_now, lazy=[left_audience])
    app.event("subteam_members_changed")(ack=ack_now, lazy=[left_audience])
