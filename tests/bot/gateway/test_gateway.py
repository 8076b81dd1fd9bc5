"""The gateway end to end: uvicorn on a free localhost port, the real `openai` SDK and LangChain's
ChatOpenAI as callers, the OpenAI stand-in as the provider (it records what it received)."""

from __future__ import annotations

import threading
import time

import httpx
import openai
import pytest
from langchain_openai import ChatOpenAI

from bot.cli import app as cli
from governance import pii
from governance.gateway.keys import revoke_key
from governance.models import DataCategory, RecordStatus
from governance.register import get_record, update_record
from store.evidence_kinds import EvidenceKind
from tests.bot.gateway.conftest import UPSTREAM_SECRET, Rig, chain_ok, decisions, events
from tests.governance.gateway.helpers import OLIVER, PRIYA
from tests.support.openai_upstream import free_port

# One value of each kind of personal data the default gateway.recognisers name.
REDACTED_KINDS = {
    "EMAIL_ADDRESS": "jane.doe@example.com",
    "PHONE_NUMBER": "+44 20 7946 0958",
    "PERSON": "Dr Ada Lovelace",
    "IBAN_CODE": "GB82 WEST 1234 5698 7654 32",
    "IP_ADDRESS": "192.168.12.34",
    "NHS": "943 476 5919",
    "UK_PASSPORT": "passport AB1234567",
}
BLOCKED_KINDS = {
    "CREDIT_CARD": "4111 1111 1111 1111",
    "US_SSN": "536-22-8726",
    "UK_NINO": "AB 12 34 56 C",
}


def client(rig: Rig, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=rig.url, api_key=key, max_retries=0, timeout=10)


def ask(rig: Rig, key: str, text: str, model: str = "gpt-4o-mini", **extra):
    return client(rig, key).chat.completions.create(
        model=model, messages=[{"role": "user", "content": text}], **extra
    )


def test_each_configured_kind_arrives_redacted_and_the_answer_keeps_placeholders(rig):
    key, ref = rig.key_for()
    for kind, value in REDACTED_KINDS.items():
        answer = ask(rig, key, f"Draft a reply about {value}, please.")
        sent = rig.stand_in.received[-1]
        placeholder = f"<{kind}_1>"
        assert placeholder in sent.texts[0], kind
        secret = value.removeprefix("passport ")
        assert secret not in sent.body.decode(), kind
        assert placeholder in answer.choices[0].message.content  # restoring is off by default
    assert sent.headers["authorization"] == f"Bearer {UPSTREAM_SECRET}"  # not the caller's key
    recorded = decisions(rig.db)
    assert len(recorded) == len(REDACTED_KINDS)
    assert [next(iter(d["redacted"])) for d in recorded] == list(REDACTED_KINDS)
    assert {d["outcome"] for d in recorded} == {"redact"} and recorded[0]["record_ref"] == ref
    first = recorded[0]
    assert first["prompt_sha256_received"] != first["prompt_sha256_forwarded"]
    assert "jane.doe" not in str(recorded)  # no text stored without gateway.store_text
    chain_ok(rig.db)


def test_the_same_value_gets_the_same_placeholder_across_messages(rig):
    key, _ = rig.key_for()
    client(rig, key).chat.completions.create(
        model="gpt-4o",
        messages=[
            {"role": "system", "content": "Reply to jane.doe@example.com, cc bob@example.org."},
            {"role": "user", "content": [{"type": "text", "text": "Mail jane.doe@example.com"}]},
        ],
    )
    system, user = rig.stand_in.received[-1].texts
    assert system == "Reply to <EMAIL_ADDRESS_1>, cc <EMAIL_ADDRESS_2>."
    assert user == "Mail <EMAIL_ADDRESS_1>"


def test_a_use_approved_for_personal_data_sends_it_as_it_is(rig):
    key, _ = rig.key_for(data_categories=[DataCategory.PERSONAL])
    ask(rig, key, "Write to jane.doe@example.com")
    assert rig.stand_in.received[-1].texts == ["Write to jane.doe@example.com"]
    (decision,) = decisions(rig.db)
    assert decision["outcome"] == "allow" and decision["found"] == {"EMAIL_ADDRESS": 1}
    assert decision["prompt_sha256_received"] == decision["prompt_sha256_forwarded"]


def test_placeholders_are_restored_in_answers_when_the_use_asks(rig):
    key, _ = rig.key_for(restore=True)
    text = "Write to jane.doe@example.com and Dr Ada Lovelace"
    answer = ask(rig, key, text)
    assert rig.stand_in.received[-1].texts == ["Write to <EMAIL_ADDRESS_1> and <PERSON_1>"]
    assert answer.choices[0].message.content == f"You said: {text}"
    assert answer.usage is not None and answer.usage.completion_tokens > 0

    rig.stand_in.chunk_chars = 3  # placeholders split across chunks
    stream = ask(rig, key, text, stream=True, stream_options={"include_usage": True})
    pieces = [c.choices[0].delta.content or "" for c in stream if c.choices]
    assert "".join(pieces) == f"You said: {text}"
    assert len(pieces) > 10

    llm = ChatOpenAI(base_url=rig.url, api_key=key, model="gpt-4o-mini", max_retries=0)
    assert llm.invoke(text).content == f"You said: {text}"
    assert "".join(str(c.content) for c in llm.stream(text)) == f"You said: {text}"
    assert len(decisions(rig.db)) == 4
    completed = _wait_for(rig, EvidenceKind.GATEWAY_COMPLETED, 4)
    assert {c["outcome"] for c in completed} == {"answered"}
    assert completed[0]["prompt_tokens"] and completed[0]["restored"] == 2
    assert completed[1]["stream"] and completed[1]["completion_tokens"]  # usage from the stream


def test_a_blocked_kind_is_refused_and_nothing_reaches_the_upstream(rig):
    key, ref = rig.key_for()
    for kind, value in BLOCKED_KINDS.items():
        with pytest.raises(openai.PermissionDeniedError) as refused:
            ask(rig, key, f"Check {value} for me")
        assert refused.value.status_code == 403
        assert kind in refused.value.message and value not in refused.value.message
        assert refused.value.code == "blocked_data"
    assert rig.stand_in.received == []
    recorded = decisions(rig.db)
    assert [d["found"] for d in recorded] == [{kind: 1} for kind in BLOCKED_KINDS]
    assert {(d["outcome"], d["reason"], d["prompt_sha256_forwarded"]) for d in recorded} == {
        ("refuse", "blocked_data", None)
    }


@pytest.mark.parametrize(
    ("status", "why"),
    [(RecordStatus.SUSPENDED, "is suspended"), (RecordStatus.RETIRED, "is retired")],
)
def test_a_suspended_or_retired_use_is_refused(rig, status, why):
    key, ref = rig.key_for(status)
    with pytest.raises(openai.PermissionDeniedError) as refused:
        ask(rig, key, "hello")
    assert ref in refused.value.message and why in refused.value.message
    assert refused.value.code == "not_approved"
    assert rig.stand_in.received == []
    assert [d["reason"] for d in decisions(rig.db)] == ["not_approved"]


def test_refusals_say_why(rig):
    rig.gateway.access.ttl = 0  # no caching: each request reads the register (see test_processes)
    key, ref = rig.key_for()
    refusals = []
    with pytest.raises(openai.PermissionDeniedError) as refused:
        ask(rig, key, "hello", model="claude-3-5-sonnet")
    assert "gpt-4o*" in refused.value.message and "claude-3-5-sonnet" in refused.value.message
    refusals.append(refused.value.code)

    with pytest.raises(openai.AuthenticationError) as refused:
        ask(rig, "aims_sk_not-a-key-anyone-holds", "hello")
    assert refused.value.status_code == 401 and "not a gateway key" in refused.value.message
    refusals.append(refused.value.code)

    no_key = httpx.post(
        rig.url + "/chat/completions",
        json={"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]},
    )
    assert no_key.status_code == 401 and "No gateway key" in no_key.json()["error"]["message"]
    refusals.append(no_key.json()["error"]["code"])

    with rig.db.session() as session:
        record = get_record(session, ref)
        update_record(
            session,
            record=record,
            changes={"review_lapsed": True},
            actor=PRIYA,
            reason="review not done",
        )
    with pytest.raises(openai.PermissionDeniedError) as refused:
        ask(rig, key, "hello")
    assert "missed its periodic review" in refused.value.message
    refusals.append(refused.value.code)

    other, _ = rig.key_for()
    with rig.db.session() as session:
        revoke_key(session, key_id="KEY-0002", actor=OLIVER, reason="leaked", config=rig.ctx.config)
    with pytest.raises(openai.AuthenticationError) as refused:
        ask(rig, other, "hello")
    assert "KEY-0002" in refused.value.message and "revoked (leaked)" in refused.value.message
    refusals.append(refused.value.code)

    assert refusals == [
        "model_not_allowed",
        "unknown_key",
        "no_key",
        "not_approved",
        "revoked_key",
    ]
    assert rig.stand_in.received == []
    recorded = decisions(rig.db)
    assert [d["reason"] for d in recorded if d["reason"]] == [
        "model_not_allowed",
        "unknown_key",
        "no_key",
        "not_approved",
        "revoked_key",
    ]
    unknown = recorded[1]
    assert unknown["key_id"] is None and unknown["key_prefix"] == "aims_sk_not-"
    chain_ok(rig.db)


def _wait_for(rig, kind, count, seconds=5.0):
    import time

    deadline = time.monotonic() + seconds
    while len(found := events(rig.db, kind)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def test_an_analyzer_failure_refuses_and_forwards_nothing(rig, monkeypatch):
    key, _ = rig.key_for()

    def broken(self, text):
        raise RuntimeError("analyzer down")

    monkeypatch.setattr(pii.PiiAnalyzer, "find", broken)
    with pytest.raises(openai.InternalServerError) as refused:
        ask(rig, key, "hello")
    assert refused.value.status_code == 503 and refused.value.code == "scan_failed"
    assert "reference gw-" in refused.value.message
    assert rig.stand_in.received == []
    assert [d["reason"] for d in decisions(rig.db)] == ["scan_failed"]


def test_streaming_delivers_the_first_chunk_before_the_upstream_has_finished(rig):
    key, _ = rig.key_for()
    rig.stand_in.hold = threading.Event()
    stream = ask(rig, key, "one two three four", stream=True)
    first = next(iter(stream))
    assert first.choices[0].delta.content == "You "
    assert rig.stand_in.streams_finished == 0  # the stand-in is still holding the rest
    rig.stand_in.hold.set()
    rest = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert rest == "said: one two three four"
    assert rig.stand_in.streams_finished == 1


def test_upstream_errors_and_timeouts_are_502_and_504_with_a_reference(make_rig, stand_in):
    _, upstream_url = stand_in
    rig = make_rig(
        upstreams=[
            {
                "name": "standin",
                "base_url": upstream_url,
                "models": ["gpt-4o*"],
                "timeout_seconds": 0.3,
            },
            {
                "name": "down",
                "base_url": f"http://127.0.0.1:{free_port()}/v1",
                "models": ["gpt-4.1*"],
            },
        ]
    )
    key, _ = rig.key_for()
    rig.stand_in.fail_status = 500
    with pytest.raises(openai.InternalServerError) as failed:
        ask(rig, key, "hello")
    assert failed.value.status_code == 502 and "reference gw-" in failed.value.message
    rig.stand_in.fail_status = 400
    with pytest.raises(openai.BadRequestError) as failed:
        ask(rig, key, "hello")
    assert failed.value.message.endswith(" - stand-in failure")  # the provider's own 4xx
    rig.stand_in.fail_status, rig.stand_in.delay = None, 1.0
    with pytest.raises(openai.InternalServerError) as failed:
        ask(rig, key, "hello")
    assert failed.value.status_code == 504 and failed.value.code == "upstream_timeout"
    with pytest.raises(openai.InternalServerError) as failed:
        ask(rig, key, "hello", stream=True)
    assert failed.value.status_code == 504
    with pytest.raises(openai.InternalServerError) as failed:
        ask(rig, key, "hello", model="gpt-4.1-mini")
    assert failed.value.status_code == 502 and "could not be reached" in failed.value.message
    assert [d["outcome"] for d in decisions(rig.db)] == ["allow"] * 5  # decided, then failed
    completed = _wait_for(rig, EvidenceKind.GATEWAY_COMPLETED, 5)
    assert [c["outcome"] for c in completed] == [
        "upstream_error",
        "upstream_error",
        "upstream_timeout",
        "upstream_timeout",
        "upstream_failed",
    ]
    assert completed[0]["upstream_status"] == 500 and completed[0]["reference"]


def test_malformed_requests_are_4xx_and_openai_shaped(rig):
    key, _ = rig.key_for()
    headers = {"authorization": f"Bearer {key}", "content-type": "application/json"}
    url = rig.url + "/chat/completions"
    big = b'{"model": "gpt-4o", "messages": [{"role": "user", "content": "' + b"x" * 2_000_000
    cases = [
        (b"{not json", 400),
        (b"[1, 2]", 400),
        (b'{"model": "gpt-4o"}', 400),  # no messages
        (b'{"model": 5, "messages": "hi"}', 400),  # wrong types
        (b'{"model": "gpt-4o", "messages": []}', 400),
        (b'{"model": "gpt-4o", "messages": [{"role": "user", "content": 7}]}', 400),
        (
            b'{"model": "gpt-4o", "messages": [{"role": "user", "content": '
            b'[{"type": "image_url", "image_url": {"url": "http://x/y.png"}}]}]}',
            400,
        ),
        (b"\xff\xfe\x00garbage", 400),
        (big + b'"}]}', 413),
    ]
    with httpx.Client(timeout=10) as http:
        for body, status in cases:
            answer = http.post(url, content=body, headers=headers)
            assert answer.status_code == status, body[:60]
            error = answer.json()["error"]
            assert set(error) >= {"message", "type", "code"} and error["message"]
        chunked = http.post(url, content=iter([big[:1_000_000], big[1_000_000:]]), headers=headers)
        assert chunked.status_code == 413  # no Content-Length: counted while reading
        assert http.get(rig.url + "/nowhere").status_code == 404
        assert http.get(url).json()["error"]["code"] == "method_not_allowed"
    assert rig.stand_in.received == []
    recorded = decisions(rig.db)
    assert len(recorded) == len(cases) + 1
    assert [d["reason"] for d in recorded].count("too_large") == 2
    assert recorded[3]["model"] == "" and recorded[4]["model"] == "gpt-4o"


def test_rate_limit_is_429_with_retry_after(make_rig):
    rig = make_rig(requests_per_minute=2)
    key, _ = rig.key_for()
    ask(rig, key, "one")
    ask(rig, key, "two")
    with pytest.raises(openai.RateLimitError) as limited:
        ask(rig, key, "three")
    assert int(limited.value.response.headers["retry-after"]) >= 1
    assert len(rig.stand_in.received) == 2
    assert [d["outcome"] for d in decisions(rig.db)] == ["allow", "allow", "refuse"]


def test_models_lists_what_the_use_may_call_and_health_answers(rig):
    key, _ = rig.key_for()
    models = client(rig, key).models.list()
    assert [m.id for m in models.data] == ["gpt-4o*", "gpt-4.1*"]
    with pytest.raises(openai.AuthenticationError):
        client(rig, "aims_sk_nobody").models.list()
    assert httpx.get(rig.url.removesuffix("/v1") + "/healthz").json()["status"] == "ok"
    assert decisions(rig.db) == []  # listing models is not an AI request


def test_aims_evidence_verify_passes_after_gateway_traffic(rig):
    from typer.testing import CliRunner

    key, _ = rig.key_for()
    ask(rig, key, "Mail jane.doe@example.com")
    with pytest.raises(openai.PermissionDeniedError):
        ask(rig, key, "card 4111 1111 1111 1111")
    _wait_for(rig, EvidenceKind.GATEWAY_COMPLETED, 1)
    result = CliRunner().invoke(
        cli,
        ["--config", str(rig.ctx.config_path), "evidence", "verify"],
        env={"AIMS_DATABASE_URL": rig.db.url},
    )
    assert result.exit_code == 0 and result.output.startswith("OK "), result.output


def test_with_store_text_the_prompt_and_answer_are_kept_with_secrets_redacted(make_rig):
    """`gateway.store_text: true` keeps what was asked and answered in the ledger (an
    organisation that must show what was sent may choose it); tokens in it still never are."""
    rig = make_rig(store_text=True)
    key, _ = rig.key_for()
    prompt = "Mail jane.doe@example.com with the token sk-abcdefghijklmnopqrstuvwx attached."
    answer = ask(rig, key, prompt).choices[0].message.content
    streamed = "".join(
        chunk.choices[0].delta.content or ""
        for chunk in ask(rig, key, "Stream this back, please.", stream=True)
        if chunk.choices
    )
    decided = decisions(rig.db)
    assert "jane.doe@example.com" in decided[0]["text"]["prompt"]  # as received
    assert "sk-abcdefghijklmnopqrstuvwx" not in str(decided)
    assert "[redacted]" in decided[0]["text"]["prompt"]
    deadline = time.monotonic() + 5  # completions are recorded off the caller's path
    while len(completed := events(rig.db, EvidenceKind.GATEWAY_COMPLETED)) < 2:
        assert time.monotonic() < deadline, "the completions were not recorded"
        time.sleep(0.05)
    kept = [c["text"]["answer"] for c in sorted(completed, key=lambda c: c["decision_seq"])]
    assert kept == [answer.replace("sk-abcdefghijklmnopqrstuvwx", "[redacted]"), streamed]
    chain_ok(rig.db)
