"""Read index.html's tables as a person sees them: per table id, each body row's id, cell texts
and the events it links to (`#e123` → 123). The standard library's parser, no browser."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

_EVENT = re.compile(r"#e(\d+)")


@dataclass
class Row:
    id: str | None
    cells: list[str] = field(default_factory=list)
    links: list[int] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " | ".join(self.cells)


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[Row]] = {}
        self.links: list[int] = []  # every event link on the page
        self._table: str | None = None
        self._in_body = False
        self._row: Row | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table":
            self._table = found.get("id") or f"table-{len(self.tables)}"
            self.tables[self._table] = []
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body and self._table is not None:
            self._row = Row(found.get("id"))
            self.tables[self._table].append(self._row)
        elif tag == "td" and self._row is not None:
            self._cell = []
        elif tag == "a" and (event := _EVENT.fullmatch(found.get("href") or "")):
            seq = int(event.group(1))
            self.links.append(seq)
            if self._row is not None:
                self._row.links.append(seq)

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._row is not None and self._cell is not None:
            self._row.cells.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr":
            self._row = None
        elif tag == "tbody":
            self._in_body = False
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def read_tables(html: str) -> tuple[dict[str, list[Row]], list[int]]:
    parser = _Tables()
    parser.feed(html)
    parser.close()
    return parser.tables, parser.links


def row_with(rows: list[Row], text: str) -> Row:
    found = [row for row in rows if text in row.text]
    assert len(found) == 1, f"{len(found)} rows hold {text!r}: {[row.text for row in rows]}"
    return found[0]
