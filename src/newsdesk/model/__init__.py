"""The data model that every stage shares.

Paragraph numbers are 1-based positions in ``Document.paragraphs`` after
cleaning. Citations mean them, so a stored document's paragraphs never change.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from newsdesk.model.run import Run as Run
from newsdesk.model.run import RunResult as RunResult
from newsdesk.model.story import Assignment as Assignment
from newsdesk.model.summary import Claim as Claim
from newsdesk.model.summary import Group as Group
from newsdesk.model.summary import Summary as Summary
from newsdesk.model.summary import Verdict as Verdict


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


# --- what changed between runs, alerts, the topic over time --------------------------------


@dataclass(frozen=True, slots=True)
class StoryChange:
    """One story that changed since the topic's previous run.

    ``kind`` is ``new``, ``updated`` (a new version under the same origin:
    ``added`` and ``changed`` are paragraph numbers of the new version),
    ``grew`` (new reposts: ``new_sources``, romanized, and ``new_doc_ids``) or
    ``left`` (in the previous digest, not in this one).
    """

    kind: str
    doc_id: str
    title: str
    source_display: str
    published_at: str | None  # ISO 8601, as in the digest JSON
    story: str  # the story's key: its cluster id, or the document id when unclustered
    previous_id: str | None = None  # the version the previous run showed (updated)
    added: tuple[int, ...] = ()
    changed: tuple[int, ...] = ()
    removed: int = 0  # paragraphs of the old version that are gone
    new_sources: tuple[str, ...] = ()
    new_doc_ids: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict."""
        return {
            "kind": self.kind,
            "doc_id": self.doc_id,
            "title": self.title,
            "source_display": self.source_display,
            "published_at": self.published_at,
            "story": self.story,
            "previous_id": self.previous_id,
            "added": list(self.added),
            "changed": list(self.changed),
            "removed": self.removed,
            "new_sources": list(self.new_sources),
            "new_doc_ids": list(self.new_doc_ids),
        }


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """What changed in a topic since its previous successful run."""

    run_id: int
    previous_run_id: int | None  # None: the topic's first run, every story is new
    changes: tuple[StoryChange, ...] = ()
    # story key -> ids of its current documents, so the next run can tell who reposted
    coverage: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def of(self, kind: str) -> list[StoryChange]:
        """The changes of one kind, in digest order."""
        return [c for c in self.changes if c.kind == kind]

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict, one list per kind."""
        return {
            "run_id": self.run_id,
            "previous_run_id": self.previous_run_id,
            **{k: [c.to_dict() for c in self.of(k)] for k in CHANGE_KINDS},
            "coverage": {k: list(v) for k, v in self.coverage.items()},
        }


CHANGE_KINDS = ("new", "updated", "grew", "left")


@dataclass(frozen=True, slots=True)
class DayCount:
    """Stories of a topic published on one day, in all and by source."""

    day: str  # YYYY-MM-DD
    stories: int
    by_source: dict[str, int]
    spike: bool = False  # above the trailing mean + k standard deviations
    alerts: int = 0  # alerts this run fired about stories of this day


@dataclass(frozen=True, slots=True)
class Timeline:
    """Stories per day over the topic's window (the chart and its numbers)."""

    days: tuple[DayCount, ...]
    sources: tuple[str, ...]  # the sources charted by name, most stories first

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict."""
        return {
            "sources": list(self.sources),
            "days": [
                {
                    "day": d.day,
                    "stories": d.stories,
                    "by_source": d.by_source,
                    "spike": d.spike,
                    "alerts": d.alerts,
                }
                for d in self.days
            ],
        }


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert to deliver: which rule fired on which story, with the evidence."""

    key: str  # unique per (topic, rule, story or spike day): never delivered twice
    topic: str
    rule: str
    reason: str  # what matched, e.g. "new story; relevance 0.92 >= 0.8; 3 sources"
    title: str
    source_display: str
    published_at: str | None
    brief: str  # the verified English brief (core viewpoint and groups) with [n] citations
    citations: tuple[int, ...]
    url: str  # the story's page in the web app
    doc_id: str
    language: str = "en"

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict (what the generic webhook posts)."""
        return {
            "key": self.key,
            "topic": self.topic,
            "rule": self.rule,
            "reason": self.reason,
            "title": self.title,
            "source_display": self.source_display,
            "published_at": self.published_at,
            "brief": self.brief,
            "citations": list(self.citations),
            "url": self.url,
            "doc_id": self.doc_id,
            "language": self.language,
        }

    @classmethod
    def from_dict(cls, d: dict[str, object]) -> Alert:
        """The inverse of ``to_dict``."""
        cites = d.get("citations") or []
        assert isinstance(cites, list)
        return cls(
            key=str(d["key"]),
            topic=str(d["topic"]),
            rule=str(d["rule"]),
            reason=str(d["reason"]),
            title=str(d["title"]),
            source_display=str(d["source_display"]),
            published_at=str(d["published_at"]) if d.get("published_at") else None,
            brief=str(d["brief"]),
            citations=tuple(int(n) for n in cites),
            url=str(d["url"]),
            doc_id=str(d["doc_id"]),
            language=str(d.get("language") or "en"),
        )


@dataclass(frozen=True, slots=True)
class Delivery:
    """One alert in the outbox, bound for one channel: pending, sent or failed."""

    id: int
    key: str  # unique: the alert's key and the channel
    channel: str
    status: str  # pending, sent or failed
    attempts: int
    error: str
    created_at: str
    sent_at: str | None
    alert: Alert

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict."""
        return {
            "id": self.id,
            "key": self.key,
            "channel": self.channel,
            "status": self.status,
            "attempts": self.attempts,
            "error": self.error,
            "created_at": self.created_at,
            "sent_at": self.sent_at,
            "alert": self.alert.to_dict(),
        }
