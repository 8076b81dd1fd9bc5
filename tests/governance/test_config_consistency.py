"""Config mistakes that YAML and types alone would let through silently."""

from __future__ import annotations

import pytest

from governance.config import parse_config
from governance.errors import ConfigError
from governance.models import RiskTier

BASE = """organisation: {name: T}
people: [{slack_id: U001AAA, name: Lead}]
roles: {governance_leads: [U001AAA], privacy: []}
"""


def _problem(extra: str) -> str:
    with pytest.raises(ConfigError) as error:
        parse_config(BASE + extra)
    return str(error.value)


def test_an_unquoted_digest_time_is_refused_instead_of_misread():
    message = _problem("digest: {channel: C01ABCDEF, time: 9:00}\n")
    assert "aims.yaml:4: digest.time:" in message and '"09:00"' in message


def test_a_tool_alias_used_by_two_tools_names_both():
    message = _problem(
        "catalogue:\n"
        "  - {name: ChatGPT, aliases: [gpt], vendor: OpenAI, status: approved}\n"
        "  - {name: Other, aliases: [GPT], vendor: X, status: approved}\n"
    )
    assert "catalogue[1].aliases[0]: 'GPT' is already used by 'ChatGPT'" in message


def test_a_routing_rule_to_an_empty_role_is_refused():
    message = _problem("routing: [{name: privacy review, roles: [privacy]}]\n")
    assert "routing[0].roles[0]: role 'privacy' has nobody in it" in message


def test_a_partial_cadence_keeps_the_other_tiers_defaults_and_zero_is_refused():
    config = parse_config(BASE + "reviews: {cadence_days: {high: 30}}\n")
    assert config.reviews.cadence_days[RiskTier.HIGH] == 30
    assert config.reviews.cadence_days[RiskTier.MINIMAL] == 365
    assert "at least 1 day" in _problem("reviews: {cadence_days: {high: 0}}\n")
