"""Search and rank: the lexical and dense candidates of a query, fused, one hit per story."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import numpy as np
import numpy.typing as npt

from newsdesk.model import Document, Hit
from newsdesk.search.concepts import (
    LexicalEvidence,
    combine_concepts,
    lexical_evidence,
    weights_by_concept,
)
from newsdesk.search.dense import concept_agreement, dense_candidates
from newsdesk.search.fusion import both_vectors, hybrid, translation_vector
from newsdesk.search.snippets import best_paragraphs
from newsdesk.search.translation import MODEL_CALLS
from newsdesk.store.base import DocumentFilter, Store
from newsdesk.text.embed import Embedder, get_embedder
from newsdesk.text.segment import Segmenter, search_tokens

Mode = Literal["hybrid", "lexical", "dense"]


Sort = Literal["relevance", "newest"]


# Candidates taken from each ranker before fusion (and the depth of Recall@100).
DEPTH = 100


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


def concept_weights(
    store: Store,
    query: str,
    *,
    segmenter: Segmenter | None = None,
    embedder: Embedder | None = None,
) -> list[tuple[tuple[str, ...], float]]:
    """The query's concepts (their index words) with the weights ranking gives them, summing to 1.

    The weights are those of ``combine_concepts`` in hybrid search: IDF, times
    the agreement of each concept's best documents with the query vector, so a
    topic run judges a story by the concepts search ranks it by.
    """
    evidence = lexical_evidence(store, query, DocumentFilter(), DEPTH, segmenter)
    agreement = None
    if len(evidence.concepts) > 1:
        emb = embedder or get_embedder()
        av = translation_vector(emb, evidence, emb.embed([query])[0])
        agreement = concept_agreement(store, evidence, emb.name, av)
    weights = weights_by_concept(evidence.concepts, agreement)
    total = sum(weights) or 1.0
    return [(c.words, w / total) for c, w in zip(evidence.concepts, weights, strict=True)]


def lexical_candidates(
    store: Store, query: str, flt: DocumentFilter, depth: int, segmenter: Segmenter | None = None
) -> tuple[list[tuple[str, float]], float]:
    """Lexical candidates for ``query`` (concept-weighted BM25) and its coverage."""
    evidence = lexical_evidence(store, query, flt, depth, segmenter)
    return combine_concepts(evidence)[:depth], evidence.coverage


def rank(
    store: Store,
    query: str,
    options: SearchOptions,
    *,
    segmenter: Segmenter | None = None,
    embedder: Embedder | None = None,
    depth: int = DEPTH,
    query_vector: npt.NDArray[np.float32] | None = None,
) -> Ranking:
    """Rank documents for ``query`` (no documents loaded): the core of ``search``."""
    flt = options.filter()
    lexical: list[tuple[str, float]] = []
    dense: list[tuple[str, float]] = []
    evidence = LexicalEvidence((), (), 0.0)
    agreement: list[float] | None = None
    if options.mode in ("hybrid", "lexical"):
        evidence = lexical_evidence(store, query, flt, depth, segmenter)
    if options.mode in ("hybrid", "dense"):
        emb = embedder or get_embedder()
        qv = query_vector if query_vector is not None else emb.embed([query])[0]
        # A model-translated topic is searched by its English and its Chinese
        # together (USE places "Tencent" far from 腾讯 news; README).
        zh = emb.embed([evidence.translation])[0] if evidence.translation else None
        dv = qv if zh is None else both_vectors(qv, zh)
        dense = dense_candidates(store, dv, emb.name, flt if options.filtered else None, depth)
        if options.mode == "hybrid" and len(evidence.concepts) > 1:
            # A translated topic's concepts are Chinese words: judge them by the
            # Chinese's vector.
            av = translation_vector(emb, evidence, qv, zh)
            agreement = concept_agreement(store, evidence, emb.name, av)
    lexical = combine_concepts(evidence, agreement)[:depth]
    if options.mode == "lexical":
        fused = lexical
    elif options.mode == "dense":
        fused = dense
    else:
        languages = store.languages([d for d, _ in dense])
        fused = hybrid(query, evidence, lexical, dense, languages)
    words = [w for c in evidence.concepts for w in c.words] or search_tokens(query, segmenter)
    return Ranking(
        ids=[d for d, _ in fused],
        scores=[s for _, s in fused],
        lexical=lexical,
        dense=dense,
        coverage=evidence.coverage,
        tokens=list(dict.fromkeys(words)),
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
    Without ``model_translation`` an uncached English topic is translated by the
    dictionary instead of the model.
    """

    embedder: Embedder
    lead_paragraphs: bool = True
    # A served search never waits for the model (seconds, and its load): it uses
    # a model translation already cached (a topic run or `newsdesk search` made
    # it) and the dictionary for any other English query.
    model_translation: bool = False


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
    token = MODEL_CALLS.set(state is None or state.model_translation)
    try:
        ranking = rank(store, query, options, segmenter=segmenter, embedder=embedder)
    finally:
        MODEL_CALLS.reset(token)
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
