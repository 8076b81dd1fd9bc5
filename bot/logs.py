"""Logging for every AIMS Bot process: plain lines by default, one JSON object per line with
AIMS_LOG_FORMAT=json, and no secret in either.

Request fields live in a context variable: `with bind_request(slack_event_id=..., request_ref=...)`
and every line logged inside carries them (the JSON format as keys, the plain one after the
message). Work handed to another thread keeps them when it is wrapped with `copy_into_thread`,
or submitted to a `ContextThreadPoolExecutor` (a drop-in for Bolt's `listener_executor`).

Whatever looks like a secret is masked before a line is written, in both formats: Slack tokens
(xoxb-, xoxp-, xoxe-, xapp-, …) and webhook URLs, provider API keys (sk-…), AIMS gateway keys
(aims_sk_ and the four characters that name one stay, the rest goes), Authorization header
values, Bearer tokens, secret=/password=/api_key= values and URL passwords.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import re
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, ParamSpec, TypeVar

LOG_FORMAT_ENV = "AIMS_LOG_FORMAT"
PLAIN_FORMAT = "%(levelname)s %(name)s: %(message)s"
MASK = "[redacted]"

_P = ParamSpec("_P")
_R = TypeVar("_R")

# --- fields bound to the work in progress ------------------------------------------------------

_EMPTY: Mapping[str, Any] = MappingProxyType({})
_FIELDS: contextvars.ContextVar[Mapping[str, Any]] = contextvars.ContextVar(
    "aims_log_fields", default=_EMPTY
)


def current_fields() -> dict[str, Any]:
    """The fields bound in this context (a copy)."""
    return dict(_FIELDS.get())


@contextmanager
def bind_request(**fields: Any) -> Iterator[dict[str, Any]]:
    """Bind `fields` (added to any already bound) to every line logged inside the block, in
    this thread or task and in work handed on with `copy_into_thread`. Yields them all."""
    token = _FIELDS.set(MappingProxyType({**_FIELDS.get(), **fields}))
    try:
        yield current_fields()
    finally:
        _FIELDS.reset(token)


def copy_into_thread(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    """`fn`, run in a copy of the caller's context (its bound fields): wrap work before handing
    it to a thread or pool. Each call runs in its own copy, so the wrapper may run concurrently."""
    context = contextvars.copy_context()

    def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        return context.copy().run(fn, *args, **kwargs)

    return run


class ContextThreadPoolExecutor(ThreadPoolExecutor):
    """A thread pool whose tasks run with the fields bound where they were submitted."""

    def submit(self, fn: Callable[_P, _R], /, *args: _P.args, **kwargs: _P.kwargs) -> Future[_R]:
        return super().submit(copy_into_thread(fn), *args, **kwargs)


# --- masking -------------------------------------------------------------------------------------

_SECRET_SHAPES = re.compile(
    r"\b(?:xox[a-z]-[A-Za-z0-9-]+"  # Slack bot, user, refresh, … tokens
    r"|xapp-[A-Za-z0-9-]+"  # Slack app-level tokens
    r"|sk-[A-Za-z0-9_-]{16,}"  # provider API keys (OpenAI, Anthropic style)
    r"|hooks\.slack\.com/(?:services|actions|app|commands)/[A-Za-z0-9/_-]+"  # webhooks,
    # response URLs: whoever holds one can post as the bot
    r")"
)
# A gateway key is named by aims_sk_ and four characters (its prefix); the rest is the secret.
_GATEWAY_KEY = re.compile(r"\b(aims_sk_[A-Za-z0-9_-]{4})[A-Za-z0-9_-]+")
_AUTHORIZATION = re.compile(
    r"(?i)(authorization\b[\"']?\s*[:=]\s*[\"']?(?:(?:bearer|basic|token|digest|bot)\s+)?)"
    r"[^\s\"',;}]+"
)
_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/-]{8,}=*")
_NAMED = re.compile(
    r"(?i)\b([\w-]*(?:secret|password|passwd|api[_-]?key)[\"']?\s*[:=]\s*[\"']?)[^\s\"',;}]+"
)
_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s/]+@")


def mask_secrets(text: str) -> str:
    """`text` with everything that looks like a secret replaced by [redacted]."""
    text = _SECRET_SHAPES.sub(MASK, text)
    text = _GATEWAY_KEY.sub(rf"\1{MASK}", text)
    text = _AUTHORIZATION.sub(rf"\1{MASK}", text)
    text = _BEARER.sub(rf"\1{MASK}", text)
    text = _NAMED.sub(rf"\1{MASK}", text)
    return _URL_PASSWORD.sub(r"\1***@", text)


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask_secrets(value)
    if isinstance(value, bool | int | float) or value is None:
        return value
    return mask_secrets(str(value))


class SecretMaskingFilter(logging.Filter):
    """Masks secrets in the message, its arguments, the traceback and the fields, and records
    the bound fields on the line (in the thread that logs it). Attach it to a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: the handler reports it as logging does
            return True
        record.msg, record.args = mask_secrets(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_secrets(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_secrets(record.stack_info)
        record.aims_fields = {key: _masked(value) for key, value in current_fields().items()}
        return True


# --- formats ---------------------------------------------------------------------------------

# What every LogRecord has; anything else on a record came from `extra=` and is logged too.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "aims_fields"}


def _fields_of(record: logging.LogRecord) -> dict[str, Any]:
    extra = {k: _masked(v) for k, v in record.__dict__.items() if k not in _STANDARD}
    bound = getattr(record, "aims_fields", None)
    if bound is None:  # the line did not pass our filter: read them here
        bound = {key: _masked(value) for key, value in current_fields().items()}
    return {**extra, **bound}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts (ISO-8601, UTC), level, logger, message, exc_info (the
    traceback as text) and stack_info when present, and the bound and extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created, UTC)
        line: dict[str, Any] = {
            "ts": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": mask_secrets(record.getMessage()),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exc_info"] = mask_secrets(record.exc_text)
        if record.stack_info:
            line["stack_info"] = mask_secrets(self.formatStack(record.stack_info))
        fields = {k: v for k, v in _fields_of(record).items() if k not in line}
        return json.dumps({**line, **fields}, ensure_ascii=False, default=str)


class PlainFormatter(logging.Formatter):
    """`LEVEL logger: message`, then the bound fields in brackets when any are bound."""

    def __init__(self) -> None:
        super().__init__(PLAIN_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = _fields_of(record)
        if fields:
            first, newline, rest = text.partition("\n")
            shown = " ".join(f"{key}={value}" for key, value in fields.items())
            text = f"{first} [{shown}]{newline}{rest}"
        return mask_secrets(text)


_OURS = "_aims_handler"


def configure_logging(verbose: bool, fmt: str | None = None) -> None:
    """Log to stderr at INFO (`verbose`) or WARNING, in `fmt` ("json" or "plain"; else
    AIMS_LOG_FORMAT; else plain), through the secret mask. Calling it again replaces the
    handler it installed; like logging.basicConfig, it leaves a root logger that something
    else configured alone."""
    chosen = (fmt or os.environ.get(LOG_FORMAT_ENV) or "plain").strip().lower()
    root = logging.getLogger()
    ours = [handler for handler in root.handlers if getattr(handler, _OURS, False)]
    if root.handlers and not ours:
        return
    for handler in ours:
        root.removeHandler(handler)
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if chosen == "json" else PlainFormatter())
    handler.addFilter(SecretMaskingFilter())
    setattr(handler, _OURS, True)
    root.addHandler(handler)
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    # Python's warnings are printed by the warnings module, not logged: in JSON they must be.
    logging.captureWarnings(chosen == "json")
    if chosen not in ("json", "plain", "text"):
        logging.getLogger(__name__).warning(
            "%s=%r is neither json nor plain; logging plain lines", LOG_FORMAT_ENV, chosen
        )
