"""Forwarding an allowed request to its upstream and relaying the answer: once, or streamed as
server-sent events as they arrive, with placeholders restored when the use asked for it, and a
`gateway.completed` event for every request forwarded (upstream status, latency, tokens).

Completion events are off the caller's path: they ride in the next decision's transaction, or
are handed over within COMPLETION_FLUSH_SECONDS (a crash can lose that much of them; never a
decision, which is committed before anything is forwarded).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.responses import Response, StreamingResponse

from bot.gateway.errors import error_response, reference_id
from bot.gateway.upstream import (
    Relay,
    UpstreamPool,
    relay_events,
    relay_raw,
    restore_answer,
    sse_error,
)
from governance.config import GatewaySettings, Upstream
from governance.gateway.models import KeyState, UseTerms
from governance.gateway.record import Completion, completed_payload
from store.evidence_kinds import EvidenceKind

log = logging.getLogger(__name__)

COMPLETION_FLUSH_SECONDS = 0.25  # longest a gateway.completed event waits to be handed over
COMPLETION_BATCH = 64
SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}

# submit(kind, subject, actor, payload, on_failure): hand an event over without waiting for it
Submit = Callable[[EvidenceKind, str, str, dict[str, Any], Callable[[BaseException], None]], None]


def _not_recorded(decision_seq: int, error: BaseException) -> None:
    log.error(
        "gateway: could not record the completion of decision %s", decision_seq, exc_info=error
    )


@dataclass(frozen=True)
class Forwarding:
    """An allowed request on its way out, after its decision was recorded as `seq`."""

    seq: int
    upstream: Upstream
    key: KeyState | None
    terms: UseTerms | None
    model: str
    stream: bool


class Forwarder:
    """One pooled connection set per upstream, and the completion events waiting to be
    recorded."""

    def __init__(self, settings: GatewaySettings, submit: Submit) -> None:
        self.settings = settings
        self._submit = submit
        self.pools: dict[str, UpstreamPool] = {}
        self._completions: list[dict[str, Any]] = []
        self._flush_timer: asyncio.TimerHandle | None = None

    def start(self) -> None:
        self.pools = {u.name: UpstreamPool(u) for u in self.settings.upstreams}

    async def stop(self) -> None:
        self.flush_completions()  # the committer, closed after this, commits them
        for pool in self.pools.values():
            await pool.aclose()

    async def forward(self, job: Forwarding, body: bytes, mapping: dict[str, str]) -> Response:
        """Send `body` upstream and answer the caller; `mapping` (placeholder -> original) is
        applied to the answer."""
        send = self._stream if job.stream else self._once
        return await send(job, body, mapping)

    def flush_completions(self) -> None:
        """Hand the waiting completion events to the group committer (nobody waits for them:
        no task, no wake-up of this loop when each commits)."""
        if self._flush_timer is not None:
            self._flush_timer.cancel()
            self._flush_timer = None
        waiting, self._completions = self._completions, []
        for payload in waiting:
            not_recorded = functools.partial(_not_recorded, payload["decision_seq"])
            try:
                self._submit(
                    EvidenceKind.GATEWAY_COMPLETED,
                    payload["record_ref"] or "gateway",
                    payload["key_id"] or "gateway:unknown-key",
                    payload,
                    not_recorded,
                )
            except Exception as exc:  # the committer closed (shutting down): say so, go on
                not_recorded(exc)

    async def _once(self, job: Forwarding, body: bytes, mapping: dict[str, str]) -> Response:
        relay = Relay()
        try:
            answer = await self.pools[job.upstream.name].send(body)
            try:
                await answer.aread()
            finally:
                await answer.aclose()
        except httpx.TimeoutException:
            return self._upstream_failed(job, relay, "upstream_timeout")
        except httpx.HTTPError as exc:
            log.warning("gateway: upstream %s failed: %r", job.upstream.name, exc)
            return self._upstream_failed(job, relay, "upstream_failed")
        relay.first_byte = relay.finished = time.perf_counter()
        relay.status = answer.status_code
        if answer.status_code >= 400:
            return self._upstream_error(job, relay, answer.content)
        keep_text = self.settings.store_text
        content = restore_answer(answer.content, mapping, relay, keep_text)
        relay.digest.update(content)
        self._complete(job, relay, "answered", None)
        return Response(content, status_code=answer.status_code, media_type="application/json")

    async def _stream(self, job: Forwarding, body: bytes, mapping: dict[str, str]) -> Response:
        relay = Relay()
        try:
            answer = await self.pools[job.upstream.name].send(body)
        except httpx.TimeoutException:
            return self._upstream_failed(job, relay, "upstream_timeout")
        except httpx.HTTPError as exc:
            log.warning("gateway: upstream %s failed: %r", job.upstream.name, exc)
            return self._upstream_failed(job, relay, "upstream_failed")
        relay.status = answer.status_code
        if answer.status_code >= 400:
            try:
                content = await answer.aread()
            except httpx.HTTPError:
                content = b""
            finally:
                await answer.aclose()
            relay.finished = time.perf_counter()
            return self._upstream_error(job, relay, content)
        keep_text = self.settings.store_text
        chunks = (
            relay_events(answer, mapping, relay, keep_text)
            if mapping or keep_text
            else relay_raw(answer, relay)
        )
        return StreamingResponse(
            self._relay(job, relay, answer, chunks),
            status_code=answer.status_code,
            media_type="text/event-stream",
            headers=SSE_HEADERS,
        )

    async def _relay(
        self,
        job: Forwarding,
        relay: Relay,
        answer: httpx.Response,
        chunks: AsyncIterator[bytes],
    ) -> AsyncIterator[bytes]:
        outcome: Completion = "cancelled"
        reference = None
        try:
            async for chunk in chunks:
                yield chunk
            outcome = "answered"
        except httpx.HTTPError as exc:
            timed_out = isinstance(exc, httpx.TimeoutException)
            outcome = "upstream_timeout" if timed_out else "upstream_failed"
            reference = reference_id()
            log.warning(
                "gateway: upstream %s broke off (%s): %r", job.upstream.name, reference, exc
            )
            yield sse_error(
                f"The upstream {'timed out' if timed_out else 'failed'} in the middle of the "
                f"answer (reference {reference}).",
                outcome,
            )
        finally:
            relay.finished = time.perf_counter()
            await answer.aclose()
            self._complete(job, relay, outcome, reference)

    def _upstream_failed(self, job: Forwarding, relay: Relay, outcome: Completion) -> Response:
        relay.finished = time.perf_counter()
        reference = reference_id()
        self._complete(job, relay, outcome, reference)
        status = 504 if outcome == "upstream_timeout" else 502
        what = "did not answer in time" if status == 504 else "could not be reached"
        return error_response(
            status,
            f"The provider ({job.upstream.name}) {what} (reference {reference}). Try again later.",
            outcome,
        )

    def _upstream_error(self, job: Forwarding, relay: Relay, content: bytes) -> Response:
        """An upstream's own error: a 4xx (a problem with the request) passes through as it
        is when OpenAI-shaped; a 5xx becomes a 502 with a reference id."""
        reference = reference_id()
        status = relay.status or 502
        self._complete(job, relay, "upstream_error", reference)
        if 400 <= status < 500:
            with contextlib.suppress(ValueError):
                data = json.loads(content)
                if isinstance(data, dict) and isinstance(data.get("error"), dict):
                    return Response(content, status_code=status, media_type="application/json")
            return error_response(
                status,
                f"The provider ({job.upstream.name}) refused the request with status {status} "
                f"(reference {reference}).",
                "upstream_error",
            )
        log.warning("gateway: upstream %s answered %s (%s)", job.upstream.name, status, reference)
        return error_response(
            502,
            f"The provider ({job.upstream.name}) failed with status {status} (reference "
            f"{reference}). Try again later.",
            "upstream_failed",
        )

    def _complete(
        self,
        job: Forwarding,
        relay: Relay,
        outcome: Completion,
        reference: str | None,
    ) -> None:
        finished = relay.finished or time.perf_counter()
        payload = completed_payload(
            decision_seq=job.seq,
            key=job.key,
            terms=job.terms,
            model=job.model,
            upstream=job.upstream.name,
            stream=job.stream,
            outcome=outcome,
            upstream_status=relay.status,
            reference=reference,
            latency_ms=(finished - relay.started) * 1000,
            first_byte_ms=relay.elapsed_ms(relay.first_byte),
            usage=relay.usage,
            restored=relay.restored,
            answer_sha256=relay.digest.hexdigest() if outcome == "answered" else None,
            text={"answer": "".join(relay.answer)} if self.settings.store_text else None,
        )

        # Not on the caller's path: written with the next decision's transaction, or within
        # COMPLETION_FLUSH_SECONDS (a crash can lose that much of these; never a decision).
        self._completions.append(payload)
        if len(self._completions) >= COMPLETION_BATCH:
            self.flush_completions()
        elif self._flush_timer is None:
            self._flush_timer = asyncio.get_running_loop().call_later(
                COMPLETION_FLUSH_SECONDS, self.flush_completions
            )
