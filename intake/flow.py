"""Where the intake conversation meets the database: load and save state every turn, file the
record on confirm (with its transcript as evidence), and expire abandoned conversations.

Functions take the caller's session and never commit; the router's unit of work does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.approvals.flows import submit_record
from governance.approvals.models import RequesterThread
from governance.config import OrgConfig
from governance.ports import ChatModel, Embedder
from governance.register import create_record
from intake.answers import PeopleLookup
from intake.engine import IntakeEngine
from intake.llm import LlmExtractor
from intake.record import tiered_fields
from intake.replies import Inbound, Reply, ReplyKind
from intake.similarity import CategorySimilarity
from intake.state import IntakeState, Stage
from intake.summary_stage import Outcome
from store import evidence
from store.evidence_kinds import EvidenceKind
from store.models import Conversation

KIND = "intake"
ACTIVE = "active"


@dataclass(frozen=True)
class ExpiryNote:
    """A message for the scheduler to send: the requester's abandoned registration closed."""

    workspace: str
    user: str
    thread: str
    channel: str | None
    text: str
    # Unique per registration (the thread's row is reused when a new one starts), for the
    # outbox's exactly-once key.
    key: str = ""


def engine_for(
    config: OrgConfig,
    *,
    embedder: Embedder | None = None,
    chat_model: ChatModel | None = None,
    people: PeopleLookup | None = None,
) -> IntakeEngine:
    """The engine with the context's services: similarity over its embedder, extraction with
    its chat model, the transport's directory of people; any may be absent (rules and aims.yaml
    alone still run a full registration)."""
    suggest = CategorySimilarity(embedder).suggest if embedder is not None else None
    llm = LlmExtractor(chat_model) if chat_model is not None else None
    return IntakeEngine(config=config, suggest=suggest, llm=llm, people=people)


def _row(session: Session, inbound: Inbound) -> Conversation | None:
    # Locked for the turn on Postgres, so two concurrent turns in one thread (a retry racing the
    # original, two replicas) run one after the other and can never file the record twice.
    return session.scalar(
        select(Conversation)
        .where(
            Conversation.workspace == inbound.workspace,
            Conversation.user_id == inbound.user,
            Conversation.thread == inbound.thread,
        )
        .with_for_update()
    )


def active_conversation(session: Session, inbound: Inbound) -> Conversation | None:
    row = _row(session, inbound)
    if row is None or row.kind != KIND or row.status != ACTIVE:
        return None
    return row


def _save(row: Conversation, state: IntakeState, now: datetime) -> None:
    # A new dict each time: the JSON column notices reassignment, not in-place mutation.
    row.state = state.model_dump(mode="json")
    row.turn += 1
    row.updated_at = now
    if state.stage is Stage.CANCELLED:
        row.status = "cancelled"
    elif state.stage is Stage.FILED:
        row.status = "done"


def _tag(replies: list[Reply], row: Conversation) -> list[Reply]:
    for reply in replies:
        reply.conversation_id = row.id
    return replies


def start(
    session: Session,
    config: OrgConfig,
    inbound: Inbound,
    *,
    now: datetime,
    engine: IntakeEngine | None = None,
) -> list[Reply]:
    """Begin a registration from the inbound text (a description, or nothing yet)."""
    existing = active_conversation(session, inbound)
    if existing is not None:
        note = Reply(
            kind=ReplyKind.INFO,
            text="You already have a registration in progress "
            'here; let\'s continue it (say "cancel" to drop it).',
        )
        return [note, *resume(session, config, inbound, now=now)]
    row = _row(session, inbound)
    if row is not None and row.kind != KIND and row.status == ACTIVE:
        # One conversation per thread (the table's key); never clobber another feature's.
        return [
            Reply(
                kind=ReplyKind.INFO,
                text="Another conversation is still open in this "
                "thread; start the registration in a new thread or a direct message.",
            )
        ]
    engine = engine or engine_for(config)
    if row is None:
        row = Conversation(
            workspace=inbound.workspace,
            user_id=inbound.user,
            thread=inbound.thread,
            created_at=now,
            turn=0,
        )
        session.add(row)
    row.kind, row.status, row.turn, row.created_at = KIND, ACTIVE, 0, now
    state = IntakeState(requester=inbound.user, channel=inbound.channel)
    outcome = engine.start(state, _description(inbound.text), now)
    _save(row, state, now)
    session.flush()
    return _tag(outcome.replies, row)


def _description(text: str) -> str:
    """The description without a leading "register" command word."""
    import re

    return re.sub(
        r"^\s*(?:/ai-register\s*)?(?:register(?: a| an)?(?: new)?(?: ai use)?[:,.]?"
        r"|new ai use[:,.]?)\s*",
        "",
        text or "",
        flags=re.I,
    )


def turn(
    session: Session,
    config: OrgConfig,
    inbound: Inbound,
    *,
    now: datetime,
    engine: IntakeEngine | None = None,
) -> list[Reply]:
    row = active_conversation(session, inbound)
    if row is None:
        return start(session, config, inbound, now=now, engine=engine)
    state = IntakeState.model_validate(row.state)
    engine = engine or engine_for(config)
    outcome = engine.turn(state, inbound.text or "", inbound.choice, now)
    if outcome.file:
        outcome = _file(session, config, state, row, now)
    _save(row, state, now)
    return _tag(outcome.replies, row)


def resume(session: Session, config: OrgConfig, inbound: Inbound, *, now: datetime) -> list[Reply]:
    """The open question of an unfinished registration, asked again (e.g. after a restart)."""
    row = active_conversation(session, inbound)
    if row is None:
        return []
    state = IntakeState.model_validate(row.state)
    outcome = IntakeEngine(config=config).reprompt(state, now)
    row.state = state.model_dump(mode="json")
    return _tag(outcome.replies, row)


def _file(
    session: Session, config: OrgConfig, state: IntakeState, row: Conversation, now: datetime
) -> Outcome:
    fields = tiered_fields(state, config)
    record = create_record(
        session,
        fields=fields,
        actor=state.requester,
        reason="registered through the intake conversation",
        now=now,
    )
    submit_record(
        session,
        record=record,
        actor=state.requester,
        config=config,
        now=now,
        origin=RequesterThread.of(state.channel, row.thread),
    )
    state.record_ref = record.ref
    text = (
        f'Filed {record.ref} "{record.title}": risk tier {fields.risk_tier}, submitted '
        f'for approval. Say "my records" to follow it, or run `aims register show '
        f"{record.ref}`."
    )
    state.say("bot", text, now)
    evidence.append(
        session,
        actor=state.requester,
        kind=EvidenceKind.INTAKE_TRANSCRIPT,
        subject=record.ref,
        now=now,
        payload={
            "conversation_id": row.id,
            "workspace": row.workspace,
            "thread": row.thread,
            "transcript": [line.model_dump() for line in state.transcript],
            "sources": state.sources,
            "why": state.why,
            "conflicts": [c.model_dump(mode="json") for c in state.conflicts],
            "llm_calls": state.llm_calls,
        },
    )
    return Outcome([Reply(kind=ReplyKind.INFO, text=text, record_refs=[record.ref])])


def expire_stale(
    session: Session,
    now: datetime,
    *,
    config: OrgConfig | None = None,
    after_hours: int | None = None,
) -> list[ExpiryNote]:
    """Close registrations untouched for config.intake.expire_after_hours; the notes tell each
    requester (the scheduler sends them)."""
    hours = after_hours or (config.intake.expire_after_hours if config else 72)
    cutoff = now - timedelta(hours=hours)
    rows = session.scalars(
        select(Conversation).where(
            Conversation.kind == KIND,
            Conversation.status == ACTIVE,
            Conversation.updated_at < cutoff,
        )
    ).all()
    notes = []
    for row in rows:
        state = IntakeState.model_validate(row.state)
        state.stage = Stage.EXPIRED
        title = state.fields.get("title") or "your new AI use"
        text = (
            f'Your registration of "{title}" was left unfinished for more than {hours} '
            'hours, so I closed it. Nothing was filed; say "register" to start again.'
        )
        state.say("bot", text, now)
        row.state = state.model_dump(mode="json")
        row.status = "expired"
        row.updated_at = now
        evidence.append(
            session,
            actor="system",
            kind=EvidenceKind.INTAKE_EXPIRED,
            subject=f"conversation:{row.id}",
            now=now,
            payload={"user": row.user_id, "title": title, "hours": hours},
        )
        started = row.created_at.strftime("%Y%m%dT%H%M%S") if row.created_at else "0"
        notes.append(
            ExpiryNote(
                workspace=row.workspace,
                user=row.user_id,
                thread=row.thread,
                channel=state.channel,
                text=text,
                key=f"intake-expired:{row.id}:{started}",
            )
        )
    return notes
