"""The best paragraphs of a hit and a snippet with the query words highlighted."""

from __future__ import annotations

import re
from collections.abc import Sequence

from newsdesk.model import Document
from newsdesk.text.embed import Embedder, get_embedder

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
