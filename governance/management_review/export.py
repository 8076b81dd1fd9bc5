"""A management review as a file: its minutes, then its inputs in full, as Markdown or as a
self-contained HTML page. Made from the same lines as the Slack thread (messages.py); everything
people typed (decisions, actions, questions, document names) is escaped, so it shows as written
and never as markup, links or script."""

from __future__ import annotations

import re
from collections.abc import Iterator

from governance.audit.html_parts import STYLE, Html, e, join, tag
from governance.management_review.messages import input_parts, minutes_parts
from governance.management_review.models import ReviewDocument
from governance.notices import Line, Part, Style
from governance.reviews import fmt_day

_MARKDOWN = re.compile(r"([\\`*_\[\]|~])")
_LINE_START = re.compile(r"^(#|[-+]\s)")  # a heading or a list, at the start of a line
_NUMBERED = re.compile(r"^(\d+)([.)])")


def md(text: str) -> str:
    """Text as Markdown that shows it as written: one line, markup characters escaped, HTML
    characters as entities."""
    flat = " ".join(text.split())
    flat = flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    flat = _LINE_START.sub(r"\\\1", _MARKDOWN.sub(r"\\\1", flat))
    return _NUMBERED.sub(r"\1\\\2", flat)


def _about(document: ReviewDocument) -> list[str]:
    inputs = document.inputs
    return [
        f"Organisation: {inputs.organisation}",
        f"Status: {document.status}",
        f"Inputs prepared by {document.prepared_by} on {fmt_day(document.prepared_at.date())}",
    ] + (
        [f"Corrective actions are followed up under {document.finding}"] if document.finding else []
    )


def _sections(document: ReviewDocument) -> Iterator[tuple[str, list[Part]]]:
    yield "Minutes", minutes_parts(document)
    yield "Inputs", input_parts(document.inputs, cap=None)


def _title(document: ReviewDocument) -> str:
    return f"Management review {document.ref}: {document.title}"


# --- Markdown --------------------------------------------------------------------------------


def _md_line(line: Line) -> str:
    text = f"`{line.text.replace('`', chr(39))}`" if line.style is Style.COMMAND else md(line.text)
    if line.style is Style.STRONG:
        text = f"**{text}**"
    if line.label:
        text = f"**{md(line.label)}:** {text}"
    if line.style is Style.BULLET:
        return f"- {text}"
    if line.style is Style.QUOTE:
        return f"> {text}"
    return text


def _md_part(part: Part) -> str:
    blocks: list[str] = []
    for line in part.lines:
        rendered = _md_line(line)
        if line.style is Style.BULLET and blocks and blocks[-1].startswith("- "):
            blocks[-1] += "\n" + rendered
        else:
            blocks.append(rendered)
    heading = [f"### {md(part.heading)}"] if part.heading else []
    return "\n\n".join(heading + blocks)


def export_markdown(document: ReviewDocument) -> str:
    pieces = [f"# {md(_title(document))}", "\n".join(f"{md(line)}  " for line in _about(document))]
    for heading, parts in _sections(document):
        pieces.append(f"## {heading}")
        pieces += [_md_part(part) for part in parts]
    return "\n\n".join(pieces) + "\n"


# --- HTML ------------------------------------------------------------------------------------


def _html_line(line: Line) -> Html:
    text = tag("code", e(line.text)) if line.style is Style.COMMAND else e(line.text)
    if line.style is Style.STRONG:
        text = tag("strong", text)
    if line.label:
        text = Html(tag("strong", e(f"{line.label}:")) + " " + text)
    if line.style is Style.QUOTE:
        return tag("blockquote", text)
    return text


def _html_part(part: Part) -> Html:
    pieces: list[str] = [tag("h3", e(part.heading))] if part.heading else []
    items: list[str] = []
    for line in [*part.lines, Line(text="")]:  # the sentinel closes a list at the end
        if line.style is Style.BULLET:
            items.append(tag("li", _html_line(line)))
            continue
        if items:
            pieces.append(tag("ul", join(items)))
            items = []
        if line.text or line.label:
            pieces.append(tag("p", _html_line(line)))
    return join(pieces)


def export_html(document: ReviewDocument) -> str:
    body = [
        tag("h1", e(_title(document))),
        tag("p", join((e(line) for line in _about(document)), "<br>"), class_="muted"),
    ]
    for heading, parts in _sections(document):
        body.append(tag("h2", e(heading)))
        body += [_html_part(part) for part in parts]
    head = join(
        [
            '<meta charset="utf-8">',
            tag("title", e(_title(document))),
            tag("style", Html(STYLE)),
        ]
    )
    return (
        "<!doctype html>\n"
        + tag("html", join([tag("head", head), tag("body", join(body, "\n"))], "\n"), lang="en")
        + "\n"
    )
