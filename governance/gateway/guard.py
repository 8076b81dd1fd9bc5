"""AIMS Bot's own LLM calls (AIMS_LLM: policy answers, intake extraction) under the same rules as
every other AI use: in process, under the bot's own register record, through the same scanner
and `policy.decide`, recorded as the same `gateway.decision` event (via "in-process").

The record is `gateway.self_record` in aims.yaml, else the one titled "AIMS Bot" (`aims init`
registers it in the sample organisation). A missing or unapproved record, a model its tool may
not call, or a blocked kind of personal data stops the call with a SelfUseRefused that says why:
the bot then answers without the LLM, as it does when the LLM fails.

Where the decision is written: in the unit of work the caller has open (the policy answer or
intake turn the call belongs to: on SQLite that transaction holds the only write lock, so a
second one would wait for it forever), else in a transaction of its own, committed before the
call. Either way it is in the ledger iff the answer or turn it served is.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from governance.config import GatewaySettings, OrgConfig, Upstream
from governance.errors import AimsError
from governance.gateway import policy
from governance.gateway.models import (
    ChatMessage,
    ChatRequest,
    KeyState,
    Outcome,
    RefusalReason,
    UseTerms,
)
from governance.gateway.record import (
    Completion,
    completed_payload,
    decision_payload,
    sha256,
)
from governance.gateway.scanner import PiiScanner, restore, text_parts
from governance.gateway.self_record import AIMS_BOT_TITLE, aims_bot_record
from governance.gateway.terms import load_terms
from store import evidence
from store.db import Database, open_session
from store.evidence_kinds import EvidenceKind

SELF_TITLE = AIMS_BOT_TITLE
ACTOR = "aims-bot"


class SelfUseRefused(AimsError):
    """AIMS Bot's own use may not make this LLM call; the message says why."""


def model_of(spec: str) -> str:
    """The provider model id of an AIMS_LLM spec: "openai:gpt-4o-mini" -> "gpt-4o-mini"."""
    return spec.split(":", 1)[1] if ":" in spec else spec


@dataclass
class Guarded:
    """The texts to send (redacted where the decision says so) and how to finish the call."""

    texts: list[str]
    decision_seq: int
    record_ref: str
    mapping: dict[str, str] = field(default_factory=dict)
    restore_answers: bool = False
    started: float = field(default_factory=time.perf_counter)

    def answer(self, text: str) -> str:
        return restore(text, self.mapping) if self.restore_answers else text


class SelfUseGuard:
    def __init__(self, db: Database, config: OrgConfig, spec: str) -> None:
        self.db, self.config, self.spec = db, config, spec
        self.model = model_of(spec)
        base = config.gateway or GatewaySettings()
        provider = spec.split(":", 1)[0] if ":" in spec else "llm"
        # In process, the "upstream" is the LangChain provider AIMS_LLM names.
        self.settings = base.model_copy(
            update={
                "upstreams": [
                    Upstream(
                        name=f"in-process:{provider}",
                        base_url="http://in-process",
                        models=[self.model],
                    )
                ]
            }
        )
        self.scanner = PiiScanner(self.settings.recognisers)

    @contextmanager
    def _unit(self) -> Iterator[Session]:
        current = open_session(self.db)
        if current is not None:
            yield current
            return
        with self.db.session() as session:
            yield session

    def _record_ref(self) -> str:
        if self.settings.self_record:
            return self.settings.self_record
        with self._unit() as session:
            record = aims_bot_record(session)
            ref = record.ref if record is not None else None
        if ref is None:
            raise SelfUseRefused(
                f"AIMS Bot's own use of {self.spec} is not in the AI register (no record titled "
                f"{SELF_TITLE!r}, and gateway.self_record is not set), so its LLM is not called. "
                "Register and approve it, or name its record in gateway.self_record."
            )
        return ref

    def prepare(self, messages: Sequence[tuple[str, str]]) -> Guarded:
        """Decide one call of (role, text) messages; record it; the texts to send."""
        ref = self._record_ref()
        request = ChatRequest(
            model=self.model,
            messages=[ChatMessage(role=role, content=text) for role, text in messages],
        )
        body = json.dumps(request.model_dump(mode="json"), ensure_ascii=False).encode()
        with self._unit() as session:
            try:
                terms: UseTerms | None = load_terms(session, ref, self.config)
            except AimsError:
                terms = None
            key = KeyState(key_id="in-process", prefix="", record_ref=ref)
            scan = self.scanner.scan(request)
            if terms is None:
                decision = policy.refuse(
                    RefusalReason.NOT_APPROVED,
                    f"gateway.self_record names {ref}, which is not in the AI register.",
                )
            else:
                decision = policy.decide(
                    key=key, terms=terms, request=request, scan=scan, settings=self.settings
                )
            forwarded, mapping = request, dict[str, str]()
            if decision.outcome is Outcome.REDACT:
                forwarded, mapping = self.scanner.redact(request, scan, decision.redact_kinds)
            sent = None
            if decision.outcome is not Outcome.REFUSE:
                sent = sha256(
                    json.dumps(forwarded.model_dump(mode="json"), ensure_ascii=False).encode()
                )
            payload = decision_payload(
                decision=decision,
                key=None,
                key_prefix="",
                terms=terms,
                model=self.model,
                received_sha256=sha256(body),
                forwarded_sha256=sent,
                via="in-process",
            )
            payload["record_ref"] = ref
            event = evidence.append(
                session,
                actor=ACTOR,
                kind=EvidenceKind.GATEWAY_DECISION,
                subject=ref,
                payload=payload,
            )
            seq = event.seq
        if decision.outcome is Outcome.REFUSE:
            raise SelfUseRefused(f"AIMS Bot's own LLM call was refused: {decision.message}")
        return Guarded(
            texts=[text for _, _, text in text_parts(forwarded)],
            decision_seq=seq,
            record_ref=ref,
            mapping=mapping,
            restore_answers=bool(terms and terms.restore_placeholders),
        )

    def finish(self, guarded: Guarded, outcome: Completion, answer: str | None = None) -> None:
        """Record how the call ended (the in-process `gateway.completed`)."""
        payload = completed_payload(
            decision_seq=guarded.decision_seq,
            key=None,
            terms=None,
            model=self.model,
            upstream=self.settings.upstreams[0].name,
            stream=False,
            outcome=outcome,
            upstream_status=None,
            reference=None,
            latency_ms=(time.perf_counter() - guarded.started) * 1000,
            first_byte_ms=None,
            usage=None,
            restored=0,
            answer_sha256=sha256(answer.encode()) if answer is not None else None,
        )
        payload["record_ref"] = guarded.record_ref
        with self._unit() as session:
            evidence.append(
                session,
                actor=ACTOR,
                kind=EvidenceKind.GATEWAY_COMPLETED,
                subject=guarded.record_ref,
                payload=payload,
            )
