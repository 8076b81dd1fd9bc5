"""Which deliveries count as the same effect (and so run once)."""

from __future__ import annotations

from bot.slack.keys import delivery_key as key_of
from bot.slack.payloads import SlackPayload, parse_payload


def delivery_key(body: dict) -> str | None:
    payload: SlackPayload = parse_payload(body)
    return key_of(payload)


def _click(user: str, value: str = "approve") -> dict:
    return {
        "type": "block_actions",
        "user": {"id": user},
        "container": {"channel_id": "C0ACMEGOV1", "message_ts": "1700000000.000100"},
        "actions": [{"block_id": "b1", "action_id": "decide", "value": value}],
    }


def _submission(values: dict) -> dict:
    return {
        "type": "view_submission",
        "user": {"id": "U0ACME0001"},
        "view": {"id": "V1", "type": "modal", "hash": "h1", "state": {"values": values}},
    }


def test_a_double_click_is_one_effect_but_two_people_clicking_are_two():
    assert delivery_key(_click("U0ACME0001")) == delivery_key(_click("U0ACME0001"))
    assert delivery_key(_click("U0ACME0001")) != delivery_key(_click("U0ACME0002"))


def test_a_form_corrected_after_an_error_is_not_dropped_as_a_repeat():
    empty = _submission({"reason": {"input": {"value": ""}}})
    corrected = _submission({"reason": {"input": {"value": "No DPA yet"}}})
    assert delivery_key(empty) == delivery_key(_submission({"reason": {"input": {"value": ""}}}))
    assert delivery_key(empty) != delivery_key(corrected)
