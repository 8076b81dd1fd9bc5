"""Load what a policy answer needs before the first question, so it is as fast as the rest.

Everything behind an answer is made on first use: the embedding model (importing torch and
sentence-transformers, then the first inference), the Chroma collection and its HNSW index, the
chunk set with its BM25 index, and Presidio's analyzer, which redacts every question recorded.
That is right for a command that never answers (`aims register list`), and wrong for a running
bot: the first person to ask waited 7-10 s. `aims run` calls `warm_up` before it serves and
`aims chat` starts it in the background while the prompt waits for a question.

A warm-up that fails is reported, not raised: the bot still registers uses and takes approvals
without policy search, and the first question then says what is wrong. A Chroma server that
does not answer (AIMS_CHROMA_URL) is reported in one line that names it and what to check; the
index connects again by itself once the server is back.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from governance.context import AppContext
from retrieval.answer import get_answerer
from retrieval.index import IndexUnavailable
from retrieval.redaction import redact

logger = logging.getLogger(__name__)

# Any text will do; one that reaches every part of the search (terms for BM25, words to embed).
WARM_UP_QUESTION = "May I use an approved AI tool with internal documents?"


@dataclass(frozen=True)
class WarmUp:
    seconds: float
    passages: int  # searchable passages now in memory
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def summary(self) -> str:
        if self.error is not None:
            return f"policy answers not warmed up ({self.error})"
        return f"{self.passages} policy passages and the embedding model loaded"


def warm_up(ctx: AppContext) -> WarmUp:
    """Load the model, open the index, build the in-memory indexes, answer nothing."""
    started = time.perf_counter()
    unavailable: str | None = None
    try:
        answerer = get_answerer(ctx)
        with ctx.db.session() as session:
            searcher = answerer.searcher(session)  # the chunk set from the database, BM25 built
            try:
                # Loads the model and runs its first inference; opens and queries the collection.
                searcher.search(WARM_UP_QUESTION)
            except IndexUnavailable as exc:  # a server that is down: the rest still loads
                unavailable = str(exc)  # one line that names AIMS_CHROMA_URL and what to check
            passages = len(searcher.corpus)
        redact(WARM_UP_QUESTION)  # every answer's evidence stores its question redacted
        _load_chat_model(ctx)
    except Exception as exc:  # a broken model or index must not stop the bot's other work
        logger.debug("warming up policy answers failed", exc_info=True)
        return WarmUp(time.perf_counter() - started, 0, f"{type(exc).__name__}: {exc}")
    return WarmUp(time.perf_counter() - started, passages, unavailable)


def _load_chat_model(ctx: AppContext) -> None:
    """Build the LLM client (AIMS_LLM), without calling it: a call costs money and time."""
    chat = ctx.chat_model
    if chat is None:
        return
    try:
        getattr(chat, "model", None)
    except RuntimeError as exc:  # the answerer falls back to quotes and records why
        logger.warning("%s; policy answers will be extractive", exc)


def warm_up_in_background(ctx: AppContext) -> threading.Thread:
    """Warm up on a daemon thread: a question asked meanwhile waits for the same loads (each is
    made once, under a lock) rather than starting its own."""

    def run() -> None:
        ready = warm_up(ctx)
        # A failure is shown (WARNING reaches the terminal): the person is about to ask.
        level = logging.INFO if ready.ok else logging.WARNING
        logger.log(level, "warm-up took %.1f s: %s", ready.seconds, ready.summary())

    thread = threading.Thread(target=run, name="aims-warm-up", daemon=True)
    thread.start()
    return thread
