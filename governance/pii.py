"""Finding personal data in text, offline: Presidio's analyzer with pattern recognisers only.

One place builds the analyzer, for every caller: the policy answerer's redaction
(retrieval/redaction.py, all recognisers) and the gateway's scanner (governance/gateway/scanner.py,
the recognisers `gateway.recognisers` names). Engines are built once per set of recognisers and
shared by threads.

No model is loaded: a no-op NLP engine stands in for spaCy, so names are found only after a title
("Mr Jones", "Dr Ada Lovelace"); e-mail addresses, phone numbers, card numbers, IBANs, IP
addresses and UK/US identifiers are found by pattern and checksum. Two things keep a scan cheap
(the gateway scans every request): each recogniser is skipped when a one-pass pre-check says it
cannot match (no "@" means no e-mail address), and phone numbers are parsed only in the digit
runs that could be one, trying one region after another until one matches, instead of parsing
the whole text once per region. Context words raise a finding's score as Presidio's own
enhancer would, read from the characters just before it (there are no NLP tokens to read).
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

MIN_SCORE = 0.3
CONTEXT_CHARS = 40  # how far before a finding its context words count

# Entity types a recogniser exists for, in the order they are reported.
KNOWN_RECOGNISERS: tuple[str, ...] = (
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "PERSON",
    "CREDIT_CARD",
    "IBAN_CODE",
    "IP_ADDRESS",
    "UK_NINO",
    "NHS",
    "UK_PASSPORT",
    "US_SSN",
)
PHONE_REGIONS = ("GB", "IE", "US", "DE", "FR", "NL")

# Cheap pre-checks: a recogniser whose pre-check finds nothing cannot match, so it is skipped.
_DIGIT_RUN = re.compile(r"[+(]?\d[\d \t().\-/]{5,}\d")
_GATES: dict[str, re.Pattern[str]] = {
    "EMAIL_ADDRESS": re.compile("@"),
    "PHONE_NUMBER": _DIGIT_RUN,
    "CREDIT_CARD": re.compile(r"\d[\d -]{11,}\d"),
    "IBAN_CODE": re.compile(r"[A-Za-z]{2}\d{2}"),
    "IP_ADDRESS": re.compile(r"\d\.\d|[0-9A-Fa-f]:[0-9A-Fa-f]*:|::"),
    "UK_NINO": re.compile(r"[A-Za-z] ?\d{2} ?\d{2}"),
    "NHS": re.compile(r"\d{3}[ -]?\d{3}[ -]?\d{4}"),
    "UK_PASSPORT": re.compile(r"\d{6}"),
    "US_SSN": re.compile(r"\d{3}[ .-]?\d{2}[ .-]?\d{4}"),
    "PERSON": re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\b"),
}


@dataclass(frozen=True)
class Span:
    """One piece of personal data in a text."""

    kind: str
    start: int
    end: int
    score: float


def unknown_recognisers(names: Iterable[str]) -> list[str]:
    return [name for name in names if name not in KNOWN_RECOGNISERS]


_IMPORT_LOCK = threading.Lock()


def import_presidio(*, without_ml: bool = False) -> None:
    """Import Presidio's analyzer. `without_ml`: keep torch and transformers out of this
    process (Presidio imports them for NLP engines we never use: 5 s and 350 MB). Only for a
    process that will never load a model, such as `aims gateway serve`, and only from its main
    thread before any other thread starts: another thread importing torch meanwhile would fail.
    """
    with _IMPORT_LOCK:
        if "presidio_analyzer" in sys.modules:
            return
        blocked = [name for name in ("torch", "transformers") if name not in sys.modules]
        if without_ml:
            for name in blocked:
                sys.modules[name] = None  # type: ignore[assignment]  # import fails at once
        try:
            import presidio_analyzer  # noqa: F401
            import presidio_analyzer.nlp_engine  # noqa: F401
        finally:
            if without_ml:
                for name in blocked:
                    if sys.modules.get(name, False) is None:
                        del sys.modules[name]


# Pre-checks of kinds whose every match is digits and characters at most NEAR_DIGIT away from
# one (the two letters of "GB82", the space in "AB 12") read only the stretches around digits,
# joined by newlines, which none of them can match across: a few dozen characters of a prompt
# with a phone number in it, not all of it.
NEAR_DIGIT = 2
_NEAR_DIGIT_GATES = frozenset({"IBAN_CODE", "UK_NINO", "NHS", "UK_PASSPORT", "US_SSN"})
_DIGITS = re.compile(r"\d+")
_NEAR = threading.local()


def _near_digits(text: str) -> str:
    """The stretches of `text` within NEAR_DIGIT characters of a digit, newline-joined (worked
    out once per text: the analyzer asks for each recogniser in turn, in one thread)."""
    if getattr(_NEAR, "text", None) is text:
        return str(_NEAR.stretches)
    pieces: list[str] = []
    start = end = -1
    for run in _DIGITS.finditer(text):
        low, high = max(0, run.start() - NEAR_DIGIT), run.end() + NEAR_DIGIT
        if low > end:
            if end > start:
                pieces.append(text[start:end])
            start = low
        end = high
    if end > start:
        pieces.append(text[start:end])
    _NEAR.text, _NEAR.stretches = text, "\n".join(pieces)
    return str(_NEAR.stretches)


# Recognisers whose every match lies inside a known kind of stretch run on those stretches
# (plus one character each side, so word boundaries read as in the whole text) instead of on
# the whole text: an e-mail address within the run of non-space characters around an "@", a
# card number within a run of digits, spaces and dashes.
_CARD_RUN = re.compile(r"\d[\d -]{11,}\d")
_SPACES = (" ", "\n", "\t")


def _around_at_signs(text: str) -> list[tuple[int, int]]:
    stretches: list[tuple[int, int]] = []
    at = text.find("@")
    while at >= 0:
        start = max(text.rfind(space, 0, at) for space in _SPACES) + 1
        ends = [end for end in (text.find(space, at) for space in _SPACES) if end >= 0]
        end = min(ends) if ends else len(text)
        stretches.append((start, end))
        at = text.find("@", end)
    return stretches


def _card_runs(text: str) -> list[tuple[int, int]]:
    return [run.span() for run in _CARD_RUN.finditer(text)]


_STRETCHES: dict[str, Callable[[str], list[tuple[int, int]]]] = {
    "EMAIL_ADDRESS": _around_at_signs,
    "CREDIT_CARD": _card_runs,
}


def _gated(
    recognizer: Any,
    gate: re.Pattern[str],
    *,
    near_digits: bool = False,
    stretches: Callable[[str], list[tuple[int, int]]] | None = None,
) -> Any:
    """The recogniser, skipped on texts its pre-check finds nothing in, and run only on the
    `stretches` that can hold a match when it has them."""
    analyze = recognizer.analyze

    def gated_analyze(text: str, entities: list[str], *args: Any, **kwargs: Any) -> Any:
        if gate.search(_near_digits(text) if near_digits else text) is None:
            return []
        if stretches is None:
            return analyze(text, entities, *args, **kwargs)
        results: dict[tuple[int, int], Any] = {}
        for first, last in stretches(text):
            start = max(0, first - 1)
            for result in analyze(text[start : last + 1], entities, *args, **kwargs):
                result.start += start
                result.end += start
                results.setdefault((result.start, result.end), result)
        return list(results.values())

    recognizer.analyze = gated_analyze
    return recognizer


def _phone_recognizer() -> Any:
    import phonenumbers
    from presidio_analyzer.predefined_recognizers import PhoneRecognizer

    class RunPhoneRecognizer(PhoneRecognizer):
        """Presidio's phone recogniser, run on the digit runs only, one region at a time."""

        def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> Any:
            results: list[Any] = []
            for run in _DIGIT_RUN.finditer(text):
                start = max(0, run.start() - 1)
                window = text[start : run.end() + 1]
                for region in self.supported_regions:
                    matches = list(
                        phonenumbers.PhoneNumberMatcher(window, region, leniency=self.leniency or 0)
                    )
                    for match in matches:
                        match.start += start
                        match.end += start
                        results.append(
                            self._get_recognizer_result(  # type: ignore[no-untyped-call]
                                match, text, region, nlp_artifacts
                            )
                        )
                    if matches:
                        break
            return self.remove_duplicates(results)

    return RunPhoneRecognizer(supported_regions=PHONE_REGIONS)


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


def presidio_recognizer(name: str) -> Any:
    """Presidio's recogniser for entity type `name`, as configured here (offline e-mail
    validation, phone numbers by digit run, titled names), without the pre-checks."""
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer,
        IbanRecognizer,
        IpRecognizer,
        NhsRecognizer,
        UkNinoRecognizer,
        UkPassportRecognizer,
        UsSsnRecognizer,
    )

    makers: dict[str, Any] = {
        "EMAIL_ADDRESS": _offline_email_recognizer,
        "PHONE_NUMBER": _phone_recognizer,
        "PERSON": _titled_name_recognizer,
        "CREDIT_CARD": CreditCardRecognizer,
        "IBAN_CODE": IbanRecognizer,
        "IP_ADDRESS": IpRecognizer,
        "UK_NINO": UkNinoRecognizer,
        "NHS": lambda: NhsRecognizer(supported_entity="NHS"),  # Presidio says UK_NHS
        "UK_PASSPORT": UkPassportRecognizer,
        "US_SSN": UsSsnRecognizer,
    }
    return makers[name]()


def _recognizer(name: str) -> Any:
    return _gated(
        presidio_recognizer(name),
        _GATES[name],
        near_digits=name in _NEAR_DIGIT_GATES,
        stretches=_STRETCHES.get(name),
    )


class PiiAnalyzer:
    """Presidio's AnalyzerEngine with the named recognisers (entity types) only."""

    def __init__(self, recognisers: Sequence[str]) -> None:
        unknown = unknown_recognisers(recognisers)
        if unknown:
            raise ValueError(
                f"unknown recogniser(s) {', '.join(unknown)}; known: {', '.join(KNOWN_RECOGNISERS)}"
            )
        self.recognisers = tuple(name for name in KNOWN_RECOGNISERS if name in set(recognisers))
        import_presidio()
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry, RecognizerResult
        from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer
        from presidio_analyzer.nlp_engine import NoOpNlpEngine

        class WindowContext(ContextAwareEnhancer):
            """Presidio's context boost without NLP tokens: a finding whose recogniser's
            context words ("passport", "phone") occur just before it scores higher."""

            def enhance_using_context(
                self,
                text: str,
                raw_results: Any,
                nlp_artifacts: Any = None,
                recognizers: Any = (),
                context: Any = None,
            ) -> Any:
                words = {r.id: r.context for r in recognizers if getattr(r, "context", None)}
                if not words:
                    return raw_results
                for result in raw_results:
                    metadata = result.recognition_metadata or {}
                    context = words.get(metadata.get(RecognizerResult.RECOGNIZER_IDENTIFIER_KEY))
                    if not context:
                        continue
                    window = text[max(0, result.start - CONTEXT_CHARS) : result.start].lower()
                    if any(word in window for word in context):
                        boosted = result.score + self.context_similarity_factor
                        result.score = min(
                            1.0, max(boosted, self.min_score_with_context_similarity)
                        )
                return raw_results

        registry = RecognizerRegistry(
            recognizers=[_recognizer(name) for name in self.recognisers],
            supported_languages=["en"],
        )
        self.engine = AnalyzerEngine(
            registry=registry,
            nlp_engine=NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "none"}]),
            supported_languages=["en"],
            context_aware_enhancer=WindowContext(0.35, 0.4, 0, 0),
        )
        self._entities = list(self.recognisers)

    def find(self, text: str) -> list[Span]:
        """Non-overlapping findings in `text`, in order (of overlapping ones, the higher
        scoring, then the longer, is kept)."""
        if not text or not self._entities:
            return []
        results = self.engine.analyze(
            text=text, language="en", entities=self._entities, score_threshold=MIN_SCORE
        )
        kept: list[Any] = []
        for result in sorted(results, key=lambda r: (-r.score, -(r.end - r.start), r.start)):
            if all(result.end <= k.start or k.end <= result.start for k in kept):
                kept.append(result)
        return [
            Span(r.entity_type, r.start, r.end, r.score)
            for r in sorted(kept, key=lambda r: r.start)
        ]


_ANALYZERS: dict[tuple[str, ...], PiiAnalyzer] = {}
_ANALYZERS_LOCK = threading.Lock()


def analyzer_for(recognisers: Sequence[str]) -> PiiAnalyzer:
    """The shared analyzer for this set of recognisers (built on first use)."""
    key = tuple(sorted(set(recognisers)))
    with _ANALYZERS_LOCK:
        if key not in _ANALYZERS:
            _ANALYZERS[key] = PiiAnalyzer(key)
        return _ANALYZERS[key]


@cache
def anonymizer() -> Any:
    """Presidio's AnonymizerEngine (stateless; shared)."""
    from presidio_anonymizer import AnonymizerEngine

    return AnonymizerEngine()  # type: ignore[no-untyped-call]
