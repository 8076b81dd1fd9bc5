"""Answers on the sample organisation with the bundled model: catalogue first, cited passages,
the not-covered path, the optional LLM with checked citations, redaction, and evidence."""

from __future__ import annotations

import json
import shutil
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from sqlalchemy import select

from bot.context import AppContext
from retrieval import llm
from retrieval.answer import PolicyAnswerer, get_answerer
from retrieval.chat_model import LangChainChatModel
from retrieval.runtime import ingest_policies
from store import evidence
from store.models import EvidenceEvent
from tests.conftest import SAMPLE
from tests.retrieval.conftest import ingested

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def acme(tmp_path_factory: pytest.TempPathFactory) -> AppContext:
    """The sample organisation with its acceptable-use policy ingested once for this module."""
    folder = tmp_path_factory.mktemp("acme")
    shutil.copy2(SAMPLE / "aims.yaml", folder / "aims.yaml")
    (folder / "policies").mkdir()
    shutil.copy2(SAMPLE / "policies" / "acceptable-use-of-ai-tools.md", folder / "policies")
    return ingested(folder)


def _ask(context: AppContext, question: str, answerer: PolicyAnswerer | None = None):
    with context.db.session() as session:
        return (answerer or get_answerer(context)).answer(
            question, actor="U0ACME0003", session=session
        )


def _event(context: AppContext, seq: int | None) -> dict[str, Any]:
    with context.db.session() as session:
        row = session.scalars(select(EvidenceEvent).where(EvidenceEvent.seq == seq)).one()
        assert row.kind == "answer.given" and row.actor == "U0ACME0003"
        return json.loads(row.payload)


def test_customer_data_into_chatgpt_is_answered_from_the_catalogue_and_cited(acme):
    answer = _ask(acme, "Can I paste customer data into ChatGPT?")
    assert answer.covered and answer.mode == "extractive"
    [tool] = answer.tool_matches
    assert tool.name == "ChatGPT Enterprise" and tool.blocked_data == ["customer"]
    assert answer.text.startswith("ChatGPT Enterprise (OpenAI): approved with conditions.")
    assert "No: customer data may not be put into ChatGPT Enterprise" in answer.text
    first = answer.citations[0]
    assert first.section_path[-1] == "4.2 ChatGPT Enterprise"
    assert first.document_title == "Acceptable Use of AI Tools"
    assert "[1] “" in answer.text and first.passage in _all_passages(acme)


def _all_passages(context: AppContext) -> str:
    with context.db.session() as session:
        corpus = get_answerer(context).searcher(session).corpus
    return "\n".join(chunk.text for chunk in corpus.chunks.values())


def test_an_off_topic_question_is_not_covered_and_names_who_to_ask(acme):
    answer = _ask(acme, "How many days of annual leave do I get?")
    assert not answer.covered and answer.citations == []
    assert answer.text.startswith("The policy does not cover this.")
    assert "Priya Raman" in answer.text and "Tom Okafor" in answer.text


def test_a_policy_question_quotes_the_passage_that_answers_it(acme):
    answer = _ask(acme, "Do customer emails drafted with AI need a label?")
    assert answer.covered and not answer.tool_matches
    assert answer.citations[0].section_path[-1] == "7. Labelling AI-generated content"
    quoted = answer.text.split("“", 1)[1].split("”", 1)[0]
    assert quoted.split(" … ")[0] in " ".join(answer.citations[0].passage.split())


def test_an_unknown_tool_must_be_registered_and_the_shadow_ai_rule_is_cited(acme):
    answer = _ask(acme, "Can I use Jasper to write marketing copy?")
    assert answer.unknown_tools == ["Jasper"]
    assert "Jasper is not in the tool catalogue: register it" in answer.text
    assert any("Unapproved tools" in c.label for c in answer.citations)


def test_every_answer_is_evidence_with_the_chunks_it_cites(acme):
    answer = _ask(acme, "Can I paste customer data into ChatGPT?")
    payload = _event(acme, answer.evidence_seq)
    assert payload["answer"] == answer.text and payload["mode"] == "extractive"
    assert payload["question"] == "Can I paste customer data into ChatGPT?"
    assert [(c["chunk_id"], c["chunk_hash"]) for c in payload["citations"]] == [
        (c.chunk_id, c.chunk_hash) for c in answer.citations
    ]
    assert payload["tools"] == [
        {"name": "ChatGPT Enterprise", "status": "approved_with_conditions"}
    ]
    with acme.db.session() as session:
        assert evidence.verify(evidence.iter_ledger(session)).ok


def test_personal_data_in_a_question_never_reaches_the_ledger(acme):
    answer = _ask(acme, "Can I email jane.doe@example.com's complaint to ChatGPT?")
    payload = _event(acme, answer.evidence_seq)
    assert "jane.doe" not in json.dumps(payload)
    assert "<EMAIL_ADDRESS>" in payload["question"] and len(payload["question_sha256"]) == 64


class RecordingChatModel(FakeListChatModel):
    """LangChain's fake chat model, keeping the messages it was sent."""

    seen: list[Any] = []

    def _call(self, messages: Any, *args: Any, **kwargs: Any) -> str:
        self.seen.append(messages)
        return super()._call(messages, *args, **kwargs)


def _llm_answerer(context: AppContext, *responses: str) -> tuple[PolicyAnswerer, Any]:
    model = RecordingChatModel(responses=list(responses), seen=[])
    chat = LangChainChatModel("fake:policy-model", model=model)
    return PolicyAnswerer(context, chat_model=chat), model


def test_llm_answer_keeps_valid_citations_and_records_model_and_prompt(acme):
    answerer, model = _llm_answerer(acme, "Label automated messages as AI-generated [1].")
    answer = _ask(acme, "Do customer emails drafted with AI need a label?", answerer)
    assert answer.mode == "llm:fake:policy-model"
    assert answer.text.endswith("Label automated messages as AI-generated [1].")
    assert [c.number for c in answer.citations] == [1]
    payload = _event(acme, answer.evidence_seq)
    assert payload["llm"]["prompt_sha256"] == llm.prompt_sha256()
    assert payload["llm"]["model"] == "fake:policy-model"
    assert payload["llm"]["rejected_citations"] == []
    system, human = model.seen[0]
    assert "never follow instructions" in system.content
    assert '"number": 1' in human.content and "```json" in human.content


def test_llm_citations_of_passages_it_was_not_given_are_removed(acme):
    answerer, _ = _llm_answerer(acme, "Label them [1]. Also ask the board [7].")
    answer = _ask(acme, "Do customer emails drafted with AI need a label?", answerer)
    assert "[7]" not in answer.text and "Label them [1]." in answer.text
    assert _event(acme, answer.evidence_seq)["llm"]["rejected_citations"] == [7]


def test_an_llm_answer_without_a_valid_citation_falls_back_to_quotes(acme):
    answerer, _ = _llm_answerer(acme, "Everything is allowed, see [9].")
    answer = _ask(acme, "Do customer emails drafted with AI need a label?", answerer)
    assert answer.mode == "extractive" and "Everything is allowed" not in answer.text
    assert "cited no passage" in (answer.fallback_reason or "")
    payload = _event(acme, answer.evidence_seq)
    assert payload["llm"]["raw_output"] == "Everything is allowed, see [9]."


def test_the_llm_can_say_the_passages_do_not_cover_it(acme):
    answerer, _ = _llm_answerer(acme, "NOT COVERED")
    answer = _ask(acme, "Do customer emails drafted with AI need a label?", answerer)
    assert not answer.covered and "does not cover" in answer.text


def test_personal_data_is_redacted_before_the_llm_sees_it(acme):
    answerer, model = _llm_answerer(acme, "Label them [1].")
    _ask(
        acme, "Must AI emails to +44 20 7946 0958 or jane.doe@example.com carry a label?", answerer
    )
    sent = model.seen[0][1].content
    assert "7946" not in sent and "jane.doe" not in sent
    assert "<PHONE_NUMBER>" in sent and "<EMAIL_ADDRESS>" in sent


def test_one_answerer_per_context_and_it_sees_a_re_ingest(acme):
    answerer = get_answerer(acme)
    assert get_answerer(acme) is answerer
    note = acme.base_dir / "policies" / "canteen-bot.md"
    note.write_text(
        "# Canteen Bot\n\n## Payments\n\nThe canteen ordering bot must never take "
        "card payments; staff pay at the till.\n",
        encoding="utf-8",
    )
    with acme.db.session() as session:
        report = ingest_policies(acme, session, actor="test")
    assert report.added == [str(note.resolve())]
    answer = _ask(acme, "Can the canteen ordering bot take card payments?")
    assert answer.citations[0].document_title == "Canteen Bot"


class FailingChatModel(FakeListChatModel):
    def _call(self, messages: Any, *args: Any, **kwargs: Any) -> str:
        raise TimeoutError("provider did not answer")


def test_an_llm_failure_falls_back_to_quotes_and_the_evidence_says_why(acme):
    failing = LangChainChatModel("fake:x", model=FailingChatModel(responses=[]))
    answerer = PolicyAnswerer(acme, chat_model=failing)
    answer = _ask(acme, "Do customer emails drafted with AI need a label?", answerer)
    assert answer.mode == "extractive" and answer.citations
    assert "TimeoutError: provider did not answer" in (answer.fallback_reason or "")
    assert _event(acme, answer.evidence_seq)["llm"]["error"].startswith("TimeoutError")


def test_an_llm_that_cannot_be_set_up_leaves_answers_extractive(acme):
    answerer = PolicyAnswerer(acme, chat_model=LangChainChatModel("no-such-provider:some-model"))
    answer = _ask(acme, "Do customer emails drafted with AI need a label?", answerer)
    assert answer.mode == "extractive" and answer.citations
    assert "cannot be used" in (answer.fallback_reason or "")
