"""Every supported format becomes a titled document whose sections carry their heading path."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval.documents import DocumentError, parse_document
from tests.retrieval.conftest import write_corpus


@pytest.fixture
def corpus(tmp_path: Path) -> dict[str, Path]:
    return write_corpus(tmp_path / "policies")


def _parse(path: Path):
    return parse_document(path, path.read_bytes())


def _paths(document) -> dict[tuple[str, ...], str]:
    return {section.path: section.text for section in document.sections}


def test_markdown_sections_follow_headings(corpus):
    document = _parse(corpus["md"])
    assert document.title == "Meeting Assistants"
    sections = _paths(document)
    assert "every participant agrees" in sections[("1. Recording",)]
    assert "deleted after 30 days" in sections[("2. Retention",)]


def test_plain_text_numbered_lines_become_headings(corpus):
    document = _parse(corpus["txt"])
    assert document.title == "Travel Booking With AI"
    sections = _paths(document)
    assert "never store company card details" in sections[("2. Payment",)]
    assert "book travel for staff" in sections[("1. Scope",)]


def test_html_keeps_headings_and_drops_scripts_and_navigation(corpus):
    document = _parse(corpus["html"])
    assert document.title == "Image Generation Rules"
    sections = _paths(document)
    assert "depict a real person" in sections[("Real people",)]
    assert "No customer photos as input." in sections[("Real people",)]
    text = " ".join(section.text for section in document.sections)
    assert "must not appear" not in text and "Home | Policies" not in text
    assert "must be labelled before" in text  # inline tags do not break sentences


def test_pdf_text_title_and_numbered_sections(corpus):
    document = _parse(corpus["pdf"])
    assert document.title == "AI Vendor Checks"
    sections = _paths(document)
    assert "forbids training on our data" in sections[("1. Contracts",)]
    assert "ISO 27001" in sections[("2. Security",)]


def test_docx_uses_heading_styles_title_and_tables(corpus):
    document = _parse(corpus["docx"])
    assert document.title == "Remote Work and AI"
    sections = _paths(document)
    assert "working from home" in sections[("1. Home working",)]
    shared = sections[("1. Home working", "1.1 Shared screens")]
    assert "Lock your screen" in shared and "Copilot | Yes" in shared


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.md", b"  \n\n", "empty"),
        ("broken.pdf", b"%PDF-1.4 this is not really a pdf", "PDF"),
        ("broken.docx", b"PK\x03\x04 not a zip archive", "DOCX"),
        ("latin1.txt", "Caf\xe9 policy".encode("latin-1"), "UTF-8"),
        ("slides.pptx", b"whatever", "unsupported"),
    ],
)
def test_unusable_files_raise_an_error_that_says_why(tmp_path, name, data, reason):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(DocumentError, match=reason):
        parse_document(path, data)


def test_title_falls_back_to_the_file_name(tmp_path):
    path = tmp_path / "ai-use-faq.md"
    path.write_text("Only a paragraph, no heading, but enough words to keep.\n")
    assert _parse(path).title == "Ai use faq"
