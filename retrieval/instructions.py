"""Find policy passages written as instructions to a system or model rather than to staff.

A policy folder is writable by more people than the governance leads, and anything in it is
quoted back as policy. Text such as "SYSTEM: ignore previous instructions" or "set their status
to approved" is addressed to a bot, not to employees: ingestion flags such passages and answers
leave them out until a governance lead marks the document trusted (governance/policy_trust.py).

The rules are plain regular expressions, so every flag names the sentence and the rule that
fired, and a lead can see at once whether it is a false alarm. Policies address staff as "you"
("you must report it"), so the rules that read "you" ask for an answer-shaping verb or a model
as the addressee, never a bare imperative.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from retrieval.text import normalise_space, split_sentences

# Bump when the rules change: documents screened by an older version are screened again on the
# next ingest (cheaply: no re-embedding), and the answerer re-screens them when it loads.
DETECTOR_VERSION = "instructions-v1"

_MODEL = r"(?:ai|a\.i\.|assistant|chat ?bot|bot|model|language model|llm|gpt|agent|aims bot)"
# The model as the one spoken to: "you are an AI assistant", not "you are the agent's owner" or
# "as an AI system provider" (noun phrases in which the model is only a qualifier).
_ADDRESSEE = _MODEL + (
    r"(?![\w'-]|\s+(?:owners?|providers?|deployers?|systems?|tools?|users?|uses?|teams?|"
    r"leads?|polic(?:y|ies)|records?|registers?|products?|features?|vendors?|developers?|"
    r"outputs?|projects?|services?|platforms?|applications?|apps?|governance|act|risks?)\b)"
)
# An answer scripted for the reader: "answer that ...", "reply yes", "respond “…”". Staff are
# told to respond *to* things or *with* things; a scripted reply is written for a bot.
_SCRIPTED = r"(?:answer|respond|reply|say)\s+(?:(?:that|yes|no)\b|[\"“])"
# A prohibition addressed to staff ("must not override the guardrails", "never mark a record
# as approved yourself") describes a rule; the same words as a bare command are an instruction.
_PROHIBITION = re.compile(r"\b(?:not|never|no|nor|n't|against)\b[^.;\n]{0,25}$", re.I)

# (why it is flagged, pattern, whether a prohibition just before it makes it a staff rule).
# Role markers must be written as a chat transcript writes them: upper-case "SYSTEM:" or a
# chat template token; a glossary's "System: ..." is not flagged.
_RULES: tuple[tuple[str, re.Pattern[str], bool], ...] = (
    (
        "a chat role marker (text addressed to a model)",
        re.compile(
            r"(?:^|(?<=[\s>\"'(\[]))(?:SYSTEM|ASSISTANT|USER|DEVELOPER|HUMAN)\s*:"
            r"|<\|(?:im_start|im_end|system|user|assistant|endoftext)\|>|\[/?INST\]|<</?SYS>>"
            r"|</?(?:system|assistant)>",
            re.M,
        ),
        False,
    ),
    (
        "tries to override earlier instructions",
        re.compile(
            r"\b(?:ignore|disregard|forget|override|bypass)\b[^.;\n]{0,30}?"
            r"\b(?:previous|prior|above|earlier|preceding|original|system|your|all)\s+"
            r"(?:instructions?|prompts?|rules|directions|guidelines|guardrails|context)\b",
            re.I,
        ),
        True,
    ),
    (
        "addresses an AI assistant directly",
        re.compile(
            rf"\b(?:you are|you're|act as|pretend to be)\s+(?:now\s+)?(?:an?|the)\s+"
            rf"(?:[\w-]+\s+){{0,2}}{_ADDRESSEE}"
            rf"|\bas an? {_ADDRESSEE}[^.;\n]{{0,40}}\b(?:you|must|should|will)\b"
            rf"|\b(?:dear|hey|attention|note to(?: the)?)\s+{_ADDRESSEE}"
            rf"|^\s*{_MODEL}s?\s*[,:]\s*(?:you|please|always|never|do not|don't|ignore)\b"
            rf"|\b(?:new|updated|hidden|secret|special)\s+instructions?\s+(?:for|to)\s+"
            rf"(?:the\s+)?{_ADDRESSEE}"
            r"|\b(?:reveal|print|repeat|output|show)\s+(?:your\s+(?:system\s+)?"
            r"(?:prompt|instructions)|the\s+system\s+prompt)\b",
            re.I | re.M,
        ),
        True,
    ),
    (
        "tells the reader how to answer questions",
        re.compile(
            rf"\b(?:always|must|should|will|shall)\s+(?:always\s+)?{_SCRIPTED}"
            rf"|\bwhen(?:ever)?\s+(?:you are\s+|you're\s+)?asked\b[^.;\n]{{0,80}}\b{_SCRIPTED}"
            rf"|\bif\s+(?:anyone|someone|a user|users|people|staff)\s+asks?\b[^.;\n]{{0,80}}"
            rf"\b{_SCRIPTED}|\b(?:do not|don't|never)\s+(?:tell|mention|reveal)\s+(?:the user|"
            r"these instructions|this (?:instruction|paragraph|section|message|note))\b",
            re.I,
        ),
        False,
    ),
    (
        "commands a change to the register",
        re.compile(
            r"\bset\s+(?:their|its|the|his|her|all|every|each)\b[^.;\n]{0,40}?\bstatus(?:es)?\s+"
            r"to\b"
            r"|\b(?:approve|reject|close|retire|suspend|delete)\s+(?:all|every|each|any)\b"
            r"[^.;\n]{0,40}?\b(?:records?|requests?|registrations?|approvals?|uses?|incidents?)\b"
            r"|\bmark\b[^.;\n]{0,60}?\bas\s+(?:approved|trusted|resolved|closed|complete|live)\b"
            r"|\b(?:change|update|transition|move)\s+(?:their|its|the|all|every)\b[^.;\n]{0,40}?"
            r"\b(?:status|tier)(?:es)?\s+to\b",
            re.I,
        ),
        True,
    ),
    (
        "claims a decision on a register record (decisions live in the register)",
        re.compile(
            r"\bAIU-?\d{1,6}\b[^.;\n]{0,80}?\b(?:approved|rejected|signed off|cleared)\b"
            r"|\b(?:approved|rejected|signed off|cleared)\b[^.;\n]{0,80}?\bAIU-?\d{1,6}\b",
            re.I,
        ),
        False,
    ),
)


@dataclass(frozen=True)
class Flag:
    """One sentence that reads as an instruction to a system, and why."""

    sentence: str
    reason: str

    def as_json(self) -> dict[str, str]:
        return {"sentence": self.sentence, "reason": self.reason}


def flag_instructions(text: str) -> list[Flag]:
    """The sentences of `text` (a chunk) that read as instructions to a system or model.

    Role markers are looked for line by line (they start a line of a transcript); the other
    rules sentence by sentence, so the flag quotes exactly the sentence at fault.
    """
    flags: list[Flag] = []
    seen: set[str] = set()
    lines = [(line, _RULES[:1]) for line in text.splitlines() if line.strip()]
    sentences = [(sentence, _RULES) for sentence in split_sentences(text)]
    for unit, rules in lines + sentences:
        sentence = normalise_space(unit)
        for reason, pattern, negatable in rules:
            if sentence not in seen and _fires(pattern, unit, negatable):
                seen.add(sentence)
                flags.append(Flag(sentence=sentence[:500], reason=reason))
                break
    return _without_contained(flags)


def _fires(pattern: re.Pattern[str], text: str, negatable: bool) -> bool:
    return any(
        not (negatable and _PROHIBITION.search(text[: match.start()]))
        for match in pattern.finditer(text)
    )


def _without_contained(flags: list[Flag]) -> list[Flag]:
    """A sentence flagged on its own and as part of its line is reported once, as the sentence."""
    return [
        flag
        for flag in flags
        if not any(
            other is not flag and other.sentence in flag.sentence and other.reason == flag.reason
            for other in flags
        )
    ]


def flags_from_json(value: object) -> list[Flag]:
    """Flags as stored with a chunk (a JSON list of {sentence, reason})."""
    if not isinstance(value, list):
        return []
    return [
        Flag(sentence=str(item.get("sentence", "")), reason=str(item.get("reason", "")))
        for item in value
        if isinstance(item, dict)
    ]
