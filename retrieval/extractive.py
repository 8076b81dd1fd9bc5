"""The offline answer: the sentences of the retrieved passages that best answer the question.

Sentences are scored by cosine similarity to the question plus the share of the question's
terms they contain, so a sentence that paraphrases the question and one that repeats its key
words both surface. Quotes are verbatim, so the answer never says more than the policy does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from retrieval.embeddings import Embedder, Vectors
from retrieval.lists import Sentence, asked_terms, lists_of, naming_items, sentences_of
from retrieval.search import Hit
from retrieval.text import terms

MAX_PASSAGES = 2
SENTENCES_PER_PASSAGE = 2
MIN_SENTENCE_WORDS = 4
SECOND_SENTENCE_RATIO = 0.8
LEXICAL_WEIGHT = 0.35
MAX_LIST_ITEMS = 6
MAX_CANDIDATES = 8


@dataclass(frozen=True)
class Quote:
    hit: Hit
    sentences: list[str]


def choose_passages(hits: list[Hit], limit: int = MAX_PASSAGES) -> list[Hit]:
    """The top hit, plus the next from a different section when it is nearly as relevant."""
    chosen: list[Hit] = []
    for hit in hits:
        if len(chosen) >= limit:
            break
        if not chosen:
            chosen.append(hit)
            continue
        first = chosen[0]
        same_section = (hit.chunk.source, hit.chunk.section_path) in {
            (c.chunk.source, c.chunk.section_path) for c in chosen
        }
        close = (
            hit.dense is not None and first.dense is not None and hit.dense >= first.dense - 0.05
        )
        if not same_section and close:
            chosen.append(hit)
    return chosen


def overlap(question: str, text: str) -> float:
    """The share of the question's search terms that occur in `text`."""
    wanted = set(terms(question))
    return len(wanted & set(terms(text))) / len(wanted) if wanted else 0.0


def quote(
    hits: list[Hit],
    question: str,
    query_vector: Vectors,
    embedder: Embedder,
    *,
    names: Sequence[str] = (),
) -> list[Quote]:
    """The best sentences of each passage, verbatim. `names`: the tools the caller recognised
    in the question; a list item naming one (or a word the asker capitalised) is always quoted,
    under its list's lead-in."""
    wanted = asked_terms(question, names)
    passages = [_Passage.read(hit, question) for hit in hits]
    flat = [passage.sentences[i].text for passage in passages for i in passage.candidates]
    if not flat:
        return [Quote(hit, [hit.chunk.text.strip()]) for hit in hits]
    vectors = embedder.embed(flat)
    similarities = vectors @ np.asarray(query_vector, dtype=np.float32)
    quotes, offset = [], 0
    for passage in passages:
        scores = [
            float(similarities[offset + n])
            + LEXICAL_WEIGHT * overlap(question, passage.sentences[i].text)
            for n, i in enumerate(passage.candidates)
        ]
        offset += len(passage.candidates)
        quotes.append(Quote(passage.hit, passage.best(scores, wanted)))
    return quotes


@dataclass(frozen=True)
class _Passage:
    hit: Hit
    sentences: list[Sentence]
    candidates: list[int]  # positions in `sentences` worth scoring

    @classmethod
    def read(cls, hit: Hit, question: str) -> _Passage:
        sentences = sentences_of(hit.chunk.text) or [Sentence(hit.chunk.text.strip(), False, 0)]
        return cls(hit, sentences, _shortlist(_candidates(sentences), sentences, question))

    def best(self, scores: list[float], wanted: set[str]) -> list[str]:
        order = sorted(range(len(scores)), key=lambda n: scores[n], reverse=True)
        top = order[0]
        picked = {self.candidates[top]}
        for n in order[1:SENTENCES_PER_PASSAGE]:
            if scores[n] >= SECOND_SENTENCE_RATIO * scores[top]:
                picked.add(self.candidates[n])
        positions = sorted(self._with_lists(picked, wanted))
        return _joined([self.sentences[i].text for i in positions], positions)

    def _with_lists(self, picked: set[int], wanted: set[str]) -> set[int]:
        """A list item naming what was asked replaces the list's other items, under its
        lead-in; a quoted lead-in brings its list's first items; any other sentence
        introducing something (ending in ':') brings the sentences after it."""
        chosen = set(picked)
        leads = set()
        for found in lists_of(self.sentences):
            leads.add(found.lead_in)
            named = naming_items(self.sentences, found, wanted) if wanted else []
            if 0 < len(named) <= MAX_LIST_ITEMS:
                chosen -= {i for item in found.items for i in item}
                chosen |= {i for item in named for i in item}
                if found.lead_in is not None:
                    chosen.add(found.lead_in)
            elif found.lead_in in picked:
                chosen |= {i for item in found.items[:MAX_LIST_ITEMS] for i in item}
        for index in picked - leads:
            if self.sentences[index].text.endswith(":"):
                later = [i for i in self.candidates if i > index]
                chosen.update(later[:MAX_LIST_ITEMS])
        return chosen


def _candidates(sentences: list[Sentence]) -> list[int]:
    long_enough = [
        i
        for i, sentence in enumerate(sentences)
        if len(sentence.text.split()) >= MIN_SENTENCE_WORDS
    ]
    return long_enough or list(range(len(sentences)))


def _shortlist(candidates: list[int], sentences: list[Sentence], question: str) -> list[int]:
    """At most MAX_CANDIDATES sentences, the lexically closest, in document order: embedding
    every sentence of a long passage would cost more than the search itself."""
    if len(candidates) <= MAX_CANDIDATES:
        return candidates
    ranked = sorted(candidates, key=lambda i: overlap(question, sentences[i].text), reverse=True)
    return sorted(ranked[:MAX_CANDIDATES])


def _joined(texts: list[str], positions: list[int]) -> list[str]:
    """Mark gaps between quoted sentences with an ellipsis, so a quote never reads as one."""
    result = [texts[0]]
    for text, position, previous in zip(texts[1:], positions[1:], positions, strict=False):
        result.append(text if position == previous + 1 else f"… {text}")
    return result
