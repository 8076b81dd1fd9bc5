"""The one adapter every LLM call goes through (governance.ports.ChatModel): any LangChain chat
model by `provider:model` (AIMS_LLM), with personal data redacted from what is sent, and no
tools bound (a model can change nothing).

Wired by the composition root with a SelfUseGuard (governance/gateway/guard.py), every call is
decided, redacted and recorded under AIMS Bot's own register record, by the gateway's rules;
without one (tests that hand in a model) it redacts every kind of personal data it knows."""

from __future__ import annotations

from typing import Any

from governance.gateway.guard import Guarded, SelfUseGuard
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
    def __init__(
        self, spec: str, model: Any | None = None, guard: SelfUseGuard | None = None
    ) -> None:
        self.spec = spec
        self._model = model
        self.guard = guard

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

        if self.guard is None:
            answer = self.model.invoke([SystemMessage(system), HumanMessage(redact(user).text)])
            return content_text(answer)
        guarded = self.guard.prepare([("system", system), ("user", user)])
        sent_system, sent_user = guarded.texts
        answer = self._call(guarded, [SystemMessage(sent_system), HumanMessage(sent_user)])
        return guarded.answer(content_text(answer))

    def extract(self, prompt: str, schema: type[Schema]) -> Schema:
        structured = self.model.with_structured_output(schema)
        if self.guard is None:
            result = structured.invoke(redact(prompt).text)
        else:
            guarded = self.guard.prepare([("user", prompt)])
            result = self._call(guarded, guarded.texts[0], structured)
        return result if isinstance(result, schema) else schema.model_validate(result)

    def _call(self, guarded: Guarded, sent: Any, runnable: Any | None = None) -> Any:
        assert self.guard is not None
        try:
            answer = (runnable or self.model).invoke(sent)
        except Exception:
            self.guard.finish(guarded, "upstream_failed")
            raise
        text = answer if isinstance(answer, str) else content_text(answer)
        self.guard.finish(guarded, "answered", str(text))
        return answer
