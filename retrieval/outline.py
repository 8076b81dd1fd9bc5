"""Turn document text into sections, each with its heading path.

One parser serves every format: HTML and DOCX readers emit Markdown-style headings, PDF and
plain text add a heuristic for numbered headings ("4.2 ChatGPT Enterprise"). It understands
ATX (`## x`) and setext/reStructuredText underlined headings, `=== Name ===` part markers
(used when several files are concatenated), YAML front matter and a `KEY: value` header ended by
`=== BEGIN SOURCE TEXT ===` (the convention of the shared public-policy corpus).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_ATX = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_MARKER = re.compile(r"^={3,}\s+(.+?)\s+={3,}\s*$")
_ADORNMENT = re.compile(r"^([=\-~^\"'`#*+])\1{2,}\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_NUMBERED = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})\.?\s+([A-Z][^\n]{1,80})$")
_ATTRS = re.compile(r"\s*\{[.#][^}]*\}")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_URL = re.compile(r"https?://[^\s;,)\]]+")
_CANONICAL_URL = re.compile(r"(?:published at|official:|original:)\s*(https?://[^\s;,)\]]+)", re.I)
_CONTENTS = re.compile(r"^(table of )?contents$", re.I)
_BEGIN_MARK = "=== BEGIN SOURCE TEXT ==="


@dataclass(frozen=True)
class Section:
    path: tuple[str, ...]
    text: str


@dataclass
class Outline:
    title: str | None = None
    url: str | None = None
    sections: list[Section] = field(default_factory=list)


def clean_heading(text: str) -> str:
    text = _ATTRS.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = text.replace("**", "").replace("__", "").replace("`", "")
    return re.sub(r"\s+", " ", text).strip(" #*:")


def _front_matter(lines: list[str], start: int) -> tuple[dict[str, str], int]:
    """`---` key: value `---` at `start` (after blank lines); returns the keys and the next line."""
    index = start
    while index < len(lines) and not lines[index].strip():
        index += 1
    if index >= len(lines) or lines[index].strip() != "---":
        return {}, start
    meta: dict[str, str] = {}
    for end in range(index + 1, min(len(lines), index + 60)):
        line = lines[end]
        if line.strip() == "---":
            return meta, end + 1
        key, sep, value = line.partition(":")
        if sep and key.strip() and not key.startswith(" "):
            meta[key.strip().lower()] = value.strip().strip("'\"")
    return {}, start


def _corpus_header(text: str) -> tuple[dict[str, str], str]:
    head, sep, body = text.partition(_BEGIN_MARK)
    if not sep or head.count("\n") > 40:
        return {}, text
    meta = {}
    for line in head.splitlines():
        key, colon, value = line.partition(":")
        if colon and key.strip().isupper():
            meta[key.strip().lower()] = value.strip()
    return meta, body


class _Builder:
    """Collects lines under the current heading path; a new heading closes the section."""

    def __init__(self) -> None:
        self.stack: list[tuple[int, str]] = []
        self.buffer: list[str] = []
        self.sections: list[Section] = []

    def heading(self, level: int, title: str) -> None:
        self.flush()
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
        if self.stack and _CONTENTS.match(self.stack[-1][1]):
            self.stack.pop()  # a table of contents is never the parent of real sections
        self.stack.append((level, title))

    def rename_top(self, title: str) -> None:
        if self.stack:
            self.stack[-1] = (self.stack[-1][0], title)

    def flush(self) -> None:
        body = "\n".join(self.buffer).strip()
        if body:
            self.sections.append(Section(tuple(title for _, title in self.stack), body))
        self.buffer = []


def _is_setext(lines: list[str], index: int) -> str | None:
    """The adornment character when lines[index] is text underlined by lines[index + 1]."""
    if index + 1 >= len(lines):
        return None
    text, under = lines[index].strip(), lines[index + 1].strip()
    match = _ADORNMENT.match(under)
    if not text or not match or _ADORNMENT.match(text) or len(text) > 120:
        return None
    if text.startswith(("-", "*", "|", ">")) or len(under) < min(len(text), 3):
        return None
    if index > 0 and lines[index - 1].strip() and not _ADORNMENT.match(lines[index - 1].strip()):
        return None  # a paragraph's last line above a rule, not a heading
    return match.group(1)


def _numbered_heading(line: str) -> tuple[int, str] | None:
    match = _NUMBERED.match(line.strip())
    if not match or line.rstrip().endswith((".", ",", ";", ":")) or len(line.split()) > 12:
        return None
    return match.group(1).count(".") + 1, clean_heading(line)


def parse_outline(text: str, *, numbered_headings: bool = False) -> Outline:
    meta, body = _corpus_header(text)
    lines = body.splitlines()
    front, index = _front_matter(lines, 0)
    meta = {**meta, **front}
    outline = Outline(title=meta.get("title") or meta.get("corpus document"))
    url_source = meta.get("url") or meta.get("source_url") or meta.get("source") or ""
    url_match = _CANONICAL_URL.search(url_source) or _URL.search(url_source)
    outline.url = url_match.group(url_match.lastindex or 0) if url_match else None
    builder = _Builder()
    adornments: dict[str, int] = {}
    in_fence = False
    while index < len(lines):
        line = lines[index]
        if _FENCE.match(line):
            in_fence = not in_fence
        if in_fence:
            builder.buffer.append(line)
            index += 1
            continue
        index = _step(lines, index, builder, adornments, outline, numbered_headings)
    builder.flush()
    outline.sections = builder.sections
    return outline


def _step(
    lines: list[str],
    index: int,
    builder: _Builder,
    adornments: dict[str, int],
    outline: Outline,
    numbered: bool,
) -> int:
    """Consume one line (or a heading's two); returns the next line index."""
    line = lines[index]
    stripped = line.strip()
    if stripped == _BEGIN_MARK:
        return index + 1
    if marker := _MARKER.match(stripped):
        builder.heading(0, _marker_name(marker.group(1)))
        front, after = _front_matter(lines, index + 1)
        if front.get("title"):
            builder.rename_top(front["title"])
        return _absorb_title_lines(lines, after if front else index + 1, builder)
    if atx := _ATX.match(stripped):
        title = clean_heading(atx.group(2))
        level = len(atx.group(1))
        if level == 1 and outline.title is None and "{{" not in title:
            outline.title = title
        if title and "{{" not in title:
            builder.heading(level, title)
        return index + 1
    if _ADORNMENT.match(stripped) and index + 2 < len(lines) and _is_setext(lines, index + 1):
        return index + 1  # an overline: the title and its underline follow
    if char := _is_setext(lines, index):
        level = adornments.setdefault(char, len(adornments) + 1)
        builder.heading(level, clean_heading(stripped))
        return index + 2
    if numbered and (heading := _numbered_heading(line)):
        builder.heading(*heading)
        return index + 1
    builder.buffer.append(line)
    return index + 1


def _absorb_title_lines(lines: list[str], index: int, builder: _Builder) -> int:
    """Legal texts repeat the heading and put the title on the next line ("Article 26" /
    "Obligations of deployers of high-risk AI systems"): fold that title into the heading."""
    first = _next_text_line(lines, index)
    if first is None or not builder.stack:
        return index
    if lines[first].strip().casefold() != builder.stack[-1][1].casefold():
        return index
    second = _next_text_line(lines, first + 1)
    if second is None:
        return first + 1
    subtitle = lines[second].strip()
    if len(subtitle) > 120 or subtitle.endswith((".", ":", ";", ",")) or _ATX.match(subtitle):
        return first + 1
    builder.rename_top(f"{builder.stack[-1][1]} {clean_heading(subtitle)}")
    return second + 1


def _next_text_line(lines: list[str], index: int) -> int | None:
    while index < len(lines) and not lines[index].strip():
        index += 1
    return index if index < len(lines) else None


def _marker_name(raw: str) -> str:
    """`FILE: content/x/_index.md (version A, commit ...)` -> `content/x/_index.md`."""
    name = raw.removeprefix("FILE:").strip()
    return re.sub(r"\s*\(.*\)\s*$", "", name) or raw
