"""The end of a registration: the summary, and what the requester does there (confirm, edit a
part, correct something in their own words, or ask a policy question)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from governance.config import OrgConfig
from governance.models import RiskTier
from governance.tiering import classify
from intake import phrases
from intake.answers import ANSWER_LIMIT
from intake.extract import rule_findings
from intake.record import build_fields, describe_value, summary_text
from intake.replies import Choice, Reply, ReplyKind
from intake.slots import SLOTS, SLOTS_BY_NAME, Slot
from intake.state import IntakeState, Stage

CONFIRM, EDIT, CANCEL = "confirm", "edit", "cancel"


@dataclass
class Outcome:
    replies: list[Reply] = field(default_factory=list)
    file: bool = False  # the requester confirmed: file the record now


class SummaryStage:
    """Mixed into IntakeEngine, whose questions (`_ask`), corrections and slot rules it uses."""

    config: OrgConfig

    def _ask(self, state: IntakeState, slot: Slot, now: datetime, lead: str = "") -> Outcome:
        raise NotImplementedError

    def _correct(self, state: IntakeState, said: str, now: datetime) -> Outcome:
        raise NotImplementedError

    def _applies(self, slot: Slot, state: IntakeState) -> bool:
        raise NotImplementedError

    # -- summary, edits, confirmation ----------------------------------------------------------
    def summary(self, state: IntakeState, now: datetime) -> Outcome:
        state.stage = Stage.CONFIRMING
        state.current = None
        state.editing = False
        self._list_open_items(state)
        text = summary_text(state, self.config)
        state.say("bot", text, now)
        choices = [
            Choice(label="Confirm and submit", value=CONFIRM, style="primary"),
            Choice(label="Edit", value=EDIT),
            Choice(label="Cancel", value=CANCEL, style="danger"),
        ]
        return Outcome([Reply(kind=ReplyKind.SUMMARY, text=text, choices=choices)])

    def _at_summary(
        self, state: IntakeState, said: str, choice: str | None, now: datetime
    ) -> Outcome:
        if said == CONFIRM or (choice is None and phrases.CONFIRMS.match(said)):
            state.stage = Stage.FILED
            return Outcome(file=True)
        if choice is not None and choice.startswith(EDIT + "="):
            return self._edit(state, choice.partition("=")[2], now)
        if said == EDIT or (match := phrases.EDIT_ASKED.match(said)) and not match.group(1).strip():
            return self._edit_menu(state, now)
        if match := phrases.EDIT_ASKED.match(said):
            return self._choose_edit(state, match.group(1), now)
        if choice is None and phrases.is_aside(said):
            outcome = self.summary(state, now)
            outcome.replies.insert(0, Reply(kind=ReplyKind.ASIDE, text=said))
            return outcome
        if len(said) <= ANSWER_LIMIT and (
            phrases.CORRECTION.match(said)
            or rule_findings(said, self.config, state.requester).values
        ):
            return self._correct(state, said, now)
        outcome = self.summary(state, now)
        outcome.replies.insert(
            0,
            Reply(
                kind=ReplyKind.INFO,
                text="Choose Confirm, Edit or Cancel (or type confirm, edit or cancel).",
            ),
        )
        return outcome

    def _list_open_items(self, state: IntakeState) -> None:
        """A high-risk supplier use needs the model's provenance; unknown, it is an open item."""
        needed = (
            state.fields.get("third_party") is True
            and classify(build_fields(state), self.config).tier is RiskTier.HIGH
        )
        if needed and not state.settled("provenance"):
            state.open_items.append("provenance")
        elif not needed and "provenance" in state.open_items:
            state.open_items.remove("provenance")

    def _edit_menu(self, state: IntakeState, now: datetime) -> Outcome:
        state.stage = Stage.CHOOSING_EDIT
        options = [s for s in SLOTS if s.editable and self._applies(s, state)]
        text = "Which part do you want to change?"
        state.say("bot", text, now)
        choices = [Choice(label=s.label, value=f"{EDIT}={s.name}") for s in options]
        return Outcome([Reply(kind=ReplyKind.QUESTION, text=text, choices=choices)])

    def _choose_edit(self, state: IntakeState, said: str, now: datetime) -> Outcome:
        wanted = said.partition("=")[2] if said.startswith(EDIT + "=") else said
        options = [s for s in SLOTS if s.editable and self._applies(s, state)]
        lowered = wanted.strip().lower()
        slot = None
        if lowered.isdigit() and 0 < int(lowered) <= len(options):
            slot = options[int(lowered) - 1]
        slot = slot or next(
            (
                s
                for s in options
                if lowered in (s.name, s.label.lower())
                or (lowered and s.label.lower().startswith(lowered))
            ),
            None,
        )
        if slot is None:
            outcome = self._edit_menu(state, now)
            outcome.replies.insert(
                0,
                Reply(
                    kind=ReplyKind.INFO,
                    text="I don't know that part of the record; pick one from the list.",
                ),
            )
            return outcome
        return self._edit(state, slot.name, now)

    def _edit(self, state: IntakeState, name: str, now: datetime) -> Outcome:
        slot = SLOTS_BY_NAME.get(name)
        if slot is None:
            return self._edit_menu(state, now)
        current = state.fields.get(name)
        state.unset(name)
        if name in state.skipped:
            state.skipped.remove(name)
        state.editing = True
        lead = (
            f"Now: {describe_value(name, current, self.config)}."
            if current not in (None, "", [])
            else ""
        )
        return self._ask(state, slot, now, lead=lead)
