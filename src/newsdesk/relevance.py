"""How much of a query a story is about: the relevance a topic's threshold and alert rules use."""

from __future__ import annotations

from newsdesk.model import Document
from newsdesk.search import concept_weights
from newsdesk.store.base import Store

MENTIONS = 2  # mentions of a query word that make it count in full


def query_weights(store: Store, query: str) -> dict[tuple[str, ...], float]:
    """The weight of each concept of a query (its index words), as hybrid search weighs it."""
    return dict(concept_weights(store, query))


def relevance(weights: dict[tuple[str, ...], float], doc: Document) -> float:
    """Share of the query's concept weight carried by concepts that occur in the document.

    Absolute, unlike search scores (normalized within one result list), so one
    threshold means the same for every query: a story is on topic when it
    contains most of what makes a query specific (稀土 and 出口管制, not 中国;
    稀土 of 高性能稀土永磁体, not 高性能). A concept counts in full once one of
    its words is in the title or its words occur twice in the body: a passing
    mention (稀土 once in a war report) is half a match.
    """
    if not weights:
        return 0.0
    title, body = doc.title.lower(), doc.text.lower()
    found = 0.0
    for words, weight in weights.items():
        mentions = sum(body.count(w) for w in words) + MENTIONS * any(w in title for w in words)
        found += weight * min(1.0, mentions / MENTIONS)
    return found / (sum(weights.values()) or 1.0)
