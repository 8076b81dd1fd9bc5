"""Errors a user can act on. Transports turn them into friendly messages, never tracebacks."""

from __future__ import annotations


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
