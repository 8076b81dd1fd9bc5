"""The review sweep at scale: 100,000 records, 10,000 of them due, on Postgres.

    .venv/bin/python -m bench.bench_sweep [--records 100000] [--due 10000]

The baseline is the bare indexed query that finds the due records, timed in the same run: the
sweep can never be faster than that, so the ratio says what claiming each record, writing its
review cycle, its outbox DM and its evidence event costs on top. A second sweep over the same
records (all notified, nothing new owed) shows the steady-state cost of a run that finds
nothing to send. Prints figures; asserts nothing. Skips with a notice when no Postgres answers.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from governance.config import load_config
from governance.review_sweep import due_records_query
from scheduler.runner import run_job
from store.db import Database
from store.models import OutboundMessage

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
CONFIG = Path(__file__).resolve().parents[1] / "examples" / "acme" / "aims.yaml"
COLUMNS = (
    "ref",
    "title",
    "purpose",
    "business_unit",
    "owner",
    "requester",
    "vendor",
    "tool",
    "model_version",
    "third_party",
    "affected_people",
    "data_categories",
    "decisions_about_people",
    "decision_stakes",
    "autonomy",
    "permissions",
    "agent_write_access",
    "provenance",
    "data_location",
    "contract_dpa",
    "logging_arrangements",
    "escalation_route",
    "annex_iii_areas",
    "article_5_practices",
    "risk_tier",
    "tier_reasons",
    "tier_override",
    "conditions",
    "next_review",
    "review_lapsed",
    "status",
    "version",
    "created_at",
    "updated_at",
)
OWNERS = ("U0ACME0003", "U0ACME0005", "U0ACME0009", "U0ACME0011")


@contextmanager
def postgres_database() -> Iterator[Database | None]:
    from tests.support.databases import postgres_available, postgres_schema, postgres_url

    if not postgres_available():
        print(f"NOTICE: no Postgres server answers at {postgres_url()}; benchmark skipped")
        yield None
        return
    with postgres_schema() as url:
        database = Database(url)
        database.ensure_schema()
        try:
            yield database
        finally:
            database.dispose()


def row(number: int, due_every: int, today: date) -> tuple[object, ...]:
    # Every `due_every`-th record is due today or up to two days ago; the rest fall due later.
    due = (
        today - timedelta(days=number % 3)
        if number % due_every == 0
        else today + timedelta(days=1 + number % 365)
    )
    return (
        f"AIU-{number:06d}",
        f"AI use {number}",
        "",
        "Operations",
        OWNERS[number % 4],
        "",
        "",
        "",
        "",
        False,
        "[]",
        "[]",
        "",
        "",
        "",
        "[]",
        False,
        "",
        "",
        "",
        "",
        "",
        "[]",
        "[]",
        ("high", "limited", "minimal")[number % 3],
        "[]",
        "",
        "[]",
        due,
        False,
        "live",
        1,
        NOW - timedelta(days=400),
        NOW - timedelta(days=400),
    )


def bulk_load(db: Database, records: int, due: int) -> float:
    """COPY the records in; returns seconds."""
    started = time.perf_counter()
    today = NOW.date()
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        statement = f"COPY ai_uses ({', '.join(COLUMNS)}) FROM STDIN"
        with cursor.copy(statement) as copy:  # psycopg's COPY: the fastest bulk load
            for number in range(1, records + 1):
                copy.write_row(row(number, records // due, today))
        cursor.execute("ANALYZE ai_uses")
        raw.commit()
    finally:
        raw.close()
    return time.perf_counter() - started


def bare_query(db: Database, repeats: int = 5) -> tuple[float, int]:
    """Median seconds of the indexed query alone, and how many rows it finds."""
    query = due_records_query(NOW.date()).with_only_columns(func.count())
    timings, found = [], 0
    for _ in range(repeats):
        with db.session() as session:
            started = time.perf_counter()
            found = session.scalar(query.order_by(None)) or 0
            timings.append(time.perf_counter() - started)
    return statistics.median(timings), found


def sweep(db: Database) -> tuple[float, str]:
    config = load_config(CONFIG)
    started = time.perf_counter()
    outcome = run_job(db, config, "review-sweep", now=NOW)
    return time.perf_counter() - started, outcome.describe()


def plan_line(session: Session) -> str:
    """The line of the query plan that says how the due records are found."""
    sql = due_records_query(NOW.date()).compile(
        session.get_bind(), compile_kwargs={"literal_binds": True}
    )
    plan = session.execute(text(f"EXPLAIN {sql}")).scalars().all()
    return next((line.strip() for line in plan if "Scan" in line), plan[0] if plan else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=10_000)
    args = parser.parse_args()
    with postgres_database() as db:
        if db is None:
            return
        loaded = bulk_load(db, args.records, args.due)
        baseline, found = bare_query(db)
        first, first_summary = sweep(db)
        again, again_summary = sweep(db)
        with db.session() as session:
            messages = session.scalar(select(func.count()).select_from(OutboundMessage))
            scan = plan_line(session)
    print(f"records {args.records:,}, due {found:,} (bulk COPY load {loaded:.1f} s)")
    print(f"bare indexed query (count of due)   {baseline * 1000:9.1f} ms   plan: {scan}")
    print(
        f"first sweep (notify every due one)  {first * 1000:9.1f} ms   "
        f"{first * 1000 / max(found, 1):.2f} ms/record   x{first / baseline:,.0f} the query"
    )
    print(f"  {first_summary}; {messages:,} DMs queued")
    print(
        f"second sweep (nothing new owed)     {again * 1000:9.1f} ms   "
        f"x{again / baseline:,.0f} the query"
    )
    print(f"  {again_summary}")


if __name__ == "__main__":
    main()
