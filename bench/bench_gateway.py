"""What does the enforcement gateway cost in front of a provider?

A fast OpenAI-compatible stand-in (tests/support/openai_upstream.py) runs in its own process;
`aims gateway serve` in another, on SQLite, with a key of an approved use that is not approved
for personal data (so every prompt is scanned, redacted and recorded). One asyncio httpx client
(keep-alive) calls the stand-in directly and through the gateway, alternating, with 1 kB
prompts that each hold two personal-data entities (an e-mail address and a phone number).

Prints, beside the baseline measured in the same run and the issue's targets:
- added latency p50 / p99 at concurrency 1 and 20 (through the gateway minus direct);
- CPU time per request of the gateway process, and the requests/s it sustained at
  concurrency 20 (client, stand-in and gateway share this machine's cores);
- time-to-first-token overhead with `stream: true`;
- start-up time (process start to a 200 from /healthz) and resident memory;
- decisions/s the ledger sustains (the group committer appending gateway.decision events on
  SQLite, in process).

    .venv/bin/python -m bench.bench_gateway [--requests 400] [--concurrency 20]

Prints figures; asserts nothing about timings.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.bench_evidence import decision_payload  # noqa: E402
from bench.workspace import sample_organisation  # noqa: E402
from bot.context import build_context  # noqa: E402
from bot.settings import Settings  # noqa: E402
from governance.gateway.keys import issue_key  # noqa: E402
from store.db import Database, sqlite_url  # noqa: E402
from store.evidence_batch import GroupCommitter  # noqa: E402
from store.evidence_kinds import EvidenceKind  # noqa: E402
from tests.bot.gateway.conftest import configure_gateway  # noqa: E402
from tests.governance.gateway.helpers import OLIVER, approved  # noqa: E402
from tests.support.openai_upstream import free_port  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
PROMPT = (
    "Please draft a short, polite reply to this customer complaint and keep the tone "
    "friendly. The customer, who wrote in from jane.doe@example.com, says the order arrived "
    "late and the box was damaged; she asks to be called back on +44 20 7946 0958 tomorrow. "
    + "The order contained two items and was shipped from the northern warehouse. "
    * 10
)[:1000]
TARGETS = {
    "added_p50_c1": 4.0,
    "added_p99_c1": 10.0,
    "cpu_ms": 3.0,
    "rps": 300.0,
    "added_p50_c20": 60.0,
    "ttft": 5.0,
    "start_s": 3.0,
    "rss_mb": 250.0,
    "decisions_s": 1000.0,
}
LITELLM = {  # the issue's figures for LiteLLM proxy 1.110.2 on this kind of machine
    "added_p50_c1": "18 ms (12.5 without guardrail)",
    "added_p99_c1": "27 ms (19)",
    "cpu_ms": "15 ms (9)",
    "rps": "~70 (113)",
    "added_p50_c20": "~250 ms (166)",
    "ttft": "+22 ms (+10.7)",
    "start_s": "6-7 s",
    "rss_mb": "354 MB",
}


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wait_healthy(url: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1).status_code == 200:
                return
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode}")
        time.sleep(0.01)
    raise RuntimeError(f"{url} did not answer")


@contextlib.contextmanager
def running(args: list[str], env: dict[str, str], health: str) -> Iterator[tuple[int, float]]:
    """Start a process, wait for `health`; yields (pid, seconds to healthy)."""
    started = time.perf_counter()
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL)
    try:
        wait_healthy(health, process)
        yield process.pid, time.perf_counter() - started
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def body(stream: bool = False) -> dict[str, Any]:
    return {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": PROMPT}],
        "stream": stream,
    }


async def timed_calls(
    client: Any, url: str, key: str, count: int, concurrency: int
) -> tuple[list[float], float]:
    """Latencies (ms) of `count` calls at `concurrency`, and the wall time."""
    latencies: list[float] = []
    queue = iter(range(count))
    headers = {"authorization": f"Bearer {key}"}

    async def worker() -> None:
        for _ in queue:
            started = time.perf_counter()
            answer = await client.post(url, json=body(), headers=headers)
            latencies.append((time.perf_counter() - started) * 1000)
            if answer.status_code != 200:
                raise RuntimeError(f"{url}: {answer.status_code} {answer.text[:200]}")

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, time.perf_counter() - started


async def first_token(client: Any, url: str, key: str, count: int) -> list[float]:
    found: list[float] = []
    for _ in range(count):
        started = time.perf_counter()
        async with client.stream(
            "POST", url, json=body(stream=True), headers={"authorization": f"Bearer {key}"}
        ) as answer:
            seen = False
            async for line in answer.aiter_lines():
                if not seen and line.startswith("data:") and '"content"' in line:
                    found.append((time.perf_counter() - started) * 1000)
                    seen = True
    return found


def decisions_per_second(db: Database, events: int = 4000, callers: int = 64) -> float:
    payload = decision_payload(1)

    async def run(ledger: GroupCommitter) -> float:
        remaining = iter(range(events))

        async def caller() -> None:
            for _ in remaining:
                await ledger.append_async(
                    actor="KEY-0001",
                    kind=EvidenceKind.GATEWAY_DECISION,
                    subject="AIU-0001",
                    payload=payload,
                )

        started = time.perf_counter()
        await asyncio.gather(*(caller() for _ in range(callers)))
        return events / (time.perf_counter() - started)

    with GroupCommitter(db) as ledger:
        return asyncio.run(run(ledger))


def line(name: str, value: float, unit: str, target: str, key: str, better: str = "lower") -> None:
    goal = TARGETS.get(key)
    met = (
        ""
        if goal is None
        else ("met" if (value <= goal if better == "lower" else value >= goal) else "MISSED")
    )
    ref = LITELLM.get(key, "")
    print(f"  {name:<44} {value:>9.2f} {unit:<5} target {target:<10} {met:<7} LiteLLM {ref}")


class ShardedClient:
    """One client for both paths: four httpx clients taken in turn (httpcore's pool costs CPU
    in proportion to waiting requests x connections, and this machine's two cores are shared
    by the client, the stand-in and the gateway)."""

    def __init__(self, shards: int = 4) -> None:
        limits = httpx.Limits(max_connections=16, max_keepalive_connections=16)
        self.clients = [httpx.AsyncClient(limits=limits, timeout=30) for _ in range(shards)]
        self._turn = itertools.cycle(self.clients)

    def post(self, *args: Any, **kwargs: Any) -> Any:
        return next(self._turn).post(*args, **kwargs)

    def stream(self, *args: Any, **kwargs: Any) -> Any:
        return next(self._turn).stream(*args, **kwargs)

    async def __aenter__(self) -> ShardedClient:
        return self

    async def __aexit__(self, *_: Any) -> None:
        for client in self.clients:
            await client.aclose()


async def measure(
    args: argparse.Namespace, upstream: str, gateway: str, key: str, pid: int
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    async with ShardedClient() as client:
        direct_url, gateway_url = upstream + "/chat/completions", gateway + "/chat/completions"
        # warm both paths (connections, caches, the scanner)
        await timed_calls(client, direct_url, key, 50, 4)
        await timed_calls(client, gateway_url, key, 50, 4)
        for concurrency, count in ((1, args.requests), (args.concurrency, args.requests * 3)):
            direct: list[float] = []
            via: list[float] = []
            cpu = 0.0
            wall = 0.0
            for _ in range(4):  # alternate, so drift hits both alike
                latencies, _ = await timed_calls(client, direct_url, key, count // 4, concurrency)
                direct += latencies
                before = cpu_seconds(pid)
                latencies, elapsed = await timed_calls(
                    client, gateway_url, key, count // 4, concurrency
                )
                cpu += cpu_seconds(pid) - before
                wall += elapsed
                via += latencies
            results[concurrency] = {
                "direct_p50": percentile(direct, 50),
                "direct_p99": percentile(direct, 99),
                "via_p50": percentile(via, 50),
                "via_p99": percentile(via, 99),
                "cpu_ms": cpu / len(via) * 1000,
                "rps": len(via) / wall,
            }
        direct_ttft = await first_token(client, direct_url, key, args.requests // 2)
        via_ttft = await first_token(client, gateway_url, key, args.requests // 2)
        results["ttft"] = (statistics.median(direct_ttft), statistics.median(via_ttft))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="aims-bench-gateway-"))
    try:
        org = sample_organisation(work)
        upstream_port, gateway_port = free_port(), free_port()
        upstream = f"http://127.0.0.1:{upstream_port}/v1"
        config = configure_gateway(org, upstream, requests_per_minute=1_000_000)
        db_url = sqlite_url(work / "aims.db")
        ctx = build_context(config, Settings(database_url=db_url))
        with ctx.db.session() as session:
            record = approved(session, ctx.config, datetime.now(UTC))
            key = issue_key(session, record_ref=record.ref, actor=OLIVER, config=ctx.config).key
        env = {
            **os.environ,
            "AIMS_DATABASE_URL": db_url,
            "STANDIN_API_KEY": "sk-bench",
            "HF_HUB_OFFLINE": "1",
            "PYTHONPATH": str(REPO),
        }
        standin_cmd = [
            sys.executable,
            "-m",
            "tests.support.openai_upstream",
            "--port",
            str(upstream_port),
        ]
        aims = str(Path(sys.executable).parent / "aims")
        gateway_cmd = [
            aims,
            "--config",
            str(config),
            "gateway",
            "serve",
            "--port",
            str(gateway_port),
        ]
        gateway = f"http://127.0.0.1:{gateway_port}"
        with running(standin_cmd, env, f"http://127.0.0.1:{upstream_port}/v1/models") as _:
            with running(gateway_cmd, env, gateway + "/healthz") as (pid, start_s):
                rss_start = rss_mb(pid)
                results = asyncio.run(measure(args, upstream, gateway + "/v1", key, pid))
                rss_after = rss_mb(pid)
        decisions = decisions_per_second(_fresh(work))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    c1, cn = results[1], results[args.concurrency]
    print("Gateway overhead: 1 kB prompts, two personal-data entities each, redaction on, SQLite")
    print(
        f"  baseline (direct to the stand-in, same client): p50 {c1['direct_p50']:.2f} ms, "
        f"p99 {c1['direct_p99']:.2f} ms at concurrency 1; p50 {cn['direct_p50']:.2f} ms at "
        f"{args.concurrency}"
    )
    line(
        "added latency p50, concurrency 1",
        c1["via_p50"] - c1["direct_p50"],
        "ms",
        "≤ 4 ms",
        "added_p50_c1",
    )
    line(
        "added latency p99, concurrency 1",
        c1["via_p99"] - c1["direct_p99"],
        "ms",
        "≤ 10 ms",
        "added_p99_c1",
    )
    line(
        f"added latency p50, concurrency {args.concurrency}",
        cn["via_p50"] - cn["direct_p50"],
        "ms",
        "≤ 60 ms",
        "added_p50_c20",
    )
    line(
        f"added latency p99, concurrency {args.concurrency}",
        cn["via_p99"] - cn["direct_p99"],
        "ms",
        "-",
        "-",
    )
    line("gateway CPU per request (concurrency 1)", c1["cpu_ms"], "ms", "≤ 3 ms", "cpu_ms")
    line(
        f"gateway CPU per request (concurrency {args.concurrency})",
        cn["cpu_ms"],
        "ms",
        "≤ 3 ms",
        "cpu_ms",
    )
    line(
        f"requests/s through one gateway (conc. {args.concurrency})",
        cn["rps"],
        "req/s",
        "≥ 300",
        "rps",
        "higher",
    )
    line(
        "requests/s one core could give (1 / CPU)",
        1000 / cn["cpu_ms"],
        "req/s",
        "≥ 300",
        "rps",
        "higher",
    )
    direct_ttft, via_ttft = results["ttft"]
    line("time-to-first-token overhead (p50)", via_ttft - direct_ttft, "ms", "≤ 5 ms", "ttft")
    print(f"  {'':<44} (direct first token {direct_ttft:.2f} ms, via gateway {via_ttft:.2f} ms)")
    line("start-up (process start to /healthz 200)", start_s, "s", "≤ 3 s", "start_s")
    line("resident memory after start", rss_start, "MB", "≤ 250 MB", "rss_mb")
    line("resident memory after the run", rss_after, "MB", "≤ 250 MB", "rss_mb")
    line(
        "decisions/s the ledger sustains (SQLite)",
        decisions,
        "ev/s",
        "≥ 1,000",
        "decisions_s",
        "higher",
    )


def _fresh(work: Path) -> Database:
    database = Database(sqlite_url(work / "ledger.db"))
    database.ensure_schema()
    return database


if __name__ == "__main__":
    main()
