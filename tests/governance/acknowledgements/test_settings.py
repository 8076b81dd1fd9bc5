"""`acknowledgements:` in aims.yaml: mistakes are named where they are; quiet hours hold."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from governance.config import QuietHours, parse_config
from governance.errors import ConfigError
from tests.governance.test_config_errors import GOOD, line_of

LONDON = ZoneInfo("Europe/London")


def _problem(section: str) -> str:
    text = GOOD + section
    with pytest.raises(ConfigError) as error:
        parse_config(text, source="aims.yaml")
    return str(error.value)


def test_escalation_must_come_after_the_last_reminder() -> None:
    text = "acknowledgements:\n  remind_after_days: [5, 12]\n  escalate_after_days: 10\n"
    message = _problem(text)
    assert message.startswith(f"aims.yaml:{line_of(GOOD + text, 'acknowledgements:')}:")
    assert "must come after the last reminder (12 days)" in message


def test_an_unquoted_time_is_refused_rather_than_misread() -> None:
    text = "acknowledgements:\n  quiet_hours:\n    start: 18:00\n"
    assert 'write the time in quotes, like "18:00"' in _problem(text)


def test_quiet_hours_cross_midnight_and_cover_weekends() -> None:
    quiet = QuietHours()
    assert quiet.quiet_at(datetime(2026, 12, 7, 21, 0, tzinfo=LONDON))  # Monday evening
    assert quiet.quiet_at(datetime(2026, 12, 8, 7, 30, tzinfo=LONDON))  # Tuesday early morning
    assert not quiet.quiet_at(datetime(2026, 12, 8, 9, 0, tzinfo=LONDON))
    assert quiet.quiet_at(datetime(2026, 12, 12, 12, 0, tzinfo=LONDON))  # Saturday noon
    assert not QuietHours(weekends=True).quiet_at(datetime(2026, 12, 12, 12, 0, tzinfo=LONDON))
