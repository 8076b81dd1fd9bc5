"""Heading paths survive chunking; chunks stay within the model's window; hashes are stable."""

from __future__ import annotations

from pathlib import Path

from retrieval.chunking import MAX_CHARS, chunk_document, window_texts
from retrieval.documents import ParsedDocument, parse_document
from retrieval.outline import parse_outline


def _doc(text: str, name: str = "policy.md") -> ParsedDocument:
    return parse_document(Path(name), text.encode())


def test_chunks_never_cross_a_heading_and_keep_their_path():
    rules = "Rule about A applies here. " * 10
    text = f"# Policy\n\n## A\n\n{rules}\n\n## B\n\nRule about B only.\n"
    chunks = chunk_document(_doc(text))
    assert [c.section_path for c in chunks] == [("A",), ("B",)]
    assert "B" not in chunks[0].text.replace("about A", "")


def test_long_sections_are_split_below_the_size_limit_at_sentence_ends():
    sentence = "Staff must check every AI output against the original source before use. "
    chunks = chunk_document(_doc("# P\n\n## Long\n\n" + sentence * 60))
    assert len(chunks) > 2
    assert all(len(c.text) <= MAX_CHARS for c in chunks)
    assert all(c.text.rstrip().endswith(".") for c in chunks)


def test_a_lead_in_sentence_stays_with_the_list_it_introduces():
    table = "\n".join(f"| Kind {i} | Example {i} with some words |" for i in range(25))
    text = f"# P\n\n## Never paste\n\nYou must never paste the following:\n\n{table}\n"
    first = chunk_document(_doc(text))[0]
    assert first.text.startswith("You must never paste") and "Kind 0" in first.text


def test_chunk_ids_and_hashes_are_stable_and_change_with_content():
    text = "# P\n\n## A\n\nSame words in the same place.\n"
    once, again = chunk_document(_doc(text)), chunk_document(_doc(text))
    assert [(c.id, c.content_hash) for c in once] == [(c.id, c.content_hash) for c in again]
    edited = chunk_document(_doc(text.replace("Same", "Other")))
    assert edited[0].content_hash != once[0].content_hash and edited[0].id != once[0].id


def test_sentence_windows_carry_a_short_heading():
    windows = window_texts(
        "Long Corpus Title - with a very long explanation",
        ("4.2 ChatGPT",),
        "First rule is here. Second rule is here. Third rule is here.",
    )
    assert windows[0].startswith("Long Corpus Title › 4.2 ChatGPT\n")
    assert len(windows) == 2


def test_outline_understands_setext_rst_markers_and_front_matter():
    text = """CORPUS DOCUMENT: Shared Handbook
SOURCE: https://github.com/x/y (commit 1) - published at https://example.org/handbook
=== BEGIN SOURCE TEXT ===

=== FILE: content/ai/_index.md (version A) ===

---
title: AI Tips
---

Code provenance
===============

Use of AI content
~~~~~~~~~~~~~~~~~

Contributions with AI output are declined.

=== Article 26 ===

Article 26

Obligations of deployers

Deployers shall inform workers.

# Table of Contents

## Scope

Applies to everyone.
"""
    outline = parse_outline(text)
    assert outline.title == "Shared Handbook"
    assert outline.url == "https://example.org/handbook"
    paths = {s.path: s.text for s in outline.sections}
    assert paths[("AI Tips", "Code provenance", "Use of AI content")].startswith("Contributions")
    assert paths[("Article 26 Obligations of deployers",)] == "Deployers shall inform workers."
    # A table of contents never parents the real sections that follow it.
    assert paths[("Article 26 Obligations of deployers", "Scope")] == "Applies to everyone."


def test_headings_inside_code_fences_are_text():
    outline = parse_outline("# T\n\n## Real\n\n```\n# not a heading\n```\n")
    assert [s.path for s in outline.sections] == [("T", "Real")]
    assert "# not a heading" in outline.sections[0].text
