"""Documents and what ingest and search make of them: reports, index entries, hits.

Paragraph numbers are 1-based positions in ``Document.paragraphs`` after
cleaning. Citations mean them, so a stored document's paragraphs never change.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from newsdesk.model.wire import JSONObject, as_objects


def document_id(source: str, title: str, paragraphs: tuple[str, ...] | list[str]) -> str:
    """The stable id of a document: a hash of its normalized source, title and body.

    The same article ingested again gets the same id; the same text from another
    source is another document (dedup clusters the two as reposts).
    """
    h = hashlib.sha256()
    for part in (source, title, *paragraphs):
        h.update(part.encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Document:
    """One cleaned article with numbered paragraphs."""

    id: str
    title: str
    paragraphs: tuple[str, ...]
    source: str
    source_display: str
    published_at: datetime | None
    language: str
    url: str | None
    fetched_at: datetime
    cluster_id: str | None = None

    def paragraph(self, n: int) -> str:
        """Paragraph ``n`` (1-based), as citations refer to it."""
        if not 1 <= n <= len(self.paragraphs):
            raise IndexError(
                f"document {self.id} has paragraphs 1..{len(self.paragraphs)}, not {n}"
            )
        return self.paragraphs[n - 1]

    @property
    def text(self) -> str:
        """The body as one string, paragraphs separated by blank lines."""
        return "\n\n".join(self.paragraphs)

    def to_dict(self, *, paragraphs: bool = True) -> dict[str, object]:
        """JSON-ready; paragraphs are numbered from 1 (left out with ``paragraphs=False``)."""
        out: dict[str, object] = {
            "id": self.id,
            "title": self.title,
            "source": self.source,
            "source_display": self.source_display,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "language": self.language,
            "url": self.url,
            "fetched_at": self.fetched_at.isoformat(),
            "cluster_id": self.cluster_id,
            "n_paragraphs": len(self.paragraphs),
        }
        if paragraphs:
            out["paragraphs"] = [{"n": n, "text": p} for n, p in enumerate(self.paragraphs, 1)]
        return out

    @classmethod
    def from_dict(cls, data: JSONObject) -> Document:
        """The inverse of ``to_dict`` (no paragraphs when they were left out)."""
        published, url, cluster = data.get("published_at"), data.get("url"), data.get("cluster_id")
        return cls(
            id=str(data["id"]),
            title=str(data["title"]),
            paragraphs=tuple(str(p["text"]) for p in as_objects(data.get("paragraphs"))),
            source=str(data["source"]),
            source_display=str(data["source_display"]),
            published_at=datetime.fromisoformat(str(published)) if published else None,
            language=str(data["language"]),
            url=str(url) if url else None,
            fetched_at=datetime.fromisoformat(str(data["fetched_at"])),
            cluster_id=str(cluster) if cluster else None,
        )


class Outcome(StrEnum):
    """What storing one ingested item did."""

    ADDED = "added"
    UPDATED = "updated"  # a new version of an article already known by its origin
    DUPLICATE = "duplicate"  # this exact article is already stored
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ItemReport:
    """The result of ingesting one item: where it came from and what happened."""

    origin: str
    outcome: Outcome
    doc_id: str | None = None
    message: str = ""
    warnings: tuple[str, ...] = ()


@dataclass(slots=True)
class IngestReport:
    """Counts and per-item messages of one ingest run."""

    items: list[ItemReport] = field(default_factory=list)
    boilerplate_removed: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)  # e.g. a feed not modified since last poll

    def count(self, outcome: Outcome) -> int:
        """How many items ended with ``outcome``."""
        return sum(1 for i in self.items if i.outcome is outcome)

    @property
    def failed(self) -> list[ItemReport]:
        """The items that could not be ingested."""
        return [i for i in self.items if i.outcome is Outcome.FAILED]

    def summary(self) -> dict[str, int]:
        """The closing counts, keyed by outcome."""
        return {o.value: self.count(o) for o in Outcome}


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """What the search index holds for one document: its words and its vector."""

    doc_id: str
    title_tokens: str  # space-separated search tokens (Chinese already segmented)
    body_tokens: str
    vector: bytes | None = None  # float32, L2-normalized
    model: str | None = None  # the embedder that made ``vector``


@dataclass(frozen=True, slots=True)
class Hit:
    """One search result: the document, its score, and where it matched."""

    doc: Document
    score: float
    paragraphs: tuple[int, ...]  # best-matching paragraph numbers, best first
    snippet: str
    highlights: tuple[tuple[int, int], ...] = ()  # [start, end) spans of query words in snippet
    lexical_rank: int | None = None
    dense_rank: int | None = None
    reposts: int = 0  # other current documents of the same story
    repost_sources: tuple[str, ...] = ()  # their romanized sources

    def to_dict(self) -> dict[str, object]:
        """JSON-ready: the document without its paragraphs, then where it matched."""
        return {
            **self.doc.to_dict(paragraphs=False),
            "score": round(self.score, 6),
            "paragraphs": list(self.paragraphs),
            "snippet": self.snippet,
            "highlights": [list(span) for span in self.highlights],
            "lexical_rank": self.lexical_rank,
            "dense_rank": self.dense_rank,
            "reposts": self.reposts,
            "repost_sources": list(self.repost_sources),
        }
