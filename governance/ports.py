"""The services the application context holds, as small protocols: what the domain needs from
an embedding model, a vector index, a chat model and the policy answerer. Implementations live
in retrieval/ (and test fakes in tests/); the composition root (bot/context.py) picks them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, TypeVar

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel

Vectors = npt.NDArray[np.float32]
Schema = TypeVar("Schema", bound=BaseModel)


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors (so a dot product is the cosine similarity)."""

    @property
    def name(self) -> str: ...

    def embed(self, texts: Sequence[str], *, batch_size: int = 32) -> Vectors: ...


class VectorIndex(Protocol):
    def chunk_ids(self) -> set[str]: ...

    def upsert(self, items: Sequence[Any]) -> None: ...

    def delete(self, chunk_ids: Sequence[str]) -> None: ...

    def query(self, vector: Vectors, k: int) -> list[tuple[str, float]]:
        """The k nearest chunks with their best cosine similarity, best first."""
        ...


class ChatModel(Protocol):
    """Every LLM call goes through one of these: personal data in what is sent is redacted
    first, and the model id is what evidence records. It never gets a tool."""

    @property
    def model_id(self) -> str: ...

    def reply(self, system: str, user: str) -> str:
        """The model's text answer to one system + user message."""
        ...

    def extract(self, prompt: str, schema: type[Schema]) -> Schema:
        """The model's answer as an instance of `schema` (structured output)."""
        ...


class Answerer(Protocol):
    """Policy questions and tool checks, answered with citations (retrieval.answer)."""

    def answer(self, question: str, *, actor: str, session: Any, source: str | None = None) -> Any:
        """`source`: answer from that one document's passages only."""
        ...
