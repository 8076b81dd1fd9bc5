"""Find catalogue tools (and AI tools missing from it) named in a question.

Matching is tolerant of case, spacing and punctuation ("Chat GPT", "chatgpt", "ChatGPT's") and
of common misspellings: one edit for names of seven letters or more ("chatgtp", "grammerly"),
two from ten, and only a swapped pair of letters for five- and six-letter names ("cluade"),
because one edit on short names turns ordinary words into tools ("deep" -> DeepL).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from governance.config import CatalogueTool
from governance.models import DataCategory

_TOKEN = re.compile(r"[a-z0-9]+(?:[.\-][a-z0-9]+)*")
_RAW_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[.\-][A-Za-z0-9]+)*")

# Well-known AI products, so a question about one that the catalogue lacks is recognised.
KNOWN_AI_TOOLS = (
    "Jasper",
    "Copy.ai",
    "Writesonic",
    "Llama",
    "Mistral",
    "Le Chat",
    "Poe",
    "Character.ai",
    "Tabnine",
    "Codeium",
    "Windsurf",
    "Replit",
    "Lovable",
    "Runway",
    "Synthesia",
    "ElevenLabs",
    "Suno",
    "Stable Diffusion",
    "DALL-E",
    "Dall-E 3",
    "Adobe Firefly",
    "Krisp",
    "Fathom",
    "Read.ai",
    "Granola",
    "Meta AI",
    "Grok",
    "You.com",
    "Phind",
    "QuillBot",
    "Wordtune",
    "Gamma",
    "Tome",
    "Beautiful.ai",
    "Descript",
    "Zoom AI Companion",
    "Slack AI",
    "Einstein GPT",
    "Amazon Q",
    "CodeWhisperer",
    "Amazon Bedrock",
    "Vertex AI",
    "Azure OpenAI",
    "Hugging Face",
    "HuggingChat",
    "Ollama",
    "LM Studio",
    "Qwen",
    "Kimi",
    "Manus",
    "Devin",
    "Sora",
    "Leonardo.ai",
    "Otter",
    "Tactiq",
    "Superhuman AI",
    "Glean",
    "Harvey",
    "Lindy",
    "Zapier AI",
)
# Capitalised words that follow "use ..." without being a product name.
_NOT_TOOLS = frozenset(
    """ai i a an the it this that my our your their any some generative genai llm llms gpt
    chatbot chatbots chatbot's bot bots assistant assistants model models tool tools app apps
    software plugin plugins extension extensions excel word outlook powerpoint teams slack email
    gmail google microsoft windows mac linux github gitlab jira confluence zoom salesforce
    sharepoint onedrive dropbox yes no can may should is are customer customers data gdpr eu uk
    us pdf csv api""".split()
)
_USE_VERB = re.compile(
    r"\b(?:use|using|used|try|trying|install|installing|sign up for|subscribe to|"
    r"(?:paste|upload|put|feed|share|send|enter|copy|type)\b[^?.!]{0,60}?\b(?:into|to|with|in))"
    r"\s+([A-Z0-9][\w.\-]*(?:\s+[A-Z0-9][\w.\-]*){0,2})"
)
_AI_CONTEXT = re.compile(
    r"\b(ai|a\.i\.|gpt|llm|chat ?bot|assistant|copilot|genai|generative|model|agent)\b", re.I
)


@dataclass(frozen=True)
class _Match:
    start: int
    end: int
    tool: CatalogueTool
    exact: bool


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _names(tool: CatalogueTool, catalogue: Sequence[CatalogueTool]) -> list[str]:
    """The tool's name and aliases, plus its name without a qualifier ("Claude (Team plan)" ->
    "Claude") unless another tool claims that as its own name or alias."""
    names = [tool.name, *tool.aliases]
    base = re.sub(r"\s*\(.*?\)\s*", " ", tool.name).strip()
    claimed = {
        _squash(name)
        for other in catalogue
        if other is not tool
        for name in (other.name, *other.aliases)
    }
    if _squash(base) not in claimed:
        names.append(base)
    return list(dict.fromkeys(names))


def _typo_ok(candidate: str, name: str) -> bool:
    if not candidate or candidate[0] != name[0] or abs(len(candidate) - len(name)) > 2:
        return False
    if len(name) >= 7:
        return _edit_distance(candidate, name) <= (2 if len(name) >= 10 else 1)
    if len(name) >= 5 and len(candidate) == len(name):
        diffs = [i for i, (a, b) in enumerate(zip(candidate, name, strict=True)) if a != b]
        return (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and candidate[diffs[0]] == name[diffs[1]]
            and candidate[diffs[1]] == name[diffs[0]]
        )
    return False


def _edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein (optimal string alignment): a swapped pair costs one edit."""
    rows = [list(range(len(b) + 1))] + [[i] + [0] * len(b) for i in range(1, len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            rows[i][j] = min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                rows[i][j] = min(rows[i][j], rows[i - 2][j - 2] + 1)
    return rows[len(a)][len(b)]


def _matches(
    tokens: list[str], tool: CatalogueTool, catalogue: Sequence[CatalogueTool]
) -> list[_Match]:
    found = []
    for name in _names(tool, catalogue):
        target = _squash(name)
        if len(target) < 2:
            continue
        parts = [_squash(part) for part in _TOKEN.findall(name.lower())] or [target]
        width = len(parts)
        for size in {max(1, width - 1), width, width + 1}:
            for start in range(0, len(tokens) - size + 1):
                window = tokens[start : start + size]
                if _squash("".join(window)) == target:
                    found.append(_Match(start, start + size, tool, True))
                elif size == width and _all_typo_ok([_squash(w) for w in window], parts):
                    found.append(_Match(start, start + size, tool, False))
    return found


def _all_typo_ok(words: list[str], parts: list[str]) -> bool:
    """Word by word, so "ChatGPT to" is never a misspelt "ChatGPT Pro"."""
    return any(w != p for w, p in zip(words, parts, strict=True)) and all(
        w == p or (len(p) >= 5 and _typo_ok(w, p)) for w, p in zip(words, parts, strict=True)
    )


def _resolve(matches: list[_Match]) -> list[_Match]:
    """Exact matches beat misspelt ones, then the longest wins; a match inside a longer one
    is the same mention."""
    ordered = sorted(matches, key=lambda m: (not m.exact, -(m.end - m.start), m.start))
    kept: list[_Match] = []
    for match in ordered:
        clash = [k for k in kept if match.start < k.end and k.start < match.end]
        if not clash or all(
            (k.start, k.end, k.exact) == (match.start, match.end, match.exact) for k in clash
        ):
            kept.append(match)
    return sorted(kept, key=lambda m: m.start)


def find_tools(question: str, catalogue: Sequence[CatalogueTool]) -> list[CatalogueTool]:
    """The catalogue tools named in `question`, in the order they are mentioned."""
    tokens = _TOKEN.findall(question.lower())
    matches = [m for tool in catalogue for m in _matches(tokens, tool, catalogue)]
    result: list[CatalogueTool] = []
    for match in _resolve(matches):
        if match.tool not in result:
            result.append(match.tool)
    return result


@dataclass(frozen=True)
class Mention:
    """Where a catalogue tool is named in a text (character offsets into text.lower())."""

    start: int
    end: int
    tool: CatalogueTool


def tool_mentions(text: str, catalogue: Sequence[CatalogueTool]) -> list[Mention]:
    """Exact mentions of catalogue tools in policy text, in order.

    Unlike a question, policy text is edited and reviewed, so misspellings are not matched:
    a near miss there is more likely another word than a tool. Tools whose names cannot occur
    in the text are skipped before the (slower) token matching.
    """
    lowered = text.lower()
    spans = [(m.start(), m.end()) for m in _TOKEN.finditer(lowered)]
    tokens = [lowered[start:end] for start, end in spans]
    squashed = _squash(lowered)
    found: list[_Match] = []
    for tool in catalogue:
        if any(_squash(name) in squashed for name in _names(tool, catalogue)):
            found.extend(m for m in _matches(tokens, tool, catalogue) if m.exact)
    return [Mention(spans[m.start][0], spans[m.end - 1][1], m.tool) for m in _resolve(found)]


def find_unknown_tools(question: str, catalogue: Sequence[CatalogueTool]) -> list[str]:
    """AI tools named in `question` that are not in the catalogue (as the asker wrote them)."""
    tokens = _TOKEN.findall(question.lower())
    matched = _resolve([m for tool in catalogue for m in _matches(tokens, tool, catalogue)])
    catalogued_words = {tokens[i] for m in matched for i in range(m.start, m.end)}
    vendors = {_squash(tool.vendor.split("(")[0]) for tool in catalogue}
    unknown: list[str] = []
    for name in _known_products(question) + _named_after_verb(question):
        squashed = _squash(name)
        words = set(_TOKEN.findall(name.lower()))
        if not squashed or squashed in vendors or words & catalogued_words:
            continue
        if find_tools(name, catalogue) or squashed in {_squash(u) for u in unknown}:
            continue
        unknown.append(name)
    return unknown


def _known_products(question: str) -> list[str]:
    found = []
    lowered = f" {_spaced(question)} "
    for product in KNOWN_AI_TOOLS:
        if f" {_spaced(product)} " in lowered:
            found.append(product)
    return found


def _spaced(text: str) -> str:
    return " ".join(_TOKEN.findall(text.lower()))


def _named_after_verb(question: str) -> list[str]:
    if not _AI_CONTEXT.search(question):
        return []
    names = []
    for match in _USE_VERB.finditer(question):
        words = match.group(1).split()
        while words and words[-1].lower().strip(".") in _NOT_TOOLS - {"ai", "gpt"}:
            words.pop()
        if words and words[0].lower().strip(".") not in _NOT_TOOLS:
            names.append(" ".join(words).rstrip(".,"))
    return names


# --- data categories -------------------------------------------------------------------------

_DATA_WORDS: dict[DataCategory, re.Pattern[str]] = {
    DataCategory.SPECIAL_CATEGORY: re.compile(
        r"\b(health|medical|diagnos\w*|sickness|religio\w*|ethnic\w*|racial|biometric\w*|"
        r"sexual\w*|trade union|political opinions?|genetic|disabilit\w*|special[- ]category)\b",
        re.I,
    ),
    DataCategory.CUSTOMER: re.compile(
        r"\b(customers?|customer's|clients?|client's|account holders?|borrowers?|"
        r"policyholders?|cardholders?)\b",
        re.I,
    ),
    DataCategory.PERSONAL: re.compile(
        r"\b(personal (data|information|details)|pii|names?|e-?mail address(es)?|phone numbers?|"
        r"home address(es)?|dates? of birth|cvs?|résumés?|resumes?|payslips?|salar(y|ies)|"
        r"national insurance|passport|employee (data|records|details)|candidates?|"
        r"colleagues?'? (data|details|information))\b",
        re.I,
    ),
    DataCategory.CONFIDENTIAL: re.compile(
        r"\b(confidential|sensitive|source code|proprietary|board (papers|minutes)|"
        r"trade secrets?|unreleased|financial results|contracts?|credentials?|secrets?|"
        r"api keys?|passwords?)\b",
        re.I,
    ),
    DataCategory.INTERNAL: re.compile(r"\b(internal|intranet|company documents?)\b", re.I),
    DataCategory.PUBLIC: re.compile(
        r"\b(public(ly)? (information|data|available)|published)\b", re.I
    ),
}


def detect_data_categories(question: str) -> list[DataCategory]:
    """The classes of data a question says it wants to put into a tool."""
    return [category for category, pattern in _DATA_WORDS.items() if pattern.search(question)]
