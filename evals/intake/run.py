"""Run the scripted intake conversations and print field and tier accuracy, questions asked,
and facts filed without being said.

    .venv/bin/python -m evals.intake.run              # every set, rules + embedding suggestions
    .venv/bin/python -m evals.intake.run --set adversarial --no-embeddings --verbose

Each conversation starts from its description; every question the bot asks is answered from
the script (by slot name; a list is successive replies to the same question, the first ones
non-answers the bot must refuse), or with the expected value when the script has none. A
confirmation of inferred facts is answered yes when they match `expect`, else no. `asides` are
policy questions typed instead of an answer: the bot must hand them back to be answered and ask
again. At the summary the runner confirms, and the record the bot would file is compared with
`expect`.

"Facts filed without being said" counts filed values the requester neither typed nor confirmed
that raise the risk, are wrong, or concern a field the case lists as `unsaid`. It must be 0.
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
TARGET_FIELDS, TARGET_TIER, TARGET_QUESTIONS = 0.95, 0.95, 7.0
SETS = ("conversations", "heldout", "adversarial")
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
    unsaid_facts: list[str] = field(default_factory=list)
    asides_missed: list[str] = field(default_factory=list)

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


def _reply(case: dict[str, Any], state: Any, slot: str, attempt: int) -> tuple[str, bool]:
    """What the requester types the `attempt`-th time `slot` is asked, and whether the script
    had it."""
    expect = case["expect"]
    if slot == "confirm_facts":
        agrees = all(same(expect[n], v) for n, v in state.pending.items() if n in expect)
        return ("yes" if agrees else "no"), True
    answers: dict[str, Any] = case.get("answers", {})
    if slot in answers:
        scripted = answers[slot]
        if isinstance(scripted, list) and slot not in _LIST_SLOTS:
            return _as_text(scripted[min(attempt, len(scripted) - 1)]), True
        return _as_text(scripted), True
    if slot in expect.get("open_items", []):
        return "don't know", False
    return _as_text(expect.get(slot, _UNSTATED.get(slot, "skip"))), False


# Slots whose scripted answer is itself a list of values, not successive replies.
_LIST_SLOTS = {
    "data_categories",
    "annex_iii_areas",
    "article_5_practices",
    "affected_people",
    "permissions",
}


def run_one(case: dict[str, Any], engine: Any, now: datetime) -> Result:
    from intake.record import tiered_fields
    from intake.replies import ReplyKind
    from intake.state import IntakeState, Stage

    state = IntakeState(requester="U0EVAL0001")
    outcome = engine.start(state, case["description"], now)
    asides: dict[str, str] = dict(case.get("asides", {}))
    result = Result(id=case["id"], fields={}, expect=case["expect"])
    tries: dict[str, int] = defaultdict(int)
    for _ in range(MAX_TURNS):
        if outcome.file or state.stage is not Stage.COLLECTING:
            break
        slot = state.current or ""
        # An aside scripted for a question the bot never needed comes at the next one.
        due = slot if slot in asides else next((s for s in asides if state.settled(s)), None)
        if due is not None:
            outcome = engine.turn(state, asides.pop(due), None, now)
            if not any(r.kind is ReplyKind.ASIDE for r in outcome.replies):
                result.asides_missed.append(slot)
            continue
        tries[slot] += 1
        if tries[slot] > 4:
            result.stuck = slot
            break
        if tries[slot] == 1:
            result.asked.append(slot)
        reply, scripted = _reply(case, state, slot, tries[slot] - 1)
        if not scripted and tries[slot] == 1:
            result.unscripted.append(slot)
        outcome = engine.turn(state, reply, None, now)
    result.asides_missed += list(asides)
    if state.stage is Stage.CONFIRMING:
        engine.turn(state, "confirm", None, now)
    result.fields = tiered_fields(state, engine.config).model_dump(mode="json")
    result.unsaid_facts = unsaid_facts(case, state, result.fields)
    return result


def unsaid_facts(case: dict[str, Any], state: Any, filed: dict[str, Any]) -> list[str]:
    """Filed values the requester neither typed nor confirmed, that raise the risk, are wrong,
    or concern a field the case says was never stated."""
    from intake.facts import INFERRED, raises_risk

    unsaid = set(case.get("unsaid", []))
    found = []
    for name, source in state.sources.items():
        if source not in INFERRED or name not in filed:
            continue
        value = filed[name]
        wrong = name in case["expect"] and not same(case["expect"][name], value)
        if raises_risk(name, value) or wrong or name in unsaid:
            found.append(f"{name}={value!r} ({source}: {state.why.get(name, '')})")
    return found


@dataclass
class Scores:
    fields: float
    tier: float
    questions: float
    unsaid: int
    asides_missed: int
    stuck: int


def report(results: list[Result], verbose: bool) -> Scores:
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
    unsaid = sum(len(r.unsaid_facts) for r in results)
    missed = sum(len(r.asides_missed) for r in results)
    print(
        f"\nconversations: {len(results)}   questions asked (mean): {asked:.1f}   "
        f"unscripted questions: {unscripted}   stuck: {len(stuck)}   "
        f"EU AI Act screening questions: {screening}"
    )
    print(f"field accuracy: {field_accuracy:.3f} (target {TARGET_FIELDS})")
    print(f"tier accuracy:  {tier_accuracy:.3f} (target {TARGET_TIER})")
    by_slot: dict[str, int] = defaultdict(int)
    for result in results:
        for slot in result.asked:
            by_slot[slot] += 1
    ranked = sorted(by_slot.items(), key=lambda item: -item[1])
    print("questions by slot: " + ", ".join(f"{slot} {n}" for slot, n in ranked))
    print(f"facts filed without being said: {unsaid} (target 0)")
    print(f"policy questions mid-registration not handed back: {missed}")
    if verbose:
        for result in results:
            wrong = result.mismatches()
            if wrong or result.stuck or result.unscripted or result.unsaid_facts:
                print(f"\n{result.id}: asked {result.asked}")
                if result.stuck:
                    print(f"  stuck at {result.stuck}")
                if result.unscripted:
                    print(f"  unscripted: {result.unscripted}")
                for name, (want, got) in wrong.items():
                    print(f"  {name}: expected {want!r}, got {got!r}")
            for fact in result.unsaid_facts:
                print(f"  {result.id}: filed without being said: {fact}")
            for slot in result.asides_missed:
                print(f"  {result.id}: policy question at {slot} not handed back")
    return Scores(field_accuracy, tier_accuracy, asked, unsaid, missed, len(stuck))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-embeddings", action="store_true", help="Rules only.")
    parser.add_argument("--verbose", "-v", action="store_true", help="Show every mismatch.")
    parser.add_argument("--only", help="Run the conversations whose id contains this.")
    parser.add_argument(
        "--set",
        default="all",
        choices=["all", *SETS],
        help="conversations (the default set, tuned on), heldout (written after tuning), "
        "adversarial (negations, nonsense, team owners… written for issue 14), or all.",
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
    now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    table: dict[str, Scores] = {}
    for name in SETS if args.set == "all" else (args.set,):
        cases = yaml.safe_load((HERE / f"{name}.yaml").read_text(encoding="utf-8"))
        if args.only:
            cases = [c for c in cases if args.only in c["id"]]
        if not cases:
            continue
        print(f"\n== {name} ==")
        table[name] = report([run_one(case, engine, now) for case in cases], args.verbose)
    print(f"\n{'set':<15}{'fields':>8}{'tier':>8}{'questions':>11}{'unsaid facts':>14}")
    for name, scores in table.items():
        print(
            f"{name:<15}{scores.fields:>8.3f}{scores.tier:>8.3f}{scores.questions:>11.1f}"
            f"{scores.unsaid:>14}"
        )
    return 0 if all(_met(name, scores) for name, scores in table.items()) else 1


def _met(name: str, scores: Scores) -> bool:
    questions_ok = name != "conversations" or scores.questions <= TARGET_QUESTIONS
    return (
        scores.fields >= TARGET_FIELDS
        and scores.tier >= TARGET_TIER
        and scores.unsaid == 0
        and scores.asides_missed == 0
        and questions_ok
    )


if __name__ == "__main__":
    raise SystemExit(main())
