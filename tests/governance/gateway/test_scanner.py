"""The scanner on requests: every text part, typed numbered placeholders, restoring answers
(including streamed ones split anywhere)."""

from __future__ import annotations

import json

import pytest

from governance.config import GatewaySettings
from governance.gateway.models import ChatRequest
from governance.gateway.scanner import PiiScanner, StreamRestorer, non_text_parts, restore
from governance.pii import KNOWN_RECOGNISERS, PiiAnalyzer, analyzer_for


@pytest.fixture(scope="module")
def scanner() -> PiiScanner:
    return PiiScanner(GatewaySettings().recognisers)


def chat(*contents) -> ChatRequest:
    return ChatRequest(
        model="gpt-4o",
        messages=[{"role": "user", "content": content} for content in contents],
    )


def test_every_text_is_scanned_and_the_same_value_keeps_its_placeholder(scanner):
    request = chat(
        "Write to jane.doe@example.com and Dr Ada Lovelace.",
        [
            {"type": "text", "text": "cc bob@example.org and jane.doe@example.com"},
            {"type": "text", "text": "call +44 20 7946 0958"},
        ],
    )
    found = scanner.scan(request)
    assert found.counts() == {"EMAIL_ADDRESS": 3, "PERSON": 1, "PHONE_NUMBER": 1}
    redacted, mapping = scanner.redact(request, found, ["EMAIL_ADDRESS", "PERSON", "PHONE_NUMBER"])
    first, second = redacted.messages
    assert first.content == "Write to <EMAIL_ADDRESS_1> and <PERSON_1>."
    assert second.content[0]["text"] == "cc <EMAIL_ADDRESS_2> and <EMAIL_ADDRESS_1>"
    assert second.content[1] == {"type": "text", "text": "call <PHONE_NUMBER_1>"}
    assert mapping == {
        "<EMAIL_ADDRESS_1>": "jane.doe@example.com",
        "<PERSON_1>": "Dr Ada Lovelace",
        "<EMAIL_ADDRESS_2>": "bob@example.org",
        "<PHONE_NUMBER_1>": "+44 20 7946 0958",
    }
    assert request.messages[0].content.startswith("Write to jane")  # the original is untouched


def test_only_the_kinds_asked_for_are_replaced(scanner):
    request = chat("jane.doe@example.com and Dr Ada Lovelace")
    redacted, mapping = scanner.redact(request, scanner.scan(request), ["PERSON"])
    assert redacted.messages[0].content == "jane.doe@example.com and <PERSON_1>"
    assert list(mapping) == ["<PERSON_1>"]


def test_a_placeholder_the_caller_wrote_is_never_reused(scanner):
    request = chat("<EMAIL_ADDRESS_1> is a template; the real one is jane.doe@example.com")
    redacted, mapping = scanner.redact(request, scanner.scan(request), ["EMAIL_ADDRESS"])
    assert redacted.messages[0].content.endswith("is <EMAIL_ADDRESS_2>")
    assert restore("<EMAIL_ADDRESS_1> / <EMAIL_ADDRESS_2>", mapping) == (
        "<EMAIL_ADDRESS_1> / jane.doe@example.com"
    )


def test_text_without_personal_data_is_left_alone(scanner):
    request = chat("May I use Copilot on a board paper from 2025?")
    found = scanner.scan(request)
    assert found.counts() == {}
    assert scanner.redact(request, found, ["EMAIL_ADDRESS"]) == (request, {})


def test_non_text_parts_are_named():
    request = chat(
        [{"type": "image_url", "image_url": {"url": "x"}}, {"type": "text", "text": "x"}]
    )
    assert non_text_parts(request) == ["image_url"]


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 100])
def test_a_streamed_answer_is_restored_wherever_the_chunks_split(size):
    mapping = {"<EMAIL_ADDRESS_1>": "jane@example.com", "<PERSON_1>": "Dr Ada"}
    answer = "Dear <PERSON_1>, we wrote to <EMAIL_ADDRESS_1>. x < y and <NOT_OURS_9> stay."
    restorer = StreamRestorer(mapping)
    pieces = [restorer.feed(answer[i : i + size]) for i in range(0, len(answer), size)]
    assert "".join(pieces) + restorer.flush() == restore(answer, mapping)
    assert restore(answer, mapping) == (
        "Dear Dr Ada, we wrote to jane@example.com. x < y and <NOT_OURS_9> stay."
    )


def test_the_recognisers_are_the_configured_ones_and_unknown_names_are_refused():
    assert analyzer_for(["EMAIL_ADDRESS"]).recognisers == ("EMAIL_ADDRESS",)
    only_mail = PiiScanner(["EMAIL_ADDRESS"])
    assert only_mail.scan(chat("jane@example.com, +44 20 7946 0958")).counts() == {
        "EMAIL_ADDRESS": 1
    }
    with pytest.raises(ValueError, match="unknown recogniser"):
        PiiAnalyzer(["EMAIL_ADDRESS", "SHOE_SIZE"])
    with pytest.raises(ValueError, match="SHOE_SIZE"):
        GatewaySettings(recognisers=["SHOE_SIZE"])
    assert set(GatewaySettings().recognisers) == set(KNOWN_RECOGNISERS)


def test_context_words_lift_weak_patterns():
    analyzer = analyzer_for(KNOWN_RECOGNISERS)
    assert [s.kind for s in analyzer.find("My passport number is AB1234567.")] == ["UK_PASSPORT"]
    assert analyzer.find("Order code AB1234567 shipped.") == []


TEXTS_FOR_EVERY_KIND = [
    "jane.doe@example.com wrote first",
    "last words to <jane.doe@example.com>",
    "(mail: a.b-c@mail.example.co.uk), or x@y.org;z@w.net\nthen 4111 1111 1111 1111.",
    "card 4111-1111-1111-1111/5500 0000 0000 0004 and 12 4111111111111111 99",
    "no address @ all, and a stray @ sign @example.com and me@localhost\there",
    "numbers 1234 5678 9012 3456 7 near +44 20 7946 0958 but no card",
    "Ünïcode name ünï.cøde@exämple.de and émile@example.fr…",
    "IBAN GB82 WEST 1234 5698 7654 32, NINO AB 12 34 56 C, NHS 943 476 5919, passport 123456789",
    "SSN 078-05-1120 and 219-09-9999; IP 192.168.0.1 and fe80::1; Dr Ada Lovelace called",
    "digits far apart: 1" + " word" * 40 + " 2 and at the end AB123456C",
]


@pytest.mark.parametrize("text", TEXTS_FOR_EVERY_KIND)
@pytest.mark.parametrize("kind", KNOWN_RECOGNISERS)
def test_pre_checks_and_stretches_never_change_what_a_recogniser_finds(kind, text):
    """Recognisers are skipped when a cheap pre-check finds nothing, and the costly ones run on
    the stretches that can hold a match (the gateway scans every request); what each finds must
    be what Presidio's recogniser finds in the whole text."""
    from governance import pii

    def spans(recognizer) -> list[tuple[int, int, float]]:
        return sorted((r.start, r.end, r.score) for r in recognizer.analyze(text, [kind]))

    assert spans(pii._recognizer(kind)) == spans(pii.presidio_recognizer(kind))


def test_arguments_of_earlier_tool_calls_are_scanned_and_redacted(scanner):
    """A model's tool-call arguments repeat what users wrote; sent back in the conversation,
    they are personal data like any message text."""
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "send_mail", "arguments": '{"to": "jane.doe@example.com"}'},
    }
    request = ChatRequest(
        model="gpt-4o",
        messages=[
            {"role": "user", "content": "Mail jane.doe@example.com the minutes."},
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "call_1", "content": "sent"},
        ],
    )
    found = scanner.scan(request)
    assert found.counts() == {"EMAIL_ADDRESS": 2}
    redacted, mapping = scanner.redact(request, found, ["EMAIL_ADDRESS"])
    forwarded = json.loads(redacted.model_dump_json(exclude_unset=True))
    assert forwarded["messages"][0]["content"] == "Mail <EMAIL_ADDRESS_1> the minutes."
    [sent] = forwarded["messages"][1]["tool_calls"]
    assert sent["function"] == {"name": "send_mail", "arguments": '{"to": "<EMAIL_ADDRESS_1>"}'}
    assert sent["id"] == "call_1" and mapping == {"<EMAIL_ADDRESS_1>": "jane.doe@example.com"}
    assert "jane.doe" not in json.dumps(forwarded)
