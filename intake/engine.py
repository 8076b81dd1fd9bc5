"""The intake conversation, turn by turn: transport-free and database-free.

`start` reads the description; `turn` takes one answer, command ("back", "skip", "cancel",
"help"), correction ("actually it is customer-facing") or clicked choice, and returns what to say.
The caller (intake.flow) persists the state after every turn and files the record on confirm.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from governance.config import OrgConfig
from governance.models import RiskTier
from governance.tiering import classify
from governance.tiering_rules import AREAS_BY_ID, PRACTICES_BY_ID
from intake import confirm, phrases
from intake.answers import (
    ANSWER_LIMIT,
    DESCRIPTION_LIMIT,
    Ambiguous,
    PeopleLookup,
    Problem,
    check_text,
    is_yes_or_no,
    parse,
)
from intake.derive import derive, forget_inferences
from intake.extract import Extraction, LlmExtract, Suggest, extract, rule_findings
from intake.facts import raises_risk
from intake.record import build_fields, describe_value, source_note
from intake.replies import Choice, Reply, ReplyKind
from intake.rules_org import make_title
from intake.slots import CONFIRM_FACTS, HIGH_TIER_ONLY, SLOTS, SLOTS_BY_NAME, UNKNOWABLE, Slot
from intake.state import IntakeState, Stage
from intake.summary_stage import CANCEL, CONFIRM, EDIT, Outcome, SummaryStage
from intake.tool_choice import (
    catalogue_tool,
    other_product_named,
    pick_by_distinct_words,
    tool_candidates,
)

_OTHER_TOOL = "other"

ASKED_WHEN_PROHIBITED = {
    "purpose",
    "title",
    "tool",
    "third_party",
    "business_unit",
    "owner",
    "deployment",
    "article_5_practices",
}


@dataclass
class IntakeEngine(SummaryStage):
    config: OrgConfig
    suggest: Suggest | None = None
    llm: LlmExtract | None = None
    clock: Callable[[], datetime] | None = None
    # Finds a typed owner among the workspace's people (Slack); aims.yaml's people always count.
    people: PeopleLookup | None = None

    # -- starting ----------------------------------------------------------------------------
    def start(self, state: IntakeState, description: str, now: datetime) -> Outcome:
        text = description.strip()
        if text:
            state.say("requester", description, now)
        if not text:
            return self._ask_next(state, now)
        try:
            text = check_text(text, limit=DESCRIPTION_LIMIT)
        except Problem as problem:
            return self._reask(state, SLOTS_BY_NAME["purpose"], str(problem), now)
        self._take_description(state, text)
        intro = Reply(kind=ReplyKind.INFO, text=self._understood(state))
        outcome = self._ask_next(state, now)
        outcome.replies.insert(0, intro)
        return outcome

    def _take_description(self, state: IntakeState, text: str) -> None:
        forget_inferences(state)  # a new description replaces what the old one implied
        state.description = text
        state.set("purpose", text, "requester")
        if "title" not in state.fields:
            state.set("title", make_title(text), "derived")
        found = extract(text, self.config, state.requester, suggest=self.suggest, llm=self.llm)
        self._apply_extraction(state, found, text)
        calls = getattr(self.llm, "calls", None)
        if calls:
            state.llm_calls.append(dict(calls[-1]))

    def _apply_extraction(self, state: IntakeState, found: Extraction, text: str) -> None:
        values = dict(found.rules.values)
        why = dict(found.rules.why)
        # Who is affected is asked when it matters (decisions about people), never read off
        # the words "customer" or "public" wherever they appear.
        affected = values.pop("affected_people", None)
        self._settle_tool(state, text, values, why)
        for name, value in values.items():
            if name not in state.fields and name not in state.pending:
                confirm.hold_or_set(state, name, value, "rules", why.get(name, ""))
        if affected and "decisions_about_people" in state.pending:
            # Put to the requester with the decisions it belongs to, never filed on its own.
            state.pending["affected_people"] = affected
            state.pending_why["affected_people"] = why.get("affected_people", "")
        for name, value in found.llm_values.items():
            if name not in state.fields and name not in state.pending and name in SLOTS_BY_NAME:
                # A model's reading is never filed on its own, raising or not: it could settle
                # a question (who uses it, decisions) that the fast track depends on.
                state.pending[name] = value
                state.pending_why[name] = "the language model's reading of your description"
        state.suggested_areas = found.suggested_areas
        state.suggested_practices = found.suggested_practices
        state.conflicts = found.conflicts
        derive(state, self.config)

    def _settle_tool(
        self, state: IntakeState, text: str, values: dict[str, Any], why: dict[str, str]
    ) -> None:
        """One catalogue tool named: it, with what the catalogue settles. A name several tools
        share: nothing filed, the tool question offers them."""
        if "tool" in state.fields:
            return
        candidates = tool_candidates(text, self.config.catalogue)
        if len(candidates) > 1:
            state.tool_choices = [tool.name for tool in candidates]
        if candidates:
            for name in ("tool", "vendor", "third_party"):
                values.pop(name, None)
        if len(candidates) == 1:
            values["tool"] = candidates[0].name
            why["tool"] = f'"{candidates[0].name}" in the tool catalogue'

    def _understood(self, state: IntakeState) -> str:
        known = [
            f"{SLOTS_BY_NAME[name].label}: {describe_value(name, value, self.config)}"
            + source_note(state, name)
            for name, value in state.fields.items()
            if name in SLOTS_BY_NAME and name not in ("purpose", "title")
        ]
        head = f'Let\'s register "{state.fields.get("title", "this AI use")}".'
        notes = "".join(f"\n{warning}" for warning in state.warnings)
        if not known:
            return (
                head
                + ' I\'ll ask a few questions; say "back", "skip" or "cancel" any time.'
                + notes
            )
        return (
            head
            + " From your description I understood:\n"
            + "\n".join(f"• {line}" for line in known)
            + '\nCorrect me any time (e.g. "actually it is '
            'customer-facing"); say "back", "skip" or "cancel" too.' + notes
        )

    # -- a turn ------------------------------------------------------------------------------
    def turn(self, state: IntakeState, text: str, choice: str | None, now: datetime) -> Outcome:
        said = choice if choice is not None else text
        state.say("requester", said, now)
        if phrases.CANCELS.match(said) or said == CANCEL:
            state.stage = Stage.CANCELLED
            return Outcome(
                [
                    Reply(
                        kind=ReplyKind.INFO,
                        text='Cancelled. Nothing was filed; say "register" to start again.',
                    )
                ]
            )
        if state.stage is Stage.CONFIRMING:
            return self._at_summary(state, said, choice, now)
        if state.stage is Stage.CHOOSING_EDIT:
            return self._choose_edit(state, said, now)
        if choice is not None and "=" in choice:
            return self._clicked(state, choice, now)
        if choice in (CONFIRM, EDIT):
            note = "That button belongs to an earlier summary; answer this question first."
            return self._reask(state, SLOTS_BY_NAME.get(state.current or ""), note, now)
        return self._answer(state, said, now)

    def _answer(self, state: IntakeState, said: str, now: datetime) -> Outcome:
        slot = SLOTS_BY_NAME.get(state.current or "")
        if slot is None:
            return self._ask_next(state, now)
        if phrases.HELP_ASKED.match(said):
            return self._reask(state, slot, slot.help or "Answer in your own words.", now)
        if phrases.GOES_BACK.match(said):
            return self._back(state, now)
        if slot is CONFIRM_FACTS:
            return self._confirm_facts(state, said, now)
        if slot.name != "purpose" and phrases.is_aside(said):
            return self._aside(state, slot, said, now)
        if phrases.DONT_KNOW.match(said) and slot.name in UNKNOWABLE:
            state.unknown(slot.name)
            state.history.append(slot.name)
            derive(state, self.config)
            return self._ask_next(state, now)
        if phrases.SKIPS.match(said) or (slot.optional and phrases.DONT_KNOW.match(said)):
            return self._skip(state, slot, now)
        if phrases.CORRECTION.match(said) and self._names_other_facts(state, slot, said):
            return self._correct(state, said, now)
        if slot.name == "purpose":
            return self._describe(state, said, now)
        if slot.name == "tool" and state.tool_choices:
            picked = self._picked_tool(state, said)
            if picked is None:
                return self._ask(state, slot, now, lead="Which tool is it, then?")
            said = picked
        return self._parse_and_store(state, slot, said, now)

    def _parse_and_store(self, state: IntakeState, slot: Slot, said: str, now: datetime) -> Outcome:
        try:
            parsed = parse(self._view(slot, state), said, self.config, state.requester, self.people)
        except Ambiguous as ambiguous:
            state.tool_choices = ambiguous.tools
            return self._reask(state, slot, str(ambiguous), now)
        except Problem as problem:
            # A team named as the owner is not news about the business unit.
            if slot.kind != "person" and self._names_other_facts(state, slot, said):
                return self._correct(state, said, now)
            return self._reask(state, slot, str(problem), now)
        self._store(state, slot, parsed.value, parsed.extra)
        return self._ask_next(state, now)

    def _picked_tool(self, state: IntakeState, said: str) -> str | None:
        """A pick among the tools a shared name may mean: the tool's name, or None for
        "something else" (the choices go, and the question is asked afresh)."""
        from intake.answers import _by_choice

        try:
            picked = _by_choice(self._view(SLOTS_BY_NAME["tool"], state), said)
        except Problem:
            picked = None
        if picked == _OTHER_TOOL:
            state.tool_choices = []
            return None
        if picked:
            return picked
        named = tool_candidates(said, self.config.catalogue)
        if len(named) == 1 or other_product_named(said, state.tool_choices, self.config):
            return said  # one catalogue tool, or another product altogether
        return pick_by_distinct_words(said, state.tool_choices, self.config) or said

    def _aside(self, state: IntakeState, slot: Slot, said: str, now: datetime) -> Outcome:
        """A policy question in the middle of a registration: the caller answers it in place
        (the ASIDE reply), then the open question is asked again."""
        aside = Reply(kind=ReplyKind.ASIDE, text=said)
        outcome = self._ask(state, slot, now, lead="…and back to your registration:")
        outcome.replies.insert(0, aside)
        return outcome

    def _confirm_facts(
        self, state: IntakeState, said: str, now: datetime, shown: str | None = None
    ) -> Outcome:
        if not state.pending:
            return self._ask_next(state, now)
        if shown is not None and shown != confirm.fingerprint(state):
            note = "Those buttons were for facts that have changed since; here they are now."
            return self._reask(state, CONFIRM_FACTS, note, now)
        answer = is_yes_or_no(said)
        if answer is None and re.match(r"^\s*no\b", said, re.I):
            answer = False
        if answer is None:
            note = (
                "Please answer yes or no; if any of them is wrong, say no and I'll ask about each."
            )
            return self._reask(state, CONFIRM_FACTS, note, now)
        if answer:
            confirm.accept(state)
        else:
            # Each fact becomes its own question; words after the no are not mined for facts
            # ("no, it does not screen CVs" names the very thing it denies).
            confirm.decline(state)
        state.retries = 0
        derive(state, self.config)
        return self._ask_next(state, now)

    def _describe(self, state: IntakeState, said: str, now: datetime) -> Outcome:
        try:
            text = check_text(said, limit=DESCRIPTION_LIMIT)
        except Problem as problem:
            return self._reask(state, SLOTS_BY_NAME["purpose"], str(problem), now)
        self._take_description(state, text)
        state.history.append("purpose")
        outcome = self._ask_next(state, now)
        outcome.replies.insert(0, Reply(kind=ReplyKind.INFO, text=self._understood(state)))
        return outcome

    def _store(self, state: IntakeState, slot: Slot, value: Any, extra: dict[str, Any]) -> None:
        if slot.name == "tool":
            state.tool_choices = []
        if slot.name == "data_location" and value == "unknown":
            state.unknown(slot.name)
            state.history.append(slot.name)
            state.retries = 0
            return
        state.set(slot.name, value, "requester")
        if slot.name == "tool" and catalogue_tool(self.config, value) is not None:
            extra = {}  # the catalogue settles the rest, and takes it away if the tool changes
        for name, other in extra.items():
            if name == "title" and "title" in state.fields:
                continue
            state.set(name, other, "requester")
        state.history.append(slot.name)
        state.retries = 0
        derive(state, self.config)

    def _clicked(self, state: IntakeState, choice: str, now: datetime) -> Outcome:
        """A button names its slot ("deployment=customer-facing"), so an old button still
        answers the question it was shown with."""
        name, _, value = choice.partition("=")
        slot = SLOTS_BY_NAME.get(name)
        if slot is CONFIRM_FACTS:
            answer, _, shown = value.partition(":")
            return self._confirm_facts(state, answer, now, shown=shown)
        if slot is not None and slot.name == "tool" and value == _OTHER_TOOL:
            state.tool_choices = []
            state.unset("tool")
            derive(state, self.config)
            return self._ask(state, slot, now, lead="Which tool is it, then?")
        if slot is not None and slot.name == "tool" and state.tool_choices:
            picked = self._picked_tool(state, value)
            if picked is None:
                return self._ask(state, slot, now, lead="Which tool is it, then?")
            value = picked
        if slot is None or not self._applies(slot, state):
            current = SLOTS_BY_NAME.get(state.current or "")
            message = "That button belongs to a question that no longer applies."
            return (
                self._reask(state, current, message, now) if current else self._ask_next(state, now)
            )
        return self._parse_and_store(state, slot, value, now)

    def _back(self, state: IntakeState, now: datetime) -> Outcome:
        if not state.history:
            current = SLOTS_BY_NAME.get(state.current or "")
            note = "This is the first question; there is nothing to go back to."
            return self._reask(state, current, note, now) if current else self._ask_next(state, now)
        previous = state.history.pop()
        state.unset(previous)
        derive(state, self.config)
        return self._ask(state, SLOTS_BY_NAME[previous], now, lead="Going back.")

    def _skip(self, state: IntakeState, slot: Slot, now: datetime) -> Outcome:
        if not slot.optional:
            return self._reask(
                state,
                slot,
                "This one is needed for the register, so I can't skip it. " + (slot.help or ""),
                now,
            )
        state.skipped.append(slot.name)
        state.history.append(slot.name)
        derive(state, self.config)
        return self._ask_next(state, now)

    def _correct(self, state: IntakeState, said: str, now: datetime) -> Outcome:
        """The requester's own words change the record. What they imply that would raise the
        risk ("it also screens CVs" implies employment decisions) is put to them first."""
        found = rule_findings(said, self.config, state.requester)
        adding = bool(phrases.ALSO.search(said))
        changed, held = [], []
        for name, value in found.values.items():
            if name in _LIST_FIELDS and (adding or name in _ADDED_TO):
                before = [*state.fields.get(name, []), *state.pending.get(name, [])]
                value = list(dict.fromkeys([*before, *value]))
            if state.fields.get(name) == value:
                continue
            if raises_risk(name, value):
                state.pending[name] = value
                state.pending_why[name] = found.why.get(name, "")
                held.append(name)
            else:
                state.set(name, value, "correction", found.why.get(name, ""))
                state.pending.pop(name, None)
                changed.append(name)
        derive(state, self.config)
        if held and not changed:
            return self._next(state, now)
        if not changed:
            slot = SLOTS_BY_NAME.get(state.current or "")
            note = (
                "I couldn't tell what to change from that. Answer the question, or choose "
                "Edit at the summary."
            )
            if found.values:
                same = "; ".join(
                    f"{_label(n)} is {describe_value(n, state.fields[n], self.config)}"
                    for n in found.values
                    if n in state.fields
                )
                note = f"That matches what I have already ({same})."
            return self._reask(state, slot, note, now) if slot else self._ask_next(state, now)
        lines = [
            f"{_label(name)} → {describe_value(name, state.fields[name], self.config)}"
            for name in changed
        ]
        outcome = self._next(state, now)
        outcome.replies.insert(0, Reply(kind=ReplyKind.INFO, text="Updated: " + "; ".join(lines)))
        return outcome

    def _names_other_facts(self, state: IntakeState, slot: Slot, said: str) -> bool:
        if len(said) > ANSWER_LIMIT:  # a pasted document is re-asked, not mined for facts
            return False
        found = rule_findings(said, self.config, state.requester).values
        return any(name != slot.name for name in found)

    # -- asking ------------------------------------------------------------------------------
    def _applies(self, slot: Slot, state: IntakeState) -> bool:
        fields = state.fields
        if fields.get("article_5_practices") and slot.name not in ASKED_WHEN_PROHIBITED:
            # A confirmed prohibited practice settles the tier: no approval can follow, so only
            # what identifies the use and who answers for it is asked.
            return False
        if slot.name == "annex_iii_areas":
            # A prohibited practice already settles the tier; don't ask about high-risk areas.
            if fields.get("article_5_practices"):
                return False
            return bool(state.suggested_areas) or (
                fields.get("decisions_about_people", "none") != "none"
            )
        if slot.name == "article_5_practices":
            return bool(state.suggested_practices)
        if slot.name in HIGH_TIER_ONLY and not slot.applies(fields):
            return False
        if slot.name in HIGH_TIER_ONLY:
            return classify(build_fields(state), self.config).tier is RiskTier.HIGH
        return slot.applies(fields)

    def next_slot(self, state: IntakeState) -> Slot | None:
        if state.pending:
            return CONFIRM_FACTS
        for slot in SLOTS:
            if not slot.asked or state.settled(slot.name):
                continue
            if self._applies(slot, state):
                return slot
        return None

    def _next(self, state: IntakeState, now: datetime) -> Outcome:
        """After a correction: the summary again if that is where we were, else the next
        question (the current one if it is still open)."""
        if state.pending:
            return self._ask(state, CONFIRM_FACTS, now)
        current = SLOTS_BY_NAME.get(state.current or "")
        if state.stage is Stage.COLLECTING and current and current.name not in state.fields:
            return self._ask(state, current, now)
        return self._ask_next(state, now)

    def _ask_next(self, state: IntakeState, now: datetime) -> Outcome:
        slot = self.next_slot(state)
        if slot is None:
            return self.summary(state, now)
        return self._ask(state, slot, now)

    def _view(self, slot: Slot, state: IntakeState) -> Slot:
        """The slot as shown now: the practices question offers only the ones suggested."""
        if slot.name == "tool" and state.tool_choices:
            offered = tuple((name, name) for name in state.tool_choices)
            return dataclasses.replace(
                slot,
                question="Which of these tools is it?",
                choices=(*offered, (_OTHER_TOOL, "Something else")),
            )
        if slot.name == "article_5_practices" and state.suggested_practices:
            offered = tuple(
                c for c in slot.choices if c[0] in state.suggested_practices or c[0] == "none"
            )
            return dataclasses.replace(slot, choices=offered)
        return slot

    def _ask(self, state: IntakeState, slot: Slot, now: datetime, lead: str = "") -> Outcome:
        state.stage = Stage.COLLECTING
        state.current = slot.name
        shown = self._view(slot, state)
        text = shown.question
        if slot is CONFIRM_FACTS:
            text = confirm.question(state, self.config)
        if slot.name == "annex_iii_areas" and state.suggested_areas:
            names = ", ".join(
                AREAS_BY_ID[a].label for a in state.suggested_areas if a in AREAS_BY_ID
            )
            text = f"It sounds like it may touch: {names}. {text}"
        if slot.name == "article_5_practices":
            names = "; ".join(
                PRACTICES_BY_ID[p].label for p in state.suggested_practices if p in PRACTICES_BY_ID
            )
            text = f"{text} ({names})"
        if slot.optional:
            text += ' (optional: say "skip")'
        if lead:
            text = f"{lead} {text}"
        state.say("bot", text, now)
        stamp = f":{confirm.fingerprint(state)}" if slot is CONFIRM_FACTS else ""
        choices = [
            Choice(label=label, value=f"{slot.name}={value}{stamp}")
            for value, label in shown.choices
        ]
        return Outcome([Reply(kind=ReplyKind.QUESTION, text=text, choices=choices)])

    def _reask(self, state: IntakeState, slot: Slot | None, problem: str, now: datetime) -> Outcome:
        state.retries += 1
        if slot is None:
            return self._ask_next(state, now)
        hint = slot.help if slot.help and slot.help not in problem else ""
        if slot.choices and not hint:
            hint = "Pick one of the choices by number or name."
        lead = " ".join(part for part in (problem, hint) if part)
        return self._ask(state, slot, now, lead=lead)

    def reprompt(self, state: IntakeState, now: datetime) -> Outcome:
        """Say again what the conversation is waiting for."""
        if state.stage is Stage.CONFIRMING:
            return self.summary(state, now)
        if state.stage is Stage.CHOOSING_EDIT:
            return self._edit_menu(state, now)
        return self._next(state, now)


def _label(name: str) -> str:
    slot = SLOTS_BY_NAME.get(name)
    return slot.label if slot else name.replace("_", " ").capitalize()


_LIST_FIELDS = {"data_categories", "affected_people", "annex_iii_areas", "article_5_practices"}
# Lists a correction adds to even without "also": a newly named area never removes another.
_ADDED_TO = {"annex_iii_areas", "article_5_practices"}
