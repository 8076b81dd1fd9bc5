"""Retrieval and answer quality on labelled questions, for hybrid, BM25-only and dense-only.

    python -m evals.retrieval.run [--set acme|shared|all] [--misses] [--check]

Prints, per set and method: recall@1, recall@5, MRR (over the top 10), citation accuracy (the
answer cites the labelled section), answered rate (answerable questions not refused) and
not-covered accuracy (unanswerable questions refused). --check exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from evals.retrieval.harness import SETS, EvalSet, Question, load_set, scratch_context

if TYPE_CHECKING:
    from bot.context import AppContext
    from retrieval.answer import PolicyAnswerer
    from retrieval.search import Hit, Method

TARGETS = {"recall@5": 0.9, "mrr": 0.75, "not_covered": 0.8}
RANK_DEPTH = 10


@dataclass
class Scores:
    method: str
    ranks: list[int | None] = field(default_factory=list)
    cited: list[bool] = field(default_factory=list)
    answered: list[bool] = field(default_factory=list)
    refused: list[bool] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)
    # The best passage's cosine similarity: what the covered / not-covered decision rests on.
    answerable_similarity: list[float] = field(default_factory=list)
    unanswerable_similarity: list[float] = field(default_factory=list)

    def recall(self, k: int) -> float:
        return _mean([rank is not None and rank <= k for rank in self.ranks])

    @property
    def mrr(self) -> float:
        return _mean([1.0 / rank if rank else 0.0 for rank in self.ranks])

    def row(self) -> dict[str, float]:
        return {
            "recall@1": self.recall(1),
            "recall@5": self.recall(5),
            "mrr": self.mrr,
            "citation": _mean(self.cited),
            "answered": _mean(self.answered),
            "not_covered": _mean(self.refused),
        }


def _mean(values: list[bool] | list[float]) -> float:
    return sum(float(v) for v in values) / len(values) if values else 0.0


def _rank(question: Question, hits: list[Hit]) -> int | None:
    for position, hit in enumerate(hits, start=1):
        if question.matches(hit.chunk.source, hit.chunk.section_path):
            return position
    return None


def evaluate(eval_set: EvalSet, methods: tuple[str, ...]) -> list[Scores]:
    from retrieval.answer import PolicyAnswerer
    from retrieval.runtime import ingest_policies

    with scratch_context(eval_set, keep_catalogue=eval_set.name == "acme") as ctx:
        started = time.perf_counter()
        with ctx.db.session() as session:
            report = ingest_policies(ctx, session, paths=eval_set.files, actor="eval")
        print(
            f"{eval_set.name}: ingested {len(report.added)} documents, "
            f"{report.total_chunks} chunks in {time.perf_counter() - started:.1f}s"
        )
        answerer = PolicyAnswerer(ctx)
        return [_score(answerer, ctx, eval_set, method) for method in methods]


def _score(answerer: PolicyAnswerer, ctx: AppContext, eval_set: EvalSet, method: str) -> Scores:
    scores = Scores(method)
    with ctx.db.session() as session:
        searcher = answerer.searcher(session)
        for question in eval_set.questions:
            hits = searcher.search(question.text, k=RANK_DEPTH, method=_method(method)).hits
            scores.ranks.append(_rank(question, hits))
            answer = answerer.answer(
                question.text, actor="eval", session=session, method=_method(method)
            )
            cited = any(question.matches(c.source, c.section_path) for c in answer.citations)
            scores.cited.append(cited)
            scores.answered.append(answer.covered)
            scores.answerable_similarity.append(answer.confidence)
            if scores.ranks[-1] is None or not cited:
                top = hits[0].chunk.heading if hits else "-"
                scores.misses.append(
                    f"  rank={scores.ranks[-1]} cited={cited} {question.text!r} -> top: {top}"
                )
        for text in eval_set.not_covered:
            answer = answerer.answer(text, actor="eval", session=session, method=_method(method))
            scores.refused.append(not answer.covered)
            scores.unanswerable_similarity.append(answer.confidence)
            if answer.covered:
                scores.misses.append(
                    f"  answered (should not): {text!r} (similarity {answer.confidence:.2f})"
                )
        session.rollback()  # eval answers are not evidence of anything
    return scores


def _method(name: str) -> Method:
    from retrieval.search import METHODS

    return next(method for method in METHODS if method == name)


def report(eval_set: EvalSet, results: list[Scores], show_misses: bool) -> bool:
    print(
        f"\n{eval_set.name}: {len(eval_set.questions)} answerable, "
        f"{len(eval_set.not_covered)} not covered"
    )
    header = ("method", "recall@1", "recall@5", "MRR", "citation", "answered", "not-covered")
    print("  " + "  ".join(f"{h:>11}" for h in header))
    for scores in results:
        row = scores.row()
        print(
            "  "
            + f"{scores.method:>11}  "
            + "  ".join(
                f"{row[key]:>11.3f}"
                for key in ("recall@1", "recall@5", "mrr", "citation", "answered", "not_covered")
            )
        )
    hybrid = next((s for s in results if s.method == "hybrid"), None)
    if hybrid and hybrid.answerable_similarity and hybrid.unanswerable_similarity:
        low = sorted(hybrid.answerable_similarity)[len(hybrid.answerable_similarity) // 10]
        print(
            f"  best-passage similarity: answerable p10 {low:.3f}, "
            f"not covered max {max(hybrid.unanswerable_similarity):.3f}"
        )
    ok = _check_targets(eval_set.name, {s.method: s.row() for s in results})
    if show_misses:
        for scores in results:
            print(f"  misses ({scores.method}):")
            print("\n".join(scores.misses) or "  none")
    return ok


def _check_targets(name: str, rows: dict[str, dict[str, float]]) -> bool:
    hybrid = rows.get("hybrid")
    if hybrid is None:
        return True
    failures = [
        f"hybrid {key} {hybrid[key]:.3f} < {target}"
        for key, target in TARGETS.items()
        if hybrid[key] < target
    ]
    for method, row in rows.items():
        for key in ("recall@5", "mrr"):
            if method != "hybrid" and row[key] > hybrid[key] + 1e-9:
                failures.append(f"{method} {key} {row[key]:.3f} beats hybrid {hybrid[key]:.3f}")
    print(f"  targets: {'met' if not failures else 'MISSED: ' + '; '.join(failures)}")
    return not failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--set", choices=[*SETS, "all"], default="all")
    parser.add_argument("--method", choices=["hybrid", "bm25", "dense", "all"], default="all")
    parser.add_argument("--misses", action="store_true", help="List every miss.")
    parser.add_argument("--check", action="store_true", help="Exit 1 when a target is missed.")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    methods = ("hybrid", "bm25", "dense") if args.method == "all" else (args.method,)
    ok = True
    for name in SETS if args.set == "all" else (args.set,):
        eval_set = load_set(name)
        if eval_set.skipped_reason:
            print(f"\n{name}: SKIPPED: {eval_set.skipped_reason}")
            continue
        ok = report(eval_set, evaluate(eval_set, methods), args.misses) and ok
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
