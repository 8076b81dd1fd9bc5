"""`aims ingest` and `aims ask`: the organisation's policies, searchable and answerable offline.

Retrieval is imported inside the commands, so `aims --help` does not load the embedding model.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bot.cli.common import (
    app_context,
    cli_actor,
    console,
    err_console,
    fail,
    optional_person_option,
    print_json,
)
from bot.cli.policies import plain, print_conflict, print_flagged, trust_hint
from bot.context import AppContext
from governance.policy_findings import FlaggedPassage, flagged_passages

if TYPE_CHECKING:
    from retrieval.answer import PolicyAnswer, PolicyAnswerer
    from retrieval.ingest import IngestReport

PASSAGE_PREVIEW = 400


def register_commands(app: typer.Typer) -> None:
    app.command("ingest")(ingest)
    app.command("ask")(ask)


def ingest(
    ctx: typer.Context,
    paths: list[Path] | None = typer.Argument(
        None, help="Files or folders to ingest (default: policy_sources in aims.yaml)."
    ),
    prune: bool = typer.Option(
        False, "--prune", help="Also remove documents ingested earlier from other places."
    ),
) -> None:
    """Ingest policy documents (md, txt, html, pdf, docx); unchanged ones are skipped."""
    from retrieval.runtime import ingest_policies

    if paths and str(paths[0]) in ("trust", "untrust") and not paths[0].exists():
        fail(f"to {paths[0]} a document use: aims policies {paths[0]} DOC --as LEAD -j WHY")
    context = app_context(ctx)
    targets = list(paths or []) or context.policy_paths()
    if not targets:
        fail("no policy sources: list them under policy_sources in aims.yaml, or pass paths")
    with _ingest_progress() as on_event, context.db.session() as session:
        report = ingest_policies(
            context, session, paths=targets, actor=cli_actor(None), prune=prune, progress=on_event
        )
    with context.db.session() as session:
        withheld = flagged_passages(session)
    _print_ingest_report(report)
    _print_findings(report, withheld)
    if report.stale_campaigns:
        _print_stale_campaigns(context, report.stale_campaigns)
    if report.skipped and report.total_chunks == 0:
        raise typer.Exit(1)


@contextmanager
def _ingest_progress() -> Iterator[Callable[[str, int], None]]:
    """A Rich progress display fed by ingestion's (event, amount) callbacks."""
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )
    reading = progress.add_task("Reading documents", total=None)
    embedding = progress.add_task("Embedding passages", total=None, visible=False)

    def on_event(event: str, amount: int) -> None:
        if event == "files":
            progress.update(reading, total=amount)
        elif event == "read":
            progress.advance(reading, amount)
        elif event == "texts":
            progress.update(embedding, total=amount, visible=amount > 0)
        elif event == "embedded":
            progress.advance(embedding, amount)

    with progress:
        yield on_event


def _print_ingest_report(report: IngestReport) -> None:
    for source, reason in report.skipped:
        err_console.print(
            f"[yellow]skipped[/yellow] {escape(source)}: {escape(reason)}",
            highlight=False,
            soft_wrap=True,
        )
    console.print(
        f"Documents: {len(report.added)} added, {len(report.changed)} changed, "
        f"{len(report.unchanged)} unchanged, {len(report.removed)} removed"
        + (f", {len(report.skipped)} skipped" if report.skipped else "")
        + f". Chunks: {report.chunks_embedded} embedded, {report.total_chunks} in the index "
        f"({report.seconds:.1f}s).",
        highlight=False,
        soft_wrap=True,
    )


def _print_stale_campaigns(context: AppContext, refs: list[str]) -> None:
    """Campaigns that ask for a version a changed document no longer has (the leads were told
    when it was ingested, with a button each to ask the same audience for the new version)."""
    from governance.acknowledgements.campaigns import get_campaign

    with context.db.session() as session:
        titles = {ref: get_campaign(session, ref).document_title for ref in refs}
    plain(
        "\n"
        + "\n".join(
            f"{ref} asks for the old version of {title}; the governance leads have been told "
            "and can ask the same audience for the new version (the running bot, `aims run`, "
            "sends it)."
            for ref, title in titles.items()
        )
    )


def _print_findings(report: IngestReport, withheld: list[FlaggedPassage]) -> None:
    """What the leads must look at: every run lists them again until they are dealt with."""
    if withheld:
        console.print(
            f"\nWithheld from answers: {len(withheld)} passage(s) written as instructions to a "
            "system, not as policy for staff:",
            highlight=False,
            soft_wrap=True,
        )
        print_flagged(withheld)
        for source in dict.fromkeys(p.source for p in withheld):
            plain(trust_hint(Path(source).name))
    for source in report.trust_lapsed:
        plain(f"\nTrust lapsed: {source} changed since a governance lead trusted it.")
    if report.conflicts:
        console.print(
            f"\nContradicts the tool catalogue ({len(report.conflicts)}; listed in the weekly "
            "digest until fixed):",
            highlight=False,
            soft_wrap=True,
        )
        for conflict in report.conflicts:
            print_conflict(
                conflict.tool,
                conflict.status.value,
                conflict.place,
                conflict.says.value,
                conflict.sentence,
            )


def ask(
    ctx: typer.Context,
    question: str | None = typer.Argument(
        None, help="The question. Without it, questions are read from stdin, one per line."
    ),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per answer."),
    actor: str | None = optional_person_option(
        "Who is asking, as recorded in the evidence (default: cli:USER)."
    ),
) -> None:
    """Answer a question from the tool catalogue and the ingested policies, with citations."""
    from retrieval.answer import get_answerer

    context = app_context(ctx)
    answerer = get_answerer(context)
    if question is not None:
        _answer_one(context, answerer, question, as_json=as_json, actor=cli_actor(actor))
        return
    if sys.stdin.isatty():
        fail('give a question, like: aims ask "Can I use ChatGPT?", or pipe questions on stdin')
    for line in sys.stdin:
        if line.strip():
            _answer_one(context, answerer, line, as_json=as_json, actor=cli_actor(actor))
            if not as_json:
                console.rule(style="dim")


def _answer_one(
    context: AppContext, answerer: PolicyAnswerer, question: str, *, as_json: bool, actor: str
) -> None:
    with context.db.session() as session:
        if answerer.searcher(session).corpus.chunks == {}:
            err_console.print("No policies are ingested yet: run `aims ingest` first.")
        answer = answerer.answer(question, actor=actor, session=session)
    if as_json:
        print_json(answer_json(answer))
    else:
        _print_answer(answer)


def answer_json(answer: PolicyAnswer) -> dict[str, Any]:
    return {
        "question": answer.question,
        "answer": answer.text,
        "covered": answer.covered,
        "mode": answer.mode,
        "citations": [c.model_dump(mode="json") for c in answer.citations],
        "tool_matches": [t.model_dump(mode="json") for t in answer.tool_matches],
        "unknown_tools": answer.unknown_tools,
        "records": answer.record_refs,
        "confidence": answer.confidence,
        "fallback_reason": answer.fallback_reason,
        "evidence_seq": answer.evidence_seq,
    }


def _print_answer(answer: PolicyAnswer) -> None:
    _plain(answer.text)
    if not answer.citations:
        return
    console.print("\nSources:", style="bold")
    for citation in answer.citations:
        _plain(f"[{citation.number}] {citation.label}")
        _plain(f"    {citation.url or citation.source}", style="dim")
        preview = " ".join(citation.passage.split())
        if len(preview) > PASSAGE_PREVIEW:
            preview = preview[:PASSAGE_PREVIEW].rsplit(" ", 1)[0] + " …"
        _plain(f"    {preview}", style="dim")


def _plain(text: str, style: str | None = None) -> None:
    """Print policy text as it is: no Rich markup, no re-wrapping of long lines."""
    console.print(text, style=style, highlight=False, markup=False, soft_wrap=True)
