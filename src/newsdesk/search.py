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

import contextlib
import json
import math
import re
from collections.abc import Collection, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from newsdesk import config
from newsdesk.errors import ConfigError, ModelError, StoreError
from newsdesk.model import Document, Hit
from newsdesk.store.base import DocumentFilter, Store
from newsdesk.text.embed import Embedder, get_embedder
from newsdesk.text.lang import detect_language
from newsdesk.text.segment import Segmenter, search_tokens
from newsdesk.text.translate import MODEL_NAME as MODEL_TRANSLATOR
from newsdesk.text.translate import NAME as TRANSLATOR
from newsdesk.text.translate import (
    Concept,
    find_names,
    model_available,
    model_translate,
    translate,
)

Mode = Literal["hybrid", "lexical", "dense"]
Sort = Literal["relevance", "newest"]

# Candidates taken from each ranker before fusion (and the depth of Recall@100).
DEPTH = 100
TIE = 1e-5  # fused scores closer than this are equal (float noise; see fuse)
# final = trust * lexical + dense_weight * dense, each min-max normalized over
# its candidates; trust = coverage (times TRANSLATED_TRUST for a translated
# query). DENSE_WEIGHT is for queries longer than a topic (questions,
# summaries); chosen with bench/tune_fusion.py on the first half of the
# cmrc2018 and finna queries: the smallest weight whose gain over the better
# single ranker, on the worse of the two sets, is within 0.001 of the best
# weight's; the second halves are held out (README has the figures).
DENSE_WEIGHT = 0.1
# A short topic query (at most SHORT_HAN Han characters and SHORT_WORDS Latin
# words: the analyst topics of issue 16) says little for BM25 to go on
# (高性能稀土永磁体 is two concepts), and the vectors rank its topic well: it gets
# SHORT_DENSE_WEIGHT (tuned with IDF_POWER, below); the limits are the
# topic shape of eval/topics.json, not tuned.
SHORT_HAN = 10
SHORT_WORDS = 6
SHORT_DENSE_WEIGHT = 0.25
# Dictionary words are a guess at what the user meant (price -> 价格, 价钱,
# 物价): a translated query trusts its lexical side this much less (tuned
# with IDF_POWER, below: 0.1 beat 0.05 and 0.25 on the XQuAD tuning half).
TRANSLATED_TRUST = 0.1
# The same for a topic the bundled model translated (房地产市场监管政策 for
# "property market regulation policy"): closer to what the user meant (tuned
# with IDF_POWER, below: 1.0 beat 0.5 on the English dev topics).
MODEL_TRUST = 1.0
# The vector a model-translated topic's concept agreement is measured with: the
# English query's ("query"), its Chinese translation's ("translation") or their
# normalized sum ("both"). Chosen on the English dev topics (README).
TRANSLATED_VECTOR = "translation"

# Whether this search may call the model to translate an uncached English topic
# (False inside a served search: see SearchState.model_translation).
_MODEL_CALLS: ContextVar[bool] = ContextVar("model_translation", default=True)
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
# A concept's weight is IDF**IDF_POWER times its agreement with the query
# vector (the mean cosine of its AGREEMENT_DOCS best BM25 documents) to
# AGREEMENT_POWER. These and SHORT_DENSE_WEIGHT, TRANSLATED_TRUST and
# MODEL_TRUST were chosen together by bench/tune_fusion.py's grid on tuning
# data only (dev topics, first halves of cmrc2018, FinNA and XQuAD en->zh):
# the best mean of Chinese and English dev precision@20 and XQuAD nDCG@10 among
# the settings that keep cmrc2018 and FinNA within 0.003 of the old ranking.
# Agreement 0 gave Chinese dev precision 0.74-0.83, 2 gave 0.93 (README).
IDF_POWER = 1.0
AGREEMENT_POWER = 2.0
AGREEMENT_DOCS = 10  # the first page of a concept's BM25 list; not tuned
# Chinese words kept per translated English concept: the ones the index holds
# most often among the dictionary's headwords ("price" -> 价格, 价钱, 物价).
TRANSLATIONS_PER_CONCEPT = 3
# An English topic's named organization (Huawei, Gree: a capitalized run that
# CC-CEDICT names as a company or brand) is what the analyst follows: its
# concept's weight is multiplied by NAME_WEIGHT, so "Huawei smartphone market
# share" ranks Huawei stories above smartphone stories. Chosen on the English
# dev topics (README).
NAME_WEIGHT = 3.0


@dataclass(frozen=True, slots=True)
class QueryConcept:
    """One concept of a query: index words, any of which expresses it, and its weight."""

    words: tuple[str, ...]
    weight: float  # IDF of the concept's own word (the compound, or the most common translation)
    present: bool  # whether any of its words is indexed
    translated: str = ""  # "dictionary" or "model" when its words are a translation
    name: bool = False  # an organization the English query names (see NAME_WEIGHT)


@dataclass(frozen=True, slots=True)
class LexicalEvidence:
    """The query's concepts and each one's BM25 candidates (empty when skipped)."""

    concepts: tuple[QueryConcept, ...]
    lists: tuple[tuple[tuple[str, float], ...], ...]
    coverage: float
    # A question's or a summary's one BM25 list over all its words (see lexical_evidence).
    plain: tuple[tuple[str, float], ...] | None = None
    translation: str = ""  # the model's Chinese for an English topic, searched in its place

    @property
    def translated(self) -> str:
        """How the query's words were translated: "dictionary", "model" or "" (not at all)."""
        return next((c.translated for c in self.concepts if c.translated), "")


def group_concepts(tokens: Sequence[str]) -> list[list[str]]:
    """Search-mode words grouped by the longest word each is part of.

    jieba's search mode emits a compound and its parts (高性能 -> 高性, 性能,
    高性能); counting each part as a query word counts one concept several
    times. Each word no other Han query word contains names a concept; the
    words inside it are its alternatives. Latin words are concepts of their own.
    """
    words = list(dict.fromkeys(tokens))
    han = [w for w in words if not w.isascii()]
    groups = []
    for w in words:
        if w.isascii():
            groups.append([w])
        elif not any(w != o and w in o for o in han):
            groups.append([o for o in han if o in w])
    return groups


def _idf(total: int, n: int) -> float:
    return math.log(1 + (total - n + 0.5) / (n + 0.5))


def query_concepts(
    store: Store, query: str, segmenter: Segmenter | None = None
) -> tuple[list[QueryConcept], int, dict[str, int], str]:
    """The concepts of ``query`` with their weights, the index size, the words' frequencies
    and the model's Chinese translation ("" when none).

    An English query is translated (text/translate.py, cached in the store): a
    topic-short one by the bundled model when it is installed, whose Chinese is
    then segmented like a Chinese query; any other by the dictionary, whose
    concepts carry their English words and their Chinese headwords.
    """
    text, by_model = query, False
    names: tuple[str, ...] = ()
    translated: list[tuple[list[str], Concept]] = []
    translator = config.get("query_translator")
    if translator != "off" and detect_language(query) == "en":
        model = None
        if translator == "auto" and is_topic_query(query) and model_available():
            model = cached_model_translation(store, query)
        if model:
            text, by_model = model.chinese, True
            names = model.names
        else:
            for c in cached_translation(store, query):
                english = [t for w in c.english for t in search_tokens(w, segmenter)]
                translated.append((english, c))
    groups = [] if translated else group_concepts(search_tokens(text, segmenter))
    candidates = {w for g in groups for w in g}
    candidates |= {w for e, c in translated for w in (*e, *c.chinese, *c.head)}
    total, df = store.document_frequencies(sorted(candidates)) if candidates else (0, {})
    concepts = []
    for g in groups:
        present = [w for w in g if df.get(w, 0) > 0]
        n = df.get(max(g, key=len), 0) or max((df[w] for w in present), default=0)
        kind = "model" if by_model else ""
        name = any(w in names for w in g)
        concepts.append(QueryConcept(tuple(present), _idf(total, n), bool(present), kind, name))
    topic = is_topic_query(query)
    for english, c in translated:
        chosen = _most_indexed([*c.chinese, *c.head], df)
        present = [w for w in english if df.get(w, 0) > 0] + chosen
        # Over Chinese news an English word's frequency says little: weigh by the Chinese.
        n = max((df[w] for w in chosen or present), default=0)
        kind = "dictionary" if chosen else ""
        name = c.org and topic and bool(chosen)
        concepts.append(QueryConcept(tuple(present), _idf(total, n), bool(present), kind, name))
    return concepts, total, df, text if by_model else ""


def _most_indexed(words: Sequence[str], df: dict[str, int]) -> list[str]:
    found = sorted((w for w in words if df.get(w, 0) > 0), key=lambda w: -df[w])
    return found[:TRANSLATIONS_PER_CONCEPT]


def cached_translation(store: Store, query: str) -> list[Concept]:
    """The dictionary translation of an English query, from the store's cache when there."""
    key = " ".join(query.split())  # case kept: a capitalized word may be a name (Gree)
    cached = store.get_translation(TRANSLATOR, key)
    if cached is not None:
        return [
            Concept(tuple(c["en"]), tuple(c["zh"]), tuple(c["head"]), bool(c.get("org")))
            for c in json.loads(cached)
        ]
    concepts = translate(key)
    value = [{"en": c.english, "zh": c.chinese, "head": c.head, "org": c.org} for c in concepts]
    with contextlib.suppress(StoreError):  # a read-only store still searches
        store.save_translation(TRANSLATOR, key, json.dumps(value, ensure_ascii=False))
    return concepts


@dataclass(frozen=True, slots=True)
class ModelTranslation:
    """The model's Chinese for an English topic, and the organizations it names."""

    chinese: str
    names: tuple[str, ...]  # Chinese of the query's named organizations (格力 for Gree)


def _name_hints(store: Store, query: str) -> tuple[str, list[tuple[str, str, bool]]]:
    """The query with its proper names in Chinese, and (English, Chinese, organization) of each.

    The model translates words, not names (it wrote 绿色电力 for "Gree Electric"),
    so a name CC-CEDICT knows goes to it already in Chinese: the headword the
    index holds most often (Hong Kong -> 香港, not 港澳台).
    """
    names = find_names(query)
    if not names:
        return query, []
    _, df = store.document_frequencies(sorted({w for n in names for w in n.chinese}))
    text, found = query, []
    for n in names:
        best = max(n.chinese, key=lambda w: (df.get(w, 0), -len(w)))
        if df.get(best, 0) == 0:
            continue
        english = " ".join(n.english)
        text = re.sub(r"\b" + r"[\s-]+".join(map(re.escape, n.english)) + r"\b", best, text)
        found.append((english, best, n.org))
    return text, found


def cached_model_translation(store: Store, query: str) -> ModelTranslation | None:
    """The bundled model's Chinese for an English topic, cached; None when the model fails."""
    key = " ".join(query.split())
    cached = store.get_translation(MODEL_TRANSLATOR, key)
    if cached is not None:
        value = json.loads(cached)
        chinese = str(value["chinese"])
        return ModelTranslation(chinese, tuple(value.get("names", ()))) if chinese else None
    if not _MODEL_CALLS.get():
        return None  # a served search: the dictionary answers now
    hinted, names = _name_hints(store, key)
    try:
        chinese = model_translate(hinted)
    except (ConfigError, ModelError):  # no usable model: the dictionary answers instead
        return None
    # A model that still drops a named organization: the name leads the translation.
    missing = [zh for _, zh, org in names if org and zh not in chinese]
    chinese = "".join(missing) + chinese if chinese else ""
    orgs = [zh for _, zh, org in names if org]
    with contextlib.suppress(StoreError):
        value = json.dumps({"chinese": chinese, "names": orgs}, ensure_ascii=False)
        store.save_translation(MODEL_TRANSLATOR, key, value)
    return ModelTranslation(chinese, tuple(orgs)) if chinese else None


def lexical_evidence(
    store: Store, query: str, flt: DocumentFilter, depth: int, segmenter: Segmenter | None = None
) -> LexicalEvidence:
    """Each concept's BM25 candidates, and the lexical coverage of the query.

    Coverage is the share of the query's IDF mass carried by concepts that occur
    in the index at all: 1 when every concept is indexed, 0 for an English
    query over Chinese documents that the dictionary cannot translate.
    """
    concepts, total, df, translation = query_concepts(store, query, segmenter)
    if total == 0 or not concepts:
        return LexicalEvidence(tuple(concepts), tuple(() for _ in concepts), 0.0)
    mass = sum(c.weight for c in concepts)
    coverage = sum(c.weight for c in concepts if c.present) / mass if mass else 0.0

    def common(c: QueryConcept) -> bool:
        return all(df.get(w, 0) > COMMON_WORD_SHARE * total for w in c.words)

    rare_exists = any(c.present and not common(c) for c in concepts)
    if not is_topic_query(query) and not any(c.translated for c in concepts):
        # A question or a one-line summary: plain BM25 over all its words, as tuned
        # on cmrc2018 and FinNA (grouping them into concepts cost FinNA 0.007 nDCG@10).
        words = list(dict.fromkeys(search_tokens(query, segmenter)))
        weights = {w: _idf(total, df.get(w, 0)) for w in words}
        coverage = sum(v for w, v in weights.items() if df.get(w, 0)) / sum(weights.values())
        rare = [w for w in words if 0 < df.get(w, 0) <= COMMON_WORD_SHARE * total]
        query_words = rare or [w for w in words if df.get(w, 0) > 0]
        plain = tuple(store.lexical_search(query_words, flt, depth)) if query_words else ()
        return LexicalEvidence(tuple(concepts), tuple(() for _ in concepts), coverage, plain)
    lists = tuple(
        tuple(store.lexical_search(c.words, flt, depth))
        if c.present and not (rare_exists and common(c))
        else ()
        for c in concepts
    )
    return LexicalEvidence(tuple(concepts), lists, coverage, None, translation)


def combine_concepts(
    evidence: LexicalEvidence,
    agreement: Sequence[float] | None = None,
    idf_power: float = IDF_POWER,
    agreement_power: float = AGREEMENT_POWER,
    name_weight: float | None = None,
) -> list[tuple[str, float]]:
    """One lexical score per document: concept scores (each at most 1) weighted by IDF.

    Each concept's BM25 is scaled to [0, 1] over its candidates, so repeating a
    generic concept cannot outscore covering a specific one. ``agreement`` (see
    ``concept_agreement``) scales each concept's weight by how well its best
    documents match the whole query's vector.
    """
    if evidence.plain is not None:
        return list(evidence.plain)
    if agreement is not None and max(agreement, default=0.0) <= 0.0:
        agreement = None  # nothing agrees: IDF alone, rather than every weight 0
    boost = NAME_WEIGHT if name_weight is None else name_weight
    scores: dict[str, float] = {}
    for i, (concept, found) in enumerate(zip(evidence.concepts, evidence.lists, strict=True)):
        if not found:
            continue
        top = found[0][1] or 1.0
        w = concept.weight**idf_power * (boost if concept.name else 1.0)
        if agreement is not None:
            w *= max(agreement[i], 0.0) ** agreement_power
        for d, s in found:
            scores[d] = scores.get(d, 0.0) + w * s / top
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


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
    weights = [c.weight**IDF_POWER * (NAME_WEIGHT if c.name else 1.0) for c in evidence.concepts]
    if len(evidence.concepts) > 1:
        emb = embedder or get_embedder()
        av = _translation_vector(emb, evidence, emb.embed([query])[0])
        agreement = concept_agreement(store, evidence, emb.name, av)
        if agreement is not None and max(agreement, default=0.0) > 0.0:
            pairs = zip(weights, agreement, strict=True)
            weights = [w * max(a, 0.0) ** AGREEMENT_POWER for w, a in pairs]
    total = sum(weights) or 1.0
    return [(c.words, w / total) for c, w in zip(evidence.concepts, weights, strict=True)]


def lexical_candidates(
    store: Store, query: str, flt: DocumentFilter, depth: int, segmenter: Segmenter | None = None
) -> tuple[list[tuple[str, float]], float]:
    """Lexical candidates for ``query`` (concept-weighted BM25) and its coverage."""
    evidence = lexical_evidence(store, query, flt, depth, segmenter)
    return combine_concepts(evidence)[:depth], evidence.coverage


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


_HAN = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z0-9]+")


def is_topic_query(query: str) -> bool:
    """Whether ``query`` is topic-short (SHORT_HAN Han characters, SHORT_WORDS Latin words)."""
    return len(_HAN.findall(query)) <= SHORT_HAN and len(_LATIN.findall(query)) <= SHORT_WORDS


def fusion_weights(
    evidence: LexicalEvidence,
    query: str,
    short_dense_weight: float = SHORT_DENSE_WEIGHT,
    translated_trust: float = TRANSLATED_TRUST,
    model_trust: float = MODEL_TRUST,
) -> tuple[float, float]:
    """(lexical trust, dense weight) for this query: see DENSE_WEIGHT and its neighbours."""
    kind = evidence.translated
    if kind == "dictionary" and any(c.name for c in evidence.concepts):
        kind = "model"  # a company's name is not a guess at a meaning: trusted as the model's
    factor = translated_trust if kind == "dictionary" else model_trust if kind == "model" else 1.0
    trust = evidence.coverage * factor
    return trust, short_dense_weight if is_topic_query(query) else DENSE_WEIGHT


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
    # Scores within TIE of each other are ties, broken by id: the float noise of
    # numpy and of pgvector differs, and both stores must rank alike (a repost
    # and its original have the same vector).
    return sorted(fused.items(), key=lambda kv: (-round(kv[1] / TIE), kv[0]))


def hybrid(
    query: str,
    evidence: LexicalEvidence,
    lexical: Sequence[tuple[str, float]],
    dense: Sequence[tuple[str, float]],
    languages: dict[str, str],
    short_dense_weight: float = SHORT_DENSE_WEIGHT,
    translated_trust: float = TRANSLATED_TRUST,
    model_trust: float = MODEL_TRUST,
) -> list[tuple[str, float]]:
    """The fused ranking: query-dependent weights, and the vector alone where words cannot reach.

    Documents in a language the query's words cannot match (not the query's,
    nor Chinese for a translated English query) are ranked by their vector.
    """
    trust, dense_weight = fusion_weights(
        evidence, query, short_dense_weight, translated_trust, model_trust
    )
    reach = {detect_language(query)} | ({"zh"} if evidence.translated else set())
    other = {d for d, lang in languages.items() if lang not in reach}
    return fuse(lexical, dense, trust, dense_weight, other_language=other)


def _translation_vector(
    emb: Embedder, evidence: LexicalEvidence, qv: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    """The vector concept agreement is measured with (see TRANSLATED_VECTOR)."""
    if not evidence.translation or TRANSLATED_VECTOR == "query":
        return qv
    zh: npt.NDArray[np.float32] = emb.embed([evidence.translation])[0]
    if TRANSLATED_VECTOR == "translation":
        return zh
    both = qv + zh
    out: npt.NDArray[np.float32] = (both / (np.linalg.norm(both) or 1.0)).astype(np.float32)
    return out


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
        dense = dense_candidates(store, qv, emb.name, flt if options.filtered else None, depth)
        if options.mode == "hybrid" and len(evidence.concepts) > 1:
            # A translated topic's concepts are Chinese words: judge them by the
            # Chinese's vector (USE places "Tencent" far from 腾讯 news).
            av = _translation_vector(emb, evidence, qv)
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
    token = _MODEL_CALLS.set(state is None or state.model_translation)
    try:
        ranking = rank(store, query, options, segmenter=segmenter, embedder=embedder)
    finally:
        _MODEL_CALLS.reset(token)
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
