"""How a listener runs. A handler gets a Work (the typed payload the middleware parsed, who is
acting, and a unit of work: an open database session) and returns what to show; this module
acks, claims the delivery, commits, shows the result, sends what the change queued, and sends
every error down the one error path (bot.slack.errors). Handlers stay parse → one service
call → what to render: no sessions, no try/except, no Slack calls of their own.

The session closes (commits) before anything is sent to Slack: sending records evidence in a
transaction of its own, and a person never hears of a change that then rolls back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from slack_bolt import Ack, BoltContext
from sqlalchemy.orm import Session

from bot.slack.blocks import SlackMessage, sections
from bot.slack.errors import form_errors, report_error
from bot.slack.inbound import NOT_RECORDED, REQUEST_REF
from bot.slack.keys import actor_of, delivery_key
from bot.slack.messenger import Messenger
from bot.slack.middleware import claim_delivery, release_delivery, typed_payload
from bot.slack.outbox_sender import drain_outbox
from bot.slack.payloads import BlockActions, EventCallback, SlashCommand, ViewSubmission
from bot.slack.services import Services
from governance.config import OrgConfig
from governance.errors import AimsError, StaleActionError
from store.evidence_batch import EvidenceCommitError

log = logging.getLogger(__name__)
P = TypeVar("P")
# How long the work after an ack waits for its request's record (the ledger lock is contended
# by every writer; a database that is down fails the batch at once).
RECORD_WAIT_SECONDS = 30.0
# Sends what a form's change queued, after the form has its answer.
_SENDING = ThreadPoolExecutor(2, thread_name_prefix="aims-send")


@dataclass
class Work(Generic[P]):
    """What a handler is given: the typed payload, who is acting, and the unit of work."""

    payload: P
    user: str
    session: Session
    config: OrgConfig


@dataclass(frozen=True)
class Note:
    """A private note to the person who clicked, where they clicked."""

    text: str


@dataclass(frozen=True)
class Form:
    """A modal, opened with the click's trigger. A `secret` one (a gateway key shown once) is
    opened without its content being recorded anywhere."""

    view: dict[str, Any]
    subject: str
    secret: bool = False


@dataclass(frozen=True)
class Done:
    """The form closes, or is replaced by `view`."""

    view: dict[str, Any] | None = None


@dataclass(frozen=True)
class Invalid:
    """The form stays open, with each message under its block."""

    errors: dict[str, str]


Shown = Note | Form | None
Answer = Done | Invalid
ClickHandler = Callable[[Work[BlockActions]], Shown]
SubmitHandler = Callable[[Work[ViewSubmission]], Answer]


def after_ack(
    services: Services, kind: type[P], *, claim: bool = True
) -> Callable[[Callable[[P], None]], Callable[[BoltContext], None]]:
    """Wrap a lazy listener (the work after the ack) that takes a typed payload: wait until
    the request's `slack.inbound` record is committed (nothing acts on an unrecorded request),
    claim the delivery, so a redelivery, retry or double click does nothing, and route errors to
    the one error handler (Bolt's error handler does not see lazy listeners). Work that raises
    releases the claim first, so Slack's retry (or the person trying again) is not dropped.

    `claim=False` is for buttons that only open a form: opening one changes nothing (the form's
    submission is what is made exactly-once), and someone who cancels the form must be able to
    click the same button again."""

    def wrap(func: Callable[[P], None]) -> Callable[[BoltContext], None]:
        def run(context: BoltContext) -> None:
            payload = typed_payload(context)
            if not isinstance(payload, kind):
                log.error("listener %s got %s", func.__name__, type(payload).__name__)
                return
            key = delivery_key(payload)  # type: ignore[arg-type]
            receipt = services.receipts.take(context.get(REQUEST_REF))
            claimed = False
            try:
                if receipt is not None:
                    receipt.wait(RECORD_WAIT_SECONDS)
                if context.get(NOT_RECORDED):  # sent by the serving process (bot.slack.workers)
                    raise EvidenceCommitError(f"not recorded: {context.get(NOT_RECORDED)}")
                claimed = claim_delivery(services.ctx, key) if claim else False
                if claimed or not claim:
                    func(payload)
            except Exception as exc:
                if claimed:
                    release_delivery(services.ctx, key)
                report_error(exc, payload, services.messenger)  # type: ignore[arg-type]

        # Not functools.wraps: Bolt reads a listener's arguments through __wrapped__.
        run.__name__, run.__qualname__ = func.__name__, func.__qualname__
        return run

    return wrap


@contextmanager
def unit_of_work(
    services: Services, payload: BlockActions | ViewSubmission | SlashCommand | EventCallback
) -> Iterator[Work[Any]]:
    """The handler's Work; commits when the handler returns, rolls back if it raises."""
    with services.ctx.db.session() as session:
        yield Work(payload, actor_of(payload), session, services.ctx.config)


def on_click(
    services: Services, *, claim: bool = True
) -> Callable[[ClickHandler], Callable[[BoltContext], None]]:
    """A button handler run after the ack. `claim=False` for buttons that only open a form."""

    def wrap(handler: ClickHandler) -> Callable[[BoltContext], None]:
        def run(click: BlockActions) -> None:
            with unit_of_work(services, click) as work:
                shown = handler(work)
            if isinstance(shown, Note):
                tell(services.messenger, click, shown.text)
            elif isinstance(shown, Form):
                services.messenger.open_view(
                    trigger_of(click), shown.view, shown.subject, secret=shown.secret
                )
            if claim:
                send_queued(services)

        run.__name__ = handler.__name__
        return after_ack(services, BlockActions, claim=claim)(run)

    return wrap


def on_submit(
    services: Services, *, errors_on: str
) -> Callable[[SubmitHandler], Callable[[Ack, BoltContext], None]]:
    """A form submission, answered in its ack so a problem shows in the form itself: a known
    error goes under the block `errors_on` names (or the FormProblem's own); anything else
    reaches Bolt's error handler, which replaces the form with one saying what happened. A
    repeated submission needs no delivery claim: the services refuse a second change."""

    def wrap(handler: SubmitHandler) -> Callable[[Ack, BoltContext], None]:
        def run(ack: Ack, context: BoltContext) -> None:
            form = submitted(context)
            try:
                with unit_of_work(services, form) as work:
                    answer = handler(work)
            except AimsError as error:
                answer = Invalid(form_errors(error, form, services.messenger, errors_on))
            if isinstance(answer, Invalid):
                ack(response_action="errors", errors=answer.errors)
                return
            if answer.view is None:
                ack()
            else:
                ack(response_action="update", view=answer.view)
            # Bolt answers the form once this returns: the sending must not delay it.
            _SENDING.submit(send_queued, services)

        run.__name__ = handler.__name__
        return run

    return wrap


def tell(messenger: Messenger, click: BlockActions, text: str) -> None:
    """A private note to the clicker, in the conversation where they clicked."""
    message = SlackMessage(text=text, blocks=sections(text), ephemeral=True)
    if click.response_url:
        messenger.respond(click.response_url, message)
        return
    channel = click.container.channel_id if click.container else None
    if channel:
        messenger.call(
            "chat.postEphemeral",
            channel,
            channel=channel,
            user=click.user_id,
            text=text,
            blocks=message.blocks,
        )


def trigger_of(click: BlockActions | SlashCommand) -> str:
    """The trigger a form opens with; Slack sends one with every click and command."""
    if not click.trigger_id:
        raise StaleActionError("Slack did not send a trigger for that click; please try again.")
    return click.trigger_id


def submitted(context: BoltContext) -> ViewSubmission:
    """The typed form submission a view listener was called for."""
    payload = typed_payload(context)
    if not isinstance(payload, ViewSubmission):
        raise StaleActionError("That form could not be read; please open it again.")
    return payload


def send_queued(services: Services) -> None:
    """Send what a handler's change queued (committed already), so it feels instant. The outbox
    loop would send it anyway, claims stop a double send and keep each thread in order; a
    failure here is logged."""
    try:
        drain_outbox(services.ctx, services.messenger.client)
    except Exception:
        log.exception("outbox pass after a Slack action failed; the outbox loop will retry")
