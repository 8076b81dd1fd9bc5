"""What the catalogue says about a tool, in words: status, the data it may take, conditions."""

from __future__ import annotations

from governance.config import CatalogueTool, ToolStatus
from governance.models import DataCategory
from retrieval.models import ToolMatch

_STATUS_WORDS = {
    ToolStatus.APPROVED: "approved",
    ToolStatus.APPROVED_WITH_CONDITIONS: "approved with conditions",
    ToolStatus.RESTRICTED: "restricted",
    ToolStatus.PROHIBITED: "prohibited",
    ToolStatus.UNDER_REVIEW: "under review",
}


def _data_words(categories: list[DataCategory] | list[str]) -> str:
    names = [str(getattr(c, "value", c)).replace("-", " ") for c in categories]
    if not names:
        return "no data"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def tool_match(tool: CatalogueTool, wanted: list[DataCategory]) -> ToolMatch:
    blocked = [c for c in wanted if c not in tool.allowed_data]
    return ToolMatch(
        name=tool.name,
        vendor=tool.vendor,
        status=tool.status.value,
        verdict=_verdict(tool, wanted, blocked),
        allowed_data=[c.value for c in tool.allowed_data],
        blocked_data=[c.value for c in blocked],
        conditions=list(tool.conditions),
        policy_ref=tool.policy_ref,
        url=tool.url,
    )


def _verdict(tool: CatalogueTool, wanted: list[DataCategory], blocked: list[DataCategory]) -> str:
    name = tool.name
    if tool.status is ToolStatus.PROHIBITED:
        return f"No: {name} is prohibited for work use."
    if tool.status is ToolStatus.UNDER_REVIEW:
        return f"Not yet: {name} is under review and may not be used for work until it concludes."
    if blocked:
        return (
            f"No: {_data_words(blocked)} data may not be put into {name}; it is cleared for "
            f"{_data_words(tool.allowed_data)} data only."
        )
    allowed = f" ({_data_words(wanted)} data is allowed)" if wanted else ""
    if tool.status is ToolStatus.RESTRICTED:
        return f"Only in limited cases: {name} is restricted{allowed}; see the conditions."
    if tool.status is ToolStatus.APPROVED_WITH_CONDITIONS:
        return f"Yes, under conditions: {name} is approved with conditions{allowed}."
    return f"Yes: {name} is approved{allowed}."


def tool_text(match: ToolMatch) -> str:
    lines = [
        f"{match.name} ({match.vendor}): {_STATUS_WORDS[ToolStatus(match.status)]}.",
        match.verdict,
    ]
    if match.allowed_data and not match.blocked_data:
        lines.append(f"Allowed data: {_data_words(match.allowed_data)}.")
    if match.conditions:
        lines.append("Conditions:")
        lines.extend(f"  - {condition}" for condition in match.conditions)
    if match.policy_ref:
        lines.append(f"Policy reference: {match.policy_ref}")
    return "\n".join(lines)


def unknown_tool_text(name: str, ask: str) -> str:
    return (
        f"{name} is not in the tool catalogue: register it before using it for work "
        f"({ask} can help)."
    )
