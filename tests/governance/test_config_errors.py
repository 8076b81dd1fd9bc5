"""aims.yaml mistakes are reported with the file, line and key path a person can go to."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from governance.config import load_config, parse_config
from governance.errors import ConfigError

GOOD = """\
organisation:
  name: Acme
people:
  - slack_id: U0ACME0001
    name: Priya Raman
  - slack_id: U0ACME0002
    name: Tom Okafor
    delegates: [U0ACME0001]
roles:
  governance_leads: [U0ACME0001]
  privacy: [U0ACME0002]
routing:
  - name: Business owner accepts everything
    roles: [business_owner]
  - name: Privacy checks high risk
    when:
      tiers: [high, limited]
    roles: [privacy]
reviews:
  cadence_days:
    high: 90
    limited: 180
"""


def line_of(text: str, fragment: str) -> int:
    """The 1-based line holding `fragment` (so the tests read like the file)."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if fragment in line)


def problem(text: str) -> str:
    with pytest.raises(ConfigError) as error:
        parse_config(text, source="aims.yaml")
    return str(error.value)


def test_the_good_file_loads():
    config = parse_config(GOOD)
    assert config.members("governance_leads") == ["U0ACME0001"]
    assert config.reviews.cadence_days["high"] == 90


def test_a_missing_required_role_names_roles_and_its_line():
    text = GOOD.replace("  governance_leads: [U0ACME0001]\n", "")
    assert problem(text) == (
        f"aims.yaml:{line_of(text, 'roles:')}: roles: missing role 'governance_leads': "
        "name at least one person for it"
    )


def test_a_misspelt_required_role_gets_a_suggestion():
    text = GOOD.replace("governance_leads:", "governance_lead:")
    assert "(did you mean 'governance_lead'?)" in problem(text)


def test_an_empty_required_role_points_at_the_role():
    text = GOOD.replace("governance_leads: [U0ACME0001]", "governance_leads: []")
    assert problem(text).startswith(
        f"aims.yaml:{line_of(text, 'governance_leads')}: roles.governance_leads: "
    )


def test_an_unknown_tier_in_review_cadence_names_the_key():
    text = GOOD.replace("    limited: 180", "    limitd: 180")
    assert problem(text) == (
        f"aims.yaml:{line_of(text, 'limitd')}: reviews.cadence_days.limitd: unknown value "
        "'limitd'; use one of 'prohibited', 'high', 'limited' or 'minimal'"
    )


def test_an_unknown_tier_in_a_routing_rule_names_the_list_item():
    text = GOOD.replace("tiers: [high, limited]", "tiers: [hihg, limited]")
    message = problem(text)
    assert message.startswith(
        f"aims.yaml:{line_of(text, 'hihg')}: routing[1].when.tiers[0]: unknown value 'hihg'"
    )


def test_an_unknown_tier_on_its_own_line_points_at_that_line():
    text = GOOD.replace("tiers: [high, limited]", "tiers:\n        - high\n        - hihg")
    assert problem(text).startswith(
        f"aims.yaml:{line_of(text, '- hihg')}: routing[1].when.tiers[1]: "
    )


def test_an_unknown_key_suggests_the_right_spelling():
    text = GOOD.replace("    limited: 180\n", "    limited: 180\n  reminder_evry_days: 3\n")
    assert problem(text) == (
        f"aims.yaml:{line_of(text, 'reminder_evry_days')}: reviews.reminder_evry_days: "
        "unknown key 'reminder_evry_days' (did you mean 'reminder_every_days'?)"
    )


def test_an_unknown_key_with_nothing_close_asks_to_check_the_spelling():
    text = GOOD + "frobnicate: true\n"
    assert problem(text) == (
        f"aims.yaml:{line_of(text, 'frobnicate')}: frobnicate: unknown key 'frobnicate' "
        "(check the spelling)"
    )


def test_a_yaml_syntax_error_names_the_line():
    text = GOOD.replace("privacy: [U0ACME0002]", "privacy: [U0ACME0002")
    message = problem(text)
    assert message.startswith("aims.yaml:")
    assert "YAML syntax error" in message
    assert f"that starts on line {line_of(text, 'privacy: [')}" in message


def test_bad_indentation_names_the_line():
    text = GOOD.replace("    name: Tom Okafor", "     name: Tom Okafor")
    assert problem(text).startswith(f"aims.yaml:{line_of(text, 'name: Tom')}: YAML syntax error")


def test_a_role_member_not_in_people_names_the_member_and_line():
    text = GOOD.replace("privacy: [U0ACME0002]", "privacy: [U0ACME0009]")
    assert problem(text) == (
        f"aims.yaml:{line_of(text, 'privacy:')}: roles.privacy[0]: "
        "'U0ACME0009' is not listed under people"
    )


def test_every_broken_reference_is_reported_at_once():
    text = (
        GOOD.replace("privacy: [U0ACME0002]", "privacy: [U0ACME0009]")
        .replace("delegates: [U0ACME0001]", "delegates: [U0ACME0008]")
        .replace("roles: [privacy]", "roles: [privacy, legal]")
    )
    lines = problem(text).splitlines()
    assert [line.split(": ")[1] for line in lines] == [
        "roles.privacy[0]",
        "people[1].delegates[0]",
        "routing[1].roles[1]",
    ]
    assert (
        "unknown role 'legal'; known roles: business_owner, governance_leads, privacy" in (lines[2])
    )


def test_a_duplicated_key_is_refused_rather_than_silently_dropped():
    text = GOOD + "roles:\n  governance_leads: [U0ACME0002]\n"
    assert problem(text) == (
        f"aims.yaml:{len(text.splitlines()) - 1}: roles: duplicate key 'roles' "
        f"(first on line {line_of(text, 'roles:')}); merge the two"
    )


def test_a_missing_file_says_how_to_make_one(tmp_path):
    with pytest.raises(ConfigError, match="aims init DIR"):
        load_config(tmp_path / "aims.yaml")


# --- `aims config check` -------------------------------------------------------------------


def test_config_check_says_ok_for_a_good_file(run_cli, org_file):
    result = run_cli("config", "check", config=org_file)
    assert result.exit_code == 0
    assert result.stdout.startswith(f"OK {org_file}: Test Org, 2 people, 0 routing rules")


def test_config_check_fails_with_the_line_and_path(run_cli, tmp_path):
    path = tmp_path / "aims.yaml"
    text = GOOD.replace("tiers: [high, limited]", "tiers: [hihg, limited]")
    path.write_text(text)
    result = run_cli("config", "check", config=path)
    assert result.exit_code == 1
    assert f"{path}:{line_of(text, 'hihg')}: routing[1].when.tiers[0]: unknown value" in (
        result.stderr
    )
    assert "Traceback" not in result.output


def test_the_installed_command_reports_config_errors_without_a_traceback(tmp_path):
    path = tmp_path / "aims.yaml"
    path.write_text(GOOD.replace("privacy: [U0ACME0002]", "privacy: [U0ACME0002"))
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from bot.cli import main; main()",
            "--config",
            str(path),
            "config",
            "check",
        ],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "AIMS_DATA_DIR": str(tmp_path / "data")},
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith(f"error: {path}:")
    assert "YAML syntax error" in done.stderr and "Traceback" not in done.stderr
