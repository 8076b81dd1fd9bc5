"""/ai-feedback and the "Give feedback" button: anyone tells an AI use's owner what concerns
them, anonymously unless they tick "share my name". `/ai-feedback AIU-0007 words` records it at
once; anything less (or the button) opens the form. Each handler is parse → one
governance.feedback call → what to show; bot.slack.listeners does the rest, and the edge records
these requests with the reporter pseudonymised (bot.slack.inbound)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from sqlalchemy.orm import Session

from bot.slack.blocks import SlackMessage, sections
from bot.slack.feedback_forms import (
    ANONYMOUS,
    GIVE,
    FeedbackForm,
    done_view,
    feedback_modal,
    parse_form,
    read_command,
)
from bot.slack.ids import Command, FeedbackIds
from bot.slack.listeners import (
    Done,
    Form,
    Work,
    after_ack,
    on_click,
    on_submit,
    send_queued,
    trigger_of,
    unit_of_work,
)
from bot.slack.payloads import BlockActions, SlashCommand, ViewSubmission
from bot.slack.services import Services
from governance import feedback, incidents
from governance.errors import ValidationProblem
from store.models import utcnow


def thanks(ref: str, record: str, consent: bool) -> str:
    how = "recorded with your name, which its owner sees" if consent else ANONYMOUS
    return (
        f"Thank you: your feedback *{ref}* about *{record}* is {how}. The owner of the AI use "
        "is told, and it is listed in the use's next review."
    )


def form_for(session: Session, ref: str, concern: str) -> dict[str, Any]:
    """The feedback form, with the record `ref` names chosen (an unknown one is refused)."""
    uses = incidents.reportable_uses(session)
    title = feedback.find_record(session, ref).title if ref else ""
    if not uses and not ref:
        raise ValidationProblem("there is no AI use in the register to give feedback on yet")
    return feedback_modal(uses, ref, title, concern)


def register_feedback_handlers(app: App, services: Services) -> None:
    def salt() -> bytes:
        return feedback.load_salt(services.ctx)

    def command_sent(command: SlashCommand) -> None:
        words = read_command(command.text)
        if not (words.ref and words.concern):
            with unit_of_work(services, command) as work:
                view = form_for(work.session, words.ref, words.concern)
            services.messenger.open_view(trigger_of(command), view, "feedback")
            return
        with unit_of_work(services, command) as work:
            given = feedback.record_feedback(
                work.session,
                config=work.config,
                record_ref=words.ref,
                text=words.concern,
                reporter=work.user,
                consent=False,
                salt=salt(),
                now=utcnow(),
            )
            text = thanks(given.ref, words.ref, consent=False)
        services.messenger.respond(
            command.response_url, SlackMessage(text=text, blocks=sections(text), ephemeral=True)
        )
        send_queued(services)

    def give_clicked(work: Work[BlockActions]) -> Form:
        ref = work.payload.action.value or ""
        return Form(form_for(work.session, ref, ""), ref or "feedback")

    def form_submitted(work: Work[ViewSubmission]) -> Done:
        answers = parse_form(work.payload.view.state)
        given = feedback.record_feedback(
            work.session,
            config=work.config,
            record_ref=answers.record,
            text=answers.concern,
            reporter=work.user,
            consent=answers.consent,
            salt=salt(),
            now=utcnow(),
        )
        return Done(done_view(thanks(given.ref, answers.record, answers.consent)))

    def ack_only(ack: Ack) -> None:
        ack()

    lazy = after_ack(services, SlashCommand)(command_sent)
    app.command(Command.FEEDBACK.value)(ack=ack_only, lazy=[lazy])
    # The button only opens a form, so it works again after a cancel.
    app.action(GIVE)(ack=ack_only, lazy=[on_click(services, claim=False)(give_clicked)])
    submit = on_submit(services, errors_on=FeedbackForm.RECORD)(form_submitted)
    app.view(FeedbackIds.MODAL.value)(submit)
