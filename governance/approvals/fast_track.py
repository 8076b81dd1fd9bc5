"""The fast track: an everyday use of a tool procurement has already approved skips the usual
routing. Pure rules over the org config and the record's fields.

Eligible: the record's tool is in the catalogue with status approved or approved with
conditions; deployment internal; every data category within the tool's `allowed_data`; minimal
risk tier; no decisions about people; not an agent (no write access, no permissions, autonomy
not "agent"); and none of those facts left open by the requester. `approvals.fast_track` in
aims.yaml says what happens then:
  "lead"       one governance lead approves it (a single approval instead of the routing
               rules; never the requester: separation of duties still holds);
  "conditions" the system approves it at once, recording the catalogue tool's conditions as
               the record's conditions (its decision and evidence say it was the fast track);
  "off"        it is routed like any other record.
"""

from __future__ import annotations

from governance.approvals.duties import independent_slot
from governance.approvals.models import Require, RequiredSlot
from governance.config import CatalogueTool, OrgConfig, ToolStatus
from governance.gateway.terms import catalogue_tool_for
from governance.models import Deployment, RecordFields, RiskTier
from governance.tiering import classify
from governance.tiering_rules import DECISION_NONE

# Who decides a "conditions" fast track: not a person, so nobody can click for it.
FAST_TRACK_ACTOR = "aims-fast-track"
FAST_TRACK_SLOT = "fast_track"
FAST_TRACK_VIA = "fast-track"
# The facts eligibility rests on: one the requester left open settles nothing.
_DECIDING = (
    "tool",
    "deployment",
    "data_categories",
    "decisions_about_people",
    "autonomy",
    "permissions",
    "agent_write_access",
)
_APPROVED = (ToolStatus.APPROVED, ToolStatus.APPROVED_WITH_CONDITIONS)


def fast_track_tool(config: OrgConfig, fields: RecordFields) -> CatalogueTool | None:
    """The catalogue tool that puts this record on the fast track, or None: the fast track is
    off, or the record is not eligible (`not_eligible` says why)."""
    if config.approvals.fast_track == "off" or not_eligible(config, fields):
        return None
    return catalogue_tool_for(fields.tool, config.catalogue)


def not_eligible(config: OrgConfig, fields: RecordFields) -> list[str]:
    """Why the record is not a fast-track use, in words (empty when it is)."""
    tool = catalogue_tool_for(fields.tool, config.catalogue)
    if tool is None:
        return [f"{fields.tool or 'the tool'} is not in the tool catalogue"]
    why = []
    if tool.status not in _APPROVED:
        why.append(f"{tool.name} is {tool.status.value.replace('_', ' ')} in the catalogue")
    if fields.deployment is not Deployment.INTERNAL:
        why.append("it is not an internal use")
    outside = [c.value for c in fields.data_categories if c not in tool.allowed_data]
    if outside:
        why.append(f"{tool.name} is not allowed {', '.join(outside)} data")
    # The rules' tier, not the stored one: an imported row may carry a tier nobody derived.
    if fields.risk_tier is not RiskTier.MINIMAL or classify(fields, config).tier is not (
        RiskTier.MINIMAL
    ):
        why.append("its risk tier is not minimal")
    if fields.decisions_about_people.strip().lower() not in ("", DECISION_NONE, "no"):
        why.append("it makes or informs decisions about people")
    if fields.agent_write_access or fields.permissions or fields.autonomy == "agent":
        why.append("it is an agent")
    open_items = [name for name in _DECIDING if name in fields.open_items]
    if open_items:
        why.append(f"{', '.join(open_items)} not known yet")
    return why


def fast_track_why(config: OrgConfig, tool: CatalogueTool) -> str:
    """What the fast track means for a record using `tool`, for the requester and approvers."""
    use = (
        f"{tool.name} is an approved catalogue tool and this minimal-risk internal use stays "
        "within the data it allows"
    )
    if config.approvals.fast_track == "conditions":
        return f"{use}, so it is approved at once on the catalogue's conditions for {tool.name}"
    return f"{use}, so one governance lead approves it"


def fast_track_slots(
    config: OrgConfig, fields: RecordFields, tool: CatalogueTool
) -> list[RequiredSlot]:
    """The one approval a fast-track record needs, instead of the routing rules."""
    rule = f"fast track: {fast_track_why(config, tool)}"
    if config.approvals.fast_track == "conditions":
        return [
            RequiredSlot(
                key=FAST_TRACK_SLOT,
                role=FAST_TRACK_SLOT,
                require=Require.ANY,
                approvers=[FAST_TRACK_ACTOR],
                rules=[rule],
            )
        ]
    return [independent_slot(config, fields.requester, rule)]
