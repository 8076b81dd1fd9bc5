"""Run the scripted intake conversations and print per-field and tier accuracy.

    .venv/bin/python -m evals.intake.run              # rules + embedding suggestions
    .venv/bin/python -m evals.intake.run --no-embeddings --verbose

Each conversation starts from its description; every question the bot asks is answered from
the script (by slot name), "skip" when the script has no answer. At the summary the runner
confirms, and the record the bot would file is compared with `expect`.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
TARGET_FIELDS, TARGET_TIER = 0.9, 0.95
MAX_TURNS = 60
# What a requester says to a screening question the script did not foresee.
_UNSTATED = {"annex_iii_areas": "none of these", "article_5_practices": "none of these"}


@dataclass
class Result:
    id: str
    fields: dict[str, Any]
    expect: dict[str, Any]
    asked: list[str] = field(default_factory=list)
    unscripted: list[str] = field(default_factory=list)
    stuck: str | None = None

    def mismatches(self) -> dict[str, tuple[Any, Any]]:
        return {
            name: (want, self.fields.get(name))
            for name, want in self.expect.items()
            if not same(want, self.fields.get(name))
        }


def same(want: Any, got: Any) -> bool:
    if isinstance(want, list):
        return sorted(map(str, want)) == sorted(map(str, got or []))
    if isinstance(want, bool):
        return want is got
    return str(want).strip().lower() == str(got if got is not None else "").strip().lower()


def _as_text(answer: Any) -> str:
    # YAML reads a bare yes / no as a boolean; the requester typed the word.
    if isinstance(answer, bool):
        return "yes" if answer else "no"
    if isinstance(answer, list):
        return ", ".join(map(str, answer)) or "none of these"
    return str(answer)


def run_one(case: dict[str, Any], engine: Any, now: datetime) -> Result:
    from intake.record import tiered_fields
    from intake.state import IntakeState, Stage

    state = IntakeState(requester="U0EVAL0001")
    outcome = engine.start(state, case["description"], now)
    answers: dict[str, str] = case.get("answers", {})
    result = Result(id=case["id"], fields={}, expect=case["expect"])
    tries: dict[str, int] = defaultdict(int)
    for _ in range(MAX_TURNS):
        if outcome.file or state.stage is not Stage.COLLECTING:
            break
        slot = state.current or ""
        tries[slot] += 1
        if tries[slot] > 3:
            result.stuck = slot
            break
        if tries[slot] == 1:
            result.asked.append(slot)
        if slot in answers:
            reply = _as_text(answers[slot])
        else:
            # The requester knows their own use: unscripted, they state the true value.
            reply = _as_text(case["expect"].get(slot, _UNSTATED.get(slot, "skip")))
            if tries[slot] == 1:
                result.unscripted.append(slot)
        outcome = engine.turn(state, reply, None, now)
    if state.stage is Stage.CONFIRMING:
        engine.turn(state, "confirm", None, now)
    result.fields = tiered_fields(state, engine.config).model_dump(mode="json")
    return result


def report(results: list[Result], verbose: bool) -> tuple[float, float]:
    per_field: dict[str, list[bool]] = defaultdict(list)
    for result in results:
        wrong = result.mismatches()
        for name in result.expect:
            per_field[name].append(name not in wrong)
    print(f"{'field':<26}{'n':>4}{'accuracy':>10}")
    for name in sorted(per_field, key=lambda n: (n == "risk_tier", n)):
        scores = per_field[name]
        print(f"{name:<26}{len(scores):>4}{sum(scores) / len(scores):>10.2f}")
    field_scores = [ok for name, oks in per_field.items() if name != "risk_tier" for ok in oks]
    tier_scores = per_field.get("risk_tier", [])
    field_accuracy = sum(field_scores) / max(1, len(field_scores))
    tier_accuracy = sum(tier_scores) / max(1, len(tier_scores))
    asked = sum(len(r.asked) for r in results) / max(1, len(results))
    screening = sum(
        1 for r in results for slot in r.asked if slot in ("annex_iii_areas", "article_5_practices")
    )
    unscripted = sum(len(r.unscripted) for r in results)
    stuck = [r.id for r in results if r.stuck]
    print(
        f"\nconversations: {len(results)}   questions asked (mean): {asked:.1f}   "
        f"unscripted questions: {unscripted}   stuck: {len(stuck)}   "
        f"EU AI Act screening questions: {screening}"
    )
    print(f"field accuracy: {field_accuracy:.3f} (target {TARGET_FIELDS})")
    print(f"tier accuracy:  {tier_accuracy:.3f} (target {TARGET_TIER})")
    if verbose:
        for result in results:
            wrong = result.mismatches()
            if wrong or result.stuck or result.unscripted:
                print(f"\n{result.id}: asked {result.asked}")
                if result.stuck:
                    print(f"  stuck at {result.stuck}")
                if result.unscripted:
                    print(f"  unscripted: {result.unscripted}")
                for name, (want, got) in wrong.items():
                    print(f"  {name}: expected {want!r}, got {got!r}")
    return field_accuracy, tier_accuracy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-embeddings", action="store_true", help="Rules only.")
    parser.add_argument("--verbose", "-v", action="store_true", help="Show every mismatch.")
    parser.add_argument("--only", help="Run the conversations whose id contains this.")
    parser.add_argument(
        "--set",
        default="conversations",
        choices=["conversations", "heldout"],
        help="conversations (tuned on) or heldout (written after tuning).",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.path.insert(0, str(REPO))
    from governance.config import load_config
    from intake.flow import engine_for
    from retrieval.embeddings import SentenceTransformerEmbedder

    config = load_config(REPO / "examples" / "acme" / "aims.yaml")
    embedder = None if args.no_embeddings else SentenceTransformerEmbedder()
    engine = engine_for(config, embedder=embedder)
    cases = yaml.safe_load((HERE / f"{args.set}.yaml").read_text(encoding="utf-8"))
    if args.only:
        cases = [c for c in cases if args.only in c["id"]]
    now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    results = [run_one(case, engine, now) for case in cases]
    fields, tier = report(results, args.verbose)
    return 0 if fields >= TARGET_FIELDS and tier >= TARGET_TIER else 1


if __name__ == "__main__":
    raise SystemExit(main())
