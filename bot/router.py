"""The transport-free router: what does this person want, and who answers it?

Slack (bot/slack/) and the terminal (bot/cli/chat.py) both hand every message or clicked choice
to `Router.handle`. An active registration in the same thread always gets the message first, so
"skip" or "back" never leak into a policy search.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from bot.context import AppContext
from governance import record_status
from governance import register as register_service
from governance.acknowledgements.responses import asked_in_thread, route_question
from governance.failures import report_failure
from governance.management_review.thread import answer_in_thread, review_in_thread
from intake import flow
from intake.answers import PeopleLookup
from intake.engine import IntakeEngine
from intake.replies import Inbound, Reply, ReplyCitation, ReplyKind
from intake.similarity import enabled as similarity_enabled
from retrieval.models import PolicyAnswer
from store.ack_models import AckCampaign
from store.models import utcnow

log = logging.getLogger(__name__)


class Intent(StrEnum):
    ASK = "ask"
    TOOL = "tool"
    REGISTER = "register"
    MY_RECORDS = "my_records"
    RECORD_STATUS = "record_status"
    HELP = "help"


_HELP = re.compile(r"^\s*(help|\?|what can you do\??|commands|menu)\s*$", re.I)
_MY_RECORDS = re.compile(
    r"\b(my (records?|registrations?|ai uses|uses|requests|submissions?)|status of my|"
    r"what have i registered|show my|list my)\b",
    re.I,
)
_REGISTER = re.compile(
    r"^\s*(register|new ai use|i want to register|add an ai use)\b|"
    r"\b(we|i|our team|my team)\s+(want|would like|'d like|plan|are planning|intend|need|"
    r"are going|'re going|wish|hope)\s+to\s+(use|build|deploy|roll out|introduce|try|adopt|"
    r"buy|start using|pilot|automate|create|develop|train)\b|"
    r"\b(we|i) (want|would like|'d like|plan|are planning)\b.*\b(ai|model|bot|assistant|agent|"
    r"copilot|chatgpt|claude|gpt|llm)\b",
    re.I,
)
_TOOL = re.compile(
    r"\b(is|are)\b.*\b(allowed|approved|permitted|ok|okay|banned|prohibited)\b|"
    r"\b(can|may) (i|we) use\b|\bam i allowed to use\b",
    re.I,
)

HELP_TEXT = (
    "I can help with your organisation's AI rules and register:\n"
    '• Ask a policy question, e.g. "Can I paste customer data into ChatGPT?"\n'
    '• Check a tool, e.g. "Is Otter allowed?"\n'
    '• Register a new AI use: say "register" or describe it, e.g. '
    '"We want Copilot to draft replies to customer complaints"\n'
    '• See your records and their status: "my records", or ask about one: '
    '"Has AIU-0007 been approved?"\n'
    'While registering you can say "back", "skip" (optional questions), "cancel", or '
    'correct anything, e.g. "actually it is customer-facing".'
)


def classify_intent(text: str) -> Intent:
    """Rules first: the intents are few and a wrong guess is cheap (help explains the rest)."""
    if _HELP.match(text):
        return Intent.HELP
    # A record's status comes from the register, never from a policy search (a policy document
    # claiming "AIU-0001 is approved" proves nothing): an id, or "has my registration been
    # approved?", goes to the register.
    if record_status.record_refs(text):
        return Intent.RECORD_STATUS
    if _MY_RECORDS.search(text):
        return Intent.MY_RECORDS
    if record_status.asks_about_records(text):
        return Intent.RECORD_STATUS
    if _REGISTER.search(text):
        return Intent.REGISTER
    if _TOOL.search(text):
        return Intent.TOOL
    return Intent.ASK


class Router:
    def __init__(
        self,
        ctx: AppContext,
        *,
        now: Callable[[], datetime] | None = None,
        people: PeopleLookup | None = None,
    ) -> None:
        self.ctx = ctx
        self._now = now or utcnow
        # The transport's own directory of people (Slack's users), beyond aims.yaml's.
        self._people = people

    # -- entry points -------------------------------------------------------------------------
    def handle(self, inbound: Inbound) -> list[Reply]:
        """Any message or clicked choice."""
        return self._guarded(self._dispatch, inbound)

    def _dispatch(self, inbound: Inbound) -> list[Reply]:
        with self.ctx.db.session() as session:
            if flow.active_conversation(session, inbound) is not None:
                return self._intake_turn(session, inbound)
            if inbound.channel and inbound.text:
                campaign = asked_in_thread(
                    session, person=inbound.user, channel=inbound.channel, thread=inbound.thread
                )
                if campaign is not None:
                    return self._policy_question(session, inbound, campaign)
                review = review_in_thread(session, channel=inbound.channel, thread=inbound.thread)
                if review is not None:
                    return self._review_thread(session, inbound, review)
        text = (inbound.text or inbound.choice or "").strip()
        intent = classify_intent(text)
        log.info("intent %s for %s", intent, inbound.user)
        if intent is Intent.HELP:
            return self.help()
        if intent is Intent.MY_RECORDS:
            return self._my_records(inbound)
        if intent is Intent.RECORD_STATUS:
            return self._record_status(text)
        if intent is Intent.REGISTER:
            return self._start_registration(inbound)
        return self._ask(inbound)

    def resume(self, inbound: Inbound) -> list[Reply]:
        """What an unfinished registration in this thread is waiting for (empty if none)."""
        with self.ctx.db.session() as session:
            return flow.resume(session, self.ctx.config, inbound, now=self._now())

    def _guarded(self, handler: Callable[[Inbound], list[Reply]], inbound: Inbound) -> list[Reply]:
        """Every transport's one error path (governance.failures): a known error says how to
        fix it; anything else gets a reference id that is logged and recorded."""
        try:
            return handler(inbound)
        except Exception as exc:
            # The unit of work has rolled back by then, so saved state is untouched.
            failure = report_failure(self.ctx.db, exc, "router")
            return [Reply(kind=ReplyKind.ERROR, text=failure.text, ephemeral=True)]

    def ask(self, inbound: Inbound) -> list[Reply]:
        """A policy or tool question, answered with citations."""
        return self._guarded(self._ask, inbound)

    def start_registration(self, inbound: Inbound) -> list[Reply]:
        """Begin (or resume) registering a new AI use in this thread."""
        return self._guarded(self._start_registration, inbound)

    def my_records(self, inbound: Inbound) -> list[Reply]:
        """The records this person requested or owns, with their status."""
        return self._guarded(self._my_records, inbound)

    def _ask(self, inbound: Inbound) -> list[Reply]:
        question = (inbound.text or "").strip()
        if not question:
            return [
                Reply(
                    kind=ReplyKind.INFO,
                    text="Ask me a question about the AI policies, "
                    'e.g. "Can I use ChatGPT with customer data?"',
                )
            ]
        with self.ctx.db.session() as session:
            answer: PolicyAnswer = self.ctx.answerer.answer(
                question, actor=inbound.user, session=session
            )
        return [_answer_reply(answer)]

    def _policy_question(
        self, session: Session, inbound: Inbound, campaign: AckCampaign
    ) -> list[Reply]:
        """Asked in the thread of a request to acknowledge a policy: answered from that policy
        alone; what it does not answer goes to the governance leads."""
        question = inbound.text.strip()
        answer: PolicyAnswer = self.ctx.answerer.answer(
            question, actor=inbound.user, session=session, source=campaign.document_source
        )
        if answer.covered:
            return [_answer_reply(answer)]
        leads = route_question(
            session,
            config=self.ctx.config,
            campaign_ref=campaign.ref,
            person=inbound.user,
            question=question,
            now=self._now(),
        )
        names = " and ".join(self.ctx.config.display_name(lead) for lead in leads)
        return [
            Reply(
                kind=ReplyKind.INFO,
                text=f"{campaign.document_title} does not answer that, so I have sent your "
                f"question to {names or 'the governance leads'}; they will reply to you directly.",
            )
        ]

    def _review_thread(self, session: Session, inbound: Inbound, review: str) -> list[Reply]:
        """In a management review's thread: a lead's decision or action is recorded (a note in
        the thread says so); anything else gets a private hint, and anyone else is refused."""
        hint = answer_in_thread(
            session,
            config=self.ctx.config,
            ref=review,
            person=inbound.user,
            text=inbound.text,
            now=self._now(),
        )
        return [Reply(kind=ReplyKind.INFO, text=hint, ephemeral=True)] if hint else []

    def _start_registration(self, inbound: Inbound) -> list[Reply]:
        with self.ctx.db.session() as session:
            return flow.start(
                session,
                self.ctx.config,
                inbound,
                now=self._now(),
                engine=self._engine(),
            )

    def _my_records(self, inbound: Inbound) -> list[Reply]:
        with self.ctx.db.session() as session:
            records = register_service.list_records(session, owner=inbound.user)
            lines = [
                f"• {r.ref} {r.title}: {r.status.replace('_', ' ')}, "
                f"tier {r.risk_tier or 'not set'}"
                for r in records
            ]
            refs = [r.ref for r in records]
        if not lines:
            return [
                Reply(
                    kind=ReplyKind.INFO,
                    text="You have no register records yet. Say "
                    '"register" to register a new AI use.',
                    ephemeral=True,
                )
            ]
        return [
            Reply(
                kind=ReplyKind.INFO,
                text="Your records:\n" + "\n".join(lines),
                record_refs=refs,
                ephemeral=True,
            )
        ]

    def _record_status(self, question: str) -> list[Reply]:
        with self.ctx.db.session() as session:
            found = record_status.answer_about_records(session, question, config=self.ctx.config)
        return [
            Reply(kind=ReplyKind.ANSWER, text=found.text, record_refs=found.refs, ephemeral=True)
        ]

    def help(self) -> list[Reply]:
        return [Reply(kind=ReplyKind.INFO, text=HELP_TEXT)]

    # -- internals ----------------------------------------------------------------------------
    def _intake_turn(self, session: Session, inbound: Inbound) -> list[Reply]:
        replies = flow.turn(
            session, self.ctx.config, inbound, now=self._now(), engine=self._engine()
        )
        if not any(reply.kind is ReplyKind.ASIDE for reply in replies):
            return replies
        # A policy question asked mid-registration is answered in place; the registration's
        # question follows it. The turn is saved first, so the answer runs in its own session.
        session.commit()
        answered: list[Reply] = []
        for reply in replies:
            if reply.kind is ReplyKind.ASIDE:
                answered += self._ask(inbound.model_copy(update={"text": reply.text}))
            else:
                answered.append(reply)
        return answered

    def _engine(self) -> IntakeEngine:
        """The intake engine with the context's embedder (unless turned off) and chat model."""
        embedder = self.ctx.embedder if similarity_enabled() else None
        return flow.engine_for(
            self.ctx.config,
            embedder=embedder,
            chat_model=self.ctx.chat_model,
            people=self._people,
        )


def _answer_reply(answer: PolicyAnswer) -> Reply:
    citations = []
    for c in answer.citations:
        section = " › ".join(c.section_path)
        citations.append(
            ReplyCitation(
                number=c.number,
                title=c.document_title,
                section=section,
                passage=c.passage,
                url=c.url,
                chunk_id=c.chunk_id,
            )
        )
    ref = answer.evidence_seq
    return Reply(
        kind=ReplyKind.ANSWER,
        text=answer.text,
        citations=citations,
        record_refs=list(answer.record_refs),
        answer_ref=str(ref) if ref is not None else None,
    )
