"""`aims audit pack OUT [--period FROM..TO]` and `aims audit verify OUT`: the audit pack an
auditor takes away, and the same offline verification the pack's verify_pack.py runs."""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from bot.cli.common import (
    PERIOD_HELP,
    app_context,
    cli_actor,
    console,
    err_console,
    fail,
    optional_person_option,
)
from governance.audit.pack import build_pack
from governance.errors import AimsError
from governance.soa import SoaStatus, parse_period
from store import ledger_verify
from store.models import utcnow

app = typer.Typer(no_args_is_help=True)


class _Steps:
    """The pack's steps as Rich progress lines: a spinner while a step's size is unknown, a
    bar once it is; a finished step stays, ticked."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task: TaskID | None = None

    def start(self, description: str, total: int | None = None) -> None:
        self._finish()
        self.task = self.progress.add_task(description, total=total)

    def advance(self, amount: int = 1) -> None:
        if self.task is not None:
            self.progress.advance(self.task, amount)

    def _finish(self) -> None:
        if self.task is not None:
            total = self.progress.tasks[self.task].total
            self.progress.update(self.task, total=total or 1, completed=total or 1)

    @contextmanager
    def shown(self) -> Iterator[_Steps]:
        with self.progress:
            yield self
            self._finish()


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(finished_text="[green]✓[/green]"),
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )


@app.command("pack")
def pack(
    ctx: typer.Context,
    out: Path = typer.Argument(..., help="The folder to write; OUT.zip is written beside it."),
    period: str | None = typer.Option(None, "--period", help=PERIOD_HELP),
    actor: str | None = optional_person_option(
        "Who is making the pack, as the pack names them (default: cli:USER)."
    ),
) -> None:
    """Write the audit pack: index.html, the Statement of Applicability (soa.xlsx, soa.csv),
    register.xlsx, the evidence ledger with its signed digests and public key, and
    verify_pack.py with VERIFY.md, so an auditor can check it all offline."""
    context = app_context(ctx)
    try:
        chosen = parse_period(period, context.config.organisation.timezone) if period else None
        with _Steps(_progress()).shown() as steps:
            result = build_pack(
                context, out, period=chosen, actor=cli_actor(actor), now=utcnow(), progress=steps
            )
    except AimsError as exc:  # a bad period, an existing folder, a key the ledger does not trust
        fail(escape(str(exc)))
    counts = result.soa_summary
    console.print(
        f"Wrote the audit pack to {result.folder}/ and {result.zip}\n"
        f"Evidence: {result.events} events"
        + (f", signed digest no. {result.digest}" if result.digest else ", not signed")
        + f"\nControls: {counts[SoaStatus.OPERATING]} operating, "
        f"{counts[SoaStatus.NO_EVIDENCE]} without evidence in the period, "
        f"{counts[SoaStatus.NOT_IMPLEMENTED]} not implemented, "
        f"{counts[SoaStatus.NOT_APPLICABLE]} not applicable\n"
        f"Check it as the auditor will: aims audit verify {result.folder}",
        highlight=False,
        soft_wrap=True,
        markup=False,
    )
    if not result.digest:
        err_console.print(
            "[yellow]note:[/yellow] no signing key: the pack shows edits to the chain, but not "
            "events cut from its end or a restored backup. Run `aims keys init` first.",
            soft_wrap=True,
        )


@app.command("verify")
def verify(
    pack_path: Path = typer.Argument(..., metavar="OUT", help="The pack's folder or its zip."),
    fingerprint: str | None = typer.Option(
        None,
        "--fingerprint",
        help="The signing key's fingerprint as published elsewhere (the weekly Slack digest, "
        "`aims keys show`); default: public_key.pem's.",
    ),
) -> None:
    """Verify a pack offline, as its verify_pack.py does: the hash chain, the digests'
    signatures, the keys, and that the ledger reaches every digest."""
    with _unpacked(pack_path) as folder, _progress() as progress:
        reading = progress.add_task("Verifying the evidence", total=None)

        def read(done: int, size: int) -> None:
            progress.update(reading, completed=done, total=size)

        try:
            report = ledger_verify.verify_pack(
                folder, expected_fingerprint=fingerprint, progress=read
            )
        except (OSError, ledger_verify.UnusableInput) as exc:
            fail(escape(str(exc)))
    console.print(report.describe(), highlight=False, soft_wrap=True, markup=False)
    if not report.ok:
        raise typer.Exit(2)


@contextmanager
def _unpacked(path: Path) -> Iterator[Path]:
    """The pack folder: as given, or unpacked from its zip into a temporary folder."""
    if path.is_dir():
        yield path
        return
    if not zipfile.is_zipfile(path):
        fail(f"{path}: not an audit pack (give the folder `aims audit pack` wrote, or its zip)")
    with tempfile.TemporaryDirectory(prefix="aims-pack-") as temp, zipfile.ZipFile(path) as zipped:
        zipped.extractall(temp)
        folders = [child for child in Path(temp).iterdir() if child.is_dir()]
        yield folders[0] if len(folders) == 1 else Path(temp)


def register_commands(root: typer.Typer) -> None:
    root.add_typer(
        app, name="audit", help="The audit pack: write it for an auditor, and verify one."
    )
