"""The one adapter every LLM call goes through (governance.ports.ChatModel): any LangChain chat
model by `provider:model` (AIMS_LLM), with personal data redacted from what is sent, and no
tools bound (a model can change nothing)."""

from __future__ import annotations

from typing import Any

from governance.ports import Schema
from retrieval.redaction import redact


def load_chat_model(spec: str) -> Any:
    """`provider:model` through LangChain's init_chat_model (the provider package must be
    installed, e.g. langchain-openai for `openai:gpt-4o-mini`)."""
    from langchain.chat_models import init_chat_model

    return init_chat_model(spec, temperature=0)


def content_text(reply: Any) -> str:
    content = getattr(reply, "content", reply)
    if isinstance(content, list):  # some providers return content blocks
        return "".join(
            block.get("text", "") if isinstance(block, dict) else str(block) for block in content
        )
    return str(content)


class LangChainChatModel:
    def __init__(self, spec: str, model: Any | None = None) -> None:
        self.spec = spec
        self._model = model

    @property
    def model_id(self) -> str:
        return self.spec

    @property
    def model(self) -> Any:
        if self._model is None:
            try:
                self._model = load_chat_model(self.spec)
            except Exception as exc:  # missing provider package, bad spec, missing API key
                raise RuntimeError(f"the LLM {self.spec!r} cannot be used: {exc}") from exc
        return self._model

    def reply(self, system: str, user: str) -> str:
        from langchain_core.messages import HumanMessage, SystemMessage

        answer = self.model.invoke([SystemMessage(system), HumanMessage(redact(user).text)])
        return content_text(answer)

    def extract(self, prompt: str, schema: type[Schema]) -> Schema:
        result = self.model.with_structured_output(schema).invoke(redact(prompt).text)
        return result if isinstance(result, schema) else schema.model_validate(result)
