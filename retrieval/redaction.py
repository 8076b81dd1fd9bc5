"""Replace personal data in a question with placeholders before it leaves the process.

Presidio's pattern recognizers run offline with a no-op NLP engine, so no spaCy model is needed.
Without a language model, names are found only after a title ("Mr Jones", "Dr Ada Lovelace");
e-mail addresses, phone numbers, card numbers, IBANs, IP addresses and UK/US identifiers are
found by pattern and checksum.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

_ENGINE: Any = None
_LOCK = threading.Lock()
MIN_SCORE = 0.3


@dataclass(frozen=True)
class Redaction:
    text: str
    entities: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.entities)


def _offline_email_recognizer() -> Any:
    import tldextract
    from presidio_analyzer.predefined_recognizers import EmailRecognizer

    # Presidio validates e-mail domains with tldextract, which downloads the public suffix
    # list unless told to use its bundled snapshot.
    extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

    class OfflineEmailRecognizer(EmailRecognizer):
        def validate_result(self, pattern_text: str) -> bool:
            return bool(extract(pattern_text).fqdn)

    return OfflineEmailRecognizer()


def _titled_name_recognizer() -> Any:
    from presidio_analyzer import Pattern, PatternRecognizer

    pattern = Pattern(
        "titled name",
        r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\.?\s+[A-Z][a-z]*(?:['\-][A-Z][a-z]+)*"
        r"(?:\s+[A-Z][a-z]*(?:['\-][A-Z][a-z]+)*)?",
        0.6,
    )
    return PatternRecognizer(supported_entity="PERSON", patterns=[pattern], name="TitledName")


def _build_engine() -> Any:
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NoOpNlpEngine
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer,
        IbanRecognizer,
        IpRecognizer,
        NhsRecognizer,
        PhoneRecognizer,
        UkNinoRecognizer,
        UkPassportRecognizer,
        UsSsnRecognizer,
    )

    registry = RecognizerRegistry(
        recognizers=[
            _offline_email_recognizer(),
            PhoneRecognizer(supported_regions=("GB", "IE", "US", "DE", "FR", "NL")),
            CreditCardRecognizer(),
            IbanRecognizer(),
            IpRecognizer(),
            UkNinoRecognizer(),
            NhsRecognizer(),
            UkPassportRecognizer(),
            UsSsnRecognizer(),
            _titled_name_recognizer(),
        ],
        supported_languages=["en"],
    )
    nlp_engine = NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "none"}])
    return AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=["en"])


def _engine() -> Any:
    global _ENGINE
    with _LOCK:
        if _ENGINE is None:
            _ENGINE = _build_engine()
        return _ENGINE


def redact(text: str) -> Redaction:
    """`text` with each personal-data span replaced by `<ENTITY_TYPE>`."""
    results = [r for r in _engine().analyze(text=text, language="en") if r.score >= MIN_SCORE]
    chosen = _non_overlapping(results)
    redacted = text
    for result in sorted(chosen, key=lambda r: r.start, reverse=True):
        redacted = redacted[: result.start] + f"<{result.entity_type}>" + redacted[result.end :]
    return Redaction(redacted, sorted({r.entity_type for r in chosen}))


def _non_overlapping(results: list[Any]) -> list[Any]:
    """Keep the higher-scoring (then longer) of overlapping findings."""
    kept: list[Any] = []
    for result in sorted(results, key=lambda r: (-r.score, -(r.end - r.start))):
        if all(result.end <= k.start or k.end <= result.start for k in kept):
            kept.append(result)
    return kept
