"""Shared CLI plumbing: the app context from --config, one console, friendly errors, and the
person every `--as` names."""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table
from sqlalchemy.orm import Session

from bot.context import AppContext, build_context
from governance.config import SLACK_USER_ID, OrgConfig
from governance.errors import AimsError

PERIOD_HELP = (
    "FROM..TO: dates are whole days in the organisation's timezone (TO included), or ISO "
    "times; leave an end out for an open period. Default: the whole ledger."
)
# Wider than any table we print; only the measuring of a table's natural width uses it.
_UNBOUNDED = 100_000


class Output(Console):
    """Rich's console, except that into a pipe or a file (a script, `grep`, a CI log) nothing
    is wrapped or cut at 80 columns: text keeps its own lines and a table its natural width.
    In a terminal it wraps to the window as usual. A table made to fill the width it is given
    (`expand=True`, like the Statement of Applicability's paragraphs) keeps the usual width:
    its columns are shares of the width, so no width would keep its cells unwrapped."""

    def print(self, *objects: Any, **options: Any) -> None:
        if self.is_terminal:
            super().print(*objects, **options)
            return
        tables = [item for item in objects if isinstance(item, Table) and not item.expand]
        if not tables:
            options.setdefault("soft_wrap", True)
            super().print(*objects, **options)
            return
        widest = max(self.natural_width(table) for table in tables)
        Console(file=self.file, width=widest, highlight=False).print(*objects, **options)

    def natural_width(self, table: Table) -> int:
        """The width the table takes when nothing forces a column to wrap."""
        options = self.options.update_width(_UNBOUNDED)
        return max(Measurement.get(self, options, table).maximum, 1)


console = Output()
err_console = Output(stderr=True)


def app_context(ctx: typer.Context) -> AppContext:
    root = ctx.find_root()
    if root.obj is None:
        root.obj = build_context(None)
    assert isinstance(root.obj, AppContext)
    return root.obj


def fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def unit_of_work(ctx: typer.Context) -> Iterator[tuple[Session, AppContext]]:
    """One transaction; a refusal (AimsError) exits 1 with its message and changes nothing."""
    context = app_context(ctx)
    try:
        with context.db.session() as session:
            yield session, context
    except AimsError as exc:
        fail(escape(str(exc)))


def print_json(value: Any) -> None:
    # Plain print: scripts parse this, so no Rich markup or wrapping.
    print(json.dumps(value, ensure_ascii=False, default=str))


def existing_file(path: Path) -> Path:
    if not path.is_file():
        fail(f"{path}: no such file")
    return path


def cli_actor(explicit: str | None) -> str:
    """Who is acting, as evidence records it: `--as` (already resolved to a person), else the
    operating-system user."""
    if explicit:
        return explicit
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


# --- --as PERSON ----------------------------------------------------------------------------
# Evidence and permission checks go by Slack user id, so whatever a person types after --as
# becomes one here; a team name or a typo must not be recorded as if someone had acted.


_PERSON_FORMS = "A Slack user id or a name, as listed under people in aims.yaml."


def _folded(text: str) -> str:
    return " ".join(text.split()).casefold()


def _how_to_name_a_person(config: OrgConfig) -> str:
    example = config.people[0]
    return (
        f"name a person listed under people in aims.yaml: their Slack user id (like "
        f'{example.slack_id}) or their name as written there (like "{escape(example.name)}")'
    )


def person_by_name(config: OrgConfig, given: str) -> str:
    """A listed person's id when `given` is their name (any case or spacing); otherwise `given`
    as typed (an id or an email, which the service resolves, or refuses naming what is wrong)."""
    named = [person.slack_id for person in config.people if _folded(person.name) == _folded(given)]
    return named[0] if len(named) == 1 else given.strip()


def resolve_person(config: OrgConfig, given: str) -> str:
    """The Slack user id of the person `given` names: a listed id (any case), or a listed
    person's name (any case or spacing). A Slack-shaped id that aims.yaml does not list is kept,
    with a warning (Slack knows more people than aims.yaml); anything else is refused with exit
    code 2, before anything is changed."""
    text = " ".join(given.split())
    shown = escape(text)  # printed through Rich: brackets in it are text, not markup
    if config.person(text.upper()) is not None:
        return text.upper()
    named = [person for person in config.people if _folded(person.name) == _folded(text)]
    if len(named) == 1:
        return named[0].slack_id
    if named:
        ids = ", ".join(person.slack_id for person in named)
        fail(
            f'--as "{shown}": {len(named)} people in aims.yaml have that name ({ids}); '
            "give the Slack user id of the one you mean",
            code=2,
        )
    if SLACK_USER_ID.match(text):
        err_console.print(
            f"[yellow]warning:[/yellow] {shown} is not among the people in aims.yaml; it is "
            "recorded as given (add them under people to name them in messages and roles).",
            highlight=False,
            soft_wrap=True,
        )
        return text
    fail(f'--as "{shown}" is not a person: {_how_to_name_a_person(config)}.', code=2)


def _person_callback(ctx: typer.Context, value: str | None) -> str | None:
    if value is None or ctx.resilient_parsing:
        return value
    return resolve_person(app_context(ctx).config, value)


def person_option(help: str) -> Any:
    """A required `--as PERSON`: the command receives the person's Slack user id."""
    return typer.Option(
        ..., "--as", metavar="PERSON", help=f"{help} {_PERSON_FORMS}", callback=_person_callback
    )


def optional_person_option(help: str) -> Any:
    """An optional `--as PERSON` (None when not given): the Slack user id when given."""
    return typer.Option(
        None, "--as", metavar="PERSON", help=f"{help} {_PERSON_FORMS}", callback=_person_callback
    )
