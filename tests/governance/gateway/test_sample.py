"""The sample organisation's gateway parts: AIMS Bot registered as an AI use whose terms let
its own LLM calls run, catalogue tools with models, and a gateway section that parses."""

from __future__ import annotations

import re

from governance.approvals.flows import submit_record
from governance.config import parse_config
from governance.gateway.self_record import AIMS_BOT_TITLE, aims_bot_record, register_aims_bot
from governance.gateway.terms import load_terms
from governance.models import RecordStatus
from governance.register import update_record
from tests.conftest import SAMPLE
from tests.governance.gateway.helpers import PRIYA


def test_aims_bot_is_registered_once_live_and_owned_by_a_lead(db, sample_config, now):
    with db.session() as session:
        first = register_aims_bot(session, sample_config, actor="aims init", now=now)
        again = register_aims_bot(session, sample_config, actor="aims init", now=now)
        assert first.id == again.id and aims_bot_record(session) is first
        assert (first.title, first.status, first.owner) == ("AIMS Bot", "live", PRIYA)
        assert first.risk_tier and first.next_review is not None
        terms = load_terms(session, first.ref, sample_config)
    assert terms.status is RecordStatus.LIVE and terms.approved_version == 1
    assert terms.tool == "ChatGPT Enterprise" and "gpt-4o*" in terms.allowed_models
    assert {c.value for c in terms.data_categories} == {"internal"}


def test_the_guard_looks_for_the_title_aims_init_gives():
    from governance.gateway import guard

    assert guard.SELF_TITLE == AIMS_BOT_TITLE


def test_catalogue_tools_with_api_models_list_them(sample_config):
    models = {tool.name: tool.models for tool in sample_config.catalogue if tool.models}
    assert models == {
        "ChatGPT Enterprise": ["gpt-4o*", "gpt-4.1*"],
        "Claude (Team plan)": ["claude-*"],
    }
    assert sample_config.gateway is None  # commented out: nothing listens until configured


def test_the_commented_gateway_section_is_valid_once_uncommented():
    text = (SAMPLE / "aims.yaml").read_text(encoding="utf-8")
    section = text[text.index("# gateway:") :]
    uncommented = "\n".join(re.sub(r"^# ?", "", line) for line in section.splitlines())
    config = parse_config(text + "\n" + uncommented)
    assert config.gateway is not None
    assert [u.api_key_env for u in config.gateway.upstreams] == [
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
    ]


def test_aims_bot_keeps_its_terms_while_a_change_of_it_is_reviewed(db, sample_config, now):
    with db.session() as session:
        record = register_aims_bot(session, sample_config, actor="aims init", now=now)
        update_record(
            session,
            record=record,
            changes={"tool": "Claude (Team plan)"},
            actor=PRIYA,
            reason="move to Claude",
            now=now,
        )
        submit_record(session, record=record, actor=PRIYA, config=sample_config, now=now)
        assert (record.status, record.version) == ("in_review", 2)
        terms = load_terms(session, record.ref, sample_config)
    assert terms.approved_version == 1 and terms.tool == "ChatGPT Enterprise"
