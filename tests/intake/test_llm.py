"""With AIMS_LLM: the model fills gaps, never silently overrides a rule, and is recorded."""

from __future__ import annotations

from typing import Any

from governance.config import OrgConfig
from intake.engine import IntakeEngine
from intake.llm import LlmExtraction, LlmExtractor
from retrieval.chat_model import LangChainChatModel
from tests.intake.conftest import COPILOT, Chat


class FakeStructured:
    def __init__(self, result: LlmExtraction | Exception) -> None:
        self.result = result
        self.prompts: list[str] = []

    def invoke(self, prompt: str) -> LlmExtraction:
        self.prompts.append(prompt)
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


class FakeChatModel:
    def __init__(self, result: LlmExtraction | Exception) -> None:
        self.structured = FakeStructured(result)
        self.schemas: list[Any] = []

    def with_structured_output(self, schema: Any) -> FakeStructured:
        self.schemas.append(schema)
        return self.structured


def chat_with(model: FakeChatModel, config: OrgConfig, now: Any) -> tuple[Chat, LlmExtractor]:
    extractor = LlmExtractor(LangChainChatModel("fake:model", model=model))
    return Chat(IntakeEngine(config=config, llm=extractor), now), extractor


def test_the_model_fills_gaps_but_rules_win_conflicts(sample_config: OrgConfig, now: Any) -> None:
    model = FakeChatModel(
        LlmExtraction(
            deployment="internal",
            business_unit="Complaints",
            annex_iii_areas=["employment", "not-an-area"],
        )
    )
    chat, extractor = chat_with(model, sample_config, now)
    chat.start(COPILOT)
    assert model.schemas == [LlmExtraction]
    assert "We want Microsoft 365 Copilot to draft replies" in model.structured.prompts[0]
    assert chat.state.fields["deployment"] == "customer-facing"  # the rules' reading
    # The model's reading is put to the requester with the rest, never filed on its own.
    assert chat.state.sources["business_unit"] == "confirmed"
    assert "the language model's reading" in chat.state.why["business_unit"]
    assert [c.field for c in chat.state.conflicts] == ["deployment"]
    # A model's EU AI Act category is a question for the requester, not a fact.
    assert "annex_iii_areas" not in chat.state.fields
    assert chat.state.suggested_areas == ["employment"]
    assert chat.state.llm_calls[0]["prompt"] == "intake_extract"
    assert len(chat.state.llm_calls[0]["prompt_sha256"]) == 64


def test_the_summary_shows_the_disagreement(sample_config: OrgConfig, now: Any) -> None:
    model = FakeChatModel(LlmExtraction(deployment="internal"))
    chat, _ = chat_with(model, sample_config, now)
    chat.start(COPILOT)
    chat.answer_until_summary(
        {
            "business_unit": "Customer Operations",
            "owner": "me",
            "decisions_about_people": "no",
            "data_location": "UK",
            "contract_dpa": "yes",
            "provenance": "skip",
        }
    )
    assert (
        "the language model read Deployment as Only my team (internal); I kept Customers"
        in chat.text
    )


def test_a_failing_model_leaves_the_rules_to_carry_on(sample_config: OrgConfig, now: Any) -> None:
    chat, extractor = chat_with(FakeChatModel(TimeoutError("provider down")), sample_config, now)
    chat.start(COPILOT)
    assert chat.state.fields["tool"] == "Microsoft 365 Copilot"
    assert "provider down" in chat.state.llm_calls[0]["error"]


def test_personal_data_is_redacted_before_the_model_sees_it(
    sample_config: OrgConfig, now: Any
) -> None:
    model = FakeChatModel(LlmExtraction(business_unit="Sales"))
    chat, _ = chat_with(model, sample_config, now)
    chat.start("Copilot drafts replies; questions go to jane.doe@acme.com or +44 20 7946 0958")
    [prompt] = model.structured.prompts
    assert "jane.doe@acme.com" not in prompt and "Copilot drafts replies" in prompt
