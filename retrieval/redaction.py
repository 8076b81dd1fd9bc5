"""Replace personal data in a question with placeholders before it leaves the process.

The analyzer is governance.pii's (Presidio, pattern recognisers, no model), with every recogniser
it knows; the gateway's scanner uses the same analyzer with the recognisers aims.yaml names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from governance.pii import KNOWN_RECOGNISERS, MIN_SCORE, analyzer_for

__all__ = ["MIN_SCORE", "Redaction", "redact"]


@dataclass(frozen=True)
class Redaction:
    text: str
    entities: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.entities)


def redact(text: str) -> Redaction:
    """`text` with each personal-data span replaced by `<ENTITY_TYPE>`."""
    spans = analyzer_for(KNOWN_RECOGNISERS).find(text)
    redacted = text
    for span in reversed(spans):
        redacted = redacted[: span.start] + f"<{span.kind}>" + redacted[span.end :]
    return Redaction(redacted, sorted({span.kind for span in spans}))
