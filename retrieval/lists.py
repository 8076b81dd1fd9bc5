"""Lists inside a passage: their lead-in line and their items, so a quote keeps the item asked
about.

Policies often answer "is X allowed?" with a bulleted list under a lead-in ("The following
tools are not permitted:"). Scored one sentence at a time, such a list loses its answer: an item
is often too short to score ("OpenAI ChatGPT."), and quoting the list's first few items can
skip the very one asked about. So a passage is read as sentences that know whether they are a
list item, lists are put back together (lead-in, items, each item's continuation sentences),
and the items naming what the question asks about are found by their words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from retrieval.text import split_sentences, strip_bullet, terms

# Words a question capitalises without naming anything a list could single out.
GENERIC_NAME_TERMS = frozenset({"ai", "genai", "llm", "llms", "i"})
_LEAD_IN = re.compile(r":$|\bfollowing\b", re.I)
# A long list is stored on one line ("* OpenAI ChatGPT. * [Apple Intelligence.](url) * ..."),
# and an item ending in a link is no sentence end: a lone "*" or "•" still starts an item.
_INLINE_BULLET = re.compile(r"\s+(?=[*•]\s+\S)")


@dataclass(frozen=True)
class Sentence:
    text: str  # without its bullet
    bullet: bool
    paragraph: int


@dataclass
class PassageList:
    """Positions (in the passage's sentence list) of a list's lead-in and of its items; an
    item is its bullet sentence plus the sentences that continue it in the same paragraph."""

    lead_in: int | None
    items: list[list[int]] = field(default_factory=list)


def sentences_of(text: str) -> list[Sentence]:
    result = []
    for number, paragraph in enumerate(re.split(r"\n\s*\n", text)):
        for sentence in split_sentences(paragraph):
            for piece in _INLINE_BULLET.split(sentence):
                stripped = strip_bullet(piece)
                if stripped:
                    result.append(Sentence(stripped, stripped != piece, number))
    return result


def lists_of(sentences: Sequence[Sentence]) -> list[PassageList]:
    lists: list[PassageList] = []
    current: PassageList | None = None
    for index, sentence in enumerate(sentences):
        if sentence.bullet:
            if current is None:
                current = PassageList(_lead_in(sentences, index))
                lists.append(current)
            current.items.append([index])
        elif current is not None and sentence.paragraph == sentences[index - 1].paragraph:
            current.items[-1].append(index)
        else:
            current = None
    return lists


def _lead_in(sentences: Sequence[Sentence], first_item: int) -> int | None:
    """The sentence just before a list, when it introduces one ("...: ", "the following")."""
    if first_item == 0:
        return None
    before = sentences[first_item - 1]
    return first_item - 1 if not before.bullet and _LEAD_IN.search(before.text) else None


def asked_terms(question: str, names: Sequence[str] = ()) -> set[str]:
    """The terms of what a question names: the words the asker capitalised (product names such
    as "Apple Intelligence" or "ChatGPT"), and the words of `names` (tools the caller recognised
    in the question, even in lower case) that the question itself uses."""
    words = question.split()
    capitalised = [
        word
        for position, word in enumerate(words)
        # A first word is capitalised anyway; only an inner capital ("ChatGPT") names it.
        if any(ch.isupper() for ch in (word[1:] if position == 0 else word))
    ]
    recognised = set(terms(" ".join(names))) & set(terms(question))
    return (set(terms(" ".join(capitalised))) | recognised) - GENERIC_NAME_TERMS


def naming_items(
    sentences: Sequence[Sentence], found: PassageList, wanted: set[str]
) -> list[list[int]]:
    """The list's items that name the most of `wanted`; none when no wanted term singles out
    an item (a term in most of the items, like the list's subject, singles out none)."""
    item_terms = [{t for i in item for t in terms(sentences[i].text)} for item in found.items]
    common = max(1, len(found.items) // 2)
    distinctive = {t for t in wanted if sum(t in seen for seen in item_terms) <= common}
    counts = [len(distinctive & seen) for seen in item_terms]
    best = max(counts, default=0)
    if best == 0:
        return []
    return [item for item, count in zip(found.items, counts, strict=True) if count == best]
