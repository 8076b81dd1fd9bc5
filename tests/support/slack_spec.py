"""Checks for calls to Slack's Web API: Slack's published OpenAPI spec (method exists, required
arguments present, types match) and Block Kit's limits. Used by the Slack stand-in; importable
on their own (e.g. `check_blocks(blocks, 50, "my message")` in a unit test)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
SPEC_PATH = SHARED / "slack-specs" / "slack_web_openapi_v2.json"

# Methods newer than the published spec, described from Slack's method docs.
SPEC_SUPPLEMENT: dict[str, dict[str, str]] = {
    "files.getUploadURLExternal": {"filename": "string", "length": "integer"},
    "files.completeUploadExternal": {"files": "string"},
    "apps.connections.open": {},  # Socket Mode's handshake (app-level token)
}
OPTIONAL_SUPPLEMENT = {
    "files.getUploadURLExternal": {"alt_txt", "snippet_type"},
    "files.completeUploadExternal": {"channel_id", "channels", "initial_comment", "thread_ts"},
    "apps.connections.open": set(),
}
MESSAGE_METHODS = {"chat.postMessage", "chat.update", "chat.postEphemeral", "response_url"}


def load_spec(path: Path = SPEC_PATH) -> dict[str, dict[str, tuple[str, bool]]] | None:
    """{method: {argument: (type, required)}} from the OpenAPI spec, or None when it is absent."""
    if not path.is_file():
        return None
    spec = json.loads(path.read_text(encoding="utf-8"))
    methods: dict[str, dict[str, tuple[str, bool]]] = {}
    for route, verbs in spec["paths"].items():
        for operation in verbs.values():
            params = methods.setdefault(route.lstrip("/"), {})
            for param in operation.get("parameters", []):
                params[param["name"]] = (param.get("type", "string"), bool(param.get("required")))
    for method, params in SPEC_SUPPLEMENT.items():
        methods[method] = {"token": ("string", True)}
        methods[method].update({name: (kind, True) for name, kind in params.items()})
        methods[method].update(dict.fromkeys(OPTIONAL_SUPPLEMENT[method], ("string", False)))
    return methods


def _type_ok(kind: str, value: Any) -> bool:
    if kind == "boolean":
        return isinstance(value, bool) or str(value).lower() in {"true", "false", "1", "0"}
    if kind == "integer":
        return isinstance(value, int) or str(value).lstrip("-").isdigit()
    if kind == "number":
        try:
            float(value)
            return True
        except (TypeError, ValueError):
            return False
    # Strings: JSON bodies carry blocks, attachments and views as arrays/objects.
    return isinstance(value, str | list | dict | int | float)


def check_call(
    spec: dict[str, dict[str, tuple[str, bool]]] | None,
    method: str,
    args: dict[str, Any],
    token: str | None,
) -> list[str]:
    problems: list[str] = []
    if spec is not None and method != "response_url":
        params = spec.get(method)
        if params is None:
            return [f"{method}: no such method in Slack's Web API spec"]
        for name, (kind, required) in params.items():
            if name == "token":
                if required and not token:
                    problems.append(f"{method}: no token")
            elif required and args.get(name) in (None, ""):
                problems.append(f"{method}: required argument {name!r} missing")
            elif name in args and not _type_ok(kind, args[name]):
                problems.append(f"{method}: {name!r} should be {kind}, got {args[name]!r:.80}")
        unknown = set(args) - set(params) - {"token"}
        if unknown:
            problems.append(f"{method}: arguments not in the spec: {sorted(unknown)}")
    if method in MESSAGE_METHODS:
        problems += check_blocks(_parsed(args.get("blocks")) or [], 50, method)
        if len(str(args.get("text") or "")) > 40000:
            problems.append(f"{method}: text over 40,000 characters")
    if "view" in args:
        view = _parsed(args["view"]) or {}
        problems += check_blocks(view.get("blocks") or [], 100, method)
        problems += _limit(method, "callback_id", view.get("callback_id"), 255)
        problems += _limit(method, "private_metadata", view.get("private_metadata"), 3000)
        problems += _limit(method, "view title", (view.get("title") or {}).get("text"), 24)
    return problems


def _limit(where: str, what: str, value: Any, limit: int) -> list[str]:
    if value is not None and len(str(value)) > limit:
        return [f"{where}: {what} is {len(str(value))} characters, the limit is {limit}"]
    return []


def check_blocks(blocks: list[dict[str, Any]], max_blocks: int, where: str) -> list[str]:
    """Block Kit limits: block count, text lengths, id lengths, element counts, unique ids."""
    problems = (
        [f"{where}: {len(blocks)} blocks, the limit is {max_blocks}"]
        if len(blocks) > max_blocks
        else []
    )
    block_ids = [b["block_id"] for b in blocks if "block_id" in b]
    if len(block_ids) != len(set(block_ids)):
        problems.append(f"{where}: duplicate block_id")
    for block in blocks:
        problems += _limit(where, "block_id", block.get("block_id"), 255)
        kind = block.get("type")
        if kind == "section":
            problems += _limit(where, "section text", (block.get("text") or {}).get("text"), 3000)
            if len(block.get("fields") or []) > 10:
                problems.append(f"{where}: more than 10 section fields")
        elif kind == "header":
            problems += _limit(where, "header text", block["text"]["text"], 150)
        elif kind == "context" and len(block.get("elements") or []) > 10:
            problems.append(f"{where}: more than 10 context elements")
        elif kind == "actions":
            elements = block.get("elements") or []
            if len(elements) > 25:
                problems.append(f"{where}: more than 25 elements in an actions block")
            ids = [e.get("action_id") for e in elements]
            if len(ids) != len(set(ids)):
                problems.append(f"{where}: duplicate action_id in one block")
            for element in elements:
                problems += _check_element(element, where)
        if kind == "input":
            problems += _check_element(block.get("element") or {}, where)
    return problems


def _check_element(element: dict[str, Any], where: str) -> list[str]:
    problems = _limit(where, "action_id", element.get("action_id"), 255)
    if element.get("type") == "button":
        problems += _limit(where, "button text", element["text"]["text"], 75)
        problems += _limit(where, "button value", element.get("value"), 2000)
    for option in element.get("options") or []:
        problems += _limit(where, "option text", option["text"]["text"], 75)
        problems += _limit(where, "option value", option.get("value"), 150)
    if len(element.get("options") or []) > 100:
        problems.append(f"{where}: more than 100 options")
    return problems


def _parsed(raw: Any) -> Any:
    """Blocks and views arrive as JSON text in form bodies and as JSON values in JSON bodies."""
    return json.loads(raw) if isinstance(raw, str) else raw
