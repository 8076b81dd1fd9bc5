"""Which facts may be filed from inference, and how an inferred fact shows where it came from.

A fact that raises the risk tier or adds approvers (a prohibited practice, a high-risk area,
decisions about people and their stakes, people outside the team seeing the output, personal or
customer data, an agent that can act) is never filed because a rule or a model read it into the
description: it is put to the requester as a yes/no question quoting the words it came from.
"""

from __future__ import annotations

from typing import Any

from governance.tiering_rules import DECISION_NONE, SIGNIFICANT

_RAISING_DATA = {"personal", "special-category", "customer"}
_RAISING_DEPLOYMENT = {"employee-facing", "customer-facing", "public"}

# Sources of a field value: what the requester typed or confirmed, versus what was inferred.
SAID = {"requester", "confirmed", "correction"}
TYPED = {"requester", "correction"}
INFERRED = {"rules", "llm", "derived"}
CATALOGUE = "catalogue"
# Follows by definition from facts the requester confirmed (an Annex III area's stakes).
IMPLIED = "implied"


def raises_risk(name: str, value: Any) -> bool:
    if name in ("article_5_practices", "annex_iii_areas"):
        return bool(value)
    if name == "decisions_about_people":
        return bool(value not in (None, "", DECISION_NONE))
    if name == "decision_stakes":
        return bool(value == SIGNIFICANT)
    if name == "deployment":
        return bool(value in _RAISING_DEPLOYMENT)
    if name == "data_categories":
        return bool(set(value or []) & _RAISING_DATA)
    if name == "agent_write_access":
        return value is True
    return False
