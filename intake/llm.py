"""Optional structured extraction with a chat model (AIMS_LLM="provider:model").

The model fills the same schema the rules do, through LangChain's with_structured_output and
the template prompts/intake_extract.md. intake.extract merges the result under the rules:
a model value never replaces a rule finding (the disagreement is kept and shown), and its
EU AI Act categories become questions, not facts. Every call is described for the evidence.
"""

from __future__ import annotations

import logging
from string import Template
from typing import Any, Literal

from pydantic import BaseModel, Field

from governance.config import OrgConfig
from governance.models import DataCategory, Deployment, Oversight
from governance.ports import ChatModel
from governance.tiering_rules import AREAS_BY_ID, PRACTICES_BY_ID

log = logging.getLogger(__name__)
PROMPT = "intake_extract"


class LlmExtraction(BaseModel):
    """What the model may say about a description; everything optional."""

    tool: str | None = None
    vendor: str | None = None
    third_party: bool | None = None
    business_unit: str | None = None
    deployment: Deployment | None = None
    affected_people: list[str] = Field(default_factory=list)
    data_categories: list[DataCategory] = Field(default_factory=list)
    decisions_about_people: Literal["none", "recommends", "decides"] | None = None
    decision_stakes: Literal["significant", "minor"] | None = None
    human_oversight: Oversight | None = None
    autonomy: Literal["assistant", "agent"] | None = None
    agent_write_access: bool | None = None
    annex_iii_areas: list[str] = Field(default_factory=list)
    article_5_practices: list[str] = Field(default_factory=list)


def render_prompt(description: str, config: OrgConfig) -> tuple[str, str]:
    """The filled-in template and the template's SHA-256 (recorded with the call)."""
    from prompts import load_prompt

    prompt = load_prompt(PROMPT)
    text = Template(prompt.text).safe_substitute(
        description=description.replace("```", "'''"),
        areas=", ".join(AREAS_BY_ID),
        practices=", ".join(PRACTICES_BY_ID),
        catalogue="; ".join(f"{t.name}: {t.vendor}" for t in config.catalogue),
    )
    return text, prompt.sha256


def clean(result: LlmExtraction) -> dict[str, Any]:
    """JSON values for the fields the model filled; unknown category ids are dropped."""
    values: dict[str, Any] = result.model_dump(mode="json", exclude_none=True)
    values["annex_iii_areas"] = [a for a in result.annex_iii_areas if a in AREAS_BY_ID]
    values["article_5_practices"] = [p for p in result.article_5_practices if p in PRACTICES_BY_ID]
    return {name: value for name, value in values.items() if value not in ("", [], None)}


class LlmExtractor:
    """Callable (description, config) → field values; `calls` describes each call. The chat
    model is the context's one adapter, which redacts personal data before anything is sent."""

    def __init__(self, chat_model: ChatModel) -> None:
        self.chat_model = chat_model
        self.calls: list[dict[str, Any]] = []

    def __call__(self, description: str, config: OrgConfig) -> dict[str, Any]:
        text, sha = render_prompt(description, config)
        call: dict[str, Any] = {
            "model": self.chat_model.model_id,
            "prompt": PROMPT,
            "prompt_sha256": sha,
        }
        try:
            result = self.chat_model.extract(text, LlmExtraction)
        except Exception as exc:  # any provider failure: rules carry on alone, evidence says why
            log.warning("intake LLM extraction failed: %s", exc)
            call["error"] = f"{type(exc).__name__}: {exc}"
            self.calls.append(call)
            return {}
        values = clean(result)
        call["parsed"] = values
        self.calls.append(call)
        return values
