"""`aims audit pack OUT`: the folder OUT/ and OUT.zip an auditor takes away.

    index.html      the report (pack_collect → html_page), every figure linked to its events
    soa.csv/.xlsx   the Statement of Applicability, one row per Annex A control
    register.xlsx   the AI register
    evidence.jsonl  the whole evidence ledger (store.evidence.export_jsonl)
    digests.jsonl   the signed digests, a fresh one written at pack time
    public_key.pem  the public keys the ledger trusted, current last
    verify_pack.py  a verbatim copy of store/ledger_verify.py
    VERIFY.md       how to run it, and what each check means

The pack is written into a hidden folder beside OUT and renamed into place at the end, so a
failure leaves nothing half-written behind; an existing OUT or OUT.zip is never overwritten.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from string import Template
from typing import Any, Protocol

from governance.audit import pack_collect, pack_sheets, pack_signing
from governance.audit.html_page import render
from governance.audit.pack_models import PackFigures
from governance.context import AppContext
from governance.errors import ValidationProblem
from governance.soa import Period, SoaStatus
from store import ledger_verify
from store.evidence import export_jsonl

FILES = (
    "index.html",
    "soa.xlsx",
    "soa.csv",
    "register.xlsx",
    "evidence.jsonl",
    "digests.jsonl",
    "public_key.pem",
    "verify_pack.py",
    "VERIFY.md",
)
VERIFY_TEMPLATE = Path(__file__).with_name("VERIFY.md")


class Progress(Protocol):
    """Where the long steps report: a step starts (with its size, when known) and advances."""

    def start(self, description: str, total: int | None = None) -> None: ...
    def advance(self, amount: int = 1) -> None: ...


class _Quiet:
    def start(self, description: str, total: int | None = None) -> None:
        pass

    def advance(self, amount: int = 1) -> None:
        pass


@dataclass(frozen=True)
class PackResult:
    folder: Path
    zip: Path
    events: int
    soa_summary: dict[SoaStatus, int]
    digest: int | None  # the digest signed at pack time; None without a signing key


def zip_path(out: Path) -> Path:
    return out.with_name(out.name + ".zip")


def build_pack(
    ctx: AppContext,
    out: Path,
    *,
    period: Period | None,
    actor: str,
    now: datetime,
    progress: Progress | None = None,
) -> PackResult:
    step = progress or _Quiet()
    _check_free(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    archive = staging.with_name(staging.name + ".zip")
    try:
        step.start("Signing a digest of the ledger")
        digest = pack_signing.sign_digest(ctx, now=now, actor=actor)
        figures = _figures_and_sheets(ctx, staging, period=period, actor=actor, now=now, step=step)
        # The digest log first: a digest signed while the ledger is exported (the hourly job)
        # then covers only events the export holds.
        pack_signing.copy_digest_log(ctx, staging / "digests.jsonl")
        step.start("Exporting the evidence ledger")
        with ctx.db.session() as session:
            events = export_jsonl(session, staging / "evidence.jsonl")
            keys = pack_signing.public_keys(session, ctx)
        figures = _with_ledger(figures, staging / "evidence.jsonl", events, keys, digest)
        _write_verification(ctx, staging, figures, keys)
        (staging / "index.html").write_text(render(figures), encoding="utf-8")
        pack_sheets.write_soa_csv(figures, staging / "soa.csv")
        pack_sheets.write_soa_xlsx(figures, staging / "soa.xlsx")
        _zip(staging, archive, out.name, step)
        _check_free(out)
        staging.rename(out)
        archive.rename(zip_path(out))
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        archive.unlink(missing_ok=True)
        raise
    return PackResult(
        folder=out,
        zip=zip_path(out),
        events=events,
        soa_summary=figures.soa_summary,
        digest=figures.info.digest,
    )


def _check_free(out: Path) -> None:
    for path in (out, zip_path(out)):
        if path.exists():
            raise ValidationProblem(
                f"{path} already exists: name a new folder for the pack (nothing was written)"
            )


def _figures_and_sheets(
    ctx: AppContext,
    staging: Path,
    *,
    period: Period | None,
    actor: str,
    now: datetime,
    step: Progress,
) -> PackFigures:
    """The figures, and register.xlsx from the same transaction (the same register)."""
    with ctx.db.session() as session:
        figures = pack_collect.collect(
            session, ctx.config, period=period, now=now, actor=actor, step=step.start
        )
        pack_sheets.write_register_xlsx(session, staging / "register.xlsx")
    return figures


def _with_ledger(
    figures: PackFigures,
    export: Path,
    events: int,
    keys: list[str],
    digest: dict[str, Any] | None,
) -> PackFigures:
    """The figures, told what the export holds (its last event) and how it is signed."""
    last = _last_line(export)
    info = figures.info.model_copy(
        update={
            "events": events,
            "head_hash": last.get("hash") if last else None,
            "key_fingerprint": _fingerprint(keys),
            "digest": (digest or {}).get("digest"),
        }
    )
    return figures.model_copy(update={"info": info})


def _fingerprint(keys: list[str]) -> str | None:
    """The current key's, as the verifier computes it from public_key.pem."""
    return ledger_verify.fingerprint_of_pem(keys[-1]) if keys else None


def _last_line(path: Path) -> dict[str, Any] | None:
    """The export's last line, read from the end (the export may be large)."""
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        chunk = b""
        while size and chunk.count(b"\n") < 2 and len(chunk) < size:
            read = min(size, len(chunk) + 65536)
            handle.seek(size - read)
            chunk = handle.read(read)
        lines = [line for line in chunk.splitlines() if line.strip()]
    if not lines:
        return None
    data = json.loads(lines[-1])
    return data if isinstance(data, dict) else None


def _write_verification(
    ctx: AppContext, staging: Path, figures: PackFigures, keys: list[str]
) -> None:
    (staging / "public_key.pem").write_text("".join(key + "\n" for key in keys), "ascii")
    (staging / "verify_pack.py").write_text(pack_signing.verifier_source(), "utf-8")
    info = figures.info
    text = Template(VERIFY_TEMPLATE.read_text(encoding="utf-8")).substitute(
        organisation=info.organisation,
        generated=info.generated_at.isoformat(timespec="seconds"),
        timezone=info.timezone,
        fingerprint=info.key_fingerprint or "none (no signing key was configured)",
        digest=f"no. {info.digest}" if info.digest else "none",
        events=info.events,
        head=info.head_hash or "-",
    )
    (staging / "VERIFY.md").write_text(text, encoding="utf-8")


def _zip(folder: Path, target: Path, name: str, step: Progress) -> None:
    """The pack's files in a zip, under the folder name `name` (as it unpacks)."""
    files = [folder / file for file in FILES]
    step.start("Writing the zip", total=sum(path.stat().st_size for path in files))
    # Readable by its owner only, like the folder beside it: it holds the whole ledger.
    os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            archive.write(path, f"{name}/{path.name}")
            step.advance(path.stat().st_size)
