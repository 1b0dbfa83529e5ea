"""Topic-query evaluation: short analyst topics, judged by a written rule.

A topic file (``eval/topics.json``) holds the labelling rule and the queries,
each with its language, its split (``dev`` to tune on, ``heldout`` run only at
the end) and the terms of its core concept. A hit is on topic when a core term
occurs in its title, or at least ``min_body_mentions`` times in its title and
body together. The rule reads the stored text only, so no judgment depends on
the ranking being measured; the README says how well it agrees with reading.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

from newsdesk.errors import ConfigError
from newsdesk.model import Document
from newsdesk.search import Mode, SearchOptions, search
from newsdesk.store import Store

K = 20  # precision@K and nDCG@K: the first page an analyst reads

# One topic's figures and its off-topic hits' titles (JSON keys as printed by --json).
TopicScore = TypedDict(
    "TopicScore",
    {
        "id": str,
        "query": str,
        "lang": str,
        "relevant_in_store": int,
        "precision@20": float,
        "ndcg@20": float,
        "off_topic": list[str],
    },
)
# The mean figures of one language's topics.
LanguageScore = TypedDict("LanguageScore", {"topics": int, "precision@20": float, "ndcg@20": float})


class TopicReport(TypedDict):
    """What ``evaluate`` measured: per language and per topic."""

    splits: list[str]
    mode: str
    summary: dict[str, LanguageScore]
    topics: list[TopicScore]


@dataclass(frozen=True, slots=True)
class Topic:
    """One topic query with the terms of its core concept."""

    id: str
    query: str
    lang: str
    split: str
    core: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TopicSet:
    """The labelling rule and the topics of a topic file."""

    rule: str
    min_body_mentions: int
    topics: tuple[Topic, ...]


def load_topics(path: Path) -> TopicSet:
    """Read a topic file; a malformed one is a ConfigError naming the entry."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        topics = tuple(
            Topic(
                id=str(q["id"]),
                query=str(q["query"]),
                lang=str(q["lang"]),
                split=str(q["split"]),
                core=tuple(str(t) for t in q["core"]),
            )
            for q in data["queries"]
        )
        return TopicSet(str(data["rule"]), int(data.get("min_body_mentions", 2)), topics)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: not a topic file ({exc})") from None


def on_topic(doc: Document, core: Sequence[str], min_body_mentions: int) -> bool:
    """The labelling rule: a core term in the title, or mentioned often enough overall."""
    title = doc.title.lower()
    if any(t.lower() in title for t in core):
        return True
    text = (doc.title + "\n" + "\n".join(doc.paragraphs)).lower()
    return sum(text.count(t.lower()) for t in core) >= min_body_mentions


def _ndcg(labels: Sequence[bool], n_relevant: int) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, rel in enumerate(labels[:K]) if rel)
    idcg = sum(1 / math.log2(i + 2) for i in range(min(K, n_relevant)))
    return dcg / idcg if idcg else 0.0


def relevant_stories(store: Store, topics: Sequence[Topic], min_body_mentions: int) -> list[int]:
    """How many stories of the store are on each topic (the ideal for nDCG)."""
    found: list[set[str]] = [set() for _ in topics]
    ids = store.all_ids()
    for start in range(0, len(ids), 500):
        for doc in store.get_many(ids[start : start + 500]):
            for seen, topic in zip(found, topics, strict=True):
                if on_topic(doc, topic.core, min_body_mentions):
                    seen.add(doc.cluster_id or doc.id)
    return [len(s) for s in found]


def evaluate(
    store: Store,
    topic_set: TopicSet,
    *,
    splits: Sequence[str] = ("dev",),
    mode: Mode = "hybrid",
    progress: Callable[[int, int], None] | None = None,
) -> TopicReport:
    """precision@20 and nDCG@20 per language (and per topic) of ``search`` on the topics."""
    topics = [t for t in topic_set.topics if t.split in splits]
    if not topics:
        raise ConfigError(f"no topics in splits {', '.join(splits)}")
    ideal = relevant_stories(store, topics, topic_set.min_body_mentions)
    per_topic: list[TopicScore] = []
    for i, (topic, n_rel) in enumerate(zip(topics, ideal, strict=True)):
        hits = search(store, topic.query, SearchOptions(limit=K, mode=mode))
        labels = [on_topic(h.doc, topic.core, topic_set.min_body_mentions) for h in hits]
        per_topic.append(
            {
                "id": topic.id,
                "query": topic.query,
                "lang": topic.lang,
                "relevant_in_store": n_rel,
                "precision@20": sum(labels) / K,
                "ndcg@20": _ndcg(labels, n_rel),
                "off_topic": [h.doc.title for h, ok in zip(hits, labels, strict=True) if not ok],
            }
        )
        if progress:
            progress(i + 1, len(topics))
    summary: dict[str, LanguageScore] = {}
    for lang in sorted({t["lang"] for t in per_topic}):
        rows = [t for t in per_topic if t["lang"] == lang]
        summary[lang] = {
            "topics": len(rows),
            "precision@20": sum(r["precision@20"] for r in rows) / len(rows),
            "ndcg@20": sum(r["ndcg@20"] for r in rows) / len(rows),
        }
    return {"splits": list(splits), "mode": mode, "summary": summary, "topics": per_topic}
