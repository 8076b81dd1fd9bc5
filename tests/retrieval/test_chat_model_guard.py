"""AIMS Bot's own LLM calls go through the gateway's policy in process, under its own record:
redacted and recorded like any use's, refused (and so not made) when its record may not."""

from __future__ import annotations

import json

import pytest
from langchain_core.messages import AIMessage
from pydantic import BaseModel
from sqlalchemy import select, text

from governance.gateway.guard import SelfUseGuard, SelfUseRefused
from governance.gateway.self_record import register_aims_bot
from governance.models import RecordStatus
from governance.register import transition
from retrieval.chat_model import LangChainChatModel
from retrieval.llm import ask
from store.evidence import iter_ledger, verify
from store.evidence_kinds import EvidenceKind
from store.models import EvidenceEvent

SPEC = "openai:gpt-4o-mini"


class Recorder:
    """A chat model that records what it was sent and echoes it."""

    def __init__(self) -> None:
        self.sent: list[object] = []
        self.schema: type[BaseModel] | None = None

    def invoke(self, messages: object) -> object:
        self.sent.append(messages)
        if self.schema is not None:
            return self.schema(summary=str(messages))
        last = messages[-1].content if isinstance(messages, list) else messages
        return AIMessage(content=f"You asked: {last}")

    def with_structured_output(self, schema: type[BaseModel]) -> Recorder:
        self.schema = schema
        return self


class Summary(BaseModel):
    summary: str


def _decisions(db) -> list[dict]:
    with db.session() as session:
        rows = session.scalars(
            select(EvidenceEvent.payload).where(
                EvidenceEvent.kind == EvidenceKind.GATEWAY_DECISION.value
            )
        ).all()
    return [json.loads(row) for row in rows]


@pytest.fixture
def chat(db, sample_config, now):
    with db.session() as session:
        register_aims_bot(session, sample_config, actor="aims init", now=now)
    recorder = Recorder()
    model = LangChainChatModel(SPEC, model=recorder, guard=SelfUseGuard(db, sample_config, SPEC))
    return model, recorder


def test_the_bots_own_calls_are_redacted_and_recorded_under_its_record(chat, db):
    model, recorder = chat
    answer = model.reply("Answer from the policy.", "May Jane (jane.doe@example.com) use Claude?")
    system, user = recorder.sent[0]
    assert user.content == "May Jane (<EMAIL_ADDRESS_1>) use Claude?"
    assert answer == "You asked: May Jane (<EMAIL_ADDRESS_1>) use Claude?"  # restoring is off
    result = model.extract("Summarise: call +44 20 7946 0958", Summary)
    assert "<PHONE_NUMBER_1>" in result.summary and "7946" not in result.summary
    first, second = _decisions(db)
    assert first["via"] == "in-process" and first["record_ref"] == "AIU-0001"
    assert first["outcome"] == "redact" and first["redacted"] == {"EMAIL_ADDRESS": 1}
    assert first["model"] == "gpt-4o-mini" and first["key_id"] is None
    assert second["redacted"] == {"PHONE_NUMBER": 1}
    with db.session() as session:
        assert verify(iter_ledger(session)).ok


def test_inside_an_open_unit_of_work_the_decision_joins_it(chat, db):
    """The answerer calls the LLM with its session open; on SQLite a second transaction would
    wait for that one forever."""
    model, _ = chat
    with db.session() as session:
        session.execute(text("SELECT 1"))
        model.reply("system", "hello")
        kinds = session.scalars(select(EvidenceEvent.kind).order_by(EvidenceEvent.seq)).all()
        assert kinds[-2:] == ["gateway.decision", "gateway.completed"]  # in this transaction
    assert len(_decisions(db)) == 1


def test_a_suspended_bot_record_refuses_and_the_answer_falls_back(chat, db, sample_config, now):
    model, recorder = chat
    with db.session() as session:
        from governance.register import get_record

        record = get_record(session, "AIU-0001")
        transition(session, record=record, to=RecordStatus.SUSPENDED, actor="U1", now=now)
    with pytest.raises(SelfUseRefused, match="suspended"):
        model.reply("system", "hello")
    outcome = ask(model, question="May I use Claude?", passages=[])
    assert outcome.error and "suspended" in outcome.error
    assert recorder.sent == []
    assert [d["reason"] for d in _decisions(db)] == ["not_approved", "not_approved"]


def test_without_its_record_the_bot_does_not_call_the_llm(db, sample_config):
    recorder = Recorder()
    model = LangChainChatModel(SPEC, model=recorder, guard=SelfUseGuard(db, sample_config, SPEC))
    with pytest.raises(SelfUseRefused, match="not in the AI register"):
        model.reply("system", "hello")
    assert recorder.sent == []


def test_a_model_its_tool_may_not_call_is_refused(db, sample_config, now):
    with db.session() as session:
        register_aims_bot(session, sample_config, actor="aims init", now=now)
    spec = "anthropic:claude-3-5-sonnet"
    model = LangChainChatModel(spec, model=Recorder(), guard=SelfUseGuard(db, sample_config, spec))
    with pytest.raises(SelfUseRefused, match="gpt-4o"):
        model.reply("system", "hello")
