"""The gateway's ASGI app (Starlette): `POST /v1/chat/completions`, `GET /v1/models`,
`GET /healthz`.

Per chat request, in this order (the order a caller can fix things in):
  size (413) → JSON and shape (400) → key (401) → the use's terms, cached ≤ 2 s → rate (429)
  → scan for personal data (fail closed: 503) → governance.gateway.policy.decide → redact
  → record the decision (one `gateway.decision` event, committed before anything leaves)
  → forward on a pooled connection (502 / 504 with a reference id) → answer, streamed as it
  arrives, placeholders restored if the use asked → record `gateway.completed` (after the
  answer, off the caller's path).
Every request gets exactly one decision event, refusals and malformed requests included; every
error body is OpenAI-shaped; nothing the caller sends can make it answer 500.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from anyio import to_thread
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.gateway.access import AccessCache, RateLimiter, bearer_key, key_fingerprint
from bot.gateway.errors import error_body, error_response, reference_id
from bot.gateway.forward import Forwarder, Forwarding
from governance.config import GatewaySettings, Upstream
from governance.context import AppContext
from governance.errors import ConfigError
from governance.gateway import policy
from governance.gateway.keys import presented_prefix
from governance.gateway.models import (
    ChatMessage,
    ChatRequest,
    Decision,
    KeyState,
    Outcome,
    RefusalReason,
    Scan,
    UseTerms,
)
from governance.gateway.record import decision_payload, sha256
from governance.gateway.scanner import PiiScanner, non_text_parts
from governance.gateway.terms import load_access
from store.evidence_batch import GroupCommitter
from store.evidence_kinds import EvidenceKind

log = logging.getLogger(__name__)

INLINE_SCAN_CHARS = 16_384  # longer prompts are scanned in a worker thread


def gateway_settings(ctx: AppContext) -> GatewaySettings:
    settings = ctx.config.gateway
    if settings is None:
        raise ConfigError(
            f"{ctx.config_path} has no `gateway:` section; add one with at least one upstream "
            "(see the README, 'Put the gateway in front of your AI')"
        )
    return settings


class TooLarge(Exception):
    pass


@dataclass
class Call:
    """One chat request on its way through."""

    body: bytes
    plain_key: str
    received_sha256: str
    request: ChatRequest | None = None
    key: KeyState | None = None
    terms: UseTerms | None = None

    @property
    def model(self) -> str:
        return self.request.model if self.request else ""

    @property
    def key_prefix(self) -> str:
        return presented_prefix(self.plain_key) if self.plain_key else ""


class Gateway:
    """The gateway's state for one process: settings, scanner, key cache, rate limiter, the
    evidence group committer and the forwarder (pooled connections per upstream)."""

    def __init__(self, ctx: AppContext, settings: GatewaySettings | None = None) -> None:
        self.ctx = ctx
        self.settings = settings or gateway_settings(ctx)
        self.scanner = PiiScanner(self.settings.recognisers)
        self.access = AccessCache(self._load_access)
        self.limiter = RateLimiter(self.settings.requests_per_minute)
        self.upstreams: dict[str, Upstream] = {u.name: u for u in self.settings.upstreams}
        self.forwarder = Forwarder(self.settings, self._submit)
        self.committer: GroupCommitter | None = None

    # --- life cycle ---------------------------------------------------------------------

    async def start(self) -> None:
        # No batching window: events that arrive while a batch commits form the next batch,
        # so a lone request never waits and a busy gateway still commits many per transaction.
        self.committer = GroupCommitter(self.ctx.db, window_ms=0)
        self.forwarder.start()
        for upstream in self.settings.upstreams:
            if upstream.api_key_env and upstream.api_key_env not in os.environ:
                log.warning(
                    "gateway upstream %s: environment variable %s is not set; requests go "
                    "without an API key",
                    upstream.name,
                    upstream.api_key_env,
                )
        self.scanner.scan(
            ChatRequest(model="warm-up", messages=[ChatMessage(role="user", content="x")])
        )

    async def stop(self) -> None:
        await self.forwarder.stop()
        if self.committer is not None:
            await to_thread.run_sync(self.committer.close)

    def _load_access(self, plain_key: str) -> tuple[KeyState | None, UseTerms | None]:
        with self.ctx.db.session() as session:
            return load_access(session, plain_key, self.ctx.config)

    # --- evidence -----------------------------------------------------------------------

    async def _record(self, kind: EvidenceKind, subject: str, actor: str, payload: Any) -> int:
        assert self.committer is not None, "the gateway was not started"
        return await self.committer.append_async(
            actor=actor, kind=kind, subject=subject, payload=payload
        )

    def _submit(
        self,
        kind: EvidenceKind,
        subject: str,
        actor: str,
        payload: Any,
        on_failure: Callable[[BaseException], None],
    ) -> None:
        assert self.committer is not None, "the gateway was not started"
        self.committer.submit(
            actor=actor, kind=kind, subject=subject, payload=payload, on_failure=on_failure
        )

    async def record_decision(
        self, call: Call, decision: Decision, forwarded_sha256: str | None
    ) -> int:
        text = None
        if self.settings.store_text:
            text = {"prompt": call.body.decode("utf-8", "replace")}
        payload = decision_payload(
            decision=decision,
            key=call.key,
            key_prefix=call.key_prefix,
            terms=call.terms,
            model=call.model,
            received_sha256=call.received_sha256,
            forwarded_sha256=forwarded_sha256,
            via="http",
            text=text,
        )
        # Earlier completions ride in this decision's transaction: handed over first.
        self.forwarder.flush_completions()
        return await self._record(
            EvidenceKind.GATEWAY_DECISION,
            subject=payload["record_ref"] or "gateway",
            actor=payload["key_id"] or "gateway:unknown-key",
            payload=payload,
        )

    async def refuse(
        self, call: Call, decision: Decision, headers: dict[str, str] | None = None
    ) -> Response:
        """Record the refusal, then answer it."""
        try:
            await self.record_decision(call, decision, None)
        except Exception:
            log.exception("gateway: could not record a refusal (%s)", decision.reason)
        assert decision.reason is not None
        return error_response(decision.status, decision.message, decision.reason.value, headers)

    # --- the chat route -----------------------------------------------------------------

    async def chat_completions(self, http: Request) -> Response:
        plain_key = bearer_key(http.headers.get("authorization"))
        try:
            body = await self._read_body(http)
        except TooLarge:
            call = Call(b"", plain_key, sha256(b""))
            await self._identify(call)
            return await self.refuse(
                call,
                policy.refuse(
                    RefusalReason.TOO_LARGE,
                    f"The request is larger than this gateway accepts "
                    f"({self.settings.max_request_bytes:,} bytes). Send less text.",
                ),
            )
        call = Call(body, plain_key, sha256(body))
        problem = self._parse(call)
        if problem is not None:
            await self._identify(call)
            return await self.refuse(call, policy.refuse(RefusalReason.MALFORMED, problem))
        if not plain_key:
            return await self.refuse(
                call,
                policy.refuse(
                    RefusalReason.NO_KEY,
                    "No gateway key: send your AI use's key as 'Authorization: Bearer "
                    "aims_sk_…'. Its owner gets one in Slack (App Home) or with "
                    "`aims gateway key create AIU-…`.",
                ),
            )
        try:
            await self._identify(call)
        except Exception:
            reference = reference_id()
            log.exception("gateway: key lookup failed (reference %s)", reference)
            return await self.refuse(call, _failed(reference, "the key could not be checked"))
        wait = self.limiter.take(call.key.key_id if call.key else key_fingerprint(plain_key))
        if wait is not None:
            return await self.refuse(
                call,
                policy.refuse(
                    RefusalReason.RATE_LIMITED,
                    f"More than {self.settings.requests_per_minute} requests a minute with this "
                    f"key. Retry in {wait} s.",
                ),
                headers={"retry-after": str(wait)},
            )
        assert call.request is not None
        request = call.request
        try:
            scan = await self._scan(request)
            decision = policy.decide(
                key=call.key, terms=call.terms, request=request, scan=scan, settings=self.settings
            )
            forwarded = request
            mapping: dict[str, str] = {}
            if decision.outcome is Outcome.REDACT:
                forwarded, mapping = self.scanner.redact(request, scan, decision.redact_kinds)
        except Exception:
            reference = reference_id()
            log.exception("gateway: scan or policy check failed (reference %s)", reference)
            return await self.refuse(call, _failed(reference, "the request could not be checked"))
        if decision.outcome is Outcome.REFUSE:
            return await self.refuse(call, decision)
        assert decision.upstream is not None
        outgoing = (
            call.body
            if forwarded is request
            else forwarded.model_dump_json(exclude_unset=True).encode()
        )
        try:
            seq = await self.record_decision(call, decision, sha256(outgoing))
        except Exception:
            reference = reference_id()
            log.exception("gateway: the decision could not be recorded (reference %s)", reference)
            return error_response(
                503,
                f"The gateway could not record its decision, so the request was not forwarded "
                f"(reference {reference}). Try again shortly.",
                RefusalReason.SCAN_FAILED.value,
            )
        job = Forwarding(
            seq=seq,
            upstream=self.upstreams[decision.upstream],
            key=call.key,
            terms=call.terms,
            model=call.model,
            stream=request.stream,
        )
        restoring = mapping if call.terms and call.terms.restore_placeholders else {}
        return await self.forwarder.forward(job, outgoing, restoring)

    async def _read_body(self, http: Request) -> bytes:
        limit = self.settings.max_request_bytes
        declared = http.headers.get("content-length")
        if declared is not None:
            with contextlib.suppress(ValueError):
                if int(declared) > limit:
                    raise TooLarge
        chunks, size = [], 0
        async for chunk in http.stream():
            size += len(chunk)
            if size > limit:
                raise TooLarge
            chunks.append(chunk)
        return b"".join(chunks)

    def _parse(self, call: Call) -> str | None:
        """None when the body is a chat request, else what is wrong with it."""
        try:
            # One pass in pydantic's parser for a well-formed request; what is wrong with any
            # other body is worked out below, on the slower path.
            call.request = ChatRequest.model_validate_json(call.body)
        except ValueError:
            return self._problem(call)
        return self._non_text(call.request)

    def _problem(self, call: Call) -> str | None:
        try:
            data = json.loads(call.body)
        except (ValueError, UnicodeDecodeError):
            return "The request body is not valid JSON."
        if not isinstance(data, dict):
            return "The request body must be a JSON object with `model` and `messages`."
        try:
            call.request = ChatRequest.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, error['loc'])) or 'body'}: {error['msg']}"
                for error in exc.errors(include_url=False, include_input=False)[:5]
            )
            model = data.get("model")
            if isinstance(model, str):  # recorded with the refusal
                call.request = ChatRequest.model_construct(model=model[:200], messages=[])
            return f"The request is not a valid chat completion request: {problems}."
        return self._non_text(call.request)

    @staticmethod
    def _non_text(request: ChatRequest) -> str | None:
        others = non_text_parts(request)
        if others:
            return (
                f"The gateway scans text only, so it does not accept content parts of type "
                f"{', '.join(others)}. Send text."
            )
        return None

    async def _identify(self, call: Call) -> None:
        if call.plain_key:
            call.key, call.terms = await self.access.get(call.plain_key)

    async def _scan(self, request: ChatRequest) -> Scan:
        size = sum(
            len(message.content) if isinstance(message.content, str) else 1_000
            for message in request.messages
        )
        if size > INLINE_SCAN_CHARS:
            return await to_thread.run_sync(self.scanner.scan, request)
        return self.scanner.scan(request)

    # --- forwarding ---------------------------------------------------------------------

    # --- models and health --------------------------------------------------------------

    async def models(self, http: Request) -> Response:
        plain_key = bearer_key(http.headers.get("authorization"))
        if not plain_key:
            return error_response(
                401, "No gateway key: send 'Authorization: Bearer aims_sk_…'.", "no_key"
            )
        key, terms = await self.access.get(plain_key)
        refusal = policy.check_key(key, terms)
        if refusal is None:
            assert terms is not None
            refusal = policy.check_use(terms)
        if refusal is not None:
            assert refusal.reason is not None
            return error_response(refusal.status, refusal.message, refusal.reason.value)
        assert terms is not None
        data = [
            {"id": model, "object": "model", "created": 0, "owned_by": owner}
            for model, owner in policy.callable_models(
                terms.allowed_models, self.settings.upstreams
            )
        ]
        return JSONResponse({"object": "list", "data": data})

    async def health(self, _http: Request) -> Response:
        return JSONResponse(
            {"status": "ok", "upstreams": sorted(self.upstreams), "scan": self.scanner.recognisers}
        )


def _failed(reference: str, what: str) -> Decision:
    return policy.refuse(
        RefusalReason.SCAN_FAILED,
        f"The gateway failed closed: {what}, so it was not forwarded (reference {reference}).",
    )


# --- the app ------------------------------------------------------------------------------


async def _not_found(_request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status == 405:
        return error_response(405, "Method not allowed here.", "method_not_allowed")
    if status == 404:
        return error_response(
            404,
            "No such route: the gateway serves POST /v1/chat/completions, GET /v1/models and "
            "GET /healthz.",
            "not_found",
        )
    return error_response(status, str(getattr(exc, "detail", "error")), "http_error")


async def _server_error(_request: Request, exc: Exception) -> Response:
    reference = reference_id()
    log.error("gateway: unexpected error (reference %s)", reference, exc_info=exc)
    return JSONResponse(
        error_body(500, f"The gateway failed (reference {reference}).", "internal_error"),
        status_code=500,
    )


def create_app(ctx: AppContext, settings: GatewaySettings | None = None) -> Starlette:
    """The gateway app for this context (its organisation's `gateway:` settings unless
    `settings` are given). The scanner is built here, so start-up pays for it, not the first
    request."""
    gateway = Gateway(ctx, settings)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await gateway.start()
        try:
            yield
        finally:
            await gateway.stop()

    app = Starlette(
        routes=[
            Route("/v1/chat/completions", gateway.chat_completions, methods=["POST"]),
            Route("/v1/models", gateway.models, methods=["GET"]),
            Route("/healthz", gateway.health, methods=["GET"]),
        ],
        exception_handlers={HTTPException: _not_found, Exception: _server_error},
        lifespan=lifespan,
    )
    app.state.gateway = gateway
    return app
