"""Read policy files (Markdown, text, HTML, PDF, DOCX) into titled, sectioned documents."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from retrieval.outline import Outline, Section, parse_outline

SUPPORTED_SUFFIXES = (".md", ".markdown", ".txt", ".rst", ".html", ".htm", ".pdf", ".docx")


class DocumentError(Exception):
    """A file that cannot be read as a policy document; the message says why."""


@dataclass(frozen=True)
class ParsedDocument:
    source: str
    title: str
    url: str | None
    sections: list[Section]


def parse_document(path: Path, data: bytes) -> ParsedDocument:
    """Parse `data` (the bytes of `path`) by its suffix; raises DocumentError when unusable."""
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise DocumentError(f"unsupported file type {path.suffix or '(none)'}")
    if not data.strip():
        raise DocumentError("the file is empty")
    outline = reader(data)
    sections = _drop_title_from_paths(outline)
    if not sections:
        raise DocumentError("no text could be extracted")
    title = outline.title or _title_from_name(path)
    return ParsedDocument(source=str(path), title=title, url=outline.url, sections=sections)


def _drop_title_from_paths(outline: Outline) -> list[Section]:
    """A top heading that repeats the document title adds nothing to a citation."""
    title = (outline.title or "").casefold()
    result = []
    for section in outline.sections:
        path = section.path
        if path and path[0].casefold() == title:
            path = path[1:]
        result.append(Section(path, section.text))
    return result


def _title_from_name(path: Path) -> str:
    return re.sub(r"[-_]+", " ", path.stem).strip().capitalize() or path.name


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc


def read_markdown(data: bytes) -> Outline:
    return parse_outline(_decode(data))


def read_text(data: bytes) -> Outline:
    return _first_line_title(parse_outline(_decode(data), numbered_headings=True))


def _first_line_title(outline: Outline) -> Outline:
    """Plain text and PDFs have no heading markup: a short first line is the title."""
    if outline.title or not outline.sections or outline.sections[0].path:
        return outline
    first, _, rest = outline.sections[0].text.partition("\n")
    first = first.strip()
    if 0 < len(first) <= 100 and not first.endswith((".", ",", ";", ":")):
        outline.title = first
        outline.sections[0] = Section((), rest.strip())
        if not outline.sections[0].text:
            outline.sections.pop(0)
    return outline


def read_html(data: bytes) -> Outline:
    from bs4 import BeautifulSoup
    from bs4.element import NavigableString

    soup = BeautifulSoup(data, "html.parser")
    for tag in soup(["script", "style", "nav", "header", "footer", "noscript", "template"]):
        tag.decompose()
    title_tag = soup.find("title")
    canonical = soup.find("link", rel="canonical")
    for level in range(1, 7):
        for heading in soup.find_all(f"h{level}"):
            text = " ".join(heading.get_text(" ").split())
            heading.replace_with(NavigableString(f"\n\n{'#' * level} {text}\n\n"))
    for tag in soup.find_all("br"):
        tag.replace_with(NavigableString("\n"))
    for tag in soup.find_all(
        [
            "p",
            "div",
            "section",
            "article",
            "table",
            "tr",
            "ul",
            "ol",
            "blockquote",
            "pre",
            "dd",
            "dt",
        ]
    ):
        tag.insert_before(NavigableString("\n\n"))
        tag.insert_after(NavigableString("\n\n"))
    for tag in soup.find_all("li"):
        tag.insert_before(NavigableString("\n- "))
    for tag in soup.find_all(["td", "th"]):
        tag.insert_after(NavigableString(" | "))
    body = soup.body or soup
    text = "\n".join(" ".join(line.split()) for line in body.get_text().splitlines())
    outline = parse_outline(text)
    if title_tag is not None and title_tag.get_text().strip():
        outline.title = " ".join(title_tag.get_text().split())
    if canonical is not None and str(canonical.get("href", "")).startswith("http"):
        outline.url = str(canonical["href"])
    return outline


def read_pdf(data: bytes) -> Outline:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
        meta_title = reader.metadata.get("/Title") if reader.metadata else None
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise DocumentError(f"not a readable PDF ({exc})") from exc
    outline = _first_line_title(parse_outline("\n\n".join(pages), numbered_headings=True))
    if meta_title and str(meta_title).strip():
        outline.title = str(meta_title).strip()
    return outline


def read_docx(data: bytes) -> Outline:
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, ValueError, KeyError) as exc:
        raise DocumentError(f"not a readable DOCX file ({exc})") from exc
    lines: list[str] = []
    title = (document.core_properties.title or "").strip() or None
    for block in document.iter_inner_content():
        if isinstance(block, docx.table.Table):
            lines.extend(" | ".join(cell.text.strip() for cell in row.cells) for row in block.rows)
            lines.append("")
            continue
        style = (block.style.name if block.style is not None else "") or ""
        text = block.text.strip()
        if not text:
            continue
        if style == "Title":
            title = title or text
            continue
        level = re.match(r"Heading (\d)", style)
        lines.append(f"{'#' * int(level.group(1))} {text}" if level else text)
        lines.append("")
    outline = parse_outline("\n".join(lines))
    outline.title = title or outline.title
    return outline


_READERS: dict[str, Callable[[bytes], Outline]] = {
    ".md": read_markdown,
    ".markdown": read_markdown,
    ".rst": read_markdown,
    ".txt": read_text,
    ".html": read_html,
    ".htm": read_html,
    ".pdf": read_pdf,
    ".docx": read_docx,
}
