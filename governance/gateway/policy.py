"""The gateway's decision for one request: a pure function of the key, the use's terms, the
request, what the analyzer found and the configuration. No I/O, so every rule is tested alone.

Order matters and is the order a caller can fix things in: who you are (key), whether your use
may run (status), what you call (model, upstream), what you send (data).
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from governance.config import GatewaySettings, Upstream
from governance.gateway.models import (
    PENDING_STATUSES,
    PERSONAL_CATEGORIES,
    USABLE_STATUSES,
    ChatRequest,
    Decision,
    KeyState,
    Outcome,
    RefusalReason,
    Scan,
    UseTerms,
)


def refuse(reason: RefusalReason, message: str, found: dict[str, int] | None = None) -> Decision:
    return Decision(outcome=Outcome.REFUSE, reason=reason, message=message, found=found or {})


def model_allowed(model: str, patterns: tuple[str, ...] | list[str]) -> bool:
    return any(fnmatchcase(model, pattern) for pattern in patterns)


def _literal_prefix(pattern: str) -> str:
    cut = min((i for i, c in enumerate(pattern) if c in "*?["), default=len(pattern))
    return pattern[:cut]


def _overlap(pattern: str, served: str) -> bool:
    """Whether some model id could match both patterns (by their literal prefixes)."""
    if fnmatchcase(pattern, served) or fnmatchcase(served, pattern):
        return True
    a, b = _literal_prefix(pattern), _literal_prefix(served)
    wild_a, wild_b = a != pattern, b != served
    return wild_a and wild_b and (a.startswith(b) or b.startswith(a))


def callable_models(allowed: tuple[str, ...], upstreams: list[Upstream]) -> list[tuple[str, str]]:
    """(model id or pattern, upstream) for each allowed pattern some upstream serves: a literal
    id when the pattern is one, else the pattern itself."""
    found: list[tuple[str, str]] = []
    for pattern in allowed:
        literal = _literal_prefix(pattern) == pattern
        for upstream in upstreams:
            if literal and model_allowed(pattern, upstream.models):
                found.append((pattern, upstream.name))
                break
            if not literal and any(_overlap(pattern, served) for served in upstream.models):
                found.append((pattern, upstream.name))
                break
    return found


def upstream_for(model: str, settings: GatewaySettings) -> Upstream | None:
    return next((u for u in settings.upstreams if model_allowed(model, u.models)), None)


def _conditions(terms: UseTerms) -> str:
    if not terms.conditions:
        return ""
    return " Conditions of its approval: " + "; ".join(terms.conditions) + "."


def check_key(key: KeyState | None, terms: UseTerms | None) -> Decision | None:
    """A refusal when the key does not let anyone in, else None."""
    if key is None or terms is None:
        return refuse(RefusalReason.UNKNOWN_KEY, "This key is not a gateway key of any AI use.")
    if key.revoked:
        why = f" ({key.revoked_reason})" if key.revoked_reason else ""
        return refuse(
            RefusalReason.REVOKED_KEY,
            f"Key {key.key_id} of {key.record_ref} was revoked{why}. Ask the use's owner for "
            "a new key.",
        )
    return None


def check_use(terms: UseTerms) -> Decision | None:
    """A refusal when the use may not run now, else None."""
    ref, status = terms.record_ref, terms.status.value.replace("_", " ")
    usable = terms.status in USABLE_STATUSES or (
        terms.status in PENDING_STATUSES and terms.approved_version is not None
    )
    if not usable or terms.approved_version is None:
        return refuse(
            RefusalReason.NOT_APPROVED,
            f"{ref} ({terms.title}) is {status}, so it may not call AI models through the "
            "gateway. Its owner can see what to do with `aims register show "
            f"{ref}` or in Slack.",
        )
    if terms.review_lapsed:
        return refuse(
            RefusalReason.NOT_APPROVED,
            f"{ref} ({terms.title}) missed its periodic review, so its approval has lapsed. "
            "Its owner completes the review in Slack to restore access.",
        )
    return None


def check_model(
    request: ChatRequest, terms: UseTerms, settings: GatewaySettings
) -> Decision | Upstream:
    """The upstream to forward to, or a refusal naming what is allowed."""
    if not model_allowed(request.model, terms.allowed_models):
        allowed = (
            ", ".join(terms.allowed_models) or "none (its tool has no models in the catalogue)"
        )
        return refuse(
            RefusalReason.MODEL_NOT_ALLOWED,
            f"{terms.record_ref} is approved for {terms.tool or 'no tool'}, which may call: "
            f"{allowed}. Model {request.model!r} is not among them.{_conditions(terms)}",
        )
    upstream = upstream_for(request.model, settings)
    if upstream is None:
        return refuse(
            RefusalReason.NO_UPSTREAM,
            f"No upstream is configured for model {request.model!r}; a governance lead adds "
            "it under gateway.upstreams in aims.yaml.",
        )
    return upstream


def check_data(terms: UseTerms, scan: Scan, settings: GatewaySettings) -> Decision | None:
    """Blocked kinds refuse; other kinds are redacted unless the use may send personal data."""
    found = scan.counts()
    blocked = sorted(kind for kind in found if kind in settings.block)
    if blocked:
        return refuse(
            RefusalReason.BLOCKED_DATA,
            f"The request contains {', '.join(blocked)}, which no AI use may send through the "
            f"gateway. Remove it and try again.{_conditions(terms)}",
            found,
        )
    if found and not (terms.data_categories & PERSONAL_CATEGORIES):
        return Decision(
            outcome=Outcome.REDACT,
            message=f"{terms.record_ref} is not approved for personal data; "
            f"{', '.join(found)} replaced by placeholders.",
            redact_kinds=tuple(found),
            found=found,
        )
    return None


def decide(
    *,
    key: KeyState | None,
    terms: UseTerms | None,
    request: ChatRequest,
    scan: Scan,
    settings: GatewaySettings,
) -> Decision:
    refusal = check_key(key, terms)
    if refusal is not None:
        return refusal
    assert terms is not None  # check_key refuses a key without terms
    refusal = check_use(terms)
    if refusal is not None:
        return refusal
    upstream = check_model(request, terms, settings)
    if isinstance(upstream, Decision):
        return upstream
    data = check_data(terms, scan, settings)
    if data is not None and data.outcome is Outcome.REFUSE:
        return data
    if data is not None:
        return data.model_copy(update={"upstream": upstream.name})
    return Decision(outcome=Outcome.ALLOW, upstream=upstream.name, found=scan.counts())
