"""`aims policies flagged | conflicts | trust | untrust`: what the governance leads must look at
in the policy documents, and a lead's written decision to trust one.

Passages written as instructions to a system are withheld from answers (retrieval.instructions);
a lead who knows a document is meant to say them marks that version trusted. Passages that
contradict the tool catalogue are listed until the document or the catalogue is fixed.
"""

from __future__ import annotations

import typer
from rich.markup import escape

from bot.cli.common import app_context, console, fail, person_option
from governance.errors import AimsError
from governance.policy_findings import FlaggedPassage, PolicyConflict, flagged_passages
from governance.policy_findings import open_conflicts as find_open_conflicts
from governance.policy_trust import find_document, set_trust

app = typer.Typer(no_args_is_help=True)


def trust_hint(document: str) -> str:
    return (
        "Fix the document; or, if it is meant to say this, a governance lead can vouch for it: "
        f'aims policies trust {document} --as <their Slack id> -j "why"'
    )


def print_flagged(passages: list[FlaggedPassage]) -> None:
    """Each flagged sentence with its place and the rule that fired."""
    for passage in passages:
        state = " (trusted: answered from)" if passage.trusted else ""
        plain(f"  {passage.place}{state}: {passage.source}")
        plain(f"    “{passage.sentence}”")
        plain(f"    why: {passage.reason}", style="dim")


def print_conflict(tool: str, status: str, place: str, says: str, sentence: str) -> None:
    status_words = status.replace("_", " ")
    plain(f"  {tool}: the catalogue says {status_words}; {place} {says} it:")
    plain(f"    “{sentence}”")


def plain(text: str, style: str | None = None) -> None:
    """Policy text as it is: no Rich markup, no re-wrapping."""
    console.print(text, style=style, highlight=False, markup=False, soft_wrap=True)


@app.command("flagged")
def flagged(
    ctx: typer.Context,
    include_trusted: bool = typer.Option(
        False, "--all", help="Also list the flagged passages of trusted documents."
    ),
) -> None:
    """Passages withheld from answers because they read as instructions to a system."""
    context = app_context(ctx)
    with context.db.session() as session:
        passages = flagged_passages(session, include_trusted=include_trusted)
    if not passages:
        console.print("No policy passage is withheld: none reads as an instruction to a system.")
        return
    console.print(f"{len(passages)} flagged passage(s):", highlight=False)
    print_flagged(passages)


@app.command("conflicts")
def conflicts(ctx: typer.Context) -> None:
    """Passages that contradict the tool catalogue and are still in the policies."""
    context = app_context(ctx)
    with context.db.session() as session:
        found: list[PolicyConflict] = find_open_conflicts(session, config=context.config)
    if not found:
        console.print("No policy passage contradicts the tool catalogue.")
        return
    for conflict in found:
        print_conflict(
            conflict.tool,
            conflict.catalogue_status,
            conflict.place,
            conflict.passage_says,
            conflict.sentence,
        )


def _set(ctx: typer.Context, document: str, actor: str, justification: str, trusted: bool) -> None:
    context = app_context(ctx)
    try:
        with context.db.session() as session:
            row = find_document(session, document)
            set_trust(
                session,
                document=row,
                trusted=trusted,
                actor=actor,
                justification=justification,
                config=context.config,
            )
            title, source = row.title, row.source
    except AimsError as exc:
        fail(escape(str(exc)))
    done = "trusted: its flagged passages are answered from" if trusted else "no longer trusted"
    plain(f"{title} ({source}) is {done}. Recorded as evidence by {actor}.")


@app.command("trust")
def trust(
    ctx: typer.Context,
    document: str = typer.Argument(..., help="The document: its path, file name or title."),
    actor: str = person_option("You, a governance lead."),
    justification: str = typer.Option(..., "--justification", "-j", help="Why, in writing."),
) -> None:
    """A governance lead vouches for this version of a document (until the file changes)."""
    _set(ctx, document, actor, justification, trusted=True)


@app.command("untrust")
def untrust(
    ctx: typer.Context,
    document: str = typer.Argument(..., help="The document: its path, file name or title."),
    actor: str = person_option("You, a governance lead."),
    justification: str = typer.Option(..., "--justification", "-j", help="Why, in writing."),
) -> None:
    """A governance lead withdraws trust: the document's flagged passages are withheld again."""
    _set(ctx, document, actor, justification, trusted=False)
