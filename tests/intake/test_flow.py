"""Persistence: every turn is saved, a restart resumes, confirm files, stale ones expire."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from bot.context import AppContext
from bot.router import Router
from governance.register import get_record
from intake import flow
from intake.replies import Inbound, ReplyKind
from store.models import Conversation, EvidenceEvent
from tests.intake.conftest import COPILOT, COPILOT_ANSWERS, REQUESTER


def inbound(text: str = "", choice: str | None = None, thread: str = "T1") -> Inbound:
    return Inbound(
        workspace="W1", user=REQUESTER, thread=thread, text=text, choice=choice, channel="D1"
    )


def current_slot(ctx: AppContext, thread: str = "T1") -> str | None:
    with ctx.db.session() as session:
        row = session.scalar(select(Conversation).where(Conversation.thread == thread))
        assert row is not None
        return row.state.get("current")


def test_a_restarted_process_resumes_and_never_re_asks(
    app_context: AppContext, now: datetime
) -> None:
    Router(app_context, now=lambda: now).start_registration(inbound(f"register {COPILOT}"))
    first = Router(app_context, now=lambda: now)
    first.handle(inbound("yes"))  # the customer-facing use and its data are confirmed
    first.handle(inbound("Customer Operations"))
    assert current_slot(app_context) == "owner"
    # A new Router (as after a restart) on the same database picks up where it stopped.
    second = Router(app_context, now=lambda: now)
    resumed = second.resume(inbound())
    assert resumed[-1].kind is ReplyKind.QUESTION and "business owner" in resumed[-1].text
    second.handle(inbound("me"))
    asked = [current_slot(app_context)]
    while (slot := current_slot(app_context)) is not None:
        second.handle(inbound(COPILOT_ANSWERS[slot]))
        asked.append(current_slot(app_context))
    assert "business_unit" not in asked and "owner" not in asked


def test_every_turn_is_saved(app_context: AppContext, now: datetime) -> None:
    router = Router(app_context, now=lambda: now)
    router.start_registration(inbound(COPILOT))
    router.handle(inbound("yes"))
    router.handle(inbound("Customer Operations"))
    with app_context.db.session() as session:
        row = session.scalars(select(Conversation)).one()
        assert row.turn == 3 and row.status == "active"
        assert row.state["fields"]["business_unit"] == "Customer Operations"


def test_confirm_files_the_record_submits_it_and_keeps_the_transcript(
    app_context: AppContext, now: datetime
) -> None:
    router = Router(app_context, now=lambda: now)
    router.start_registration(inbound(COPILOT))
    while (slot := current_slot(app_context)) is not None:
        router.handle(inbound(COPILOT_ANSWERS[slot]))
    replies = router.handle(inbound("confirm", choice="confirm"))
    assert replies[-1].record_refs == ["AIU-0001"]
    assert "risk tier limited" in replies[-1].text
    with app_context.db.session() as session:
        record = get_record(session, "AIU-0001")
        assert record.status != "draft"  # handed to approvals by submit_record
        assert record.risk_tier == "limited" and record.requester == REQUESTER
        assert record.tool == "Microsoft 365 Copilot" and record.owner == REQUESTER
        transcript = session.scalar(
            select(EvidenceEvent).where(EvidenceEvent.kind == "intake.transcript")
        )
        assert transcript is not None and transcript.subject == "AIU-0001"
        assert "Customer Operations" in transcript.payload and "draft replies" in transcript.payload
        row = session.scalars(select(Conversation)).one()
        assert row.status == "done"
    # The thread is free again: the next message is not swallowed by the old registration.
    assert "Your records" in router.handle(inbound("my records"))[0].text


def test_cancel_frees_the_thread_and_files_nothing(app_context: AppContext, now: datetime) -> None:
    router = Router(app_context, now=lambda: now)
    router.start_registration(inbound(COPILOT))
    assert "Nothing was filed" in router.handle(inbound("cancel"))[0].text
    with app_context.db.session() as session:
        assert session.scalars(select(Conversation)).one().status == "cancelled"
    replies = router.start_registration(inbound("register"))
    assert "Describe the AI use" in replies[-1].text


def test_abandoned_conversations_expire_with_a_note(app_context: AppContext, now: datetime) -> None:
    router = Router(app_context, now=lambda: now)
    router.start_registration(inbound(COPILOT))
    router.start_registration(inbound(COPILOT, thread="T2"))
    later = now + timedelta(hours=71)
    Router(app_context, now=lambda: later).handle(inbound("Customer Operations", thread="T2"))
    config = app_context.config
    with app_context.db.session() as session:
        assert flow.expire_stale(session, now + timedelta(hours=71), config=config) == []
    with app_context.db.session() as session:
        notes = flow.expire_stale(session, now + timedelta(hours=73), config=config)
    assert [(n.user, n.thread, n.channel) for n in notes] == [(REQUESTER, "T1", "D1")]
    assert "Copilot to draft replies" in notes[0].text and "72 hours" in notes[0].text
    assert notes[0].key.startswith("intake-expired:")
    with app_context.db.session() as session:
        statuses = {r.thread: r.status for r in session.scalars(select(Conversation))}
        assert statuses == {"T1": "expired", "T2": "active"}
        assert (
            session.scalar(select(EvidenceEvent).where(EvidenceEvent.kind == "intake.expired"))
            is not None
        )
    # An expired thread starts fresh rather than continuing.
    replies = Router(app_context, now=lambda: now).handle(inbound("help"))
    assert "Register a new AI use" in replies[0].text


def test_a_second_register_in_the_same_thread_continues_the_first(
    app_context: AppContext, now: datetime
) -> None:
    router = Router(app_context, now=lambda: now)
    router.start_registration(inbound(COPILOT))
    replies = router.start_registration(inbound("register"))
    assert "already have a registration in progress" in replies[0].text
    assert "Is that right?" in replies[-1].text  # the open question: the facts to confirm


def test_another_features_open_conversation_is_never_overwritten(
    app_context: AppContext, now: datetime
) -> None:
    with app_context.db.session() as session:
        session.add(
            Conversation(
                workspace="W1",
                user_id=REQUESTER,
                thread="T1",
                kind="incident",
                state={"step": 2},
                status="active",
            )
        )
    replies = Router(app_context, now=lambda: now).start_registration(inbound(COPILOT))
    assert "Another conversation is still open" in replies[0].text
    with app_context.db.session() as session:
        row = session.scalars(select(Conversation)).one()
        assert row.kind == "incident" and row.state == {"step": 2}
