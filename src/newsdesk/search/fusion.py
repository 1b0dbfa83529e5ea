"""Fusion of the lexical and dense candidates, with weights that depend on the query.

Each side's scores are min-max normalized over its candidates and combined as
``trust * lexical + dense_weight * dense`` (see the package docstring).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np
import numpy.typing as npt

from newsdesk.search.concepts import LexicalEvidence, is_topic_query
from newsdesk.text.embed import Embedder
from newsdesk.text.lang import detect_language

TIE = 1e-5  # fused scores closer than this are equal (float noise; see fuse)


# final = trust * lexical + dense_weight * dense, each min-max normalized over
# its candidates; trust = coverage (times TRANSLATED_TRUST for a translated
# query). DENSE_WEIGHT is for queries longer than a topic (questions,
# summaries); chosen with bench/tune_fusion.py on the first half of the
# cmrc2018 and finna queries: the smallest weight whose gain over the better
# single ranker, on the worse of the two sets, is within 0.001 of the best
# weight's; the second halves are held out (README has the figures).
DENSE_WEIGHT = 0.1


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


def translation_vector(
    emb: Embedder,
    evidence: LexicalEvidence,
    qv: npt.NDArray[np.float32],
    zh: npt.NDArray[np.float32] | None = None,
) -> npt.NDArray[np.float32]:
    """The vector concept agreement is measured with (see TRANSLATED_VECTOR); ``zh``:
    the translation's vector, when already made."""
    if not evidence.translation or TRANSLATED_VECTOR == "query":
        return qv
    if zh is None:
        zh = emb.embed([evidence.translation])[0]
    return zh if TRANSLATED_VECTOR == "translation" else both_vectors(qv, zh)


def both_vectors(a: npt.NDArray[np.float32], b: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """The normalized sum of two vectors."""
    both = a + b
    out: npt.NDArray[np.float32] = (both / (np.linalg.norm(both) or 1.0)).astype(np.float32)
    return out
