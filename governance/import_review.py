"""What importing a spreadsheet row reads differently from the sheet, and what it flags for the
governance leads. Pure: no database, no I/O.

- Near-miss spellings of the register's fixed values ("In the loop", "Customer Facing",
  "Special Category") are read as those values, and each reading is reported.
- The risk tier is the rules' (governance.tiering.classify), never simply the sheet's: a sheet
  tier the rules disagree with is kept as a note beside the rules' reasons and flagged, so a
  governance lead confirms the rules' tier or overrides it. A sheet that carries an override
  justification keeps its tier, flagged, because no lead made that override here.
- A tool the catalogue prohibits is flagged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from governance.catalogue import prohibited_tool
from governance.config import OrgConfig
from governance.models import (
    DataCategory,
    Deployment,
    EuAiActRole,
    Oversight,
    RecordFields,
    RecordStatus,
    RiskTier,
)
from governance.tiering import classify
from governance.tiering_rules import AREAS_BY_ID, PRACTICES_BY_ID, SIGNIFICANT


def _values(kind: type[StrEnum]) -> tuple[str, ...]:
    return tuple(member.value for member in kind)


# Columns whose cells must be one of fixed values (each item, for a list column).
FIXED_VALUES: dict[str, tuple[str, ...]] = {
    "status": _values(RecordStatus),
    "deployment": _values(Deployment),
    "human_oversight": _values(Oversight),
    "eu_ai_act_role": _values(EuAiActRole),
    "risk_tier": _values(RiskTier),
    "data_categories": _values(DataCategory),
    # Free text in the model, but the tiering rules compare it exactly: "Significant" would
    # silently miss the high-risk rule.
    "decision_stakes": (SIGNIFICANT, "minor"),
    "annex_iii_areas": tuple(AREAS_BY_ID),
    "article_5_practices": tuple(PRACTICES_BY_ID),
}
# Marks the note a disputed import leaves among a record's tier reasons (the digest finds it).
SHEET_TIER_NOTE = "Imported with tier"
_SHEET_TIER = re.compile(rf"^{SHEET_TIER_NOTE} (\w+) ")


@dataclass(frozen=True)
class Respelling:
    row: int  # as a person counts in the file: the header is row 1
    column: str
    given: str
    to: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.given!r} → {self.to!r}"


def _spelling(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", text).strip().casefold()


def respelled(column: str, value: str) -> str | None:
    """The fixed value `value` is a near-miss spelling of (case, spaces, hyphens, underscores),
    or None when it is already exact or matches none."""
    allowed = FIXED_VALUES.get(column, ())
    if value in allowed:
        return None
    return next((choice for choice in allowed if _spelling(choice) == _spelling(value)), None)


def respell_row(row: int, values: dict[str, Any]) -> tuple[dict[str, Any], list[Respelling]]:
    """The row's values with near-miss spellings replaced, and what was replaced."""
    fixed = dict(values)
    readings: list[Respelling] = []

    def read(column: str, cell: Any) -> Any:
        if not isinstance(cell, str):
            return cell
        canonical = respelled(column, cell)
        if canonical is None:
            return cell
        readings.append(Respelling(row, column, cell, canonical))
        return canonical

    for column, cell in values.items():
        if column not in FIXED_VALUES:
            continue
        if isinstance(cell, list):
            fixed[column] = [read(column, item) for item in cell]
        else:
            fixed[column] = read(column, cell)
    return fixed, readings


@dataclass(frozen=True)
class ReviewedRow:
    fields: RecordFields  # with the tier to record and the rules' reasons
    flags: list[str]  # for the governance leads, one sentence each


def review_row(fields: RecordFields, config: OrgConfig, *, where: str) -> ReviewedRow:
    """The fields as the register should record them, and what the leads must look at.
    `where` names the row for the note ("register.csv row 4")."""
    rules = classify(fields, config)
    sheet = fields.risk_tier
    tier, reasons, flags = rules.tier, list(rules.reasons), []
    if sheet is not None and sheet != rules.tier:
        if fields.tier_override.strip():
            tier = sheet
            flags.append(
                f"tier {sheet.value} kept as the sheet's override ({fields.tier_override!r}); "
                f"the rules give {rules.tier.value}, and no governance lead made this override "
                "here: confirm it with `aims register override-tier`"
            )
        else:
            reasons.append(
                f"{SHEET_TIER_NOTE} {sheet.value} ({where}); the rules give {rules.tier.value}. "
                "A governance lead should confirm this or override it "
                "(aims register override-tier)."
            )
            flags.append(
                f"the sheet says tier {sheet.value}, the rules give {rules.tier.value}: "
                f"recorded as {rules.tier.value} for a governance lead to confirm or override "
                "(aims register override-tier)"
            )
    banned = prohibited_tool(config, fields.tool)
    if banned is not None:
        policy = f" ({banned.policy_ref})" if banned.policy_ref else ""
        flags.append(
            f"tool {fields.tool!r} is prohibited in the catalogue as {banned.name}{policy}"
        )
    updated = fields.model_copy(update={"risk_tier": tier, "tier_reasons": reasons})
    return ReviewedRow(updated, flags)


def sheet_tier(tier_reasons: Sequence[Any], tier_override: str) -> str | None:
    """The tier an imported spreadsheet gave a record, while it waits for a lead: the rules
    disagreed and no one has overridden the tier since. None otherwise."""
    if tier_override.strip():
        return None
    for reason in tier_reasons:
        found = _SHEET_TIER.match(str(reason))
        if found:
            return found.group(1)
    return None
