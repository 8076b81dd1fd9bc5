"""What a key lets its use do: the record's status now, and its last approved version's tool,
data and conditions, read through the key's hash."""

from __future__ import annotations

from datetime import timedelta

import pytest

from governance.approvals.flows import submit_record
from governance.approvals.models import Verdict
from governance.config import GatewaySettings, Upstream
from governance.gateway.keys import issue_key, revoke_key, set_restore_placeholders
from governance.gateway.models import ChatRequest, Outcome, RefusalReason, Scan
from governance.gateway.policy import decide
from governance.gateway.terms import catalogue_tool_for, key_id_for, load_access, load_terms
from governance.models import DataCategory, RecordFields, RecordStatus
from governance.register import create_record, update_record
from tests.governance.approvals.helpers import act
from tests.governance.gateway.helpers import OLIVER, PRIYA, approved

SETTINGS = GatewaySettings(
    upstreams=[Upstream(name="openai", base_url="http://127.0.0.1:9/v1", models=["gpt-*"])]
)


def _ask(key, terms, model="gpt-4o-mini"):
    request = ChatRequest(model=model, messages=[{"role": "user", "content": "hi"}])
    return decide(key=key, terms=terms, request=request, scan=Scan(), settings=SETTINGS)


def test_an_approved_use_gets_its_tools_models_data_and_conditions(db, sample_config, now):
    with db.session() as session:
        record = approved(session, sample_config, now, conditions=["Check every answer"])
        issued = issue_key(session, record_ref=record.ref, actor=OLIVER, config=sample_config)
    with db.session() as session:
        key, terms = load_access(session, issued.key, sample_config)
    assert key is not None and terms is not None
    assert (key.key_id, key.prefix, key.record_ref, key.revoked) == (
        "KEY-0001",
        issued.prefix,
        "AIU-0001",
        False,
    )
    assert terms.status is RecordStatus.APPROVED_WITH_CONDITIONS
    assert terms.approved_version == 1 and terms.tool == "ChatGPT Enterprise"
    assert terms.allowed_models == ("gpt-4o*", "gpt-4.1*")
    assert terms.data_categories == {DataCategory.INTERNAL}
    assert terms.conditions == ("Check every answer",)
    assert not terms.restore_placeholders and not terms.review_lapsed
    assert _ask(key, terms).outcome is Outcome.ALLOW
    refused = _ask(key, terms, "claude-3-5-sonnet")
    assert refused.reason is RefusalReason.MODEL_NOT_ALLOWED and "gpt-4o*" in refused.message


@pytest.mark.parametrize("sent_back", [True, False], ids=["changes requested", "resubmitted"])
def test_a_changed_record_keeps_its_last_approved_terms(db, sample_config, now, sent_back):
    with db.session() as session:
        record = approved(session, sample_config, now)
        issued = issue_key(session, record_ref=record.ref, actor=OLIVER, config=sample_config)
        later = now + timedelta(days=1)
        update_record(
            session,
            record=record,
            changes={"tool": "Claude (Team plan)", "data_categories": ["personal"]},
            actor=OLIVER,
            reason="switch to Claude",
            now=later,
        )
        submit_record(session, record=record, actor=OLIVER, config=sample_config, now=later)
        if sent_back:
            act(
                session,
                sample_config,
                record.ref,
                "business_owner",
                OLIVER,
                Verdict.REQUEST_CHANGES,
                "say why",
                now=later,
            )
    with db.session() as session:
        key, terms = load_access(session, issued.key, sample_config)
    assert terms is not None and terms.status in (
        RecordStatus.CHANGES_REQUESTED,
        RecordStatus.IN_REVIEW,
    )
    assert terms.approved_version == 1 and terms.tool == "ChatGPT Enterprise"
    assert terms.data_categories == {DataCategory.INTERNAL}
    assert _ask(key, terms).outcome is Outcome.ALLOW
    assert _ask(key, terms, "claude-3-5-sonnet").reason is RefusalReason.MODEL_NOT_ALLOWED


def test_a_newly_approved_version_brings_its_own_terms(db, sample_config, now):
    with db.session() as session:
        record = approved(session, sample_config, now)
        issued = issue_key(session, record_ref=record.ref, actor=OLIVER, config=sample_config)
        update_record(
            session,
            record=record,
            changes={"tool": "claude"},
            actor=OLIVER,
            reason="switch to Claude",
            now=now,
        )
        submit_record(session, record=record, actor=OLIVER, config=sample_config, now=now)
        act(session, sample_config, record.ref, "business_owner", OLIVER, now=now)
    with db.session() as session:
        _, terms = load_access(session, issued.key, sample_config)
    assert terms is not None and terms.approved_version == 2 and terms.tool == "claude"
    assert terms.allowed_models == ("claude-*",)


def test_a_revoked_key_comes_back_revoked_and_is_refused(db, sample_config, now):
    with db.session() as session:
        record = approved(session, sample_config, now)
        issued = issue_key(session, record_ref=record.ref, actor=OLIVER, config=sample_config)
        revoke_key(
            session, key_id=issued.key_id, actor=PRIYA, reason="leaked", config=sample_config
        )
    with db.session() as session:
        key, terms = load_access(session, issued.key, sample_config)
        assert key_id_for(session, issued.key) == ("KEY-0001", issued.prefix)
    assert key is not None and key.revoked and key.revoked_reason == "leaked"
    refused = _ask(key, terms)
    assert refused.reason is RefusalReason.REVOKED_KEY and refused.status == 401
    assert "leaked" in refused.message


def test_an_unknown_key_finds_nothing_and_is_named_by_a_prefix_only(db, sample_config, now):
    with db.session() as session:
        approved(session, sample_config, now)
        assert load_access(session, "aims_sk_" + "A" * 43, sample_config) == (None, None)
        assert load_access(session, "", sample_config) == (None, None)
        assert key_id_for(session, "aims_sk_" + "A" * 43) == (None, "aims_sk_AAAA")
        assert key_id_for(session, "sk-live-secretsecret") == (None, "sk-live-")
    assert _ask(None, None).reason is RefusalReason.UNKNOWN_KEY


@pytest.mark.parametrize(
    ("status", "lapsed"),
    [(RecordStatus.SUSPENDED, False), (RecordStatus.RETIRED, False), (RecordStatus.LIVE, True)],
)
def test_a_use_that_may_not_run_now_is_refused_by_its_status(
    db, sample_config, now, status, lapsed
):
    with db.session() as session:
        record = approved(session, sample_config, now)
        issued = issue_key(session, record_ref=record.ref, actor=OLIVER, config=sample_config)
        record.status, record.review_lapsed = status.value, lapsed
    with db.session() as session:
        key, terms = load_access(session, issued.key, sample_config)
    assert terms is not None and terms.status is status and terms.review_lapsed is lapsed
    refused = _ask(key, terms)
    assert refused.reason is RefusalReason.NOT_APPROVED and refused.status == 403


def test_the_restore_option_and_a_record_entered_as_approved(db, sample_config, now):
    with db.session() as session:
        fields = RecordFields(
            title="Imported use",
            owner=OLIVER,
            tool="Claude",
            data_categories=[DataCategory.PERSONAL],
            conditions=["Staff only"],
        )
        record = create_record(
            session, fields=fields, actor=PRIYA, status=RecordStatus.LIVE, now=now
        )
        set_restore_placeholders(
            session, record_ref=record.ref, on=True, actor=OLIVER, config=sample_config
        )
    with db.session() as session:
        terms = load_terms(session, "AIU-0001", sample_config)
    assert terms.approved_version == 1 and terms.restore_placeholders
    assert terms.allowed_models == ("claude-*",) and terms.conditions == ("Staff only",)
    assert terms.data_categories == {DataCategory.PERSONAL}


def test_a_draft_record_was_never_approved(db, sample_config, now):
    with db.session() as session:
        fields = RecordFields(title="Draft", owner=OLIVER, tool="ChatGPT Enterprise")
        create_record(session, fields=fields, actor=OLIVER, now=now)
        terms = load_terms(session, "AIU-0001", sample_config)
    assert terms.approved_version is None and terms.tool == ""


@pytest.mark.parametrize(
    ("tool", "found"),
    [
        ("ChatGPT Enterprise", "ChatGPT Enterprise"),
        ("  chatgpt   enterprise ", "ChatGPT Enterprise"),
        ("CHATGPT", "ChatGPT Enterprise"),
        ("Claude", "Claude (Team plan)"),
        ("Claude (Team plan)", "Claude (Team plan)"),
        ("claude (enterprise)", "Claude (Team plan)"),
        ("Jasper", None),
        ("", None),
    ],
)
def test_the_records_tool_is_found_in_the_catalogue_by_name_or_alias(sample_config, tool, found):
    match = catalogue_tool_for(tool, sample_config.catalogue)
    assert (match.name if match else None) == found
