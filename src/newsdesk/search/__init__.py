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

The package: ``core`` (options, ``rank``, ``search``), ``concepts`` (the lexical
side), ``translation`` (English queries in Chinese, cached), ``dense`` (vectors),
``fusion`` (query-dependent weights) and ``snippets`` (best paragraphs).
"""

from __future__ import annotations

from newsdesk.search.concepts import (
    AGREEMENT_DOCS,
    AGREEMENT_POWER,
    COMMON_WORD_SHARE,
    IDF_POWER,
    NAME_WEIGHT,
    SHORT_HAN,
    SHORT_WORDS,
    TRANSLATIONS_PER_CONCEPT,
    LexicalEvidence,
    QueryConcept,
    combine_concepts,
    group_concepts,
    is_topic_query,
    lexical_evidence,
    query_concepts,
)
from newsdesk.search.core import (
    DEPTH,
    Mode,
    Ranking,
    SearchOptions,
    SearchState,
    Sort,
    concept_weights,
    lexical_candidates,
    rank,
    search,
    self_check,
)
from newsdesk.search.dense import (
    FAISS_MIN_VECTORS,
    concept_agreement,
    dense_candidates,
    similarities,
)
from newsdesk.search.fusion import (
    DENSE_WEIGHT,
    MODEL_TRUST,
    SHORT_DENSE_WEIGHT,
    TIE,
    TRANSLATED_TRUST,
    TRANSLATED_VECTOR,
    fuse,
    fusion_weights,
    hybrid,
    translation_vector,
)
from newsdesk.search.snippets import (
    SNIPPET,
    best_paragraphs,
)
from newsdesk.search.translation import (
    MODEL_CALLS,
    ModelTranslation,
    cached_model_translation,
    cached_translation,
)

__all__ = [
    "AGREEMENT_DOCS",
    "AGREEMENT_POWER",
    "COMMON_WORD_SHARE",
    "DENSE_WEIGHT",
    "DEPTH",
    "FAISS_MIN_VECTORS",
    "IDF_POWER",
    "MODEL_CALLS",
    "MODEL_TRUST",
    "NAME_WEIGHT",
    "SHORT_DENSE_WEIGHT",
    "SHORT_HAN",
    "SHORT_WORDS",
    "SNIPPET",
    "TIE",
    "TRANSLATED_TRUST",
    "TRANSLATED_VECTOR",
    "TRANSLATIONS_PER_CONCEPT",
    "LexicalEvidence",
    "Mode",
    "ModelTranslation",
    "QueryConcept",
    "Ranking",
    "SearchOptions",
    "SearchState",
    "Sort",
    "best_paragraphs",
    "cached_model_translation",
    "cached_translation",
    "combine_concepts",
    "concept_agreement",
    "concept_weights",
    "dense_candidates",
    "fuse",
    "fusion_weights",
    "group_concepts",
    "hybrid",
    "is_topic_query",
    "lexical_candidates",
    "lexical_evidence",
    "query_concepts",
    "rank",
    "search",
    "self_check",
    "similarities",
    "translation_vector",
]
