"""From conversation state to a register record, and the summary the requester confirms."""

from __future__ import annotations

from typing import Any

from governance.approvals.fast_track import fast_track_tool, fast_track_why
from governance.config import OrgConfig
from governance.models import RECORD_FIELD_NAMES, RecordFields
from governance.tiering import classify
from governance.tiering_rules import AREAS_BY_ID, PRACTICES_BY_ID
from intake.slots import SLOTS, SLOTS_BY_NAME
from intake.state import IntakeState

_CHOICE_LABELS = {slot.name: dict(slot.choices) for slot in SLOTS if slot.choices}


def build_fields(state: IntakeState) -> RecordFields:
    """The record as the conversation has it so far (unknown fields keep their defaults)."""
    data = {name: value for name, value in state.fields.items() if name in RECORD_FIELD_NAMES}
    data.setdefault("title", "New AI use")
    data.setdefault("requester", state.requester)
    data["open_items"] = list(state.open_items)
    return RecordFields.model_validate(data)


def tiered_fields(state: IntakeState, config: OrgConfig) -> RecordFields:
    fields = build_fields(state)
    result = classify(fields, config)
    return fields.model_copy(update={"risk_tier": result.tier, "tier_reasons": result.reasons})


def describe_value(name: str, value: Any, config: OrgConfig) -> str:
    """A field value as a person reads it."""
    if value is None or value == "" or value == []:
        return "none"
    if name in ("owner", "requester") and isinstance(value, str):
        shown = config.display_name(value)
        return shown if shown == value else f"{shown} ({value})"
    if name == "annex_iii_areas":
        return ", ".join(AREAS_BY_ID[a].label if a in AREAS_BY_ID else a for a in value)
    if name == "article_5_practices":
        return ", ".join(PRACTICES_BY_ID[p].label if p in PRACTICES_BY_ID else p for p in value)
    if isinstance(value, bool):
        labels = _CHOICE_LABELS.get(name)
        return labels["yes" if value else "no"] if labels else ("yes" if value else "no")
    if isinstance(value, list):
        labels = _CHOICE_LABELS.get(name, {})
        return ", ".join(labels.get(str(v), str(v)) for v in value)
    if name in _CHOICE_LABELS and str(value) in _CHOICE_LABELS[name]:
        return _CHOICE_LABELS[name][str(value)]
    return str(value)


def source_note(state: IntakeState, name: str) -> str:
    """Where a value came from, unless the requester typed it as the answer: the words it was
    read from, or the catalogue entry that settles it."""
    source, why = state.sources.get(name), state.why.get(name, "")
    if source == "requester" or not why or name == "purpose":
        return ""
    return f" — from {why}"


def summary_text(state: IntakeState, config: OrgConfig) -> str:
    fields = build_fields(state)
    result = classify(fields, config)
    lines = [f"*{fields.title}*"]
    for slot in SLOTS:
        if slot.name == "title":
            continue
        if slot.name in state.fields:
            shown = describe_value(slot.name, state.fields[slot.name], config)
            lines.append(f"• {slot.label}: {shown}{source_note(state, slot.name)}")
    if fields.eu_ai_act_role:
        lines.append(f"• EU AI Act role: {fields.eu_ai_act_role.value}")
    if state.open_items:
        unknown = ", ".join(SLOTS_BY_NAME[n].label for n in state.open_items if n in SLOTS_BY_NAME)
        lines.append(f"• Open items for the reviewers (not known yet): {unknown}")
    lines += state.warnings
    lines.append(f"\nRisk tier: *{result.tier.value.upper()}*, because:")
    lines += [f"  – {reason}" for reason in result.reasons]
    if result.controls:
        lines.append(f"Controls a {result.tier.value}-risk use needs:")
        lines += [f"  – {control}" for control in result.controls]
    tiered = fields.model_copy(update={"risk_tier": result.tier})
    if (tool := fast_track_tool(config, tiered)) is not None:
        lines.append(f"Fast track: {fast_track_why(config, tool)}")
    for conflict in state.conflicts:
        label = (
            SLOTS_BY_NAME[conflict.field].label
            if conflict.field in SLOTS_BY_NAME
            else (conflict.field)
        )
        lines.append(
            f"Note: the language model read {label} as "
            f"{describe_value(conflict.field, conflict.llm, config)}; I kept "
            f"{describe_value(conflict.field, conflict.rules, config)} from the rules. "
            "Choose Edit if that is wrong."
        )
    lines.append("\nConfirm to submit it for approval, Edit to change something, or Cancel.")
    return "\n".join(lines)
