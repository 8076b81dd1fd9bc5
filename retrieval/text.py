"""Small text helpers shared by chunking, BM25, tool detection and answer composition."""

from __future__ import annotations

import hashlib
import re
from functools import cache
from typing import Any

_WORD = re.compile(r"[a-z0-9]+(?:[.'][a-z0-9]+)*")
# Sentence ends: punctuation followed by space and something that starts a sentence.
_SENTENCE_END = re.compile(r"(?<=[.!?;:])[\"')\]]?\s+(?=[\"'(\[]?[A-Z0-9*•-])")
_ABBREVIATION_END = re.compile(
    r"\b(?:art|arts|e\.g|i\.e|no|nos|sec|para|paras|etc|vs|cf|mr|mrs|ms|dr|st|approx|incl|fig|"
    r"ch|p|pp|vol|reg)\.$",
    re.I,
)
_BULLET = re.compile(r"^\s*(?:[-*+•]|\d{1,2}[.)]|\([a-z0-9]{1,3}\))\s+")

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself nor of off on once only or other our ours ourselves
    out over own same she should so some such than that the their theirs them themselves then
    there these they this those through to too under until up very was we were what when where
    which while who whom why will with would you your yours yourself yourselves can may might
    must shall also per via etc e.g i.e im ive id let lets get got okay ok please thanks hi hello
    s t""".split()
)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def normalise_space(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def words(text: str) -> list[str]:
    """Lower-case word tokens, keeping dotted names like claude.ai together."""
    return _WORD.findall(text.lower())


@cache
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def stem(word: str) -> str:
    """Snowball (Porter 2) stem, so "merge", "merged" and "merging" all match."""
    return str(_stemmer().stemWord(word))


def terms(text: str) -> list[str]:
    """Search terms: words without stopwords, stemmed."""
    kept = [word for word in words(text) if word not in STOPWORDS]
    return [str(term) for term in _stemmer().stemWords(kept)]


def split_sentences(text: str) -> list[str]:
    """Sentences and list items, each on its own, whitespace-normalised."""
    sentences: list[str] = []
    for block in re.split(r"\n\s*\n|\n(?=\s*(?:[-*+•]|\d{1,2}[.)]|\|)\s)", text):
        flat = normalise_space(block)
        if not flat:
            continue
        parts = [part.strip() for part in _SENTENCE_END.split(flat) if part.strip()]
        sentences.extend(_rejoin_abbreviations(parts))
    return sentences


def _rejoin_abbreviations(parts: list[str]) -> list[str]:
    """Undo splits after "Art.", "e.g.", "No." and the like, which do not end a sentence."""
    merged: list[str] = []
    for part in parts:
        if merged and _ABBREVIATION_END.search(merged[-1]):
            merged[-1] = f"{merged[-1]} {part}"
        else:
            merged.append(part)
    return merged


def strip_bullet(sentence: str) -> str:
    return _BULLET.sub("", sentence)
