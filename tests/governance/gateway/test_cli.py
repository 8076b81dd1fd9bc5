"""`aims gateway key create | list | revoke`, `aims gateway restore`, `aims gateway stats`."""

from __future__ import annotations

import json

from governance.gateway.terms import load_access
from store import evidence
from store.evidence_kinds import EvidenceKind
from tests.governance.gateway.helpers import MARCUS, OLIVER, PRIYA, approved
from tests.governance.gateway.test_stats import decision


def _approved(db, config, now) -> None:
    with db.session() as session:
        approved(session, config, now)


def test_create_prints_the_key_once_and_it_opens_the_gateway(
    run_cli, org_dir, db, sample_config, now
):
    _approved(db, sample_config, now)
    config = org_dir / "aims.yaml"
    result = run_cli(
        "gateway", "key", "create", "aiu-0001", "--as", OLIVER, config=config, database_url=db.url
    )
    assert result.exit_code == 0, result.output
    [key] = [word for word in result.output.split() if word.startswith("aims_sk_")]
    assert "KEY-0001 issued for AIU-0001" in result.output
    assert "shown this once and cannot be shown again" in result.output
    assert "http://127.0.0.1:4000/v1" in result.output
    with db.session() as session:
        state, terms = load_access(session, key, sample_config)
    assert state is not None and terms is not None and state.key_id == "KEY-0001"

    listed = run_cli("gateway", "key", "list", "--json", config=config, database_url=db.url)
    [row] = json.loads(listed.output)
    assert (row["key_id"], row["record"], row["status"]) == ("KEY-0001", "AIU-0001", "active")
    assert row["prefix"] == key[:12] and key not in listed.output
    table = run_cli("gateway", "key", "list", "AIU-0001", config=config, database_url=db.url)
    assert "KEY-0001" in table.output and key not in table.output


def test_someone_else_and_a_draft_are_refused_with_the_reason(
    run_cli, org_dir, db, sample_config, now
):
    _approved(db, sample_config, now)
    config = org_dir / "aims.yaml"
    result = run_cli(
        "gateway", "key", "create", "AIU-0001", "--as", MARCUS, config=config, database_url=db.url
    )
    assert result.exit_code == 1 and "only the owner of AIU-0001" in result.output
    assert "aims_sk_" not in result.output
    result = run_cli(
        "gateway", "key", "create", "AIU-0042", "--as", PRIYA, config=config, database_url=db.url
    )
    assert result.exit_code == 1 and "no register record 'AIU-0042'" in result.output


def test_revoke_needs_a_reason_and_then_the_key_is_refused(
    run_cli, org_dir, db, sample_config, now
):
    _approved(db, sample_config, now)
    config = org_dir / "aims.yaml"
    created = run_cli(
        "gateway", "key", "create", "AIU-0001", "--as", PRIYA, config=config, database_url=db.url
    )
    [key] = [word for word in created.output.split() if word.startswith("aims_sk_")]
    args = ("gateway", "key", "revoke", "KEY-0001", "--as", OLIVER)
    blank = run_cli(*args, "-j", "  ", config=config, database_url=db.url)
    assert blank.exit_code == 1 and "say why KEY-0001 is revoked" in blank.output
    done = run_cli(*args, "-j", "laptop stolen", config=config, database_url=db.url)
    assert done.exit_code == 0 and "Revoked KEY-0001 (aims_sk_" in done.output
    again = run_cli(*args, "-j", "again", config=config, database_url=db.url)
    assert again.exit_code == 1 and "already revoked" in again.output
    with db.session() as session:
        state, _ = load_access(session, key, sample_config)
    assert state is not None and state.revoked and state.revoked_reason == "laptop stolen"
    listed = run_cli("gateway", "key", "list", "--json", config=config, database_url=db.url)
    [row] = json.loads(listed.output)
    assert (row["status"], row["revoked_by"], row["revoked_reason"]) == (
        "revoked",
        OLIVER,
        "laptop stolen",
    )


def test_restore_turns_the_option_on_and_off(run_cli, org_dir, db, sample_config, now):
    _approved(db, sample_config, now)
    config = org_dir / "aims.yaml"
    on = run_cli(
        "gateway", "restore", "AIU-0001", "on", "--as", OLIVER, config=config, database_url=db.url
    )
    assert on.exit_code == 0 and "restored in the answers" in on.output
    again = run_cli(
        "gateway", "restore", "AIU-0001", "on", "--as", OLIVER, config=config, database_url=db.url
    )
    assert again.output.startswith("Already so")
    refused = run_cli(
        "gateway", "restore", "AIU-0001", "off", "--as", MARCUS, config=config, database_url=db.url
    )
    assert refused.exit_code == 1 and "only the owner" in refused.output
    bad = run_cli(
        "gateway",
        "restore",
        "AIU-0001",
        "maybe",
        "--as",
        OLIVER,
        config=config,
        database_url=db.url,
    )
    assert bad.exit_code != 0


def test_stats_prints_per_use_figures_and_the_shadow_line(run_cli, org_dir, db, sample_config, now):
    _approved(db, sample_config, now)
    config = org_dir / "aims.yaml"
    run_cli(
        "gateway", "key", "create", "AIU-0001", "--as", OLIVER, config=config, database_url=db.url
    )
    with db.session() as session:
        for payload in (
            decision(),
            decision(outcome="redact", redacted={"EMAIL_ADDRESS": 2}),
            decision(
                outcome="refuse",
                reason="unknown_key",
                key_id=None,
                record_ref=None,
                key_prefix="aims_sk_zzzz",
            ),
        ):
            evidence.append(
                session,
                actor="gateway",
                kind=EvidenceKind.GATEWAY_DECISION,
                subject=payload["record_ref"] or "gateway",
                payload=payload,
            )
    text = run_cli("gateway", "stats", config=config, database_url=db.url)
    assert text.exit_code == 0, text.output
    assert "AIU-0001 DeepL for internal memos: 2 requests (1 allowed, 1 redacted, 0 refused)" in (
        text.output
    )
    assert "personal data replaced: EMAIL_ADDRESS 2" in text.output
    assert "keys: 1 active, 1 issued" in text.output
    assert "possible shadow AI): 1 with an unknown key (aims_sk_zzzz… 1)" in text.output
    data = json.loads(
        run_cli("gateway", "stats", "--json", config=config, database_url=db.url).output
    )
    assert data["uses"][0]["requests"] == 2 and data["shadow"]["unknown_key"] == 1
    later = run_cli("gateway", "stats", "--since", "2099-01-01", config=config, database_url=db.url)
    assert "0 requests" in later.output  # the key still shows
    wrong = run_cli("gateway", "stats", "--since", "last week", config=config, database_url=db.url)
    assert wrong.exit_code == 1 and "not a date" in wrong.output
