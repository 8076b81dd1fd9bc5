"""The first answer after start-up, with and without warm-up (retrieval/warm_up.py).

    python -m bench.bench_first_answer [--repeat N]

Ingests the sample organisation's policies once, then starts fresh processes, as `aims run`
starts, alternating two kinds: one answers a first question straight away (everything loads on
that question), the other warms up first and then answers it. A fresh process each time,
because the model, once loaded, stays loaded for the life of a process. Both kinds then answer
a second question: the speed of "the rest", which a warmed-up first answer should match.

Prints figures and ratios; asserts nothing (timings depend on the machine and its load).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "examples" / "acme"
FIRST = "Can I paste customer data into ChatGPT?"
SECOND = "Do customer emails drafted with AI need a label?"


def _context(folder: Path) -> Any:
    from bot.context import build_context
    from bot.settings import Settings

    # The offline setup: no LLM, embedded Chroma, SQLite, all in the scratch folder.
    settings = Settings(data_dir=folder / "data", llm=None, chroma_url=None, database_url=None)
    return build_context(folder / "aims.yaml", settings)


def prepare(folder: Path) -> int:
    """The sample organisation in `folder`, its policies ingested; returns the passage count."""
    from retrieval.runtime import ingest_policies

    config = yaml.safe_load((SAMPLE / "aims.yaml").read_text(encoding="utf-8"))
    config["policy_sources"] = [str(p) for p in sorted((SAMPLE / "policies").glob("*.md"))]
    (folder / "aims.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    ctx = _context(folder)
    with ctx.db.session() as session:
        report = ingest_policies(ctx, session, actor="bench")
    ctx.db.dispose()
    return int(report.total_chunks)


def child(folder: Path, warm: bool) -> dict[str, float]:
    """One start-up: optional warm-up, then the first and a second answer, each timed."""
    from retrieval.answer import get_answerer
    from retrieval.warm_up import warm_up

    ctx = _context(folder)
    result = {"warm_up": 0.0}
    if warm:
        started = time.perf_counter()
        ready = warm_up(ctx)
        result["warm_up"] = time.perf_counter() - started
        assert ready.ok, ready.error
    for name, question in (("first", FIRST), ("second", SECOND)):
        with ctx.db.session() as session:
            started = time.perf_counter()
            get_answerer(ctx).answer(question, actor="bench", session=session)
            result[name] = time.perf_counter() - started
            session.rollback()  # bench answers are not evidence
    return result


def _run_child(folder: Path, warm: bool) -> dict[str, float]:
    command = [sys.executable, "-m", "bench.bench_first_answer", "--child", str(folder)]
    done = subprocess.run(
        [*command, *(["--warm"] if warm else [])],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.0f} ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=2, help="Start-ups of each kind.")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--warm", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        os.environ.setdefault(name, "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    if args.child is not None:
        print(json.dumps(child(args.child, args.warm)))
        return 0
    folder = Path(tempfile.mkdtemp(prefix="aims-bench-first-"))
    try:
        passages = prepare(folder)
        runs: dict[bool, list[dict[str, float]]] = {False: [], True: []}
        for _ in range(args.repeat):
            for warm in (False, True):  # alternated, so load drifts hit both kinds alike
                runs[warm].append(_run_child(folder, warm))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    report(passages, runs)
    return 0


def report(passages: int, runs: dict[bool, list[dict[str, float]]]) -> None:
    def median(warm: bool, key: str) -> float:
        return statistics.median(run[key] for run in runs[warm])

    cold, warmed = median(False, "first"), median(True, "first")
    rest = statistics.median([run["second"] for kind in runs.values() for run in kind])
    print(f"\nfirst answer after start-up ({passages} passages, median of {len(runs[True])})")
    print(f"  without warm-up               {_ms(cold)}")
    print(
        f"  after warm-up                 {_ms(warmed)}   (warm-up {_ms(median(True, 'warm_up'))})"
    )
    print(f"  a later answer (the rest)     {_ms(rest)}")
    print(f"  ratio without / after warm-up {cold / warmed:8.1f}x")
    print(f"  after warm-up / the rest      {warmed / rest:8.2f}x")
    print(f"  (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs during the run)")


if __name__ == "__main__":
    sys.exit(main())
