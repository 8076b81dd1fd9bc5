"""Due dates as people type them: a date (2026-12-20), "in 14 days", "14d", "2w"; counted from
the organisation's local day (governance.reviews.local_today), never the server's."""

from __future__ import annotations

import re
from datetime import date, timedelta

from governance.errors import ValidationProblem

WHEN = r"\d{4}-\d{1,2}-\d{1,2}|in\s+\d+\s+(?:days?|weeks?)|\d+\s*(?:d|w|days?|weeks?)"
WHEN_FORMS = "a date (2026-12-20), “in 14 days”, “14d” or “2w”"
_RELATIVE = re.compile(r"^(?:in\s+)?(?P<n>\d+)\s*(?P<unit>d|w|days?|weeks?)$", re.I)


def due_date(when: str, today: date) -> date:
    """`when` as a date; ValidationProblem naming the forms it takes otherwise."""
    text = " ".join(when.split())
    relative = _RELATIVE.match(text)
    try:
        if relative:
            days = int(relative["n"]) * (7 if relative["unit"][0].lower() == "w" else 1)
            return today + timedelta(days=days)
        year, month, day = (int(part) for part in text.split("-"))
        return date(year, month, day)
    except (ValueError, OverflowError):
        raise ValidationProblem(f"{when!r} is not a date: give {WHEN_FORMS}") from None
