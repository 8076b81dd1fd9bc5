"""The periodic review in Slack: the DM's "Start review" opens the short form, "Snooze 7 days"
snoozes within the configured bound. Each handler is parse → one governance.reviews call
(which checks the person and writes evidence) → what to show; bot.slack.listeners does the
rest."""

from __future__ import annotations

from slack_bolt import Ack, App

from bot.slack.ids import ReviewIds
from bot.slack.listeners import Done, Form, Note, Work, on_click, on_submit
from bot.slack.payloads import BlockActions, ViewSubmission
from bot.slack.review_forms import done_view, found_in, parse_form, review_modal, review_of
from bot.slack.services import Services
from governance import register, reviews
from store.models import utcnow

SNOOZE_DAYS = 7


def start_clicked(work: Work[BlockActions]) -> Form | Note:
    target = review_of(work.payload.action.value)
    record = register.get_record(work.session, target.ref)
    if not reviews.may_act_for(work.config, record, work.user):
        return Note(
            f":no_entry: Only the owner of {target.ref}, their delegates or "
            "a governance lead can review it."
        )
    return Form(review_modal(target, record.title), target.ref)


def snooze_clicked(work: Work[BlockActions]) -> Note:
    target = review_of(work.payload.action.value)
    until = reviews.snooze_review(
        work.session,
        record=register.get_record(work.session, target.ref),
        config=work.config,
        actor=work.user,
        days=SNOOZE_DAYS,
        now=utcnow(),
    )
    return Note(f":zzz: Snoozed: no reminders about {target.ref} until {reviews.fmt_day(until)}.")


def form_submitted(work: Work[ViewSubmission]) -> Done:
    view = work.payload.view
    target = review_of(view.private_metadata)
    answers, outcome, retirement = parse_form(view.state)
    result = reviews.complete_review(
        work.session,
        record=register.get_record(work.session, target.ref),
        config=work.config,
        actor=work.user,
        answers=answers,
        outcome=outcome,
        retirement=retirement,
        now=utcnow(),
        found=found_in(view.state),
    )
    return Done(done_view(result.message))


def register_review_handlers(app: App, services: Services) -> None:
    def ack_click(ack: Ack) -> None:
        ack()

    # Start only opens the form, so it can be clicked again after a cancel; snooze is claimed.
    start = on_click(services, claim=False)(start_clicked)
    app.action(ReviewIds.START.value)(ack=ack_click, lazy=[start])
    app.action(ReviewIds.SNOOZE.value)(ack=ack_click, lazy=[on_click(services)(snooze_clicked)])
    app.view(ReviewIds.MODAL.value)(
        on_submit(services, errors_on=ReviewIds.OUTCOME)(form_submitted)
    )
