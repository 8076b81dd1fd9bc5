"""The finding form in Block Kit (/aims finding, for governance leads): kind, title, severity,
owner, the records and Annex A controls concerned, a description; reading it back, each
problem under its field."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from bot.slack.blocks import MAX_SELECT_OPTIONS, clip, input_block, option, plain
from bot.slack.errors import FormProblem
from bot.slack.ids import FindingIds
from bot.slack.listeners import trigger_of, unit_of_work
from bot.slack.payloads import SlashCommand, ViewState
from bot.slack.services import Services
from governance.findings import service
from governance.findings.models import TITLE_MAX, FindingKind, FindingSource, NewFinding
from governance.frameworks import frameworks
from governance.incidents import Severity
from governance.register import list_records
from governance.text import esc

VALUE = "value"  # every input's action_id: the block_id says which question it answers
KINDS = (
    (FindingKind.NONCONFORMITY, "Nonconformity: a requirement not met"),
    (FindingKind.OBSERVATION, "Observation: worth watching"),
    (FindingKind.OPPORTUNITY, "Opportunity for improvement"),
)


class Field(StrEnum):
    """The form's blocks (their input's action_id is VALUE)."""

    KIND = "finding_kind"
    TITLE = "finding_title"
    SEVERITY = "finding_severity"
    OWNER = "finding_owner"
    RECORDS = "finding_records"
    CONTROLS = "finding_controls"
    DESCRIPTION = "finding_description"


def open_raise_form(services: Services, command: SlashCommand) -> None:
    """`/aims finding`: a lead gets the form; anyone else is told only leads can."""
    with unit_of_work(services, command) as work:
        work.config.require_lead(work.user, service.RAISE)
        records = [(r.ref, r.title) for r in reversed(list_records(work.session))]
    view = raise_modal(records[:MAX_SELECT_OPTIONS])
    services.messenger.open_view(trigger_of(command), view, "finding")


def _input(
    block: Field, label: str, element: dict[str, Any], *, optional: bool = False
) -> dict[str, Any]:
    return input_block(block.value, label, element, VALUE, optional=optional)


def raise_modal(records: list[tuple[str, str]]) -> dict[str, Any]:
    """`records`: (ref, title) of the register's newest records, to pick from (none: no pick)."""
    controls = [option(c.id, f"{c.id} {c.title}") for c in frameworks().controls]
    blocks = [
        _input(
            Field.KIND,
            "What is it?",
            {"type": "static_select", "options": [option(k, label) for k, label in KINDS]},
        ),
        _input(
            Field.TITLE,
            "In a sentence: what was found?",
            {"type": "plain_text_input", "max_length": TITLE_MAX},
        ),
        _input(
            Field.SEVERITY,
            "Severity",
            {
                "type": "static_select",
                "options": [option(s.value, s.value.capitalize()) for s in Severity],
            },
        ),
        _input(
            Field.OWNER, "Owner (finds the root cause, plans actions)", {"type": "users_select"}
        ),
    ]
    if records:
        options = [option(ref, f"{ref} {title}") for ref, title in records]
        element = {"type": "multi_static_select", "options": options}
        blocks.append(_input(Field.RECORDS, "AI uses concerned", element, optional=True))
    blocks += [
        _input(
            Field.CONTROLS,
            "ISO/IEC 42001 Annex A controls concerned",
            {"type": "multi_static_select", "options": controls[:MAX_SELECT_OPTIONS]},
            optional=True,
        ),
        _input(
            Field.DESCRIPTION,
            "What was found, in detail",
            {"type": "plain_text_input", "multiline": True},
            optional=True,
        ),
    ]
    return {
        "type": "modal",
        "callback_id": FindingIds.RAISE_MODAL.value,
        "title": plain("Raise a finding", 24),
        "submit": plain("Raise it", 24),
        "close": plain("Cancel", 24),
        "blocks": blocks,
    }


def _picked(state: ViewState, block: Field, key: str) -> Any:
    return state.plain().get(block.value, {}).get(VALUE, {}).get(key)


def _many(state: ViewState, block: Field) -> list[str]:
    """The values of a multi-select; anything else Slack would not send is refused."""
    chosen = _picked(state, block, "selected_options") or []
    options = chosen if isinstance(chosen, list) else [chosen]
    values = [o.get("value") if isinstance(o, dict) else None for o in options]
    picked = [v for v in values if isinstance(v, str) and v]
    if len(picked) != len(values):
        raise FormProblem({block.value: "This choice could not be read; choose again."})
    return picked


def parse_finding(state: ViewState) -> NewFinding:
    """What the lead asked for, or FormProblem with a message under each field that needs one."""
    owner = _picked(state, Field.OWNER, "selected_user")
    kind = state.answer(Field.KIND, VALUE)
    errors: dict[str, str] = {}
    if kind not in {k.value for k, _ in KINDS}:
        errors[Field.KIND] = "Choose what it is."
    if len(state.answer(Field.TITLE, VALUE)) < 3:
        errors[Field.TITLE] = "Say in a sentence what was found."
    if state.answer(Field.SEVERITY, VALUE) not in {s.value for s in Severity}:
        errors[Field.SEVERITY] = "Choose how severe it is."
    if not isinstance(owner, str) or not owner:
        errors[Field.OWNER] = "Choose who owns it: they find the root cause and plan the actions."
    if errors:
        raise FormProblem(errors)
    try:
        return NewFinding(
            kind=FindingKind(kind),
            source=FindingSource.LEAD,
            title=clip(state.answer(Field.TITLE, VALUE), TITLE_MAX),
            description=state.answer(Field.DESCRIPTION, VALUE),
            records=_many(state, Field.RECORDS),
            controls=_many(state, Field.CONTROLS),
            severity=Severity(state.answer(Field.SEVERITY, VALUE)),
            owner=owner,
        )
    except ValidationError as exc:
        raise FormProblem({Field.TITLE: exc.errors()[0]["msg"]}) from None


def raised_text(ref: str, owner: str) -> str:
    return (
        f"*{ref}* is raised. <@{owner}> owns it and is told: they find the root cause and plan "
        f"the corrective actions. `aims finding show {esc(ref)}` follows it."
    )
