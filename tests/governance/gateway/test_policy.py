"""policy.decide on its own: pure data in, a decision out (no HTTP, database or Presidio)."""

from __future__ import annotations

import pytest

from governance.config import GatewaySettings, Upstream
from governance.gateway.models import (
    REFUSAL_STATUS,
    ChatRequest,
    Finding,
    KeyState,
    Outcome,
    RefusalReason,
    Scan,
    UseTerms,
)
from governance.gateway.policy import decide, model_allowed, upstream_for
from governance.models import DataCategory, RecordStatus

SETTINGS = GatewaySettings(
    upstreams=[
        Upstream(name="openai", base_url="https://api.openai.example/v1", models=["gpt-*"]),
        Upstream(
            name="anthropic", base_url="https://api.anthropic.example/v1", models=["claude-*"]
        ),
    ]
)
KEY = KeyState(key_id="KEY-0001", prefix="aims_sk_abcd", record_ref="AIU-0007")


def terms(**changes) -> UseTerms:
    base = {
        "record_ref": "AIU-0007",
        "title": "Support replies",
        "status": RecordStatus.APPROVED,
        "approved_version": 2,
        "tool": "ChatGPT Enterprise",
        "allowed_models": ("gpt-4o*",),
        "data_categories": frozenset({DataCategory.INTERNAL}),
    }
    return UseTerms(**{**base, **changes})


def request(model: str = "gpt-4o-mini") -> ChatRequest:
    return ChatRequest(model=model, messages=[{"role": "user", "content": "hello"}])


def scan(*kinds: str) -> Scan:
    return Scan(
        findings=tuple(
            Finding(kind=kind, message=0, part=None, start=i, end=i + 1)
            for i, kind in enumerate(kinds)
        )
    )


def run(key=KEY, use=None, model="gpt-4o-mini", found=Scan(), settings=SETTINGS):
    return decide(
        key=key, terms=use or terms(), request=request(model), scan=found, settings=settings
    )


def test_an_approved_use_calling_an_allowed_model_without_personal_data_is_allowed():
    decision = run()
    assert decision.outcome is Outcome.ALLOW and decision.upstream == "openai"
    assert decision.status == 200 and decision.reason is None


@pytest.mark.parametrize(
    "status", [RecordStatus.APPROVED, RecordStatus.APPROVED_WITH_CONDITIONS, RecordStatus.LIVE]
)
def test_usable_statuses(status):
    assert run(use=terms(status=status)).outcome is Outcome.ALLOW


@pytest.mark.parametrize(
    "status", [RecordStatus.CHANGES_REQUESTED, RecordStatus.SUBMITTED, RecordStatus.IN_REVIEW]
)
def test_a_record_back_in_approval_keeps_its_last_approved_terms(status):
    assert run(use=terms(status=status)).outcome is Outcome.ALLOW
    never = run(use=terms(status=status, approved_version=None))
    assert never.reason is RefusalReason.NOT_APPROVED


@pytest.mark.parametrize(
    "status",
    [RecordStatus.SUSPENDED, RecordStatus.RETIRED, RecordStatus.REJECTED, RecordStatus.DRAFT],
)
def test_a_use_that_may_not_run_is_refused_naming_record_and_status(status):
    decision = run(use=terms(status=status))
    assert decision.reason is RefusalReason.NOT_APPROVED and decision.status == 403
    assert "AIU-0007" in decision.message and status.value.replace("_", " ") in decision.message


def test_a_lapsed_review_refuses():
    decision = run(use=terms(review_lapsed=True))
    assert decision.reason is RefusalReason.NOT_APPROVED
    assert "periodic review" in decision.message


def test_unknown_and_revoked_keys_are_401():
    assert (
        decide(key=None, terms=None, request=request(), scan=Scan(), settings=SETTINGS).reason
        is RefusalReason.UNKNOWN_KEY
    )
    revoked = run(key=KEY.model_copy(update={"revoked": True, "revoked_reason": "leaked"}))
    assert revoked.reason is RefusalReason.REVOKED_KEY and revoked.status == 401
    assert "KEY-0001" in revoked.message and "leaked" in revoked.message


def test_a_model_outside_the_allowance_names_the_allowed_ones_and_the_conditions():
    decision = run(model="claude-3-5-sonnet", use=terms(conditions=("Check every answer",)))
    assert decision.reason is RefusalReason.MODEL_NOT_ALLOWED and decision.status == 403
    assert "gpt-4o*" in decision.message and "claude-3-5-sonnet" in decision.message
    assert "Check every answer" in decision.message


def test_a_tool_without_models_allows_none():
    decision = run(use=terms(allowed_models=()))
    assert decision.reason is RefusalReason.MODEL_NOT_ALLOWED
    assert "no models in the catalogue" in decision.message


def test_an_allowed_model_no_upstream_serves_is_503():
    settings = GatewaySettings(upstreams=[])
    decision = run(settings=settings)
    assert decision.reason is RefusalReason.NO_UPSTREAM and decision.status == 503


def test_personal_data_is_redacted_for_a_use_not_approved_for_it():
    decision = run(found=scan("EMAIL_ADDRESS", "PERSON", "EMAIL_ADDRESS"))
    assert decision.outcome is Outcome.REDACT and decision.upstream == "openai"
    assert set(decision.redact_kinds) == {"EMAIL_ADDRESS", "PERSON"}
    assert decision.found == {"EMAIL_ADDRESS": 2, "PERSON": 1}


@pytest.mark.parametrize(
    "category", [DataCategory.PERSONAL, DataCategory.SPECIAL_CATEGORY, DataCategory.CUSTOMER]
)
def test_a_use_approved_for_personal_data_sends_it(category):
    use = terms(data_categories=frozenset({category}))
    decision = run(use=use, found=scan("EMAIL_ADDRESS"))
    assert decision.outcome is Outcome.ALLOW and decision.found == {"EMAIL_ADDRESS": 1}


def test_blocked_kinds_refuse_whatever_the_use_is_approved_for_and_never_show_values():
    use = terms(data_categories=frozenset({DataCategory.PERSONAL}))
    decision = run(use=use, found=scan("CREDIT_CARD", "EMAIL_ADDRESS"))
    assert decision.reason is RefusalReason.BLOCKED_DATA and decision.status == 403
    assert "CREDIT_CARD" in decision.message and "EMAIL_ADDRESS" not in decision.message
    assert decision.found == {"CREDIT_CARD": 1, "EMAIL_ADDRESS": 1}


def test_the_order_is_key_then_use_then_model_then_data():
    suspended = terms(status=RecordStatus.SUSPENDED)
    assert (
        run(key=KEY.model_copy(update={"revoked": True}), use=suspended).reason
        is RefusalReason.REVOKED_KEY
    )
    assert run(use=suspended, model="o1").reason is RefusalReason.NOT_APPROVED
    assert run(model="o1", found=scan("CREDIT_CARD")).reason is RefusalReason.MODEL_NOT_ALLOWED


def test_patterns_and_upstreams():
    assert model_allowed("gpt-4o-mini", ("gpt-4o*",)) and not model_allowed("gpt-4", ("gpt-4o*",))
    assert model_allowed("GPT-4o", ("gpt-4o*",)) is False  # case matters: provider ids are exact
    assert upstream_for("claude-3-haiku", SETTINGS).name == "anthropic"  # type: ignore[union-attr]
    assert upstream_for("mistral-large", SETTINGS) is None


def test_every_refusal_reason_has_a_4xx_or_5xx_status():
    assert set(REFUSAL_STATUS) == set(RefusalReason)
    assert all(400 <= status < 600 for status in REFUSAL_STATUS.values())
