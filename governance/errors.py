"""Errors a user can act on. Transports turn them into friendly messages, never tracebacks."""

from __future__ import annotations

import uuid


class AimsError(Exception):
    """Base class: the message says what went wrong and how to fix it."""


class ConfigError(AimsError):
    pass


class NotFoundError(AimsError):
    pass


class ValidationProblem(AimsError):
    pass


class TransitionError(AimsError):
    pass


class PermissionDenied(AimsError):
    pass


class StaleActionError(AimsError):
    pass


def reference_id() -> str:
    """The id an unexpected error is logged under and shown to the person, so support can find
    it: one format wherever errors are reported (8 upper-case hex digits)."""
    return uuid.uuid4().hex[:8].upper()
