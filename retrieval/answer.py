"""Answer "may I …?" questions: the tool catalogue first, then cited policy passages.

One `PolicyAnswerer` per process (see `get_answerer`): it loads the embedding model, the vector
index and the BM25 index once (on first use, or at start-up through retrieval.warm_up) and
reloads the chunk set only when another process re-ingests.
Every answer is appended to the evidence ledger in the caller's transaction.

Policy text is evidence of the policy, not of everything it claims: a question about a register
record is answered from the register, and a passage that contradicts the catalogue is never
cited; the answer says the two disagree and who resolves it (retrieval.conflicts).

When the vector index cannot be reached, the answer says policy search is unavailable (after
whatever the tool catalogue says) and the governance leads are told (retrieval.availability).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from governance.config import CatalogueTool
from governance.ports import ChatModel
from governance.record_status import answer_about_records, asks_about_records
from retrieval import extractive, llm
from retrieval.availability import UNAVAILABLE_MODE, OutageNotices, unavailable_text
from retrieval.conflicts import Conflict, conflict_note, conflicts_in, record_conflicts
from retrieval.corpus import ChunkRecord, Corpus, corpus_fingerprint
from retrieval.embeddings import Embedder
from retrieval.index import IndexUnavailable, VectorIndex
from retrieval.models import Citation, PolicyAnswer, ToolMatch
from retrieval.search import Hit, Method, Searcher, SearchResult
from retrieval.text import normalise_space, sha256_text
from retrieval.tools import detect_data_categories, find_tools, find_unknown_tools
from retrieval.verdicts import tool_match, tool_text, unknown_tool_text
from store import evidence
from store.evidence_kinds import EvidenceKind

if TYPE_CHECKING:
    from governance.context import AppContext

__all__ = ["Citation", "PolicyAnswer", "PolicyAnswerer", "ToolMatch", "get_answerer"]

logger = logging.getLogger(__name__)

# A passage answers the question when its cosine similarity is high, or fairly high with most
# of the question's terms in it. Calibrated on evals/retrieval (see its README).
COVERED_SIMILARITY = 0.45
COVERED_SIMILARITY_WITH_TERMS = 0.38
COVERED_TERM_SHARE = 0.5
UNAPPROVED_TOOLS_QUERY = "using AI tools that are not approved or not listed in the catalogue"
MAX_LLM_PASSAGES = 4


@dataclass
class _Draft:
    parts: list[str] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    mode: str = "extractive"
    fallback_reason: str | None = None
    llm: llm.LLMOutcome | None = None
    conflicts: list[Conflict] = field(default_factory=list)


class PolicyAnswerer:
    def __init__(
        self,
        ctx: AppContext,
        *,
        embedder: Embedder | None = None,
        index: VectorIndex | None = None,
        chat_model: ChatModel | None = None,
        method: Method = "hybrid",
    ) -> None:
        self.ctx = ctx
        self._embedder = embedder
        self._index = index
        self._chat_model = chat_model if chat_model is not None else ctx.chat_model
        self.llm_id = self._chat_model.model_id if self._chat_model is not None else None
        self.method: Method = method
        self._corpus: Corpus | None = None
        self._lock = threading.Lock()
        # One per answerer, so per process: the leads hear of an outage once, not per question.
        self.outages = OutageNotices()

    # --- components, loaded lazily and once --------------------------------------------------

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = self.ctx.embedder
        return self._embedder

    @property
    def index(self) -> VectorIndex:
        if self._index is None:
            self._index = self.ctx.vector_index
        return self._index

    @property
    def loaded(self) -> bool:
        """Whether an answer would wait for nothing: the chunk set (and its BM25 index) is in
        memory and the embedding model is loaded (retrieval.warm_up does both at start-up)."""
        model_loaded = getattr(self.embedder, "loaded", True)  # fakes in tests load nothing
        return self._corpus is not None and bool(model_loaded)

    def searcher(self, session: Session, *, source: str | None = None) -> Searcher:
        """A searcher over the current chunk set (or one document's chunks, by source);
        reloads it when a re-ingest changed it."""
        fingerprint = corpus_fingerprint(session)
        with self._lock:
            if self._corpus is None or self._corpus.fingerprint != fingerprint:
                self._corpus = Corpus.load(session)
            corpus = self._corpus
        if source is None:
            return Searcher(self.embedder, self.index, corpus)
        return Searcher(self.embedder, self.index, corpus.of_document(source), depth=len(corpus))

    # --- answering ----------------------------------------------------------------------------

    def answer(
        self,
        question: str,
        *,
        actor: str,
        session: Session,
        method: Method | None = None,
        source: str | None = None,
    ) -> PolicyAnswer:
        """`source`: answer from that one document's passages only (no register, no catalogue),
        as a question about a policy someone was asked to acknowledge is."""
        question = normalise_space(question)
        if source is None and asks_about_records(question):
            return self._register_answer(question, actor=actor, session=session)
        try:
            return self._policy_answer(
                question, actor=actor, session=session, method=method, source=source
            )
        except IndexUnavailable as exc:  # nothing was written before the searches
            return self._unavailable_answer(question, exc, actor=actor, session=session)

    def _policy_answer(
        self,
        question: str,
        *,
        actor: str,
        session: Session,
        method: Method | None,
        source: str | None = None,
    ) -> PolicyAnswer:
        searcher = self.searcher(session, source=source)
        result = searcher.search(question, method=method or self.method)
        covered, confidence = coverage(question, result)
        catalogue = self.ctx.config.catalogue
        wanted = detect_data_categories(question)
        # Restricted to one document, the catalogue has no say: only its passages answer.
        named = find_tools(question, catalogue) if source is None else []
        tools = [tool_match(tool, wanted) for tool in named]
        unknown = find_unknown_tools(question, catalogue) if source is None else []
        hits = self._passages(question, result, covered, tools, unknown, searcher)
        conflicts = self._conflicts(hits, result, named)
        if conflicts:
            # Choose again without the contradicting passages, so the next best is quoted.
            contradicted = {conflict.chunk.id for conflict in conflicts}
            result = replace(
                result, hits=[h for h in result.hits if h.chunk.id not in contradicted]
            )
            hits = [
                hit
                for hit in self._passages(question, result, covered, tools, unknown, searcher)
                if hit.chunk.id not in contradicted
            ]
        draft = self._draft(question, tools, unknown, hits, result, conflicts)
        answer = PolicyAnswer(
            question=question,
            text="\n\n".join(draft.parts) if draft.parts else self.not_covered_text(),
            covered=bool(draft.parts),
            mode=draft.mode,
            citations=draft.citations,
            tool_matches=tools,
            unknown_tools=unknown,
            confidence=round(confidence, 4),
            fallback_reason=draft.fallback_reason,
        )
        answer.evidence_seq = self._record(session, actor, answer, draft, method or self.method)
        record_conflicts(session, conflicts, actor=actor)
        return answer

    def _register_answer(self, question: str, *, actor: str, session: Session) -> PolicyAnswer:
        """A question about register records: the register answers, no passage is searched."""
        found = answer_about_records(session, question, config=self.ctx.config)
        answer = PolicyAnswer(
            question=question,
            text=found.text,
            covered=True,
            mode="register",
            record_refs=found.refs,
        )
        answer.evidence_seq = self._record(session, actor, answer, _Draft(mode="register"), "none")
        return answer

    def _unavailable_answer(
        self, question: str, problem: IndexUnavailable, *, actor: str, session: Session
    ) -> PolicyAnswer:
        """The catalogue's verdicts (they need no search), then that policy search is down;
        recorded like any answer, and the governance leads told (at most every ten minutes)."""
        catalogue = self.ctx.config.catalogue
        wanted = detect_data_categories(question)
        tools = [tool_match(tool, wanted) for tool in find_tools(question, catalogue)]
        unknown = find_unknown_tools(question, catalogue)
        parts = [tool_text(tool) for tool in tools]
        parts += [unknown_tool_text(name, self.ask_whom()) for name in unknown]
        parts.append(unavailable_text(self.ask_whom()))
        answer = PolicyAnswer(
            question=question,
            text="\n\n".join(parts),
            covered=False,
            mode=UNAVAILABLE_MODE,
            tool_matches=tools,
            unknown_tools=unknown,
            fallback_reason=str(problem),
        )
        draft = _Draft(mode=UNAVAILABLE_MODE, fallback_reason=str(problem))
        answer.evidence_seq = self._record(session, actor, answer, draft, "none")
        self.outages.report(session, self.ctx.config, str(problem))
        return answer

    def _conflicts(
        self, hits: list[Hit], result: SearchResult, tools: list[CatalogueTool]
    ) -> list[Conflict]:
        """Passages that contradict the catalogue: any the answer would cite, and any among the
        search results that contradicts it about a tool the question names."""
        catalogue = self.ctx.config.catalogue
        cited = {hit.chunk.id for hit in hits}
        asked = {tool.name for tool in tools}
        found = conflicts_in([hit.chunk for hit in hits], catalogue)
        others = [hit.chunk for hit in result.hits if hit.chunk.id not in cited]
        found += [c for c in conflicts_in(others, catalogue) if c.tool in asked]
        return found

    def ask_whom(self) -> str:
        config = self.ctx.config
        people = [config.person(member) for member in config.members("governance_leads")]
        names = [
            f"{person.name} ({person.title})" if person.title else person.name
            for person in people
            if person is not None
        ]
        if not names:
            return "your AI governance lead"
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]

    def not_covered_text(self) -> str:
        return f"The policy does not cover this. Ask {self.ask_whom()}."

    def _passages(
        self,
        question: str,
        result: SearchResult,
        covered: bool,
        tools: list[ToolMatch],
        unknown: list[str],
        searcher: Searcher,
    ) -> list[Hit]:
        hits: list[Hit] = []
        for tool in tools[:2]:
            hits.extend(_reference_hits(tool.policy_ref, question, searcher.corpus)[:1])
        if unknown and not tools:
            general = searcher.search(UNAPPROVED_TOOLS_QUERY, k=1)
            if general.hits and general.best_dense >= COVERED_SIMILARITY_WITH_TERMS:
                hits.extend(general.hits[:1])
        if covered:
            hits.extend(extractive.choose_passages(result.hits))
        distinct: dict[str, Hit] = {}
        for hit in hits:
            distinct.setdefault(hit.chunk.id, hit)
        return list(distinct.values())[:3]

    def _draft(
        self,
        question: str,
        tools: list[ToolMatch],
        unknown: list[str],
        hits: list[Hit],
        result: SearchResult,
        conflicts: list[Conflict],
    ) -> _Draft:
        draft = _Draft(parts=[tool_text(tool) for tool in tools], conflicts=conflicts)
        draft.parts.extend(unknown_tool_text(name, self.ask_whom()) for name in unknown)
        if conflicts:
            draft.parts.append(conflict_note(conflicts, self.ask_whom()))
        if not hits:
            return draft
        model = self._chat_model
        if model is not None and self._llm_part(draft, model, question, hits):
            return draft
        names = [tool.name for tool in tools] + unknown
        quotes = extractive.quote(hits, question, result.query_vector, self.embedder, names=names)
        lines = ["The policy says:"]
        for number, item in enumerate(quotes, start=1):
            lines.append(f"[{number}] “{' '.join(item.sentences)}”")
            draft.citations.append(_citation(number, item.hit.chunk))
        draft.parts.append("\n".join(lines))
        return draft

    def _llm_part(self, draft: _Draft, model: ChatModel, question: str, hits: list[Hit]) -> bool:
        """Ask the model (through the one adapter, which redacts personal data); True when
        its answer (or its 'not covered') is used."""
        passages = [
            llm.Passage(
                n, hit.chunk.document_title, " › ".join(hit.chunk.section_path), hit.chunk.text
            )
            for n, hit in enumerate(hits[:MAX_LLM_PASSAGES], start=1)
        ]
        outcome = llm.ask(model, question=question, passages=passages)
        draft.llm = outcome
        if outcome.usable:
            draft.mode = f"llm:{outcome.model_id}"
            draft.parts.append(outcome.text)
            draft.citations.extend(_citation(n, hits[n - 1].chunk) for n in outcome.cited)
            return True
        if outcome.not_covered:
            draft.mode = f"llm:{outcome.model_id}"
            return True
        draft.fallback_reason = outcome.error or (
            "the model cited no passage it was given"
            if outcome.rejected
            else "the model gave no citation"
        )
        logger.warning("LLM answer not used (%s); answering extractively", draft.fallback_reason)
        return False

    def _record(
        self, session: Session, actor: str, answer: PolicyAnswer, draft: _Draft, method: str
    ) -> int:
        from retrieval.redaction import redact

        payload: dict[str, Any] = {
            # Personal data never enters the append-only ledger: the question is stored
            # redacted, with the hash of what was actually asked.
            "question": redact(answer.question).text,
            "question_sha256": sha256_text(answer.question),
            "answer": answer.text,
            "covered": answer.covered,
            "mode": answer.mode,
            "retrieval": {"method": method, "confidence": answer.confidence},
            "citations": [
                {
                    "number": c.number,
                    "chunk_id": c.chunk_id,
                    "chunk_hash": c.chunk_hash,
                    "source": c.source,
                    "section": c.label,
                }
                for c in answer.citations
            ],
            "tools": [{"name": t.name, "status": t.status} for t in answer.tool_matches],
            "unknown_tools": answer.unknown_tools,
        }
        if answer.record_refs:
            payload["records"] = answer.record_refs
        if draft.conflicts:
            # Not cited, but kept: which passages were set aside, and why.
            payload["conflicts"] = [
                {
                    "tool": c.tool,
                    "catalogue_status": c.status.value,
                    "place": c.place,
                    "chunk_id": c.chunk.id,
                    "chunk_hash": c.chunk.content_hash,
                }
                for c in draft.conflicts
            ]
        if answer.fallback_reason:
            payload["fallback_reason"] = answer.fallback_reason
        if draft.llm is not None:
            payload["llm"] = {
                "model": draft.llm.model_id,
                "prompt_sha256": draft.llm.prompt_sha256,
                "raw_output": draft.llm.raw,
                "rejected_citations": draft.llm.rejected,
                "error": draft.llm.error,
                "fallback_reason": draft.fallback_reason,
            }
        event = evidence.append(
            session,
            actor=actor,
            kind=EvidenceKind.ANSWER_GIVEN,
            subject=f"question:{sha256_text(answer.question)[:16]}",
            payload=payload,
        )
        return event.seq


def coverage(question: str, result: SearchResult) -> tuple[bool, float]:
    """Whether the best passage answers the question, and the similarity it was judged on."""
    if not result.hits:
        return False, 0.0
    top = result.hits[0].chunk
    similarity = result.best_dense
    share = extractive.overlap(question, f"{top.heading} {top.text}")
    covered = similarity >= COVERED_SIMILARITY or (
        similarity >= COVERED_SIMILARITY_WITH_TERMS and share >= COVERED_TERM_SHARE
    )
    return covered, similarity


def _reference_hits(policy_ref: str | None, question: str, corpus: Corpus) -> list[Hit]:
    """Chunks of the section a catalogue entry cites ("Document § 4.2 Section"), best first."""
    if not policy_ref or "§" not in policy_ref:
        return []
    document, _, section = (part.strip().casefold() for part in policy_ref.partition("§"))
    number = section.split(" ", 1)[0]
    chunks = [
        chunk
        for chunk in corpus.chunks.values()
        if chunk.document_title.casefold() == document
        and any(_section_matches(part.casefold(), section, number) for part in chunk.section_path)
    ]
    chunks.sort(key=lambda c: extractive.overlap(question, c.text), reverse=True)
    return [Hit(chunk, 0.0, None, None) for chunk in chunks]


def _section_matches(heading: str, wanted: str, number: str) -> bool:
    if heading == wanted or wanted in heading:
        return True
    return any(ch.isdigit() for ch in number) and heading.split(" ", 1)[0].rstrip(".") == number


def _citation(number: int, chunk: ChunkRecord) -> Citation:
    return Citation(
        number=number,
        document_title=chunk.document_title,
        section_path=list(chunk.section_path),
        source=chunk.source,
        chunk_id=chunk.id,
        chunk_hash=chunk.content_hash,
        passage=chunk.text,
        url=chunk.url,
    )


def get_answerer(ctx: AppContext) -> PolicyAnswerer:
    """The context's answerer (made once, on first use)."""
    answerer = ctx.answerer
    assert isinstance(answerer, PolicyAnswerer)
    return answerer
