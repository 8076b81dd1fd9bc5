"""The vector index: Chroma, embedded (PersistentClient) by default or a server (HttpClient).

We always pass our own embeddings; collections have no embedding function, so Chroma never
loads or downloads a model of its own. A chunk has several vectors (the whole chunk and its
sentence windows, see retrieval.chunking); each carries its chunk id in its metadata, and the
index speaks in chunk ids.

One collection per organisation, embedding model and, optionally, namespace
(AIMS_CHROMA_NAMESPACE): vectors of different models must never be compared, and two
organisations (or two test runs) sharing one Chroma server must never read each other's
passages. An embedded index made before collections were named by organisation keeps its
collection (`aims-policy-<model>`), so an existing install answers as before without re-indexing.

A server is connected on first use, not when the index is made, and again after it failed: a
server that is down makes an operation raise IndexUnavailable (one line naming AIMS_CHROMA_URL
and what to check), and the next operation after it is back succeeds without a restart.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Protocol, TypeVar
from urllib.parse import urlparse

import httpx

from governance.errors import AimsError
from retrieval.embeddings import Vectors

logger = logging.getLogger(__name__)

BATCH = 1000
# Vectors fetched per wanted chunk: several windows of one chunk often rank together.
OVERFETCH = 4
# Chroma's rule for collection names: 3-63 characters from [a-zA-Z0-9._-], starting and ending
# with a letter or digit (1.x servers allow 512; 63 keeps the names valid for older ones too).
NAME_LIMIT = 63
_DIGEST = 10
# HNSW's search breadth. A search that may keep this many candidates visits every vector of a
# collection no bigger, so the nearest are found exactly and every replica, embedded or on a
# server, finds the same; Chroma's default (100) missed a neighbour within the 160 vectors a
# query fetches for about one in twelve of the sample's eval questions (498 vectors), a different
# one in each index. Larger collections keep a high recall at a few milliseconds a query.
EF_SEARCH = 2048
# A server that does not answer within these is treated as down (Chroma's own client waits
# forever); a query or a batch of 1000 vectors takes well under a second on a healthy one.
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 60.0

T = TypeVar("T")


@dataclass(frozen=True)
class ChunkVectors:
    """The vectors of one chunk: the chunk's own first, then its windows."""

    chunk_id: str
    vectors: Vectors
    metadata: dict[str, Any]


class VectorIndex(Protocol):
    def chunk_ids(self) -> set[str]: ...

    def upsert(self, items: Sequence[ChunkVectors]) -> None: ...

    def delete(self, chunk_ids: Sequence[str]) -> None: ...

    def query(self, vector: Vectors, k: int) -> list[tuple[str, float]]:
        """The k nearest chunks with their best cosine similarity, best first."""
        ...


class IndexUnavailable(AimsError):
    """The vector index cannot be reached (a Chroma server that is down or failing); the
    message is one line that says where and what to check."""


# --- collection names ---------------------------------------------------------------------------


def _slug(text: str, fallback: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or fallback


def _model_slug(model_name: str) -> str:
    return _slug(model_name.rsplit("/", 1)[-1], "model")


def legacy_collection_name(model_name: str) -> str:
    """The name collections had before they were named by organisation: the model's only."""
    return f"aims-policy-{_model_slug(model_name)}"[:60].rstrip("-")


def collection_name(
    model_name: str, organisation: str | None = None, namespace: str | None = None
) -> str:
    """`aims.[<namespace>.]<organisation>.<model>`, each part a lower-case slug; a name over
    63 characters keeps its first 52 and ends with a digest of the whole. Without an
    organisation or namespace: the legacy name, `aims-policy-<model>`."""
    if organisation is None and not namespace:
        return legacy_collection_name(model_name)
    parts = ["aims"]
    if namespace:
        parts.append(_slug(namespace, "namespace"))
    parts += [_slug(organisation or "", "organisation"), _model_slug(model_name)]
    name = ".".join(parts)
    if len(name) <= NAME_LIMIT:
        return name
    whole = "\0".join([namespace or "", organisation or "", model_name])
    digest = hashlib.sha256(whole.encode()).hexdigest()[:_DIGEST]
    return f"{name[: NAME_LIMIT - _DIGEST - 1].rstrip('.-')}-{digest}"


# --- a Chroma server ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChromaServer:
    """A Chroma server at `url` (AIMS_CHROMA_URL), connected by `connect`."""

    url: str
    connect_timeout: float = CONNECT_TIMEOUT
    read_timeout: float = READ_TIMEOUT

    @property
    def address(self) -> str:
        """scheme://host:port, never credentials or a path (it is shown in messages)."""
        parsed = urlparse(self.url if "://" in self.url else f"http://{self.url}")
        scheme = parsed.scheme or "http"
        try:
            port = parsed.port or (443 if scheme == "https" else 8000)
        except ValueError:  # not a number: connecting says so
            return f"{scheme}://{parsed.netloc.rpartition('@')[2]}"
        return f"{scheme}://{parsed.hostname or 'localhost'}:{port}"

    def connect(self) -> Any:
        """A client, after a heartbeat that answers within the connect timeout."""
        try:
            with httpx.Client(timeout=self.connect_timeout) as http:
                response = http.get(f"{self.address}/api/v2/heartbeat")
            if response.status_code >= 500:
                response.raise_for_status()
            client = chroma_client(path=Path(), url=self.url)
        except Exception as exc:
            raise self.unavailable(exc) from exc
        _limit_waiting(client, httpx.Timeout(self.read_timeout, connect=self.connect_timeout))
        return client

    def unavailable(self, cause: BaseException) -> IndexUnavailable:
        return IndexUnavailable(
            f"policy search is unavailable: the Chroma server at {self.address} "
            f"(AIMS_CHROMA_URL) {_failure(cause)}; check that it is running and reachable "
            "from this machine, or unset AIMS_CHROMA_URL to use the embedded index"
        )


def _failure(cause: BaseException) -> str:
    if isinstance(cause, httpx.TimeoutException):
        return "did not answer in time"
    if isinstance(cause, httpx.ConnectError):
        return f"does not answer ({_reason(cause)})"
    if isinstance(cause, httpx.TransportError):
        return f"dropped the connection ({_reason(cause)})"
    if isinstance(cause, httpx.HTTPStatusError):
        return f"answered HTTP {cause.response.status_code}"
    return f"failed ({_reason(cause)})"


def _reason(cause: BaseException) -> str:
    text = " ".join(str(cause).split())
    text = re.sub(r"^\[Errno -?\d+\]\s*", "", text)
    return (text or type(cause).__name__)[:200].lower()


def _limit_waiting(client: Any, timeout: httpx.Timeout) -> None:
    """Chroma's HTTP client waits forever for a server that accepts and never answers; give its
    session our timeouts (best effort: the attribute is Chroma's, not an API)."""
    session = getattr(getattr(client, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = timeout


def _unreachable(exc: BaseException) -> bool:
    """A failure of the server or the way to it, not of the request (which would fail again)."""
    from chromadb.errors import ChromaError

    if isinstance(exc, httpx.TransportError):
        return True
    if isinstance(exc, httpx.HTTPStatusError):
        return exc.response.status_code >= 500
    return isinstance(exc, ChromaError) and exc.code() >= 500


def _collection_missing(exc: BaseException) -> bool:
    from chromadb.errors import NotFoundError

    return isinstance(exc, NotFoundError)


# --- the index ----------------------------------------------------------------------------------


class ChromaIndex:
    """A Chroma collection as a VectorIndex.

    `client` is a Chroma client (the collection is opened at once, as before), or a
    ChromaServer (connected on first use, and again after a failure; see the module's notes).
    With `legacy_name`, an existing collection of that name is used when `name` does not exist
    yet: an embedded index keeps answering from the collection it was built with.
    """

    def __init__(self, client: Any, name: str, *, legacy_name: str | None = None) -> None:
        self._server = client if isinstance(client, ChromaServer) else None
        self._client = None if self._server is not None else client
        self._wanted = name
        self._legacy_name = legacy_name
        self.name = name  # the collection in use, once opened
        self._collection: Any = None
        self._lock = threading.Lock()
        self._down = False
        if self._server is None:
            self._open()

    # -- connection ----------------------------------------------------------------------------

    def _open(self) -> Any:
        with self._lock:
            if self._collection is None:
                client: Any = self._server.connect() if self._server else self._client
                self.name = self._choose_name(client)
                collection = client.get_or_create_collection(
                    self.name,
                    embedding_function=None,
                    configuration={"hnsw": {"space": "cosine", "ef_search": EF_SEARCH}},
                )
                _search_broadly(collection)
                self._collection = collection
            return self._collection

    def _choose_name(self, client: Any) -> str:
        legacy = self._legacy_name
        if legacy is None or legacy == self._wanted:
            return self._wanted
        names = {getattr(c, "name", c) for c in client.list_collections()}
        if self._wanted not in names and legacy in names:
            logger.info(
                "using the existing vector collection %s (made before %s)", legacy, self._wanted
            )
            return legacy
        return self._wanted

    def _forget(self, collection: Any) -> None:
        with self._lock:
            if self._collection is collection:
                self._collection = None

    def _run(self, operation: Callable[[Any], T], *, again: bool = True) -> T:
        """Run `operation` on the collection; for a server, turn an outage into
        IndexUnavailable, and open the collection afresh next time."""
        if self._server is None:
            return operation(self._open())
        collection = None
        try:
            collection = self._open()
            result = operation(collection)
        except IndexUnavailable:
            self._down = True
            raise
        except Exception as exc:
            if again and _collection_missing(exc):
                self._forget(collection)
                logger.warning(
                    "the vector collection %s is gone from the Chroma server at %s; it is made "
                    "again, empty: run `aims ingest` to index the policies again",
                    self.name,
                    self._server.address,
                )
                return self._run(operation, again=False)
            if not _unreachable(exc):
                raise
            self._forget(collection)
            self._down = True
            raise self._server.unavailable(exc) from exc
        if self._down:
            self._down = False
            logger.warning("policy search is available again: %s answers", self._server.address)
        return result

    # -- the VectorIndex protocol --------------------------------------------------------------

    def chunk_ids(self) -> set[str]:
        found = self._run(lambda collection: collection.get(include=["metadatas"]))
        return {
            _owner(vector_id, metadata)
            for vector_id, metadata in zip(found["ids"], found["metadatas"] or [], strict=True)
        }

    def upsert(self, items: Sequence[ChunkVectors]) -> None:
        ids: list[str] = []
        vectors: list[Any] = []
        metadatas: list[dict[str, Any]] = []
        for item in items:
            for n, vector in enumerate(item.vectors):
                ids.append(item.chunk_id if n == 0 else f"{item.chunk_id}#w{n}")
                vectors.append(vector)
                metadatas.append({**item.metadata, "chunk_id": item.chunk_id, "view": n})
        for start in range(0, len(ids), BATCH):
            end = start + BATCH
            self._run(
                partial(
                    _upsert,
                    ids=ids[start:end],
                    vectors=vectors[start:end],
                    metadatas=metadatas[start:end],
                )
            )

    def delete(self, chunk_ids: Sequence[str]) -> None:
        for start in range(0, len(chunk_ids), BATCH):
            batch = list(chunk_ids[start : start + BATCH])
            if batch:
                self._run(partial(_delete, batch=batch))

    def query(self, vector: Vectors, k: int) -> list[tuple[str, float]]:
        result = self._run(lambda collection: _query(collection, vector, k))
        if result is None:
            return []
        best: dict[str, float] = {}
        metadatas = result["metadatas"][0] if result["metadatas"] else []
        distances = result["distances"][0] if result["distances"] else []
        for vector_id, metadata, distance in zip(
            result["ids"][0], metadatas, distances, strict=True
        ):
            # Results come best first: a chunk's first vector is its best.
            best.setdefault(_owner(vector_id, metadata), 1.0 - float(distance))
        return list(best.items())[:k]


def _search_broadly(collection: Any) -> None:
    """Give a collection made before EF_SEARCH (or by another version) the same breadth."""
    from chromadb.errors import ChromaError

    hnsw = (getattr(collection, "configuration_json", None) or {}).get("hnsw") or {}
    if not isinstance(hnsw, dict) or hnsw.get("ef_search", EF_SEARCH) >= EF_SEARCH:
        return
    try:
        with warnings.catch_warnings():  # "legacy embedding function config": we embed ourselves
            warnings.simplefilter("ignore", DeprecationWarning)
            collection.modify(configuration={"hnsw": {"ef_search": EF_SEARCH}})
    except (ChromaError, ValueError) as exc:  # refused: searches stay as they were
        logger.info("could not widen the search of collection %s: %s", collection.name, exc)


def _upsert(
    collection: Any, *, ids: list[str], vectors: list[Any], metadatas: list[dict[str, Any]]
) -> None:
    collection.upsert(ids=ids, embeddings=vectors, metadatas=metadatas)


def _delete(collection: Any, *, batch: list[str]) -> None:
    collection.delete(ids=batch)  # also vectors written before windows
    collection.delete(where={"chunk_id": {"$in": batch}})


def _query(collection: Any, vector: Vectors, k: int) -> Any:
    count = collection.count()
    if count == 0:
        return None
    return collection.query(
        query_embeddings=vector.reshape(1, -1),
        n_results=min(k * OVERFETCH, count),
        include=["distances", "metadatas"],
    )


def _owner(vector_id: str, metadata: Any) -> str:
    """The chunk a vector belongs to (vectors from before windows carry no chunk_id)."""
    if metadata and "chunk_id" in metadata:
        return str(metadata["chunk_id"])
    return vector_id.split("#", 1)[0]


def chroma_client(*, path: Path, url: str | None) -> Any:
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False)
    if url:
        parsed = urlparse(url if "://" in url else f"http://{url}")
        return chromadb.HttpClient(
            host=parsed.hostname or "localhost",
            port=parsed.port or (443 if parsed.scheme == "https" else 8000),
            ssl=parsed.scheme == "https",
            settings=settings,
        )
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=settings)
