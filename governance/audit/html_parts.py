"""Small pieces of the audit pack's index.html: escaping, tables, times and evidence links.

Everything shown is escaped here (register text, incident reports and names are user input);
the page needs no script and no file beside it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from html import escape
from zoneinfo import ZoneInfo

from governance.audit.pack_events import Cited


class Html(str):
    """Already-escaped HTML, so a table cell can hold markup a helper built."""

    __slots__ = ()


STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d1d1f;
margin:0 auto;max-width:1200px;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 8px;
border-bottom:2px solid #d0d7de;padding-bottom:4px}h3{font-size:15px;margin:20px 0 6px}
table{border-collapse:collapse;width:100%;margin:8px 0 16px}
th,td{border:1px solid #d0d7de;padding:5px 7px;text-align:left;vertical-align:top}
th{background:#f3f4f6}td.n{text-align:right;white-space:nowrap}
.about td:first-child{width:200px;font-weight:600;background:#f6f8fa}
.muted{color:#57606a}.small{font-size:12px}
.seqs a{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;margin-right:4px}
.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;word-break:break-all}
.status{font-weight:600;white-space:nowrap}
.operating{color:#116329}.no_evidence_in_period{color:#9a6700}
.not_implemented{color:#cf222e}.not_applicable{color:#57606a}
nav a{margin-right:12px}ul.plain{margin:0;padding-left:18px}
@media print{nav{display:none}a{color:inherit;text-decoration:none}}
"""


def e(value: object) -> Html:
    """Text as HTML: escaped, whatever it holds."""
    return Html(escape("" if value is None else str(value), quote=True))


def join(parts: Iterable[str], sep: str = "") -> Html:
    return Html(sep.join(parts))


def tag(name: str, content: str, **attrs: str) -> Html:
    """An element around already-escaped content; attribute values are escaped here."""
    rendered = "".join(
        f' {key.rstrip("_").replace("_", "-")}="{escape(value, quote=True)}"'
        for key, value in attrs.items()
    )
    return Html(f"<{name}{rendered}>{content}</{name}>")


def seq_links(seqs: Sequence[int], total: int | None = None) -> Html:
    """Links to the cited events listed at the end of the page; "+N more" when a figure rests
    on more events than it names."""
    links = join(tag("a", e(f"#{seq}"), href=f"#e{seq}") for seq in seqs)
    more = (total or 0) - len(seqs)
    if more > 0:
        links = Html(links + tag("span", e(f"+{more} more"), class_="muted small"))
    return tag("span", links, class_="seqs") if seqs else Html("")


def cited(figure: Cited) -> Html:
    return seq_links(figure.seqs, figure.count)


def table(
    headers: Sequence[str], rows: Iterable[Sequence[str]], *, id_: str = "", row_class: str = ""
) -> Html:
    """A table; cells are escaped unless they are Html already."""
    head = tag("thead", tag("tr", join(tag("th", e(h)) for h in headers)))
    body_rows = []
    for row in rows:
        cells = join(tag("td", cell if isinstance(cell, Html) else e(cell)) for cell in row)
        body_rows.append(tag("tr", cells, class_=row_class) if row_class else tag("tr", cells))
    attrs = {"id": id_} if id_ else {}
    return tag("table", head + tag("tbody", join(body_rows)), **attrs)


def none_line(text: str) -> Html:
    return tag("p", e(text), class_="muted")


def bullets(items: Iterable[str]) -> Html:
    lines = [tag("li", item if isinstance(item, Html) else e(item)) for item in items]
    return tag("ul", join(lines), class_="plain") if lines else Html("")


def when(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""


def day(value: date | None) -> str:
    return value.isoformat() if value else ""


def plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def part(heading: str, count: int, shown: Html, empty: str) -> list[Html]:
    """A sub-heading with its count, then the table, or a line saying there is nothing."""
    return [tag("h3", e(f"{heading} ({count})")), shown if count else none_line(empty)]
