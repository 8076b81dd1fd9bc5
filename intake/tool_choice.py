"""Which catalogue tool a description names, and what the catalogue settles about it.

"Copilot" alone is both Microsoft 365 Copilot and GitHub Copilot Business in the sample
catalogue: a name that several tools share is asked as a choice, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from governance.config import CatalogueTool, OrgConfig, ToolStatus
from retrieval.tools import find_tools

# Register fields procurement settles once for every use of a catalogue tool.
CATALOGUE_FIELDS = ("vendor", "third_party", "data_location", "contract_dpa", "provenance")


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _said(name: str, spaced: str) -> bool:
    words = _words(name)
    return bool(words) and f" {' '.join(words)} " in spaced


def tool_candidates(text: str, catalogue: Sequence[CatalogueTool]) -> list[CatalogueTool]:
    """The catalogue tools `text` may mean: one when a name settles it, several when it only
    uses a word their names share ("Copilot"), none when it names no catalogue tool."""
    spaced = f" {' '.join(_words(text))} "
    said: dict[str, int] = {}
    for tool in catalogue:
        lengths = [len(_words(n)) for n in (tool.name, *tool.aliases) if _said(n, spaced)]
        if lengths:
            said[tool.name] = max(lengths)
    by_name = {tool.name: tool for tool in catalogue}
    if not said:
        found = find_tools(text, list(catalogue))
        return found[:1]
    longest = max(said.values())
    if longest > 1:
        return [by_name[name] for name, length in said.items() if length == longest]
    shared = {
        w for name in said for n in _names(by_name[name]) if _said(n, spaced) for w in _words(n)
    }
    # Another tool shares the word when its own name holds it ("GitHub Copilot Business"), not
    # merely a longer alias ("zendesk copilot").
    return [tool for tool in catalogue if tool.name in said or shared & set(_words(tool.name))]


def _names(tool: CatalogueTool) -> list[str]:
    return [tool.name, *tool.aliases]


def catalogue_tool(config: OrgConfig, name: object) -> CatalogueTool | None:
    return next((t for t in config.catalogue if t.name == name), None)


def catalogue_facts(tool: CatalogueTool) -> dict[str, Any]:
    """What the catalogue entry already says about a use of this tool."""
    facts: dict[str, Any] = {"vendor": tool.vendor, "third_party": True}
    for name in ("data_location", "contract_dpa", "provenance"):
        value = getattr(tool, name)
        if value is not None:
            facts[name] = value
    return facts


def status_warning(tool: CatalogueTool) -> str:
    """What a requester must know before registering a tool the catalogue limits."""
    ref = f" ({tool.policy_ref})" if tool.policy_ref else ""
    if tool.status is ToolStatus.PROHIBITED:
        return (
            f"Note: {tool.name} is prohibited in the tool catalogue{ref}. You can still register "
            "the use, and the governance leads will see it flagged."
        )
    if tool.status is ToolStatus.RESTRICTED:
        return (
            f"Note: {tool.name} is restricted in the tool catalogue{ref}; the approvers will check "
            "the use against its restrictions."
        )
    if tool.status is ToolStatus.UNDER_REVIEW:
        return f"Note: {tool.name} is still under review in the tool catalogue{ref}."
    return ""
