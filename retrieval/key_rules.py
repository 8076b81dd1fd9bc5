"""The few rules of a policy a person must not miss, quoted from it: what an acknowledgement
campaign shows beside the link to the full text.

Extractive like the answers (retrieval.extractive): sentences are split the same way
(retrieval.lists.sentences_of) and quoted word for word with the section they come from, never
paraphrased. A rule is a sentence that binds the reader ("must not", "never", "only"...); the
strongest come first, at most one per section so the pick spans the policy, in the order the
policy gives them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from retrieval.lists import sentences_of

MAX_RULES = 5
MIN_WORDS, MAX_WORDS = 6, 60

# How strongly a phrase binds the reader: a prohibition outranks a duty, a duty a permission.
_STRENGTH: tuple[tuple[re.Pattern[str], int], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), weight)
    for pattern, weight in (
        (
            r"\bmust (?:never|not)\b|\bmay not\b|\bshall not\b|\b(?:is|are) prohibited\b",
            5,
        ),
        (r"\bnever\b|\bdo not\b|\bdon't\b|\bnot allowed\b|\bforbidden\b", 4),
        (r"\bmust\b|\bshall\b|\bis required\b|\bare required\b|\brequires?\b", 3),
        (r"\bonly\b|\bbefore\b.*\bapprov", 2),
    )
)


class KeyRule(BaseModel):
    """One sentence quoted from a policy and where it stands in it."""

    model_config = ConfigDict(frozen=True)

    text: str
    section: str  # the section path, joined: "3 Data › 3.2 Customer data"
    chunk_id: str


class ChunkText(BaseModel):
    """What key_rules reads of one chunk (store.retrieval_models.PolicyChunk)."""

    model_config = ConfigDict(frozen=True)

    chunk_id: str
    ordinal: int
    section_path: list[str]
    text: str


# Phrases that look binding but release the reader ("you do not need to...").
_RELEASE = re.compile(r"\b(?:do|does|did) not (?:need|have to)\b|\bneed not\b", re.IGNORECASE)


def strength(sentence: str) -> int:
    if sentence.rstrip().endswith("?") or _RELEASE.search(sentence):
        return 0
    return max((weight for pattern, weight in _STRENGTH if pattern.search(sentence)), default=0)


def key_rules(chunks: Sequence[ChunkText], limit: int = MAX_RULES) -> list[KeyRule]:
    """Up to `limit` binding sentences, strongest first when choosing, shown in policy order."""
    candidates: list[tuple[int, int, int, KeyRule]] = []
    seen: set[str] = set()
    for chunk in sorted(chunks, key=lambda c: c.ordinal):
        section = " › ".join(chunk.section_path)
        for position, sentence in enumerate(sentences_of(chunk.text)):
            # Markdown emphasis is presentation, not wording: "**Prohibited**:" reads "Prohibited:".
            text = " ".join(sentence.text.replace("**", "").split())
            words = len(text.split())
            weight = strength(text)
            if weight == 0 or not MIN_WORDS <= words <= MAX_WORDS or text.lower() in seen:
                continue
            seen.add(text.lower())
            rule = KeyRule(text=text, section=section, chunk_id=chunk.chunk_id)
            candidates.append((weight, chunk.ordinal, position, rule))
    chosen: list[tuple[int, int, KeyRule]] = []
    sections: set[str] = set()
    # Strongest first; among equals the earlier one (policies put the main rules first).
    for _weight, ordinal, position, rule in sorted(candidates, key=lambda c: (-c[0], c[1], c[2])):
        if rule.section in sections:
            continue
        sections.add(rule.section)
        chosen.append((ordinal, position, rule))
        if len(chosen) == limit:
            break
    return [rule for _, _, rule in sorted(chosen, key=lambda c: (c[0], c[1]))]
