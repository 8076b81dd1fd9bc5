"""Split sections into chunks that never cross a heading, sized for the embedding model.

all-MiniLM-L6-v2 reads at most 256 word pieces, so a chunk aims at ~750 characters (about 150
words) and never exceeds ~1,200: longer paragraphs are split at sentence ends. Each chunk is
also embedded as short windows of two sentences ("small-to-big" retrieval): one vector for a
whole passage blurs a specific rule into its surroundings, a window vector does not, and a hit
on any window retrieves the whole chunk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from retrieval.documents import ParsedDocument
from retrieval.outline import Section
from retrieval.text import sha256_text, split_sentences

# Bump when chunk boundaries or text change: every document is then re-chunked and re-embedded.
CHUNKER_VERSION = "chunks-v2"
TARGET_CHARS = 750
MAX_CHARS = 1200
WINDOW_SENTENCES = 2
MIN_WORDS = 4
SECTION_SEPARATOR = " › "


@dataclass(frozen=True)
class Chunk:
    id: str
    ordinal: int
    section_path: tuple[str, ...]
    text: str
    content_hash: str


def chunk_document(document: ParsedDocument) -> list[Chunk]:
    chunks: list[Chunk] = []
    for section in document.sections:
        for text in _section_pieces(section):
            ordinal = len(chunks)
            content_hash = sha256_text(SECTION_SEPARATOR.join(section.path) + "\n" + text)
            chunk_id = sha256_text(f"{document.source}\n{ordinal}\n{content_hash}")[:32]
            chunks.append(Chunk(chunk_id, ordinal, section.path, text, content_hash))
    return chunks


def context_text(title: str, section_path: tuple[str, ...] | list[str], text: str) -> str:
    """What gets embedded for a chunk: headings carry much of a passage's meaning."""
    heading = SECTION_SEPARATOR.join([title, *section_path])
    return f"{heading}\n{text}"


def keyword_text(title: str, section_path: tuple[str, ...] | list[str], text: str) -> str:
    """What BM25 indexes: the section headings count twice, being the best summary there is."""
    return f"{context_text(title, section_path, text)}\n{SECTION_SEPARATOR.join(section_path)}"


def window_texts(title: str, section_path: tuple[str, ...] | list[str], text: str) -> list[str]:
    """Runs of WINDOW_SENTENCES sentences under a short heading, embedded besides the chunk.

    The heading keeps only the start of a long document title, so the window's vector is about
    its sentences rather than about the document.
    """
    short_title = re.split(r" - |: ", title, maxsplit=1)[0][:40]
    heading = SECTION_SEPARATOR.join([short_title, *section_path])
    sentences = split_sentences(text)
    runs = [
        " ".join(sentences[i : i + WINDOW_SENTENCES])
        for i in range(0, len(sentences), WINDOW_SENTENCES)
    ]
    return [f"{heading}\n{run}" for run in runs if len(run.split()) >= MIN_WORDS]


def _section_pieces(section: Section) -> list[str]:
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for unit in _units(section.text):
        # A short lead-in ("You must never include the following:") stays with what follows.
        room = MAX_CHARS if size < TARGET_CHARS * 0.4 else TARGET_CHARS
        if current and size + len(unit) > room:
            pieces.append("\n\n".join(current))
            current, size = [], 0
        current.append(unit)
        size += len(unit) + 2
    if current:
        tail = "\n\n".join(current)
        if pieces and len(tail) < TARGET_CHARS // 4 and len(pieces[-1]) + len(tail) <= MAX_CHARS:
            pieces[-1] = pieces[-1] + "\n\n" + tail
        else:
            pieces.append(tail)
    return [piece for piece in pieces if len(piece.split()) >= MIN_WORDS]


def _units(text: str) -> list[str]:
    """Paragraphs, with any paragraph over MAX_CHARS broken into sentence runs."""
    units: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        if len(paragraph) <= MAX_CHARS:
            units.append(paragraph)
            continue
        units.extend(_split_long(paragraph))
    return units


def _split_long(paragraph: str) -> list[str]:
    runs: list[str] = []
    current = ""
    for sentence in split_sentences(paragraph):
        for piece in _hard_wrap(sentence):
            if current and len(current) + len(piece) + 1 > TARGET_CHARS:
                runs.append(current)
                current = ""
            current = f"{current} {piece}".strip()
    if current:
        runs.append(current)
    return runs


def _hard_wrap(sentence: str) -> list[str]:
    """A 'sentence' longer than MAX_CHARS (a table, a run-on extraction) split at spaces."""
    if len(sentence) <= MAX_CHARS:
        return [sentence]
    words, pieces, current = sentence.split(" "), [], ""
    for word in words:
        if current and len(current) + len(word) + 1 > TARGET_CHARS:
            pieces.append(current)
            current = ""
        current = f"{current} {word}".strip()
    if current:
        pieces.append(current)
    return pieces
