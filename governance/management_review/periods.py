"""Which period a management review covers and what it is called.

Periods are whole calendar months aligned to January: every 3 months gives the quarters
(Jan–Mar, Apr–Jun, …), every 6 the half years, every 12 the calendar year. A period is
[start, end): `end` is the first day after it. A quarter's review is MR-2026-Q4; any other
period is named after the month it ends in (MR-2026-11)."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from governance.errors import ValidationProblem
from governance.reviews import fmt_day

Period = tuple[date, date]


def add_months(day: date, months: int) -> date:
    """The first of the month `months` after (or before) `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def last_period(today: date, every_months: int) -> Period:
    """The period that ended most recently before `today` (today's period is still running)."""
    current = date(today.year, (today.month - 1) // every_months * every_months + 1, 1)
    return add_months(current, -every_months), current


def _quarter(period: Period) -> int | None:
    start, end = period
    if start.day == 1 and start.month % 3 == 1 and end == add_months(start, 3):
        return (start.month - 1) // 3 + 1
    return None


def review_ref(period: Period) -> str:
    quarter = _quarter(period)
    last = period[1] - timedelta(days=1)
    return f"MR-{last.year}-Q{quarter}" if quarter else f"MR-{last:%Y-%m}"


def period_title(period: Period) -> str:
    """Q4 2026 (1 Oct 2026 to 31 Dec 2026); November 2026; 3 Nov 2026 to 20 Dec 2026."""
    start, end = period
    last = end - timedelta(days=1)
    span = f"{fmt_day(start)} to {fmt_day(last)}"
    quarter = _quarter(period)
    if quarter:
        return f"Q{quarter} {last.year} ({span})"
    if start.day == 1 and end == add_months(start, 1):
        return f"{start:%B %Y}"
    return span


def moments(period: Period, timezone: str) -> tuple[datetime, datetime]:
    """The period's ends as times: midnight where the organisation is."""
    zone = ZoneInfo(timezone)
    return (datetime.combine(period[0], time(0), zone), datetime.combine(period[1], time(0), zone))


_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.I)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")
PERIOD_FORMS = "a quarter (2026-Q4), a month (2026-11) or a year (2026)"


def parse_period(text: str) -> Period:
    """A period as a person writes it: 2026-Q4, 2026-11 or 2026."""
    value = text.strip()
    if found := _QUARTER.match(value):
        start = date(int(found[1]), (int(found[2]) - 1) * 3 + 1, 1)
        return start, add_months(start, 3)
    if (found := _MONTH.match(value)) and 1 <= int(found[2]) <= 12:
        start = date(int(found[1]), int(found[2]), 1)
        return start, add_months(start, 1)
    if found := _YEAR.match(value):
        start = date(int(found[1]), 1, 1)
        return start, add_months(start, 12)
    raise ValidationProblem(f"{text!r} is not a period: give {PERIOD_FORMS}")


def between(first: date, last: date) -> Period:
    """From `first` to `last`, both days included."""
    if last < first:
        raise ValidationProblem(f"the period ends ({last}) before it starts ({first})")
    return first, last + timedelta(days=1)
