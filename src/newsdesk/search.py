"""Hybrid search: BM25 over segmented words, dense vectors, and a fusion that
holds up when one side is useless for a query.

Plain reciprocal-rank fusion treats both rankings as equally informative, so a
strong ranker is dragged down by a useless one: an English query over Chinese
text matches no words, yet RRF still gives BM25's noise half the vote. Here each
side's scores are normalized to [0, 1] within its candidate list and weighted by
how much the lexical side can know about this query: the share of the query's
IDF mass that occurs in the index at all (``coverage``). A Chinese query whose
words are all indexed trusts BM25 and uses the vectors to break ties and to add
what BM25 missed; an English query over Chinese documents has coverage near 0
and is ranked by the vectors alone.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from newsdesk.model import Document, Hit
from newsdesk.store.base import DocumentFilter, Store
from newsdesk.text.embed import Embedder, get_embedder
from newsdesk.text.lang import detect_language
from newsdesk.text.segment import Segmenter, search_tokens

Mode = Literal["hybrid", "lexical", "dense"]
Sort = Literal["relevance", "newest"]

# Candidates taken from each ranker before fusion (and the depth of Recall@100).
DEPTH = 100
# final = coverage * lexical + DENSE_WEIGHT * dense, each min-max normalized
# over its candidates. Chosen with bench/tune_fusion.py on the first half of the
# cmrc2018 and finna queries: the smallest weight whose gain over the better
# single ranker, on the worse of the two sets, is within 0.001 of the best
# weight's; the second halves are held out (README has the figures).
DENSE_WEIGHT = 0.1
# Above this many vectors a faiss HNSW index answers dense queries; below it an
# exact numpy scan is as fast and exact. Measured with bench/dense_bench.py.
FAISS_MIN_VECTORS = 100_000


@dataclass(frozen=True, slots=True)
class SearchOptions:
    """Filters, order and size of a search."""

    since: datetime | None = None
    until: datetime | None = None
    source: str | None = None
    language: str | None = None
    limit: int = 10
    sort: Sort = "relevance"
    mode: Mode = "hybrid"
    # Ranking signal: score * (1 + repost_boost * ln(1 + reposts)); 0 turns it off.
    repost_boost: float = 0.0

    def filter(self) -> DocumentFilter:
        """The document filter these options describe."""
        return DocumentFilter(
            source=self.source, since=self.since, until=self.until, language=self.language
        )

    @property
    def filtered(self) -> bool:
        """Whether any filter is set."""
        return any((self.since, self.until, self.source, self.language))


@dataclass(frozen=True, slots=True)
class Ranking:
    """The fused ranking of one query, before documents are loaded."""

    ids: list[str]
    scores: list[float]
    lexical: list[tuple[str, float]]
    dense: list[tuple[str, float]]
    coverage: float
    tokens: list[str]


# Query words in more than this share of documents are left out of the BM25
# query when rarer words remain: their IDF is near zero, so they barely change
# the ranking, but scoring their long posting lists dominated query time
# (中国 occurs in 45% of the corpora: 47 ms of a 55 ms query).
COMMON_WORD_SHARE = 0.2


def lexical_candidates(
    store: Store, tokens: Sequence[str], flt: DocumentFilter, depth: int
) -> tuple[list[tuple[str, float]], float]:
    """BM25 candidates for the query words, and the lexical coverage of the query.

    Coverage is the share of the query's IDF mass carried by words that occur
    in the index at all: 1 when every word is indexed, 0 for an English query
    over Chinese documents.
    """
    words = list(dict.fromkeys(tokens))
    if not words:
        return [], 0.0
    total, df = store.document_frequencies(words)
    if total == 0:
        return [], 0.0

    def idf(n: int) -> float:
        return math.log(1 + (total - n + 0.5) / (n + 0.5))

    weights = {t: idf(df.get(t, 0)) for t in words}
    present = sum(w for t, w in weights.items() if df.get(t, 0) > 0)
    coverage = present / sum(weights.values()) if weights else 0.0
    rare = [t for t in words if 0 < df.get(t, 0) <= COMMON_WORD_SHARE * total]
    query = rare or [t for t in words if df.get(t, 0) > 0]
    return store.lexical_search(query, flt, depth), coverage


_HNSW: dict[tuple[str, str, int, int], Any] = {}


def _hnsw(store: Store, model: str, matrix: npt.NDArray[np.float32]) -> Any:
    """The faiss HNSW index over ``matrix``, built once per store version."""
    import faiss

    key = (store.location, model, matrix.shape[0], id(matrix))
    index = _HNSW.get(key)
    if index is None:
        index = faiss.IndexHNSWFlat(matrix.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 64
        index.add(matrix)
        index.hnsw.efSearch = 128
        _HNSW.clear()
        _HNSW[key] = index
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


def _normalize(pairs: Sequence[tuple[str, float]]) -> dict[str, float]:
    if not pairs:
        return {}
    values = [s for _, s in pairs]
    hi, lo = max(values), min(values)
    if hi - lo < 1e-12:
        return {d: 1.0 for d, _ in pairs}
    return {d: (s - lo) / (hi - lo) for d, s in pairs}


def fuse(
    lexical: Sequence[tuple[str, float]],
    dense: Sequence[tuple[str, float]],
    coverage: float,
    dense_weight: float = DENSE_WEIGHT,
    other_language: Collection[str] = (),
) -> list[tuple[str, float]]:
    """Coverage-weighted fusion of min-max normalized scores (see the module docstring).

    Documents in ``other_language`` (not the query's) cannot match its words, so
    their vector alone ranks them, on the same [0, 1] scale as a perfect word match.
    """
    lex = _normalize(lexical)
    den = _normalize(dense)
    ids = set(lex) | set(den)
    fused = {}
    for d in ids:
        if coverage < 1e-9 or d in other_language:
            fused[d] = den.get(d, 0.0)
        else:
            fused[d] = coverage * lex.get(d, 0.0) + dense_weight * den.get(d, 0.0)
    return sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))


def rank(
    store: Store,
    query: str,
    options: SearchOptions,
    *,
    segmenter: Segmenter | None = None,
    embedder: Embedder | None = None,
    depth: int = DEPTH,
) -> Ranking:
    """Rank documents for ``query`` (no documents loaded): the core of ``search``."""
    tokens = search_tokens(query, segmenter)
    flt = options.filter()
    lexical: list[tuple[str, float]] = []
    dense: list[tuple[str, float]] = []
    coverage = 0.0
    if options.mode in ("hybrid", "lexical"):
        lexical, coverage = lexical_candidates(store, tokens, flt, depth)
    if options.mode in ("hybrid", "dense"):
        emb = embedder or get_embedder()
        qv = emb.embed([query])[0]
        dense = dense_candidates(store, qv, emb.name, flt if options.filtered else None, depth)
    if options.mode == "lexical":
        fused = lexical
    elif options.mode == "dense":
        fused = dense
    else:
        query_language = detect_language(query)
        languages = store.languages([d for d, _ in dense])
        other = {d for d, lang in languages.items() if lang != query_language}
        fused = fuse(lexical, dense, coverage, other_language=other)
    return Ranking(
        ids=[d for d, _ in fused],
        scores=[s for _, s in fused],
        lexical=lexical,
        dense=dense,
        coverage=coverage,
        tokens=tokens,
    )


@dataclass(frozen=True, slots=True)
class SearchState:
    """What the searches of one process share; a server builds one at start.

    ``embedder`` remembers query vectors (a CachingEmbedder); the store's pool
    shares vectors and index statistics (store/pool.py). With
    ``lead_paragraphs``, a hit that contains no query word (an English query
    over a Chinese article) shows its lead paragraphs, the text its document
    vector was made from, instead of embedding up to 20 paragraphs per hit
    (0.3-0.6 s of CPU a hit on this machine: a served search cannot afford it).
    """

    embedder: Embedder
    lead_paragraphs: bool = True


def search(
    store: Store,
    query: str,
    options: SearchOptions | None = None,
    *,
    segmenter: Segmenter | None = None,
    embedder: Embedder | None = None,
    state: SearchState | None = None,
) -> list[Hit]:
    """Search stored documents; each hit carries its best paragraphs and a snippet."""
    options = options or SearchOptions()
    if not query.strip():
        return []
    if state is not None:
        embedder = state.embedder
    ranking = rank(store, query, options, segmenter=segmenter, embedder=embedder)
    score = dict(zip(ranking.ids, ranking.scores, strict=True))
    lex_rank = {d: i + 1 for i, (d, _) in enumerate(ranking.lexical)}
    dense_rank = {d: i + 1 for i, (d, _) in enumerate(ranking.dense)}
    # One hit per story: the best-ranked member of each cluster stands for it.
    pool = ranking.ids if options.sort == "newest" else ranking.ids[: options.limit * 4 + 20]
    stories: dict[str, Document] = {}
    for doc in store.get_many(pool):
        stories.setdefault(doc.cluster_id or doc.id, doc)
    sizes = store.cluster_sizes([k for k, d in stories.items() if d.cluster_id])
    reposts = {d.id: sizes[k][1] - 1 if k in sizes else 0 for k, d in stories.items()}
    chosen = list(stories.values())
    if options.repost_boost:
        boost = options.repost_boost
        chosen.sort(key=lambda d: -score[d.id] * (1 + boost * math.log1p(reposts[d.id])))
    if options.sort == "newest":
        chosen.sort(key=_newest_first)
    hits = []
    for doc in chosen[: options.limit]:
        paragraphs, snippet, spans = best_paragraphs(
            doc, ranking.tokens, query, embedder, embed=not (state and state.lead_paragraphs)
        )
        others: tuple[str, ...] = ()
        if reposts[doc.id] and doc.cluster_id:
            members = store.cluster_members(doc.cluster_id)
            others = tuple(m.source_display for m in members if m.id != doc.id)
        hits.append(
            Hit(
                doc=doc,
                score=score[doc.id],
                paragraphs=paragraphs,
                snippet=snippet,
                highlights=spans,
                lexical_rank=lex_rank.get(doc.id),
                dense_rank=dense_rank.get(doc.id),
                reposts=reposts[doc.id],
                repost_sources=others,
            )
        )
    return hits


def _newest_first(doc: Document) -> float:
    return -doc.published_at.timestamp() if doc.published_at else math.inf


SNIPPET = 160  # characters of context shown around the first match


def best_paragraphs(
    doc: Document,
    tokens: Sequence[str],
    query: str,
    embedder: Embedder | None = None,
    top: int = 3,
    embed: bool = True,
) -> tuple[tuple[int, ...], str, tuple[tuple[int, int], ...]]:
    """The paragraphs that match the query best, and a snippet of the best one.

    Paragraphs are scored by the query words they contain (longer words count
    more: 钕铁硼 says more than 中国); when none contains a query word (an
    English query over a Chinese article), by embedding similarity, or with
    ``embed=False`` the lead paragraphs.
    """
    words = sorted({t for t in tokens if len(t) > 1 or not t.isascii()}, key=len, reverse=True)
    scores: list[tuple[float, int]] = []
    for n, text in enumerate(doc.paragraphs, start=1):
        low = text.lower()
        scores.append((float(sum(len(w) for w in words if w in low)), n))
    if not any(s for s, _ in scores) and not embed:
        scores = [(1.0 / n, n) for n in range(1, len(doc.paragraphs) + 1)]
    elif not any(s for s, _ in scores):
        emb = embedder or get_embedder()
        heads = [p[:120] for p in doc.paragraphs[:20]]
        sims = emb.embed(heads) @ emb.embed([query])[0]
        scores = [(float(s), n) for n, s in enumerate(sims, start=1)]
    ranked = [n for s, n in sorted(scores, key=lambda x: (-x[0], x[1])) if s > 0][:top] or [1]
    best = doc.paragraphs[ranked[0] - 1]
    snippet, spans = _snippet(best, words)
    return tuple(ranked), snippet, spans


def _snippet(text: str, words: Sequence[str]) -> tuple[str, tuple[tuple[int, int], ...]]:
    low = text.lower()
    first = min((i for w in words if (i := low.find(w)) >= 0), default=0)
    start = max(0, first - SNIPPET // 3)
    snippet = text[start : start + SNIPPET]
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + SNIPPET < len(text) else ""
    snippet = prefix + snippet + suffix
    spans: list[tuple[int, int]] = []
    if words:
        pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
        spans = [(m.start(), m.end()) for m in pattern.finditer(snippet)]
    return snippet, tuple(spans)


def self_check(store: Store, samples: int = 20, segmenter: Segmenter | None = None) -> list[str]:
    """Search for a Chinese word of each of ``samples`` stored documents; list the misses.

    Guards against the classic failure of Chinese keyword search: an index that
    was built without segmentation (or with another dictionary) silently returns
    nothing for words that are plainly in the text.
    """
    ids = store.all_ids()
    step = max(1, len(ids) // samples)
    problems = []
    for doc in store.get_many(ids[::step][:samples]):
        words = [w for w in search_tokens(doc.title, segmenter) if not w.isascii() and len(w) >= 2]
        if not words:
            continue
        word = max(words, key=len)
        found = store.lexical_search([word], DocumentFilter(limit=10_000), 10_000)
        if doc.id not in {d for d, _ in found}:
            problems.append(f"{doc.id}: searching {word!r} (in its title) does not find it")
    return problems
