"""What this installation is connected to, and whether it answers: the probes behind
`aims status` and the HTTP edge's /readyz.

Every probe is read-only and short: a database is opened with a 2 s connect timeout and never
migrated or created (a SQLite file that does not exist yet is reported, not made), a Chroma
server is asked for its heartbeat with a 2 s timeout before anything else talks to it, and the
embedded index is only opened when it exists. Nothing here prints a password or a token: URLs
are shown with the password masked, and Slack is described by mode only.

Two callers: `collect_status(ctx)` for the operator (figures from the database and the index,
what is wrong and what to check), and `readiness_probe(ctx)` for a load balancer (does the
database answer; with AIMS_CHROMA_URL, does Chroma), whose answers name what failed but reveal
nothing else.
"""

from __future__ import annotations

import logging
import math
import sqlite3
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection, Engine, create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from bot.settings import SlackSettings
from governance.config import OrgConfig
from governance.context import AppContext
from governance.errors import AimsError
from governance.outbox import UNSENT
from store.db import MIGRATIONS, RETIRED_REVISIONS
from store.models import EvidenceEvent, OutboundMessage, utcnow
from store.retrieval_models import PolicyChunk
from store.review_models import JobRun

log = logging.getLogger(__name__)

PROBE_SECONDS = 2.0  # a network probe (database connect, Chroma heartbeat) waits no longer
EMBEDDED_INDEX_SECONDS = 10.0  # opening the embedded index reads local files (and imports Chroma)
CHROMA_HEARTBEAT = "/api/v2/heartbeat"
_PAGE = 5000  # vectors read per page when counting the chunks in the index
_T = TypeVar("_T")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class Check(_Model):
    """One thing probed: whether it is fine, in one line, and what to check when it is not."""

    name: str
    ok: bool
    detail: str
    hint: str = ""


class Readiness(_Model):
    """Whether this process can do its work now: what /readyz answers."""

    checks: list[Check]

    @property
    def ready(self) -> bool:
        return all(check.ok for check in self.checks)

    def body(self) -> dict[str, Any]:
        """The JSON a load balancer gets: names and short reasons, never a URL or a secret."""
        return {
            "status": "ready" if self.ready else "unavailable",
            "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in self.checks],
        }


# --- sections of the status ------------------------------------------------------------------


class Revision(_Model):
    current: list[str]  # the database's heads; empty: no schema yet (made on first use)
    head: list[str]  # this AIMS Bot's latest revision

    @property
    def up_to_date(self) -> bool:
        return sorted(self.current) == sorted(self.head)


class DatabaseStatus(_Model):
    kind: str  # sqlite, postgresql, …
    url: str  # the password masked
    reachable: bool
    created: bool = True  # False: a SQLite file not created yet (it is, on first use)
    revision: Revision | None = None
    error: str | None = None
    hint: str | None = None


class IndexStatus(_Model):
    kind: Literal["embedded", "server"]
    location: str  # the folder, or the server's URL with the password masked
    collection: str | None
    reachable: bool
    created: bool = True  # False: nothing ingested into this index yet
    vectors: int | None = None
    chunks: int | None = None  # distinct chunks the vectors belong to
    database_chunks: int | None = None  # policy chunks the database holds (the truth)
    error: str | None = None
    hint: str | None = None


SlackMode = Literal["socket", "http", "not configured", "misconfigured"]


class SlackStatus(_Model):
    mode: SlackMode
    detail: str


class GatewayStatus(_Model):
    enabled: bool
    address: str | None = None  # http://host:port/v1
    upstreams: list[str] = []


class LastRun(_Model):
    started_at: datetime
    ok: bool
    duration_ms: int
    summary: str
    error_ref: str | None = None


class JobStatus(_Model):
    id: str
    description: str
    scheduled: bool  # False: not configured in aims.yaml, so never run by the scheduler
    schedule: str | None
    next_run: datetime | None
    last_run: LastRun | None


class SchedulerStatus(_Model):
    jobs: list[JobStatus]
    # Jobs in the scheduler's store on this database; None: no scheduler has started on it.
    stored_jobs: int | None

    @property
    def on(self) -> int:
        return sum(job.scheduled for job in self.jobs)


class OutboxStatus(_Model):
    unsent: int  # pending or being sent
    failed: int  # given up after the last attempt
    oldest_unsent_at: datetime | None
    oldest_age_seconds: float | None


class LedgerStatus(_Model):
    events: int
    last_seq: int | None
    last_hash: str | None


class Status(_Model):
    """`aims status`: what this installation is connected to, its figures, what is wrong."""

    organisation: str | None
    timezone: str | None  # the organisation's (times are UTC; the CLI shows them in this)
    config_path: str
    database: DatabaseStatus | None
    vector_index: IndexStatus | None
    slack: SlackStatus
    gateway: GatewayStatus | None
    scheduler: SchedulerStatus | None
    outbox: OutboxStatus | None
    ledger: LedgerStatus | None
    problems: list[Check]  # something it needs does not answer: `aims status` exits 1
    warnings: list[Check]  # worth a look, but nothing is down

    @property
    def ok(self) -> bool:
        return not self.problems


# --- URLs and errors, safe to print -------------------------------------------------------------


def mask_url(url: str) -> str:
    """The URL with its password (if any) replaced by ***."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        port = f":{parts.port}" if parts.port is not None else ""
        user = f"{parts.username}:***@" if parts.username is not None else ":***@"
        return urlunsplit(parts._replace(netloc=f"{user}{host}{port}"))
    except ValueError:  # an unparsable port: keep nothing after the scheme
        return url.split("://", 1)[0] + "://***"


def _reason(exc: BaseException, *secrets: str | None) -> str:
    """One line saying what went wrong, without a traceback or a secret."""
    inner = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(inner).splitlines() if line.strip()]
    reason = lines[0] if lines else type(inner).__name__
    for secret in secrets:
        if secret:
            reason = reason.replace(secret, "***")
    return reason[:300]


def _within(seconds: float, work: Callable[[], _T], what: str) -> _T:
    """`work()`, or TimeoutError after `seconds` (left running in a daemon thread)."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = work()
        except BaseException as exc:  # handed back to the caller
            box["error"] = exc

    worker = threading.Thread(target=run, name=f"aims-probe-{what}", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise TimeoutError(f"{what} did not answer within {seconds:g} s")
    if "error" in box:
        raise box["error"]
    value: _T = box["value"]
    return value


# --- the database ------------------------------------------------------------------------------


def _sqlite_path(url: str) -> Path | None:
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).expanduser().resolve()


def probe_engine(url: str, *, timeout: float = PROBE_SECONDS, pooled: bool = False) -> Engine:
    """An engine that never waits long: a 2 s connect timeout (Postgres), SQLite opened
    read-write but never created. Raises what create_engine raises for an unusable URL."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = _sqlite_path(url)
        if path is None:
            return create_engine(url, poolclass=NullPool)
        uri = path.as_uri() + "?mode=rw"

        def connect() -> sqlite3.Connection:
            return sqlite3.connect(uri, uri=True, timeout=timeout, check_same_thread=False)

        return create_engine("sqlite://", creator=connect, poolclass=NullPool)
    connect_args: dict[str, Any] = {}
    if parsed.get_backend_name() == "postgresql":
        connect_args["connect_timeout"] = max(1, math.ceil(timeout))
    if pooled:
        return create_engine(
            url,
            connect_args=connect_args,
            pool_size=1,
            max_overflow=0,
            pool_timeout=timeout,
            pool_pre_ping=True,
        )
    return create_engine(url, connect_args=connect_args, poolclass=NullPool)


def _database_hint(url: str, kind: str, exc: BaseException | None = None) -> str:
    if isinstance(exc, NoSuchModuleError | ArgumentError):
        return (
            "AIMS_DATABASE_URL is not a database URL AIMS Bot can use: write it as "
            "postgresql+psycopg://USER:PASSWORD@HOST:5432/DB or sqlite:////path/to/aims.db"
        )
    if isinstance(exc, ModuleNotFoundError):
        return (
            f"the URL asks for a driver that is not installed ({exc.name}); for Postgres write "
            "it as postgresql+psycopg://…, the driver AIMS Bot installs"
        )
    if kind == "sqlite":
        return (
            "check that the folder exists and this user may read and write the file "
            "(AIMS_DATABASE_URL, else AIMS_DATA_DIR, else .aims/ beside aims.yaml)"
        )
    return (
        f"check AIMS_DATABASE_URL ({mask_url(url)}): that the server runs, accepts connections "
        "from this host, and knows the user, password and database"
    )


def heads() -> list[str]:
    """This AIMS Bot's latest migration revision(s)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return sorted(ScriptDirectory.from_config(config).get_heads())


class Figures(BaseModel):
    """What the database says: its revision and, once it has a schema, the figures."""

    revision: Revision
    outbox: OutboxStatus | None = None
    ledger: LedgerStatus | None = None
    last_runs: dict[str, LastRun] = {}
    stored_jobs: int | None = None
    database_chunks: int | None = None
    warnings: list[Check] = []


def probe_database(
    url: str, *, timeout: float = PROBE_SECONDS, now: datetime | None = None
) -> tuple[DatabaseStatus, Figures | None]:
    """Connect (read-only, never migrating) and read the revision and the figures."""
    kind = _kind_of(url)
    shown = mask_url(url)
    password = _password(url)
    if kind == "sqlite":
        path = _sqlite_path(url)
        if path is not None and not path.exists():
            if not path.parent.is_dir():
                return DatabaseStatus(
                    kind=kind,
                    url=shown,
                    reachable=False,
                    error=f"the folder {path.parent} does not exist",
                    hint=_database_hint(url, kind),
                ), None
            revision = Revision(current=[], head=heads())
            return DatabaseStatus(
                kind=kind, url=shown, reachable=True, created=False, revision=revision
            ), None

    def unreachable(exc: BaseException) -> tuple[DatabaseStatus, Figures | None]:
        error, hint = _reason(exc, password), _database_hint(url, kind, exc)
        return DatabaseStatus(kind=kind, url=shown, reachable=False, error=error, hint=hint), None

    try:
        engine = probe_engine(url, timeout=timeout)
    except (ArgumentError, NoSuchModuleError, ModuleNotFoundError) as exc:
        return unreachable(exc)
    try:
        with engine.connect() as connection:
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            if kind == "postgresql":
                connection.execute(text(f"SET statement_timeout = {int(timeout * 1000)}"))
            figures = _read_figures(connection, now or utcnow())
    except (SQLAlchemyError, OSError, sqlite3.Error) as exc:
        return unreachable(exc)
    finally:
        engine.dispose()
    status = DatabaseStatus(kind=kind, url=shown, reachable=True, revision=figures.revision)
    return status, figures


def _kind_of(url: str) -> str:
    try:
        return make_url(url).get_backend_name()
    except ArgumentError:
        return "unknown"


def _password(url: str) -> str | None:
    try:
        return make_url(url).password
    except ArgumentError:
        return None


def _current_revision(connection: Connection) -> list[str]:
    from alembic.runtime.migration import MigrationContext

    current = MigrationContext.configure(connection).get_current_heads()
    return sorted(RETIRED_REVISIONS.get(revision, revision) for revision in current)


def _read_figures(connection: Connection, now: datetime) -> Figures:
    tables = set(inspect(connection).get_table_names())
    current = _current_revision(connection) if "alembic_version" in tables else []
    figures = Figures(revision=Revision(current=current, head=heads()))
    if not current:
        return figures
    readers: list[tuple[str, Callable[[], None]]] = [
        ("outbox", lambda: _read_outbox(connection, figures, now)),
        ("evidence_events", lambda: _read_ledger(connection, figures)),
        ("job_runs", lambda: _read_job_runs(connection, figures)),
        ("policy_chunks", lambda: _read_chunks(connection, figures)),
        ("apscheduler_jobs", lambda: _read_job_store(connection, figures)),
    ]
    for table, read in readers:
        if table not in tables:
            continue
        try:
            read()
        except SQLAlchemyError as exc:  # a table of an older or newer schema: say so, go on
            figures.warnings.append(
                Check(name=table, ok=False, detail=f"could not read {table}: {_reason(exc)}")
            )
    return figures


def _read_outbox(connection: Connection, figures: Figures, now: datetime) -> None:
    unsent, oldest = connection.execute(
        select(func.count(), func.min(OutboundMessage.created_at)).where(
            OutboundMessage.status.in_(UNSENT)
        )
    ).one()
    failed = connection.scalar(
        select(func.count()).select_from(OutboundMessage).where(OutboundMessage.status == "failed")
    )
    age = max(0.0, (now - oldest).total_seconds()) if oldest is not None else None
    figures.outbox = OutboxStatus(
        unsent=int(unsent), failed=int(failed or 0), oldest_unsent_at=oldest, oldest_age_seconds=age
    )


def _read_ledger(connection: Connection, figures: Figures) -> None:
    count = int(connection.scalar(select(func.count()).select_from(EvidenceEvent)) or 0)
    last = connection.execute(
        select(EvidenceEvent.seq, EvidenceEvent.hash).order_by(EvidenceEvent.seq.desc()).limit(1)
    ).first()
    figures.ledger = LedgerStatus(
        events=count,
        last_seq=int(last[0]) if last else None,
        last_hash=str(last[1]) if last else None,
    )


def _read_job_runs(connection: Connection, figures: Figures) -> None:
    latest = select(func.max(JobRun.id)).group_by(JobRun.job_id)
    rows = connection.execute(select(JobRun.__table__).where(JobRun.id.in_(latest))).all()
    figures.last_runs = {
        row.job_id: LastRun(
            started_at=row.started_at,
            ok=bool(row.ok),
            duration_ms=int(row.duration_ms or 0),
            summary=row.summary if row.ok else (row.error or ""),
            error_ref=row.error_ref,
        )
        for row in rows
    }


def _read_chunks(connection: Connection, figures: Figures) -> None:
    figures.database_chunks = int(
        connection.scalar(select(func.count()).select_from(PolicyChunk)) or 0
    )


def _read_job_store(connection: Connection, figures: Figures) -> None:
    stored = connection.scalar(text("SELECT count(*) FROM apscheduler_jobs"))
    figures.stored_jobs = int(stored or 0)


# --- the vector index --------------------------------------------------------------------------


def chroma_heartbeat(url: str, *, timeout: float = PROBE_SECONDS) -> str | None:
    """None when the Chroma server at `url` answers its heartbeat, else why not (one line).
    Only the heartbeat: Chroma's client is not made (nor imported) for this."""
    import httpx

    from retrieval.index import ChromaServer

    try:
        answer = httpx.get(ChromaServer(url).address + CHROMA_HEARTBEAT, timeout=timeout)
    except httpx.TimeoutException:
        return f"no answer within {timeout:g} s"
    except (httpx.HTTPError, ValueError) as exc:
        return _reason(exc) or type(exc).__name__
    if answer.status_code != 200:
        return f"answered HTTP {answer.status_code} to {CHROMA_HEARTBEAT}"
    return None


def _chroma_hint(url: str | None, path: Path) -> str:
    if url:
        return (
            f"check AIMS_CHROMA_URL ({mask_url(url)}): that the Chroma server runs and this "
            f"host can reach it; unset it to use the embedded index in {path}"
        )
    return f"check that {path} is readable by this user (AIMS_CHROMA_PATH, else the data folder)"


def probe_vector_index(
    *, path: Path, url: str | None, names: list[str], timeout: float = PROBE_SECONDS
) -> IndexStatus:
    """The index's size, read-only: vectors, and the distinct chunks they belong to, in the
    first of `names` that exists (the collection, then the one an older install made)."""
    kind: Literal["embedded", "server"] = "server" if url else "embedded"
    location = mask_url(url) if url else str(path)
    base = IndexStatus(kind=kind, location=location, collection=names[0], reachable=False)
    if url:
        why = chroma_heartbeat(url, timeout=timeout)
        if why is not None:
            return base.model_copy(
                update={"error": f"Chroma server: {why}", "hint": _chroma_hint(url, path)}
            )
    elif not (path / "chroma.sqlite3").exists():
        return base.model_copy(
            update={"reachable": True, "created": False, "vectors": 0, "chunks": 0}
        )
    limit = max(timeout, 5.0) if url else EMBEDDED_INDEX_SECONDS
    try:
        found = _within(limit, lambda: _count(path, url, names, timeout), "the vector index")
    except Exception as exc:
        return base.model_copy(
            update={"error": _reason(exc, _password(url or "")), "hint": _chroma_hint(url, path)}
        )
    if found is None:
        return base.model_copy(
            update={"reachable": True, "created": False, "vectors": 0, "chunks": 0}
        )
    name, vectors, chunks = found
    return base.model_copy(
        update={"reachable": True, "collection": name, "vectors": vectors, "chunks": chunks}
    )


def _count(
    path: Path, url: str | None, names: list[str], timeout: float
) -> tuple[str, int, int] | None:
    """(name, vectors, chunks) of the first of `names` that exists; None when none does."""
    from retrieval.index import ChromaServer, chroma_client

    if url:
        client = ChromaServer(
            url, connect_timeout=timeout, read_timeout=max(timeout, 5.0)
        ).connect()
    else:
        client = chroma_client(path=path, url=None)
    existing = {getattr(found, "name", found) for found in client.list_collections()}
    name = next((name for name in names if name in existing), None)
    if name is None:
        return None
    collection = client.get_collection(name)
    vectors = int(collection.count())
    chunks: set[str] = set()
    for offset in range(0, vectors, _PAGE):
        page = collection.get(include=["metadatas"], limit=_PAGE, offset=offset)
        for vector_id, metadata in zip(page["ids"], page["metadatas"] or [], strict=False):
            owner = (metadata or {}).get("chunk_id") or vector_id.split("#", 1)[0]
            chunks.add(str(owner))
    return name, vectors, len(chunks)


def index_collections(ctx: AppContext) -> list[str]:
    """The collection names retrieval uses (the embedding model is not loaded to learn them)."""
    from retrieval.runtime import collection_names

    return collection_names(ctx)


# --- Slack, the gateway, the scheduler ------------------------------------------------------


def slack_status(settings: SlackSettings | None = None, *, port: int = 3000) -> SlackStatus:
    """Which mode `aims run` would start in, from the environment alone: Slack is not
    contacted and no token is shown."""
    from bot.slack.config import load_slack_config

    settings = settings or SlackSettings()
    if not (settings.bot_token or settings.app_token or settings.signing_secret):
        return SlackStatus(
            mode="not configured",
            detail="not configured: no SLACK_BOT_TOKEN, so `aims run` cannot start "
            "(see docs/slack.md)",
        )
    try:
        config = load_slack_config(settings)
    except AimsError as exc:  # names the variable to fix, never its value
        return SlackStatus(mode="misconfigured", detail=f"misconfigured: {exc}")
    api = f"; Web API at {mask_url(config.base_url)}" if settings.api_url else ""
    if config.socket_mode:
        return SlackStatus(mode="socket", detail=f"Socket Mode (SLACK_APP_TOKEN is set){api}")
    return SlackStatus(mode="http", detail=f"HTTP mode: /slack/events on port {port}{api}")


def gateway_status(config: OrgConfig) -> GatewayStatus:
    settings = config.gateway
    if settings is None:
        return GatewayStatus(enabled=False)
    return GatewayStatus(
        enabled=True,
        address=f"http://{settings.host}:{settings.port}/v1",
        upstreams=[upstream.name for upstream in settings.upstreams],
    )


def scheduler_status(
    config: OrgConfig, last_runs: dict[str, LastRun], stored_jobs: int | None, now: datetime
) -> SchedulerStatus:
    from scheduler.jobs import JOBS

    jobs = []
    for job in JOBS:
        trigger = job.schedule(config)
        jobs.append(
            JobStatus(
                id=job.id,
                description=job.description,
                scheduled=trigger is not None,
                schedule=str(trigger) if trigger is not None else None,
                next_run=trigger.get_next_fire_time(None, now) if trigger is not None else None,
                last_run=last_runs.get(job.id),
            )
        )
    return SchedulerStatus(jobs=jobs, stored_jobs=stored_jobs)


# --- everything, for `aims status` ------------------------------------------------------------


def collect_status(
    ctx: AppContext,
    *,
    slack: SlackSettings | None = None,
    now: datetime | None = None,
    timeout: float = PROBE_SECONDS,
) -> Status:
    """Probe everything this installation depends on; nothing is created, migrated or sent."""
    now = now or utcnow()
    problems: list[Check] = []
    warnings: list[Check] = []
    config: OrgConfig | None = None
    try:
        config = ctx.config
    except AimsError as exc:
        problems.append(
            Check(
                name="config",
                ok=False,
                detail=str(exc),
                hint=f"fix {ctx.config_path}, or name another with --config or AIMS_CONFIG",
            )
        )
    database: DatabaseStatus | None = None
    figures: Figures | None = None
    index: IndexStatus | None = None
    if config is not None or ctx.settings.database_url:
        database, figures = probe_database(ctx.database_url, timeout=timeout, now=now)
        if not database.reachable:
            problems.append(
                Check(
                    name="database",
                    ok=False,
                    detail=f"database unreachable: {database.error}",
                    hint=database.hint or "",
                )
            )
        elif database.created and database.revision and not database.revision.up_to_date:
            warnings.append(_revision_warning(database.revision))
    if config is not None:  # the collection is named by the organisation
        index = probe_vector_index(
            path=ctx.chroma_path,
            url=ctx.settings.chroma_url,
            names=index_collections(ctx),
            timeout=timeout,
        )
        if index.database_chunks is None and figures is not None:
            index = index.model_copy(update={"database_chunks": figures.database_chunks})
        if not index.reachable:
            problems.append(
                Check(
                    name="vector_index",
                    ok=False,
                    detail=f"vector index unreachable: {index.error}",
                    hint=index.hint or "",
                )
            )
        elif index.database_chunks and not index.chunks:
            warnings.append(
                Check(
                    name="vector_index",
                    ok=False,
                    detail=f"the database holds {index.database_chunks} policy chunks but the "
                    "index has none",
                    hint="run `aims ingest` to rebuild the index from the database",
                )
            )
    slack_state = slack_status(slack, port=ctx.settings.port)
    if slack_state.mode == "misconfigured":
        warnings.append(Check(name="slack", ok=False, detail=f"Slack {slack_state.detail}"))
    if figures is not None:
        warnings.extend(figures.warnings)
        warnings.extend(_figure_warnings(figures))
    return Status(
        organisation=config.organisation.name if config is not None else None,
        timezone=config.organisation.timezone if config is not None else None,
        config_path=str(ctx.config_path),
        database=database,
        vector_index=index,
        slack=slack_state,
        gateway=gateway_status(config) if config is not None else None,
        scheduler=(
            scheduler_status(
                config,
                figures.last_runs if figures else {},
                figures.stored_jobs if figures else None,
                now,
            )
            if config is not None
            else None
        ),
        outbox=figures.outbox if figures else None,
        ledger=figures.ledger if figures else None,
        problems=problems,
        warnings=warnings,
    )


def _revision_warning(revision: Revision) -> Check:
    if not revision.current:
        return Check(
            name="migrations",
            ok=False,
            detail="the database has no schema yet",
            hint="any command creates it on first use, or run `aims db upgrade`",
        )
    return Check(
        name="migrations",
        ok=False,
        detail=f"the database is at revision {', '.join(revision.current)}, this AIMS Bot's "
        f"latest is {', '.join(revision.head)}",
        hint="run `aims db upgrade` (`aims run` also upgrades it on start); a revision newer "
        "than the latest means this AIMS Bot is older than the one that migrated it",
    )


def _figure_warnings(figures: Figures) -> list[Check]:
    found = []
    if figures.outbox is not None and figures.outbox.failed:
        found.append(
            Check(
                name="outbox",
                ok=False,
                detail=f"{figures.outbox.failed} messages were given up after repeated failures",
                hint="see the outbox rows' error column and the bot's log",
            )
        )
    ledger = figures.ledger
    if ledger is not None and ledger.last_seq is not None and ledger.events != ledger.last_seq:
        found.append(
            Check(
                name="ledger",
                ok=False,
                detail=f"{ledger.events} events but the last is #{ledger.last_seq}",
                hint="run `aims evidence verify`",
            )
        )
    return found


# --- readiness, for a load balancer --------------------------------------------------------------


class ReadinessProbe:
    """Does the database answer, and (with AIMS_CHROMA_URL) the Chroma server? Keeps one small
    pooled engine with a short connect timeout; call it from one thread at a time
    (bot.slack.health.readiness_check caches its answer and serialises calls)."""

    def __init__(
        self, database_url: str, chroma_url: str | None = None, *, timeout: float = PROBE_SECONDS
    ) -> None:
        self.database_url, self.chroma_url, self.timeout = database_url, chroma_url, timeout
        self._engine: Engine | None = None
        self._last: Readiness | None = None
        self._why = ""  # the full reason of the last failure, for the log only

    def __call__(self) -> Readiness:
        checks = [self._database()]
        if self.chroma_url:
            checks.append(self._chroma(self.chroma_url))
        readiness = Readiness(checks=checks)
        self._log_change(readiness)
        return readiness

    def _database(self) -> Check:
        try:
            if self._engine is None:
                self._engine = probe_engine(self.database_url, timeout=self.timeout, pooled=True)
            with self._engine.connect() as connection:
                if connection.dialect.name == "sqlite":  # reads the file's header, at least
                    connection.exec_driver_sql("PRAGMA schema_version").scalar()
                else:
                    connection.exec_driver_sql("SELECT 1").scalar()
        except Exception as exc:
            self._why = _reason(exc, _password(self.database_url))
            return Check(name="database", ok=False, detail=f"not answering ({_kind(exc)})")
        return Check(name="database", ok=True, detail="answering")

    def _chroma(self, url: str) -> Check:
        why = chroma_heartbeat(url, timeout=self.timeout)
        if why is None:
            return Check(name="vector_index", ok=True, detail="Chroma server answering")
        self._why = f"Chroma server: {why}"
        return Check(name="vector_index", ok=False, detail="Chroma server not answering")

    def _log_change(self, readiness: Readiness) -> None:
        """A line when readiness changes (not on every poll), with the full reason."""
        before = self._last
        self._last = readiness
        if before is not None and before.ready == readiness.ready:
            return
        if readiness.ready:
            if before is not None:
                log.warning("ready again: %s", _summary(readiness))
        else:
            log.warning("not ready: %s (%s)", _summary(readiness), self._why)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def _kind(exc: BaseException) -> str:
    inner = getattr(exc, "orig", None) or exc
    return type(inner).__name__


def _summary(readiness: Readiness) -> str:
    return ", ".join(f"{c.name} {'ok' if c.ok else c.detail}" for c in readiness.checks)


def readiness_probe(ctx: AppContext, *, timeout: float = PROBE_SECONDS) -> ReadinessProbe:
    """The readiness check for this context's database and, when set, its Chroma server."""
    return ReadinessProbe(ctx.database_url, ctx.settings.chroma_url, timeout=timeout)
