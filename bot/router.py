"""The transport-free router: what does this person want, and who answers it?

Slack (bot/slack/) and the terminal (bot/cli/chat.py) both hand every message or clicked choice
to `Router.handle`. An active registration in the same thread always gets the message first, so
"skip" or "back" never leak into a policy search.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from bot.context import AppContext
from governance import register as register_service
from governance.errors import AimsError
from intake import flow
from intake.catalogue import find_tools_in
from intake.replies import Inbound, Reply, ReplyCitation, ReplyKind
from store.models import utcnow

log = logging.getLogger(__name__)


class Intent(StrEnum):
    ASK = "ask"
    TOOL = "tool"
    REGISTER = "register"
    MY_RECORDS = "my_records"
    HELP = "help"


_HELP = re.compile(r"^\s*(help|\?|what can you do\??|commands|menu)\s*$", re.I)
_MY_RECORDS = re.compile(
    r"\b(my (records|registrations|ai uses|uses|requests|submissions)|status of my|"
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
    '• See your records and their status: "my records"\n'
    'While registering you can say "back", "skip" (optional questions), "cancel", or '
    'correct anything, e.g. "actually it is customer-facing".'
)


def classify_intent(text: str, catalogue_names: list[str] | None = None) -> Intent:
    """Rules first: the intents are few and a wrong guess is cheap (help explains the rest)."""
    if _HELP.match(text):
        return Intent.HELP
    if _MY_RECORDS.search(text):
        return Intent.MY_RECORDS
    if _REGISTER.search(text):
        return Intent.REGISTER
    if _TOOL.search(text):
        return Intent.TOOL
    return Intent.ASK


class Router:
    def __init__(self, ctx: AppContext, *, now: Callable[[], datetime] | None = None) -> None:
        self.ctx = ctx
        self._now = now or utcnow

    # -- entry points -------------------------------------------------------------------------
    def handle(self, inbound: Inbound) -> list[Reply]:
        """Any message or clicked choice."""
        return self._guarded(self._dispatch, inbound)

    def _dispatch(self, inbound: Inbound) -> list[Reply]:
        with self.ctx.db.session() as session:
            if flow.active_conversation(session, inbound) is not None:
                return self._intake_turn(session, inbound)
        text = (inbound.text or inbound.choice or "").strip()
        intent = classify_intent(text)
        log.info("intent %s for %s", intent, inbound.user)
        if intent is Intent.HELP:
            return self.help()
        if intent is Intent.MY_RECORDS:
            return self._my_records(inbound)
        if intent is Intent.REGISTER:
            return self._start_registration(inbound)
        return self._ask(inbound)

    def resume(self, inbound: Inbound) -> list[Reply]:
        """What an unfinished registration in this thread is waiting for (empty if none)."""
        with self.ctx.db.session() as session:
            return flow.resume(session, self.ctx.config, inbound, now=self._now())

    def _guarded(self, handler: Callable[[Inbound], list[Reply]], inbound: Inbound) -> list[Reply]:
        """Typed errors become their own message; anything else a reference id that is
        logged. The unit of work has rolled back by then, so saved state is untouched."""
        try:
            return handler(inbound)
        except AimsError as exc:
            return [Reply(kind=ReplyKind.ERROR, text=str(exc), ephemeral=True)]
        except Exception:
            ref = uuid.uuid4().hex[:8]
            log.exception("router failed (ref %s) for %s", ref, inbound.user)
            return [
                Reply(
                    kind=ReplyKind.ERROR,
                    ephemeral=True,
                    text=f"Something went wrong on my side (reference {ref}). Nothing "
                    "you said was lost; try again, or tell #ai-governance.",
                )
            ]

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
        answerer = _answerer(self.ctx)
        if answerer is None:
            return [self._catalogue_answer(question)]
        with self.ctx.db.session() as session:
            answer = answerer.answer(question, actor=inbound.user, session=session)
        return [_answer_reply(answer)]

    def _start_registration(self, inbound: Inbound) -> list[Reply]:
        with self.ctx.db.session() as session:
            return flow.start(
                session,
                self.ctx.config,
                inbound,
                now=self._now(),
                settings_llm=self.ctx.settings.llm,
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

    def help(self) -> list[Reply]:
        return [Reply(kind=ReplyKind.INFO, text=HELP_TEXT)]

    # -- internals ----------------------------------------------------------------------------
    def _intake_turn(self, session: Session, inbound: Inbound) -> list[Reply]:
        return flow.turn(
            session, self.ctx.config, inbound, now=self._now(), settings_llm=self.ctx.settings.llm
        )

    def _catalogue_answer(self, question: str) -> Reply:
        """Without the retrieval answerer, still say what the catalogue says about named tools."""
        tools = find_tools_in(question, self.ctx.config.catalogue)
        if not tools:
            return Reply(
                kind=ReplyKind.INFO,
                text="Policy search is not available in this "
                "installation yet, and I found no catalogue tool in your question. "
                'Ask #ai-governance, or say "help".',
            )
        lines = []
        for tool in tools:
            status = tool.status.value.replace("_", " ")
            lines.append(f"{tool.name} ({tool.vendor}): {status}.")
            lines += [f"  • {condition}" for condition in tool.conditions]
            if tool.policy_ref:
                lines.append(f"  See {tool.policy_ref}.")
        return Reply(kind=ReplyKind.ANSWER, text="\n".join(lines))


def _answerer(ctx: AppContext) -> Any | None:
    # The retrieval package ships its answerer separately; without it we fall back to the
    # catalogue so "is tool X allowed?" still works.
    try:
        from retrieval.answer import get_answerer
    except ImportError:
        return None
    return get_answerer(ctx)


def _answer_reply(answer: Any) -> Reply:
    citations = []
    for c in getattr(answer, "citations", []):
        section = c.section_path if isinstance(c.section_path, str) else " › ".join(c.section_path)
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
    ref = getattr(answer, "evidence_seq", None)
    return Reply(
        kind=ReplyKind.ANSWER,
        text=answer.text,
        citations=citations,
        answer_ref=str(ref) if ref is not None else None,
    )
