"""The data model that every stage shares.

Paragraph numbers are 1-based positions in ``Document.paragraphs`` after
cleaning. Citations mean them, so a stored document's paragraphs never change.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


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
