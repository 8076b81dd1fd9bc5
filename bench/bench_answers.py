"""Answer latency and ingest throughput, each beside a floor measured in the same run.

    python -m bench.bench_answers [--set acme|shared] [--repeat N]

- answer latency (no LLM) over the eval questions, p50/p95, beside the floor: embedding the
  query plus one vector search;
- ingest throughput in chunks/s beside raw model.encode throughput on the same chunk texts;
- time to re-ingest the unchanged corpus.

Prints figures and ratios; asserts nothing (timings depend on the machine and its load).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from evals.retrieval.harness import EvalSet, load_set, scratch_context


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def bench_ingest(ctx: Any, eval_set: EvalSet) -> dict[str, float]:
    from retrieval.chunking import chunk_document, context_text
    from retrieval.documents import parse_document
    from retrieval.runtime import context_embedder, ingest_policies

    embedder = context_embedder(ctx)
    load = timed(lambda: embedder.embed(["warm up"]))
    with ctx.db.session() as session:
        first = ingest_policies(ctx, session, paths=eval_set.files, actor="bench")
    texts = []
    for path in eval_set.files:
        document = parse_document(path, path.read_bytes())
        texts += [
            context_text(document.title, c.section_path, c.text) for c in chunk_document(document)
        ]
    raw = timed(lambda: embedder.model.encode(texts, batch_size=32))  # type: ignore[attr-defined]
    with ctx.db.session() as session:
        again = timed(lambda: ingest_policies(ctx, session, paths=eval_set.files, actor="bench"))
    return {
        "model_load": load,
        "chunks": float(first.total_chunks),
        "ingest": first.seconds,
        "raw_encode": raw,
        "reingest": again,
    }


def bench_answers(ctx: Any, eval_set: EvalSet, repeat: int) -> dict[str, list[float]]:
    from retrieval.answer import PolicyAnswerer

    answerer = PolicyAnswerer(ctx)
    questions = [q.text for q in eval_set.questions] + eval_set.not_covered
    result: dict[str, list[float]] = {"answer": [], "floor": [], "cold": []}
    with ctx.db.session() as session:
        result["cold"].append(
            timed(lambda: answerer.answer(questions[0], actor="bench", session=session))
        )
        for _ in range(repeat):
            for question in questions:
                result["floor"].append(timed(partial(_floor, answerer, question)))
                result["answer"].append(
                    timed(partial(answerer.answer, question, actor="bench", session=session))
                )
        session.rollback()  # bench answers are not evidence
    return result


def _floor(answerer: Any, question: str) -> None:
    """The least any answer costs: embed the question, one nearest-neighbour search."""
    answerer.index.query(answerer.embedder.embed([question])[0], 10)


def report(name: str, ingest: dict[str, float], answers: dict[str, list[float]]) -> None:
    chunks = ingest["chunks"]
    ingest_rate, raw_rate = chunks / ingest["ingest"], chunks / ingest["raw_encode"]
    answer, floor = answers["answer"], answers["floor"]
    print(f"\n{name}: {int(chunks)} chunks, {len(answer)} timed answers")
    print(f"  model warm-up                 {_ms(ingest['model_load'])}")
    print(
        f"  ingest                        {ingest_rate:8.1f} chunks/s "
        f"({ingest['ingest']:.1f} s; chunks plus their sentence windows)"
    )
    print(
        f"  raw model.encode, same chunks {raw_rate:8.1f} chunks/s "
        f"(ingest runs at {ingest_rate / raw_rate:.2f}x raw encode)"
    )
    print(
        f"  re-ingest, nothing changed    {_ms(ingest['reingest'])} "
        f"({ingest['reingest'] / ingest['ingest']:.3f}x the first ingest)"
    )
    print(f"  first answer (cold)           {_ms(answers['cold'][0])}")
    for label, pct in (("p50", 50), ("p95", 95)):
        a, f = percentile(answer, pct), percentile(floor, pct)
        print(
            f"  answer {label}                    {_ms(a)}   floor {label} {_ms(f)}   "
            f"ratio {a / f:5.1f}x"
        )
    print(f"  answer mean                   {_ms(statistics.mean(answer))}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--set", choices=["acme", "shared"], default="acme")
    parser.add_argument("--repeat", type=int, default=1, help="Passes over the questions.")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    eval_set = load_set(args.set)
    if eval_set.skipped_reason:
        print(f"{args.set}: SKIPPED: {eval_set.skipped_reason}")
        return 0
    with scratch_context(eval_set, keep_catalogue=args.set == "acme") as ctx:
        ingest = bench_ingest(ctx, eval_set)
        answers = bench_answers(ctx, eval_set, args.repeat)
    report(args.set, ingest, answers)
    print(f"  (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs during the run)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
