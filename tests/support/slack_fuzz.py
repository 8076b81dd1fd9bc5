"""A seeded generator of malformed Slack payloads: every inbound shape the app handles, broken
the ways a careless client or an attacker would break it (keys dropped, values of the wrong
type, lists emptied, bodies that are not objects or not JSON at all).

Each case is (body bytes, content type); the same seed gives the same cases.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from tests.support.slack_standin import TEAM

Body = tuple[bytes, str]
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"

JUNK: list[Any] = [
    None,
    0,
    -1,
    1e308,
    True,
    "",
    "x" * 3000,
    [],
    {},
    [None],
    {"id": 5},
    "\u0000\ud7ff",
    "\ud800 lone surrogate",
    "U" * 300,
    [{"x": []}],
]
RAW_BODIES: list[Body] = [
    (b"[]", JSON),
    (b"null", JSON),
    (b"5", JSON),
    (b'"text"', JSON),
    (b"not-json", JSON),
    (b"{", JSON),
    (b"\xff\xfe\x00garbage", JSON),
    (b"payload=not-json", FORM),
    (b"payload=%5B%5D", FORM),
    (b"payload=null", FORM),
    (b"payload=%7B%7D", FORM),
    (b"text=hello&user_id=U1", FORM),
    (b"", JSON),
    (json.dumps({"type": "event_callback", "event": "x"}).encode(), JSON),
    (json.dumps({"type": "event_callback", "event": {"type": "message"}}).encode(), JSON),
    (json.dumps({"type": "block_actions", "user": {"id": "U1"}, "actions": []}).encode(), JSON),
    (json.dumps({"type": "nonsense"}).encode(), JSON),
    (json.dumps({"type": ["block_actions"]}).encode(), JSON),
]


def _user() -> dict[str, Any]:
    return {"id": "U0ACME0001", "username": "ada", "team_id": TEAM}


def _click(action: dict[str, Any], *, view: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": TEAM},
        "user": _user(),
        "api_app_id": "A0AIMS",
        "trigger_id": "trig-1",
        "actions": [{"block_id": "b1", "type": "button", "action_ts": "1.0", **action}],
        "response_url": "RESPONSE_URL",
    }
    if view:
        body["container"] = {"type": "view", "view_id": "VHOME"}
        body["view"] = {"id": "VHOME", "type": "home", "hash": "h1"}
    else:
        body["container"] = {"type": "message", "message_ts": "1.1", "channel_id": "D0ACME0001"}
        body["channel"] = {"id": "D0ACME0001"}
        body["message"] = {"ts": "1.1", "text": "hi", "blocks": []}
    return body


def _submission(callback: str, values: dict[str, Any], metadata: str = "") -> dict[str, Any]:
    return {
        "type": "view_submission",
        "team": {"id": TEAM},
        "user": _user(),
        "trigger_id": "trig-2",
        "view": {
            "id": "VMODAL",
            "type": "modal",
            "callback_id": callback,
            "hash": "h2",
            "private_metadata": metadata,
            "state": {"values": values},
        },
    }


def _event(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "event_callback",
        "team_id": TEAM,
        "api_app_id": "A0AIMS",
        "event_id": "Ev1",
        "event_time": 1,
        "event": event,
    }


def templates() -> list[dict[str, Any]]:
    """One valid payload of every shape the app listens for."""
    approval = json.dumps(
        {"request_id": 1, "slot": "privacy", "verdict": "approve", "ref": "AIU-0001", "version": 1}
    )
    review = json.dumps({"ref": "AIU-0001", "due_on": "2026-12-01"})
    text = {"type": "plain_text_input", "value": "because"}
    return [
        _event(
            {
                "type": "message",
                "user": "U0ACME0001",
                "text": "hello",
                "ts": "1.2",
                "channel": "D0ACME0001",
                "channel_type": "im",
            }
        ),
        _event(
            {
                "type": "app_mention",
                "user": "U0ACME0001",
                "text": "<@U0AIMSBOT> hi",
                "ts": "1.3",
                "channel": "C0GENERAL",
            }
        ),
        _event({"type": "app_home_opened", "user": "U0ACME0001", "tab": "home"}),
        _event({"type": "reaction_added", "user": "U0ACME0001", "reaction": "+1"}),
        _click(
            {"action_id": "aims_choice:0", "value": json.dumps({"thread": "1.2", "value": "a"})}
        ),
        _click(
            {
                "action_id": "aims_choice",
                "type": "static_select",
                "block_id": json.dumps({"thread": "1.2"}),
                "selected_option": {"value": "a", "text": {"type": "plain_text", "text": "A"}},
            }
        ),
        _click({"action_id": "aims_feedback_up", "value": '{"answer": "7", "vote": "up"}'}),
        _click({"action_id": "aims_home_ask"}, view=True),
        _click({"action_id": "aims_home_register"}, view=True),
        _click({"action_id": "aims_home_incident"}, view=True),
        _click({"action_id": "approval_approve", "value": approval}),
        _click({"action_id": "approval_reject", "value": approval}),
        _click({"action_id": "approval_edit", "value": approval}),
        _click({"action_id": "review_start", "value": review}),
        _click({"action_id": "review_snooze", "value": review}),
        _click({"action_id": "incident_close", "value": "INC-0001"}),
        _submission("aims_ask_modal", {"aims_ask_question": {"aims_ask_input": text}}),
        _submission(
            "approval_reason_modal",
            {"approval_reason_block": {"approval_reason_input": text}},
            approval,
        ),
        _submission("approval_edit_modal", {"approval_edit_reason": {"value": text}}, approval),
        _submission(
            "review_form",
            {"review_outcome": {"value": {"type": "static_select", "selected_option": None}}},
            review,
        ),
        _submission("incident_report", {"incident_what": {"value": text}}),
        _submission("incident_close_form", {"incident_root_cause": {"value": text}}, "INC-0001"),
        {"type": "view_closed", "user": _user(), "view": {"id": "V1", "type": "modal"}},
        {"type": "block_suggestion", "user": _user(), "action_id": "x", "value": "a"},
        {"type": "url_verification", "challenge": "c-1", "token": "t"},
    ]


COMMANDS = ["/aims", "/ai-ask", "/ai-register", "/ai-status", "/ai-incident"]


def _command(name: str) -> dict[str, Any]:
    return {
        "token": "legacy",
        "team_id": TEAM,
        "channel_id": "C0GENERAL",
        "user_id": "U0ACME0001",
        "command": name,
        "text": "Can I use ChatGPT?",
        "response_url": "RESPONSE_URL",
        "trigger_id": "trig-3",
    }


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*prefix, key)
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*prefix, index)
            yield from _paths(item, (*prefix, index))


def _mutate(body: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    body = copy.deepcopy(body)
    for _ in range(rng.randint(1, 3)):
        paths = list(_paths(body))
        if not paths:
            break
        path = rng.choice(paths)
        parent: Any = body
        for part in path[:-1]:
            parent = parent[part]
        last = path[-1]
        move = rng.random()
        if move < 0.35 and isinstance(parent, dict):
            del parent[last]
        elif move < 0.45 and isinstance(parent[last], list):
            parent[last] = []
        else:
            parent[last] = copy.deepcopy(rng.choice(JUNK))
    return body


def _encode(body: dict[str, Any], response_url: str, rng: random.Random) -> Body:
    text = json.dumps(body).replace("RESPONSE_URL", response_url)
    if body.get("type") in ("event_callback", "url_verification", "app_rate_limited"):
        return text.encode(), JSON
    if "command" in body or rng.random() < 0.1:  # a command, or a form that has lost its type
        form = json.loads(text)
        flat = {k: v if isinstance(v, str) else json.dumps(v) for k, v in form.items()}
        return urlencode(flat, errors="surrogatepass").encode(), FORM
    return urlencode({"payload": text}).encode(), FORM


def malformed_cases(count: int, *, seed: int, response_url: str) -> list[Body]:
    """`count` broken payloads (plus the hand-written raw ones), deterministic for `seed`."""
    rng = random.Random(seed)
    shapes = templates() + [_command(name) for name in COMMANDS]
    cases = list(RAW_BODIES)
    while len(cases) < count:
        cases.append(_encode(_mutate(rng.choice(shapes), rng), response_url, rng))
    return cases
