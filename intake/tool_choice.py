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


# A plan or edition the catalogue often lists apart: "the free DeepL translator".
_OTHER_EDITION = re.compile(r"\b(?:free|personal|consumer|trial|home)\b", re.I)
# Words that turn a tool's name into another product's: "claude code", "copilot studio".
_PRODUCT_WORDS = {"code", "studio", "plus", "free", "api"}


def _part_of_another_name(name: str, text: str) -> bool:
    """ "Copilot Studio", "claude code", "the free DeepL": the name runs on into another
    product's name, or names an edition the catalogue may not approve."""
    words = r"\W+".join(re.escape(w) for w in _words(name))
    mentions = list(re.finditer(rf"\b{words}\b", text, re.I))
    return bool(mentions) and all(_runs_on(text, m) for m in mentions)


def _runs_on(text: str, mention: re.Match[str]) -> bool:
    before = " ".join(text[: mention.start()].split()[-2:])
    after = text[mention.end() :]
    if _OTHER_EDITION.search(before) or re.match(r"\s+[A-Z][a-z]+", after):
        return True
    follower = re.match(r"\s+([a-z]+)", after)
    return follower is not None and follower.group(1) in _PRODUCT_WORDS


def tool_candidates(text: str, catalogue: Sequence[CatalogueTool]) -> list[CatalogueTool]:
    """The catalogue tools `text` may mean: one when a name settles it, several when it only
    uses a word their names share ("Copilot"), none when it names no catalogue tool."""
    spaced = f" {' '.join(_words(text))} "
    said: dict[str, int] = {}
    for tool in catalogue:
        lengths = [
            len(_words(n))
            for n in (tool.name, *tool.aliases)
            if _said(n, spaced) and not _part_of_another_name(n, text)
        ]
        if lengths:
            said[tool.name] = max(lengths)
    by_name = {tool.name: tool for tool in catalogue}
    if not said:
        found = find_tools(text, list(catalogue))
        # A misspelt name ("chatgtp") still counts; one that runs on into another does not.
        return [t for t in found[:1] if not any(_part_of_another_name(n, text) for n in _names(t))]
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


def pick_by_distinct_words(reply: str, offered: list[str], config: OrgConfig) -> str | None:
    """The offered tool a reply singles out by a word only its names use ("the Microsoft 365
    one" among the Copilots), or None."""
    tools = [tool for tool in config.catalogue if tool.name in offered]
    words = {tool.name: {w for n in _names(tool) for w in _words(n)} for tool in tools}
    said = set(_words(reply))
    fits = [
        name
        for name, own in words.items()
        if said & (own - set().union(*(w for other, w in words.items() if other != name)))
    ]
    return fits[0] if len(fits) == 1 else None


def other_product_named(reply: str, offered: list[str], config: OrgConfig) -> bool:
    """ "Microsoft Copilot Studio" when Microsoft 365 Copilot was offered: another product."""
    tools = [tool for tool in config.catalogue if tool.name in offered]
    return any(_part_of_another_name(n, reply) for tool in tools for n in _names(tool))
