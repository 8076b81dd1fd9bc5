"""Turning one typed answer (or clicked choice) into a field value, or a reason to ask again."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from governance.config import CatalogueTool, OrgConfig
from governance.tiering_rules import DECISION_NONE
from intake.places import place
from intake.rules import affirmed, detect_audience, detect_data, detect_tool
from intake.rules_conduct import detect_agency, detect_decisions, detect_oversight
from intake.rules_org import detect_supplier, make_title, match_person, parse_unit_answer
from intake.slots import NONE_OF_THESE, Slot
from intake.tool_choice import tool_candidates

ANSWER_LIMIT = 1000
DESCRIPTION_LIMIT = 4000


class Problem(Exception):
    """The answer cannot be used; the message says how to answer instead."""


class Ambiguous(Problem):
    """The answer names a word several catalogue tools share; the requester picks one."""

    def __init__(self, tools: list[str]) -> None:
        super().__init__(f"Several tools in the catalogue go by that name: {', '.join(tools)}.")
        self.tools = tools


# Lookup of a typed name in the workspace's people (Slack's users), beyond aims.yaml.
PeopleLookup = Callable[[str], str | None]


@dataclass
class Parsed:
    value: Any
    # Other fields the answer settles too (e.g. a catalogue tool names its vendor).
    extra: dict[str, Any]


_YES = re.compile(
    r"^\s*(?:yes|y|yep|yeah|yup|sure|correct|right|true|it does|it can|"
    r"definitely|of course|affirmative|ok|okay)\b",
    re.I,
)
_NO = re.compile(
    r"^\s*(?:no|n|nope|nah|false|it doesn't|it does not|it can't|it cannot|"
    r"not really|never|none)\b",
    re.I,
)


# A reply that says nothing a free-text field could hold: "yes" is not a vendor.
_NON_ANSWER = re.compile(
    r"^\s*(?:yes|no|y|n|yep|yeah|yup|nope|nah|ok|okay|sure|fine|true|false|maybe|none|"
    r"nothing|n/?a|lol|idk|\?+|-+|\.+|x+|tbd|tbc)\s*[.!?]*\s*$",
    re.I,
)
_BARE_YES_NO = re.compile(
    r"^\s*(?:yes|y|yep|yeah|yup|sure|correct|no|n|nope|nah)\s*[.!]*\s*$", re.I
)
# What each free-text field expects, said when a reply is not one.
_EXPECTED = {
    "tool": "Name the AI tool, product or model (e.g. ChatGPT Enterprise), or say "
    '"built in-house" or "don\'t know".',
    "vendor": 'Name the company that supplies it (e.g. Microsoft), or say "don\'t know".',
    "business_unit": "Name the team or business unit (e.g. Customer Operations).",
    "title": "Give the register a short title of a few words.",
    "affected_people": "Name the groups of people its output affects (e.g. customers, job "
    'applicants), or say "skip".',
    "permissions": 'Name the systems the agent can reach and what it does there (e.g. "read '
    'Jira, comment on tickets").',
    "provenance": 'Name the model and where it comes from (e.g. "OpenAI GPT-4o via Microsoft"), '
    'or say "don\'t know".',
    "logging_arrangements": 'Say what is logged, where and for how long (e.g. "Zendesk keeps '
    'chat transcripts for 12 months"), or say "don\'t know".',
    "escalation_route": 'Say who people contact and how (e.g. "the #ai-support channel, or '
    '@Priya"), or say "don\'t know".',
}


def is_yes_or_no(text: str) -> bool | None:
    """True for a bare yes, False for a bare no, None for anything longer."""
    if not _BARE_YES_NO.match(text):
        return None
    return bool(_YES.match(text))


def _says_something(name: str, answer: str) -> None:
    if name not in _EXPECTED:
        return
    if _NON_ANSWER.match(answer):
        raise Problem(f'"{answer.strip()}" doesn\'t answer that. {_EXPECTED[name]}')


def check_text(text: str, *, limit: int = ANSWER_LIMIT) -> str:
    """The answer stripped, or a Problem for empty, oversized or keyboard-mash answers."""
    stripped = text.strip()
    if not stripped:
        raise Problem("I didn't get an answer.")
    if len(stripped) > limit:
        raise Problem(
            f"That is {len(stripped):,} characters; please answer in a sentence or "
            f"two (up to {limit:,} characters)."
        )
    if looks_like_nonsense(stripped):
        raise Problem("I couldn't make sense of that.")
    return stripped


def looks_like_nonsense(text: str) -> bool:
    letters = re.sub(r"[^A-Za-z]", "", text)
    if not letters:
        return not re.fullmatch(r"\s*\d+(?:\s*[,;]\s*\d+)*\s*", text)
    words = re.findall(r"[A-Za-z]+", text)
    if len(words) == 1 and len(letters) >= 4:
        word = letters.lower()
        # Keyboard mashes: no vowels, long consonant runs, a run along a keyboard row, or one
        # letter repeated.
        no_vowel = not re.search(r"[aeiouy]", word)
        on_a_row = any(
            word[i : i + 4] in row for row in _KEYBOARD_ROWS for i in range(len(word) - 3)
        )
        return (
            no_vowel or on_a_row or bool(re.search(r"[^aeiouy]{5,}", word)) or len(set(word)) <= 2
        )
    return False


_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "poiuytrewq", "lkjhgfdsa", "mnbvcxz")


def _by_choice(slot: Slot, text: str) -> str | None:
    """A clicked value, a number from the list, or the start of a choice's label."""
    lowered = text.strip().lower().rstrip(".!")
    values = [value for value, _ in slot.choices]
    if lowered in values:
        return lowered
    for value in values:
        if lowered == value.lower():
            return value
    if lowered.isdigit():
        index = int(lowered) - 1
        if 0 <= index < len(values):
            return values[index]
        raise Problem(f"There is no choice {lowered}; pick 1 to {len(values)}.")
    for value, label in slot.choices:
        if lowered and (label.lower().startswith(lowered) or lowered == label.lower()):
            return value
    return None


def _split(text: str) -> list[str]:
    parts = re.split(r"\s*(?:,|;|/|\n|\band\b|\bor\b|&|\+)\s*", text.strip())
    return [p.strip(" .") for p in parts if p.strip(" .")]


_NONE_OF_THESE = re.compile(
    r"^\s*(?:none(?: of (?:these|them|those|the above))?|no|nope|neither|nothing|n/a)\b"
    r"(?!\s+(?:of\s+)?(?:personal|customer|confidential|internal|public|special))",
    re.I,
)
_RAISING_DATA = {"personal", "special-category", "customer"}
# A category named by its own word ("internal - table schemas only"), unless negated.
_CATEGORY_WORDS = (
    ("special-category", r"special[- ]category"),
    ("personal", r"personal"),
    ("confidential", r"confidential"),
    ("customer", r"customer"),
    ("internal", r"internal"),
    ("public", r"public"),
)


def _multi(slot: Slot, text: str, config: OrgConfig) -> list[str]:
    values = [value for value, _ in slot.choices]
    if NONE_OF_THESE in values and _NONE_OF_THESE.match(text):
        return []
    chosen: list[str] = []
    for part in _split(text):
        value = _by_choice(slot, part)
        if value is not None and value not in chosen:
            chosen.append(value)
    if slot.name == "data_categories":
        named = [
            value
            for value, word in _CATEGORY_WORDS
            if affirmed(re.compile(rf"\b{word}\b", re.I), text)
        ]
        read = detect_data(text).values.get("data_categories", [])
        if named or chosen:
            # The requester named the categories ("public - our published product pages");
            # what the rules read adds only what raises the risk ("names" is personal data).
            read = [c for c in read if c in _RAISING_DATA]
        for category in named + read:
            if category not in chosen:
                chosen.append(category)
        if "special-category" in chosen and "personal" not in chosen:
            chosen.append("personal")
    if NONE_OF_THESE in chosen:
        chosen.remove(NONE_OF_THESE)
        if chosen:
            raise Problem('You picked "none of these" and something else; which is it?')
        return []
    if not chosen:
        raise Problem("I couldn't match that to the choices.")
    return chosen


def _bool(slot: Slot, text: str) -> bool:
    choice = _by_choice(slot, text)
    if choice is not None:
        return choice == "yes"
    if slot.name == "third_party":
        found = detect_tool(text, [])
        if "third_party" in found.values:
            return bool(found.values["third_party"])
        if re.search(
            r"supplier|vendor|third[- ]party|external|outside|bought|buy|licen[cs]e|"
            r"saas|subscription|off[- ]the[- ]shelf",
            text,
            re.I,
        ):
            return True
        if re.search(
            r"ourselves|in[- ]house|our own|internal(?:ly)?|we (?:build|built)", text, re.I
        ):
            return False
    if slot.name == "agent_write_access":
        found = detect_agency("an ai agent that " + text)
        if "agent_write_access" in found.values:
            return bool(found.values["agent_write_access"])
    if _YES.match(text):
        return True
    if _NO.match(text):
        return False
    raise Problem("Please answer yes or no, or pick one of the choices.")


_CHOICE_DETECTORS = {
    "deployment": lambda t: detect_audience(t).values.get("deployment"),
    "human_oversight": lambda t: detect_oversight(t).values.get("human_oversight"),
    "decisions_about_people": lambda t: detect_decisions(t).values.get("decisions_about_people"),
    "decision_stakes": lambda t: detect_decisions("it decides on people's " + t).values.get(
        "decision_stakes"
    ),
    "autonomy": lambda t: detect_agency(t).values.get("autonomy"),
    "data_location": lambda t: detect_supplier(t, answering=True).values.get("data_location"),
    "contract_dpa": lambda t: detect_supplier(t, answering=True).values.get("contract_dpa"),
}
_SAMPLED = re.compile(
    r"\bsample\w*|spot[- ]?check\w*|step in|intervene|monitor\w*|can (?:see|override)", re.I
)
_CHOICE_WORDS: dict[str, list[tuple[str, str]]] = {
    "deployment": [
        (r"customers?|clients?|applicants|candidates", "customer-facing"),
        (r"public|anyone|everyone", "public"),
        (r"employees|staff|colleagues|whole company|company[- ]wide", "employee-facing"),
        (
            r"\bteam\b|internal|just us|only us|back office|analysts|only me|just me|"
            r"\bonly\b|underwriters|engineers|investigators|^\s*just\b|\bdesk\b|of us\b",
            "internal",
        ),
    ],
    "decisions_about_people": [
        (r"^\s*(?:no|none|nope|not at all|it doesn't)\b", "none"),
        (
            r"recommend|suggest|advis|assist|help|flag|a person decides|"
            r"we decide|humans? decide",
            "recommends",
        ),
        (r"decides|automatic", "decides"),
    ],
    "decision_stakes": [
        (r"significant|major|serious|big|a lot|very|high|important", "significant"),
        (r"minor|small|little|low|not much|barely|trivial", "minor"),
    ],
    "human_oversight": [
        (r"^\s*(?:no|none|nobody|no one)\b", "none"),
        (
            r"every|each|always|before|approve|review|look at|looks at|"
            r"decides?|checks?|reads?|choose|chooses|picks?|signs? off",
            "in-the-loop",
        ),
        (
            r"monitor|spot|sample|step in|intervene|dashboard|after|afterwards|"
            r"fix",
            "on-the-loop",
        ),
        (r"^\s*(?:no|none|nobody|no one)\b|automatic", "none"),
    ],
    "autonomy": [
        (
            r"suggest|content|draft|produce|assist|only|outputs?|score|flag|classif|"
            r"extract|forecast|answer|price|decision|picks?|chooses?|selects?|decides?",
            "assistant",
        ),
        (r"agent|acts?|by itself|autonom|actions?", "agent"),
    ],
    "contract_dpa": [(r"^\s*(?:yes|yep|yeah|signed)\b", "yes"), (r"^\s*(?:no|nope)\b", "no")],
}


def _choice(slot: Slot, text: str) -> str:
    choice = _by_choice(slot, text)
    if choice is not None:
        return choice
    if slot.name == "decisions_about_people" and _NO.match(text):
        return DECISION_NONE  # "no, recruiters already shortlisted": the no is the answer
    yes_no = is_yes_or_no(text)
    if yes_no is not None:
        if slot.name == "decisions_about_people" and yes_no is False:
            return DECISION_NONE
        labels = "; ".join(f"{i}. {label}" for i, (_, label) in enumerate(slot.choices, 1))
        raise Problem(f"That question has more than a yes or no answer. Which one: {labels}?")
    if slot.name == "data_location":
        if (where := place(text)) is not None:
            return where
        raise Problem(
            f'I don\'t know "{text.strip()[:60]}" as a country or region. Type a country '
            '(e.g. Ireland), a region (UK, EU/EEA, US), or "don\'t know".'
        )
    if slot.name == "human_oversight" and _SAMPLED.search(text):
        return "on-the-loop"  # "nobody reviews each one, we sample 5%": people monitor it
    detector = _CHOICE_DETECTORS.get(slot.name)
    if detector is not None and (found := detector(text)):
        return str(found)
    for pattern, value in _CHOICE_WORDS.get(slot.name, []):
        if re.search(pattern, text, re.I):
            return value
    raise Problem("I couldn't match that to the choices.")


def parse(
    slot: Slot,
    text: str,
    config: OrgConfig,
    requester: str,
    people: PeopleLookup | None = None,
) -> Parsed:
    """The value for `slot` from `text`; raises Problem with what to fix."""
    limit = DESCRIPTION_LIMIT if slot.name == "purpose" else ANSWER_LIMIT
    answer = check_text(text, limit=limit)
    _says_something(slot.name, answer)
    extra: dict[str, Any] = {}
    value: Any
    if slot.kind == "choice":
        value = _choice(slot, answer)
    elif slot.kind == "multi":
        value = _multi(slot, answer, config)
    elif slot.kind == "bool":
        value = _bool(slot, answer)
    elif slot.kind == "list":
        value = _split(answer)
    elif slot.kind == "person":
        value = match_person(answer, config, requester) or (people(answer) if people else None)
        if value is None:
            raise Problem(
                f'I can\'t find a person called "{answer[:60]}". The owner must be one person, '
                'not a team: say "me", @mention them, or type the full name of someone in the '
                "organisation."
            )
    else:
        value, extra = _text(slot, answer, config)
    return Parsed(value=value, extra=extra)


_SUPPLIED = re.compile(
    r"supplier|vendor|suppl(?:ied|ies)|third[- ]party|from (?:a|an|the|our) |"
    r"product|platform|saas|licen[cs]ed?|bought|buy",
    re.I,
)
_OWN = re.compile(r"in[- ]house|ourselves|our own|we (?:are )?build|home[- ]?grown|bespoke", re.I)
# A supplier named in a tool answer: "RiskQuote from Pacific Re", "our supplier, Gallagher".
_VENDOR_NAMED = re.compile(
    r"(?:\b(?:from|by|supplied by|made by|sold by)|supplier,)\s+(?!(?:our|the|a|an)\b)"
    r"([A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*){0,3})"
)
_NOT_NAMES = {"A", "An", "The", "We", "Our", "I", "It", "My", "Some", "Not", "No", "Yes"}


def _by_first_word(answer: str, config: OrgConfig) -> CatalogueTool | None:
    """ "Zendesk" typed alone means the catalogue's "Zendesk AI" when only one tool fits."""
    word = answer.strip().rstrip(".").lower()
    if not re.fullmatch(r"[a-z0-9.-]{4,}", word):
        return None
    fits = [t for t in config.catalogue if t.name.lower().split()[0] == word]
    return fits[0] if len(fits) == 1 else None


def _names_a_product(answer: str) -> bool | None:
    """Whether a tool answer outside the catalogue comes from a supplier: a product name
    ("Featurespace ARIC") or supplier words say yes, in-house words no; else unknown."""
    if _OWN.search(answer):
        return False
    if _SUPPLIED.search(answer):
        return True
    names = [w for w in re.findall(r"\b[A-Z][\w+.-]*", answer) if w not in _NOT_NAMES]
    return True if names else None


def _text(slot: Slot, answer: str, config: OrgConfig) -> tuple[Any, dict[str, Any]]:
    if slot.name == "tool":
        candidates = tool_candidates(answer, config.catalogue)
        if len(candidates) > 1:
            raise Ambiguous([tool.name for tool in candidates])
        found = detect_tool(answer, config.catalogue)
        if not candidates and found.values.get("tool") in {t.name for t in config.catalogue}:
            found = detect_tool(answer, [])  # "Copilot Studio" is not Microsoft 365 Copilot
        if "tool" in found.values:
            return found.values["tool"], {k: v for k, v in found.values.items() if k != "tool"}
        if tool := _by_first_word(answer, config):
            return tool.name, {"vendor": tool.vendor, "third_party": True}
        supplier = _names_a_product(answer)
        extra: dict[str, Any] = {} if supplier is None else {"third_party": supplier}
        if supplier and (vendor := _VENDOR_NAMED.search(answer)):
            extra["vendor"] = vendor.group(1)  # "RiskQuote from Pacific Re": the requester said
        return answer[:200], extra
    if slot.name == "business_unit":
        return parse_unit_answer(answer), {}
    if slot.name == "title":
        return answer[:200], {}
    if slot.name == "purpose":
        return answer, {"title": make_title(answer)}
    return answer, {}
