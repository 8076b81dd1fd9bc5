"""The offline answer: the sentences of the retrieved passages that best answer the question.

Sentences are scored by cosine similarity to the question plus the share of the question's
terms they contain, so a sentence that paraphrases the question and one that repeats its key
words both surface. Quotes are verbatim, so the answer never says more than the policy does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retrieval.embeddings import Embedder, Vectors
from retrieval.search import Hit
from retrieval.text import split_sentences, strip_bullet, terms

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


def quote(hits: list[Hit], question: str, query_vector: Vectors, embedder: Embedder) -> list[Quote]:
    candidates = [(hit, _shortlist(_candidate_sentences(hit.chunk.text), question)) for hit in hits]
    flat = [sentence for _, sentences in candidates for sentence in sentences]
    if not flat:
        return [Quote(hit, [hit.chunk.text.strip()]) for hit in hits]
    vectors = embedder.embed(flat)
    similarities = vectors @ np.asarray(query_vector, dtype=np.float32)
    quotes, offset = [], 0
    for hit, sentences in candidates:
        scores = [
            float(similarities[offset + i]) + LEXICAL_WEIGHT * overlap(question, sentence)
            for i, sentence in enumerate(sentences)
        ]
        offset += len(sentences)
        quotes.append(Quote(hit, _best(sentences, scores)))
    return quotes


def _shortlist(sentences: list[str], question: str) -> list[str]:
    """At most MAX_CANDIDATES sentences, the lexically closest, in document order: embedding
    every sentence of a long passage would cost more than the search itself."""
    if len(sentences) <= MAX_CANDIDATES:
        return sentences
    ranked = sorted(
        range(len(sentences)), key=lambda i: overlap(question, sentences[i]), reverse=True
    )
    keep = set(ranked[:MAX_CANDIDATES])
    return [s for i, s in enumerate(sentences) if i in keep]


def _candidate_sentences(text: str) -> list[str]:
    sentences = [strip_bullet(s) for s in split_sentences(text)]
    long_enough = [s for s in sentences if len(s.split()) >= MIN_SENTENCE_WORDS]
    return long_enough or [s for s in sentences if s] or [text.strip()]


def _best(sentences: list[str], scores: list[float]) -> list[str]:
    order = sorted(range(len(sentences)), key=lambda i: scores[i], reverse=True)
    top = order[0]
    picked = {top}
    for index in order[1:SENTENCES_PER_PASSAGE]:
        if scores[index] >= SECOND_SENTENCE_RATIO * scores[top]:
            picked.add(index)
    for index in sorted(picked):
        if sentences[index].endswith(":"):  # a sentence introducing a list needs the list
            picked.update(range(index + 1, min(index + 1 + MAX_LIST_ITEMS, len(sentences))))
    return _joined([sentences[i] for i in sorted(picked)], sorted(picked))


def _joined(texts: list[str], positions: list[int]) -> list[str]:
    """Mark gaps between quoted sentences with an ellipsis, so a quote never reads as one."""
    result = [texts[0]]
    for text, position, previous in zip(texts[1:], positions[1:], positions, strict=False):
        result.append(text if position == previous + 1 else f"… {text}")
    return result
