"""Personal data in a chat request: find it (Presidio's analyzer, governance.pii), replace it with
typed, numbered placeholders (Presidio's anonymizer), and map placeholders in an answer back.

No HTTP here: the gateway transport and AIMS Bot's own in-process calls use the same scanner.

Placeholders are numbered per kind in order of appearance across the whole request, and the
same value gets the same placeholder everywhere (`<EMAIL_ADDRESS_1>` in the system prompt and
in the third user message is the same address), so the model can still tell people apart. A
number whose placeholder already appears in the caller's own text is skipped, so restoring can
never turn the caller's literal text into someone's data.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from governance.gateway.models import ChatMessage, ChatRequest, Finding, Scan
from governance.pii import analyzer_for, anonymizer

PLACEHOLDER = re.compile(r"<([A-Z][A-Z0-9_]*)_(\d+)>")
# A suffix of streamed text that may still become a placeholder: "<", "<EMAIL_AD", "<PHONE_1".
_PARTIAL = re.compile(r"<[A-Z0-9_]*$")
MAX_PLACEHOLDER = 48  # longer than any "<KIND_n>" the scanner makes


def text_parts(request: ChatRequest) -> Iterator[tuple[int, int | None, str]]:
    """(message index, part, text) for every text the request carries: string contents (part
    None), the `text` of list contents' text parts (part 0, 1, …), and the arguments of tool
    calls an assistant message made earlier in the conversation (part -1, -2, …: a model's
    arguments often repeat what the user wrote)."""
    for m, message in enumerate(request.messages):
        content = message.content
        if isinstance(content, str):
            yield m, None, content
        elif isinstance(content, list):
            for p, part in enumerate(content):
                if part.get("type") == "text" and isinstance(part.get("text"), str):
                    yield m, p, part["text"]
        for c, call in enumerate(tool_calls(message)):
            arguments = call.get("function", {}).get("arguments")
            if isinstance(arguments, str):
                yield m, tool_call_part(c), arguments


def tool_calls(message: ChatMessage) -> list[dict[str, Any]]:
    calls = (message.model_extra or {}).get("tool_calls")
    if not isinstance(calls, list):
        return []
    return [call if isinstance(call, dict) else {} for call in calls]


def tool_call_part(index: int) -> int:
    """The part number of an assistant message's tool call `index` (negative: apart from the
    content's parts)."""
    return -1 - index


def non_text_parts(request: ChatRequest) -> list[str]:
    """Types of content parts the scanner cannot read (images, audio, files)."""
    found: list[str] = []
    for message in request.messages:
        if isinstance(message.content, list):
            for part in message.content:
                kind = str(part.get("type") or "untyped")
                if kind != "text" or not isinstance(part.get("text"), str):
                    found.append(kind)
    return sorted(set(found))


class PiiScanner:
    """Finds the configured kinds of personal data in a request and replaces them."""

    def __init__(self, recognisers: Sequence[str]) -> None:
        self.analyzer = analyzer_for(recognisers)

    @property
    def recognisers(self) -> tuple[str, ...]:
        return self.analyzer.recognisers

    def scan(self, request: ChatRequest) -> Scan:
        findings = [
            Finding(kind=span.kind, message=m, part=p, start=span.start, end=span.end)
            for m, p, text in text_parts(request)
            for span in self.analyzer.find(text)
        ]
        return Scan(findings=tuple(findings))

    def redact(
        self, request: ChatRequest, scan: Scan, kinds: Sequence[str]
    ) -> tuple[ChatRequest, dict[str, str]]:
        """The request with every finding of `kinds` replaced by its placeholder, and the
        mapping placeholder -> original value."""
        wanted = set(kinds)
        chosen = [f for f in scan.findings if f.kind in wanted]
        if not chosen:
            return request, {}
        texts = {(m, p): text for m, p, text in text_parts(request)}
        taken = "\n".join(texts.values())
        placeholders: dict[tuple[str, str], str] = {}
        counters: dict[str, int] = {}
        order = sorted(chosen, key=lambda f: (f.message, _reading_order(f.part), f.start))
        for finding in order:
            value = texts[(finding.message, finding.part)][finding.start : finding.end]
            if (finding.kind, value) in placeholders:
                continue
            while True:
                counters[finding.kind] = counters.get(finding.kind, 0) + 1
                placeholder = f"<{finding.kind}_{counters[finding.kind]}>"
                if placeholder not in taken:
                    break
            placeholders[(finding.kind, value)] = placeholder

        by_text: dict[tuple[int, int | None], list[Finding]] = {}
        for finding in chosen:
            by_text.setdefault((finding.message, finding.part), []).append(finding)
        replaced = {
            where: _anonymize(texts[where], found, placeholders) for where, found in by_text.items()
        }
        messages = [
            _with_texts(message, m, replaced) if any(w[0] == m for w in replaced) else message
            for m, message in enumerate(request.messages)
        ]
        mapping = {placeholder: value for (_, value), placeholder in placeholders.items()}
        return request.model_copy(update={"messages": messages}), mapping


def _reading_order(part: int | None) -> int:
    """Content first (a string, then list parts in order), then tool calls in order."""
    if part is None:
        return -1
    return part if part >= 0 else 1_000_000 - part


def _anonymize(text: str, findings: list[Finding], placeholders: dict[tuple[str, str], str]) -> str:
    from presidio_anonymizer.entities import OperatorConfig, RecognizerResult

    def operator(kind: str) -> Any:
        return OperatorConfig("custom", {"lambda": lambda value: placeholders[(kind, value)]})

    results = [RecognizerResult(f.kind, f.start, f.end, 1.0) for f in findings]
    operators = {kind: operator(kind) for kind in {f.kind for f in findings}}
    return str(
        anonymizer()
        .anonymize(
            text=text,
            analyzer_results=results,
            operators=operators,
            merge_entities_with_spaces=False,  # two addresses side by side stay two
        )
        .text
    )


def _with_texts(
    message: ChatMessage, m: int, replaced: dict[tuple[int, int | None], str]
) -> ChatMessage:
    update: dict[str, Any] = {}
    content = message.content
    if isinstance(content, str) and (m, None) in replaced:
        update["content"] = replaced[(m, None)]
    elif isinstance(content, list):
        update["content"] = [
            {**part, "text": replaced[(m, p)]} if (m, p) in replaced else part
            for p, part in enumerate(content)
        ]
    calls = tool_calls(message)
    if any((m, tool_call_part(c)) in replaced for c in range(len(calls))):
        update["tool_calls"] = [
            {**call, "function": {**call["function"], "arguments": replaced[where]}}
            if (where := (m, tool_call_part(c))) in replaced
            else call
            for c, call in enumerate(calls)
        ]
    return message.model_copy(update=update)


def restore(text: str, mapping: dict[str, str]) -> str:
    """`text` with each placeholder of `mapping` replaced by its original value."""
    if not mapping or "<" not in text:
        return text
    return PLACEHOLDER.sub(lambda match: mapping.get(match.group(0), match.group(0)), text)


class StreamRestorer:
    """Restores placeholders in text that arrives in pieces (a streamed answer), holding back
    only a tail that may be the start of a placeholder split across pieces."""

    def __init__(self, mapping: dict[str, str]) -> None:
        self.mapping = mapping
        self._held = ""

    def feed(self, piece: str) -> str:
        text = self._held + piece
        partial = _PARTIAL.search(text)
        if partial is not None and len(text) - partial.start() < MAX_PLACEHOLDER:
            self._held, text = text[partial.start() :], text[: partial.start()]
        else:
            self._held = ""
        return restore(text, self.mapping)

    def flush(self) -> str:
        text, self._held = self._held, ""
        return restore(text, self.mapping)
