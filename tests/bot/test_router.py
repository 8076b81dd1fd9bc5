"""The transport-free router: intents, registrations in threads, answers, and failures."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from bot import router as router_module
from bot.context import AppContext
from bot.router import Intent, Router, classify_intent
from governance.models import RecordFields, RiskTier
from governance.register import create_record
from intake.replies import Inbound, ReplyKind
from retrieval.answer import Citation, PolicyAnswer
from store.models import Conversation, EvidenceEvent
from tests.governance.approvals.helpers import submitted

USER = "U0ACME0009"


@pytest.fixture(autouse=True)
def _rules_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AIMS_INTAKE_EMBEDDINGS", "0")
    yield


@pytest.fixture
def router(app_context: AppContext, now: datetime) -> Router:
    return Router(app_context, now=lambda: now)


def with_answerer(router: Router, answerer: Any) -> Router:
    """The same router over a context whose answerer is `answerer` (the composition root's
    seam: no monkeypatching)."""
    ctx = router.ctx
    providers = replace(ctx.providers, answerer=lambda _: answerer)
    return Router(AppContext(ctx.config_path, ctx.settings, providers), now=router._now)


def said(text: str, thread: str = "T1", choice: str | None = None) -> Inbound:
    return Inbound(workspace="W1", user=USER, thread=thread, text=text, choice=choice)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("help", Intent.HELP),
        ("what can you do?", Intent.HELP),
        ("show my records", Intent.MY_RECORDS),
        ("what is the status of my requests", Intent.MY_RECORDS),
        ("register", Intent.REGISTER),
        ("We want Copilot to draft replies to customer complaints", Intent.REGISTER),
        ("our team would like to use ChatGPT for meeting notes", Intent.REGISTER),
        ("Is Otter allowed?", Intent.TOOL),
        ("can I use DeepSeek for work?", Intent.TOOL),
        ("What data can I paste into ChatGPT Enterprise?", Intent.ASK),
        ("Has AIU-0001 been approved?", Intent.RECORD_STATUS),
        ("What is the status of AIU-0001?", Intent.RECORD_STATUS),
        ("show aiu-7", Intent.RECORD_STATUS),
        ("Have the pending register records been approved?", Intent.RECORD_STATUS),
        ("Has my registration been approved?", Intent.MY_RECORDS),
    ],
)
def test_intents(text: str, intent: Intent) -> None:
    assert classify_intent(text) is intent


def test_a_question_about_the_approval_process_stays_a_policy_question(router: Router) -> None:
    fake = FakeAnswerer()
    router = with_answerer(router, fake)
    questions = ["When is a register record approved?", "Who approves a high-risk AI use?"]
    for text in questions:
        [reply] = router.handle(said(text))
        assert reply.kind is ReplyKind.ANSWER  # not a record status, not a registration
    assert fake.questions == questions


def test_help_lists_what_the_bot_does(router: Router) -> None:
    text = router.handle(said("help"))[0].text
    assert "Register a new AI use" in text and "my records" in text and "cancel" in text


def test_free_text_about_a_new_use_starts_a_registration(router: Router) -> None:
    replies = router.handle(said("We want Copilot to draft replies to customer complaints"))
    assert replies[-1].kind is ReplyKind.QUESTION
    assert replies[-1].conversation_id is not None
    assert 'Customers — from "replies to customer complaints"' in replies[-1].text
    # "Copilot" is two catalogue tools: the requester picks, nothing is guessed.
    tools = router.handle(said("yes"))[-1]
    assert [c.label for c in tools.choices][:2] == [
        "Microsoft 365 Copilot",
        "GitHub Copilot Business",
    ]
    router.handle(said("1"))
    # In the same thread, "help" and "skip" are now answers to the registration.
    assert "Customer Operations, Marketing" in router.handle(said("help"))[-1].text


def test_registrations_are_per_thread(router: Router) -> None:
    router.handle(said("register We want Copilot to draft complaint replies", thread="A"))
    text = router.handle(said("help", thread="B"))[0].text
    assert text.startswith("I can help")


def test_my_records_lists_what_i_requested_or_own(router: Router, app_context: AppContext) -> None:
    assert "no register records yet" in router.my_records(said(""))[0].text
    with app_context.db.session() as session:
        create_record(
            session,
            fields=RecordFields(title="Complaint drafts", requester=USER, risk_tier="limited"),
            actor=USER,
        )
        create_record(
            session,
            fields=RecordFields(title="Someone else's", requester="U0OTHER"),
            actor="U0OTHER",
        )
    reply = router.handle(said("my records"))[0]
    assert "AIU-0001 Complaint drafts: draft, tier limited" in reply.text
    assert "Someone else's" not in reply.text and reply.record_refs == ["AIU-0001"]


def test_a_record_status_question_is_answered_from_the_register(
    router: Router, app_context: AppContext, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeAnswerer()
    router = with_answerer(router, fake)
    with app_context.db.session() as session:
        submitted(session, app_context.config, RiskTier.LIMITED, now)
    [reply] = router.handle(said("Has AIU-0001 been approved?"))
    assert reply.text.startswith(
        "No: AIU-0001 “Support chat assistant” is in review, risk tier limited (v1). "
        "Waiting for approval from "
    )
    assert "From the register" in reply.text
    assert reply.record_refs == ["AIU-0001"] and reply.citations == []
    assert fake.questions == []  # no policy passage was searched
    status = router.handle(said("What is the status of aiu-1?"))[0].text
    assert status.startswith("AIU-0001 “Support chat assistant” is in review")


def test_an_unknown_record_id_gets_a_clear_message(router: Router) -> None:
    [reply] = router.handle(said("Has AIU-0099 been approved?"))
    assert reply.text.startswith("There is no register record AIU-0099. Check the id")
    assert reply.record_refs == []
    which = router.handle(said("Have the pending register records been approved?"))[0].text
    assert which.startswith("Which record do you mean? Give its id, like AIU-0007")


class FakeAnswerer:
    def __init__(self) -> None:
        self.questions: list[str] = []

    def answer(self, question: str, *, actor: str, session: Any) -> PolicyAnswer:
        self.questions.append(question)
        return PolicyAnswer(
            question=question,
            text="No: customer data may not go into ChatGPT [1].",
            covered=True,
            mode="extractive",
            evidence_seq=42,
            citations=[
                Citation(
                    number=1,
                    document_title="Acceptable Use of AI Tools",
                    section_path=["4. Approved tools", "4.2 ChatGPT Enterprise"],
                    source="acceptable-use.md",
                    chunk_id="c1",
                    chunk_hash="h",
                    passage="No customer data",
                    url=None,
                )
            ],
        )


def test_policy_questions_are_answered_with_citations(
    router: Router, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeAnswerer()
    router = with_answerer(router, fake)
    reply = router.handle(said("Can I paste customer data into ChatGPT?"))[0]
    assert reply.kind is ReplyKind.ANSWER and reply.answer_ref == "42"
    assert reply.citations[0].section == "4. Approved tools › 4.2 ChatGPT Enterprise"
    assert fake.questions == ["Can I paste customer data into ChatGPT?"]
    router.ask(said("Is Otter allowed?"))
    assert fake.questions[-1] == "Is Otter allowed?"


def test_an_unexpected_failure_gives_a_reference_and_keeps_state(
    router: Router, monkeypatch: pytest.MonkeyPatch
) -> None:
    router.handle(said("register We want Microsoft 365 Copilot to draft complaint replies"))
    router.handle(said("yes"))

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(router_module.flow, "turn", broken)
    reply = router.handle(said("Customer Operations"))[0]
    assert reply.kind is ReplyKind.ERROR and "boom" not in reply.text
    with router.ctx.db.session() as session:  # the reference quoted is the one recorded
        recorded = session.scalars(
            select(EvidenceEvent).where(EvidenceEvent.kind == "slack.error")
        ).one()
    assert f"reference *{recorded.subject}*" in reply.text and "boom" in recorded.payload
    monkeypatch.undo()
    monkeypatch.setenv("AIMS_INTAKE_EMBEDDINGS", "0")
    replies = router.handle(said("Customer Operations"))
    assert "business owner" in replies[-1].text


def test_a_policy_question_mid_registration_is_answered_and_the_registration_goes_on(
    router: Router, app_context: AppContext
) -> None:
    fake = FakeAnswerer()
    router = with_answerer(router, fake)
    router.handle(said("register We want Microsoft 365 Copilot to draft complaint replies"))
    router.handle(said("yes"))
    assert _asking(app_context) == "business_unit"
    replies = router.handle(said("Can I paste customer data into ChatGPT?"))
    assert fake.questions == ["Can I paste customer data into ChatGPT?"]
    assert replies[0].kind is ReplyKind.ANSWER and replies[0].citations
    assert replies[-1].text.startswith("…and back to your registration:")
    assert "business unit" in replies[-1].text
    assert _asking(app_context) == "business_unit"  # the question did not answer it
    router.handle(said("Customer Operations"))
    assert _asking(app_context) == "owner"


def _asking(ctx: AppContext) -> str | None:
    with ctx.db.session() as session:
        row = session.scalars(select(Conversation)).one()
        return row.state.get("current")
