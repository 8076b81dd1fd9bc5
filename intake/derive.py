"""Fields that follow from others, and what a new description wipes."""

from __future__ import annotations

from governance.config import OrgConfig
from governance.tiering_rules import AREAS_BY_ID, DECISION_NONE
from intake.facts import IMPLIED, TYPED
from intake.state import IntakeState
from intake.tool_choice import CATALOGUE_FIELDS, catalogue_facts, catalogue_tool, status_warning


def derive(state: IntakeState, config: OrgConfig) -> None:
    """Fields that follow from others: what the catalogue settles for its tools, the supplier's
    role under the EU AI Act."""
    tool = catalogue_tool(config, state.fields.get("tool"))
    facts = catalogue_facts(tool) if tool else {}
    for name in CATALOGUE_FIELDS:
        if state.sources.get(name) == "catalogue" and facts.get(name) != state.fields.get(name):
            state.unset(name)  # the tool changed: its catalogue facts go with it
    if tool is not None:
        for name, value in facts.items():
            if name not in state.fields:
                state.set(name, value, "catalogue", f"the catalogue entry for {tool.name}")
        warning = status_warning(tool)
        state.warnings = [warning] if warning else []
    else:
        state.warnings = []
    if "third_party" in state.fields:
        role = "deployer" if state.fields["third_party"] else "provider"
        state.set("eu_ai_act_role", role, "derived")
    areas = state.fields.get("annex_iii_areas")
    decides = state.fields.get("decisions_about_people") not in (None, DECISION_NONE)
    if areas and decides and not state.settled("decision_stakes"):
        # The EU AI Act lists an area in Annex III because decisions there matter to people:
        # confirmed, it settles the stakes.
        labels = ", ".join(AREAS_BY_ID[a].label for a in areas if a in AREAS_BY_ID)
        state.set("decision_stakes", "significant", IMPLIED, f"EU AI Act Annex III: {labels}")


def forget_inferences(state: IntakeState) -> None:
    """Everything the previous description implied, confirmed or not, so a new one starts
    clean; what the requester typed as an answer stays."""
    for name, source in list(state.sources.items()):
        if source not in TYPED:
            state.unset(name)
    state.pending.clear()
    state.pending_why.clear()
    state.tool_choices = []
    state.warnings = []
    state.suggested_areas, state.suggested_practices, state.conflicts = [], [], []
