"""The dense side: cosine search over the stored vectors, and concept agreement."""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

import numpy as np
import numpy.typing as npt

from newsdesk.search.concepts import AGREEMENT_DOCS, LexicalEvidence
from newsdesk.store.base import DocumentFilter, Store

# Above this many vectors a faiss HNSW index answers dense queries; below it an
# exact numpy scan is as fast and exact. Measured with bench/dense_bench.py.
FAISS_MIN_VECTORS = 100_000


_ROWS: dict[tuple[str, str], tuple[int, dict[str, int]]] = {}


def similarities(
    store: Store, model: str, query_vector: npt.NDArray[np.float32], doc_ids: Collection[str]
) -> dict[str, float]:
    """Cosine of the query vector with each of these documents' stored vectors."""
    ids, matrix = store.vectors(model)
    key = (store.location, model)
    cached = _ROWS.get(key)
    if cached is None or cached[0] != id(matrix):
        cached = (id(matrix), {d: i for i, d in enumerate(ids)})
        _ROWS.clear()
        _ROWS[key] = cached
    rows = cached[1]
    found = [d for d in doc_ids if d in rows]
    if not found:
        return {}
    sims = matrix[[rows[d] for d in found]] @ query_vector
    return dict(zip(found, (float(x) for x in sims), strict=True))


def concept_agreement(
    store: Store, evidence: LexicalEvidence, model: str, query_vector: npt.NDArray[np.float32]
) -> list[float] | None:
    """Per concept: the mean cosine to the query vector of its best BM25 documents.

    IDF cannot tell a generic modifier from the topic: over 2011-2019 business
    news 高性能 (36 documents) is rarer than 稀土 (58). The query's vector can:
    the documents that 高性能 alone finds (glass fibre, servers) lie far from
    高性能稀土永磁体, the ones 稀土 finds lie close.
    """
    tops = [[d for d, _ in found[:AGREEMENT_DOCS]] for found in evidence.lists]
    sims = similarities(store, model, query_vector, {d for t in tops for d in t})
    if not sims:  # no vectors (ingest --no-embed): agreement cannot be measured
        return None
    return [sum(sims.get(d, 0.0) for d in t) / len(t) if t else 0.0 for t in tops]


class VectorIndex(Protocol):
    """What dense search asks of an approximate index (faiss's, which ships no types)."""

    def search(
        self, x: npt.NDArray[np.float32], k: int
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        """(similarities, rows) of the ``k`` nearest rows of each query in ``x``."""
        ...


_HNSW: dict[tuple[str, str, int, int], VectorIndex] = {}


def _hnsw(store: Store, model: str, matrix: npt.NDArray[np.float32]) -> VectorIndex:
    """The faiss HNSW index over ``matrix``, built once per store version."""
    import faiss

    key = (store.location, model, matrix.shape[0], id(matrix))
    index = _HNSW.get(key)
    if index is None:
        built = faiss.IndexHNSWFlat(matrix.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
        built.hnsw.efConstruction = 64
        built.add(matrix)
        built.hnsw.efSearch = 128
        index = built
        _HNSW.clear()
        _HNSW[key] = built
    return index


def dense_candidates(
    store: Store,
    query_vector: npt.NDArray[np.float32],
    model: str,
    flt: DocumentFilter | None,
    depth: int,
) -> list[tuple[str, float]]:
    """Cosine search over the stored vectors, filtered, best first.

    Exact (numpy) below FAISS_MIN_VECTORS, approximate (faiss HNSW) above; a
    filtered approximate query over-fetches and falls back to the exact scan of
    the allowed documents when too few of them come back. A store with a
    ``dense_search`` method (PostgreSQL: pgvector HNSW) answers it itself.
    """
    server_side = getattr(store, "dense_search", None)
    if server_side is not None:  # a store with its own vector index (pgvector)
        return list(server_side(query_vector, model, flt, depth))
    ids, matrix = store.vectors(model)
    if not ids:
        return []
    allowed = store.filtered_ids(flt) if flt is not None else None
    if len(ids) >= FAISS_MIN_VECTORS:
        fetch = depth if allowed is None else depth * 4
        sims, rows = _hnsw(store, model, matrix).search(query_vector[None, :], min(fetch, len(ids)))
        found = [
            (ids[r], float(s))
            for r, s in zip(rows[0], sims[0], strict=True)
            if r >= 0 and (allowed is None or ids[r] in allowed)
        ]
        if len(found) >= min(depth, len(allowed) if allowed is not None else depth):
            return found[:depth]
    scores = matrix @ query_vector
    if allowed is not None:
        mask = np.fromiter((i in allowed for i in ids), dtype=bool, count=len(ids))
        scores = np.where(mask, scores, -np.inf)
    k = min(depth, len(ids))
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top], kind="stable")]
    return [(ids[i], float(scores[i])) for i in top if np.isfinite(scores[i])]
