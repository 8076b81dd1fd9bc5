"""Everything the intake can read from free text: rules first, then similarity suggestions,
then (when AIMS_LLM is set) the model's structured extraction, which never overrides a rule."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from governance.config import OrgConfig
from intake.rules import Findings, detect_audience, detect_data, detect_tool
from intake.rules_categories import detect_categories
from intake.rules_conduct import detect_agency, detect_decisions, detect_oversight
from intake.rules_org import detect_owner, detect_supplier, detect_unit
from intake.state import Conflict

Suggest = Callable[[str], tuple[list[str], list[str]]]
LlmExtract = Callable[[str, OrgConfig], dict[str, Any]]


@dataclass
class Extraction:
    rules: Findings
    suggested_areas: list[str] = field(default_factory=list)
    suggested_practices: list[str] = field(default_factory=list)
    llm_values: dict[str, Any] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)


def rule_findings(text: str, config: OrgConfig, requester: str) -> Findings:
    merged = Findings()
    for found in (
        detect_tool(text, config.catalogue),
        detect_categories(text),
        detect_audience(text),
        detect_data(text),
        detect_decisions(text),
        detect_oversight(text),
        detect_agency(text),
        detect_unit(text),
        detect_owner(text, config, requester),
        detect_supplier(text),
    ):
        merged.values.update(found.values)
        merged.why.update(found.why)
    return merged


# Categories are facts only when a rule saw them; a model's guess becomes a question.
_SUGGEST_ONLY = {"annex_iii_areas", "article_5_practices"}


def _merge_llm(result: Extraction, llm_values: dict[str, Any]) -> None:
    for name, value in llm_values.items():
        if value in (None, "", []):
            continue
        if name == "annex_iii_areas":
            result.suggested_areas += [a for a in value if a not in result.suggested_areas]
        elif name == "article_5_practices":
            result.suggested_practices += [p for p in value if p not in result.suggested_practices]
        rule_value = result.rules.values.get(name)
        if name in _SUGGEST_ONLY:
            continue
        if rule_value is None:
            result.llm_values[name] = value
        elif _differs(rule_value, value):
            result.conflicts.append(Conflict(field=name, rules=rule_value, llm=value))


def _differs(rule_value: Any, llm_value: Any) -> bool:
    if isinstance(rule_value, list) and isinstance(llm_value, list):
        return sorted(map(str, rule_value)) != sorted(map(str, llm_value))
    return str(rule_value).strip().lower() != str(llm_value).strip().lower()


def extract(
    text: str,
    config: OrgConfig,
    requester: str,
    *,
    suggest: Suggest | None = None,
    llm: LlmExtract | None = None,
) -> Extraction:
    result = Extraction(rules=rule_findings(text, config, requester))
    if suggest is not None:
        areas, practices = suggest(text)
        known_areas = result.rules.values.get("annex_iii_areas", [])
        known_practices = result.rules.values.get("article_5_practices", [])
        result.suggested_areas = [a for a in areas if a not in known_areas]
        result.suggested_practices = [p for p in practices if p not in known_practices]
    if llm is not None:
        _merge_llm(result, llm(text, config))
    return result
