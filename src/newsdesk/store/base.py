"""The Store protocol: what every store backend provides, as the roles it plays.

``Store`` is every role at once; a caller that needs one role asks for it
(``DocumentStore``, ``SearchIndex``, ``StoryStore``, ``RunStore``,
``AlertOutbox``, ``TableCopy``), so a test fake or a new backend knows what to
provide. The SQL backends implement them all in ``store/sql.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from newsdesk.model import (
    Alert,
    Assignment,
    Delivery,
    Document,
    IndexEntry,
    Outcome,
    Run,
    RunResult,
    Summary,
)

# One row of a table as a driver returns it (the column types are the table's).
Row = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class DocumentFilter:
    """Which documents a listing returns; unset fields do not filter."""

    source: str | None = None  # matches the source as published or its display name
    since: datetime | None = None
    until: datetime | None = None
    language: str | None = None
    limit: int = 50
    offset: int = 0
    one_per_story: bool = False  # only the canonical document of each cluster


# Every table a store holds, as ``newsdesk migrate`` copies it: one neutral
# row shape per table, the same on every backend (vectors as float32 bytes).
TABLES: dict[str, tuple[str, ...]] = {
    "documents": (
        "id",
        "title",
        "source",
        "source_display",
        "published_at",
        "published_ts",
        "language",
        "url",
        "fetched_at",
        "n_paragraphs",
        "cluster_id",
        "superseded_by",
    ),
    "paragraphs": ("doc_id", "n", "text"),
    "origins": ("origin", "doc_id"),
    "http_cache": ("url", "etag", "last_modified", "fetched_at"),
    "search_index": ("doc_id", "title_tokens", "body_tokens"),
    "embeddings": ("doc_id", "model", "vector"),
    "dedup": ("doc_id", "body_hash", "cluster_id", "reason"),
    "lsh": ("band", "key", "doc_id"),
    "clusters": ("id", "canonical_id", "size"),
    "summaries": (
        "doc_id",
        "backend",
        "model",
        "prompt_version",
        "language",
        "summary",
        "created_at",
    ),
    "runs": (
        "id",
        "topic",
        "started_at",
        "finished_at",
        "status",
        "items",
        "new_items",
        "summarized",
        "message",
        "digest",
    ),
    "alerts": (
        "id",
        "key",
        "topic",
        "rule",
        "channel",
        "payload",
        "status",
        "attempts",
        "error",
        "created_at",
        "next_at",
        "sent_at",
    ),
    "query_translations": ("translator", "query", "translation", "created_at"),
}


# --- the roles a store plays: a caller asks for the one it needs ------------------------


@runtime_checkable
class DocumentStore(Protocol):
    """Documents and their versions: writes are transactional, stored paragraphs never change."""

    location: str

    def add_many(
        self,
        items: Sequence[tuple[Document, str | None]],
        index: Mapping[str, IndexEntry] | None = None,
    ) -> list[Outcome]:
        """Store documents (each with its origin key, or None) in one transaction.

        An origin key (a URL, or file#id) identifies an article across versions:
        new content under a known key is stored as a new document that supersedes
        the old one (``UPDATED``); content already stored is ``DUPLICATE``. Index
        entries of the documents stored are written in the same transaction.
        """
        ...

    def existing_ids(self, doc_ids: Iterable[str]) -> set[str]:
        """Which of these ids are stored already."""
        ...

    def get_many(self, doc_ids: Sequence[str]) -> list[Document]:
        """Documents by exact id, in the order given."""
        ...

    def get(self, doc_id: str) -> Document:
        """The document with this id or unique id prefix; raises NotFound."""
        ...

    def doc_id_for_origin(self, origin: str) -> str | None:
        """The id of the current document stored under an origin key."""
        ...

    def current_versions(self, doc_ids: Sequence[str]) -> dict[str, str]:
        """The current version of each document (itself when it was never superseded)."""
        ...

    def list_documents(self, flt: DocumentFilter) -> list[Document]:
        """Current (not superseded) documents, newest first."""
        ...

    def filtered_ids(self, flt: DocumentFilter) -> set[str]:
        """Ids of current documents that pass a filter."""
        ...

    def languages(self, doc_ids: Sequence[str]) -> dict[str, str]:
        """The language of each of these documents."""
        ...

    def all_ids(self) -> list[str]:
        """Ids of every current document."""
        ...

    def count_documents(self) -> int:
        """How many current documents are stored."""
        ...

    def stats(self) -> dict[str, object]:
        """Counts for ``newsdesk stats``: documents, paragraphs, sources, languages, dates."""
        ...

    def http_validators(self, url: str) -> tuple[str | None, str | None]:
        """The (ETag, Last-Modified) of the last successful fetch of ``url``."""
        ...

    def save_http_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        """Remember the validators of a response for the next conditional GET."""
        ...


@runtime_checkable
class SearchIndex(Protocol):
    """The words and vectors of current documents, and cached query translations."""

    def save_index(self, entries: Iterable[IndexEntry]) -> int:
        """(Re)write the search index entries of stored documents."""
        ...

    def unindexed_ids(self, model: str | None) -> list[str]:
        """Current documents missing from the index (or lacking a ``model`` vector)."""
        ...

    def lexical_search(
        self, tokens: Sequence[str], flt: DocumentFilter, limit: int
    ) -> list[tuple[str, float]]:
        """BM25 over the segmented index: (doc id, score), best first."""
        ...

    def document_frequencies(self, tokens: Sequence[str]) -> tuple[int, dict[str, int]]:
        """The number of indexed documents, and in how many each token occurs."""
        ...

    def vectors(self, model: str) -> tuple[list[str], npt.NDArray[np.float32]]:
        """Ids and vectors of every current document embedded by ``model``."""
        ...

    def get_translation(self, translator: str, query: str) -> str | None:
        """A cached query translation (as stored JSON), or None."""
        ...

    def save_translation(self, translator: str, query: str, translation: str) -> None:
        """Cache a query's translation (JSON) under (translator, query)."""
        ...


@runtime_checkable
class StoryStore(Protocol):
    """Stories: the dedup clusters of documents and the keys that find them."""

    def cluster_of_body(self, body_hash: str) -> str | None:
        """The cluster of a current document with exactly this normalized body."""
        ...

    def lsh_candidates(self, bands: Sequence[int], limit: int) -> list[str]:
        """Current documents sharing at least one MinHash LSH band key."""
        ...

    def cluster_id_of(self, doc_id: str) -> str | None:
        """The cluster a document belongs to."""
        ...

    def save_clusters(self, assignments: Sequence[Assignment]) -> None:
        """Store cluster assignments and refresh their clusters."""
        ...

    def unclustered_ids(self) -> list[str]:
        """Current documents that belong to no cluster yet."""
        ...

    def reset_clusters(self) -> None:
        """Forget every cluster."""
        ...

    def cluster_members(self, cluster_id: str) -> list[Document]:
        """Current members of a cluster, the canonical one first."""
        ...

    def cluster_sizes(self, cluster_ids: Sequence[str]) -> dict[str, tuple[str, int]]:
        """(canonical id, size) of each of these clusters."""
        ...


@runtime_checkable
class RunStore(Protocol):
    """Topic runs (each the lock of its topic while it runs) and the briefs they cache."""

    def start_run(self, topic: str) -> int:
        """Record the start of a topic run; TopicBusy while a live run of the topic holds it."""
        ...

    def end_orphaned_runs(self, topic: str | None = None) -> int:
        """End as failed the running runs (of ``topic``, or all) whose process is gone."""
        ...

    def finish_run(self, run_id: int, result: RunResult) -> None:
        """Record how a run ended, which items its digest holds, and the digest itself."""
        ...

    def runs(self, topic: str | None = None, limit: int = 20) -> list[Run]:
        """Past runs, newest first, without their digests."""
        ...

    def run(self, run_id: int) -> Run:
        """One run with its digest; NotFound when there is no such run."""
        ...

    def get_summary(
        self, doc_id: str, backend: str, model: str, prompt_version: str, language: str
    ) -> Summary | None:
        """A cached summary, or None."""
        ...

    def save_summary(self, summary: Summary, language: str) -> None:
        """Cache a summary under (document, backend, model, prompt version, ``language``)."""
        ...


@runtime_checkable
class AlertOutbox(Protocol):
    """Alerts waiting for, or done with, delivery: one row per alert and channel."""

    def enqueue_alerts(self, items: Sequence[tuple[Alert, str]]) -> int:
        """Put (alert, channel) pairs in the outbox; a key already there is skipped."""
        ...

    def claim_alerts(self, now: float, lease: float, limit: int = 100) -> list[Delivery]:
        """Pending deliveries due by ``now``, held for ``lease`` seconds from other senders."""
        ...

    def record_delivery(self, delivery_id: int, status: str, error: str, next_at: float) -> None:
        """One attempt's outcome: sent, pending (retried from ``next_at``) or failed."""
        ...

    def deliveries(self, status: str | None = None, limit: int = 100) -> list[Delivery]:
        """The delivery log, newest first (of one status, or all)."""
        ...

    def retry_failed(self) -> int:
        """Put failed deliveries back in the queue; returns how many."""
        ...


@runtime_checkable
class TableCopy(Protocol):
    """Every table in its neutral row shape, for ``newsdesk migrate`` (``store/copy.py``)."""

    location: str

    def export_rows(self, table: str) -> Iterator[Row]:
        """Every row of ``table`` (a key of TABLES) in its neutral shape."""
        ...

    def import_rows(self, table: str, rows: Iterable[Row]) -> int:
        """Insert rows exported from another store (kept where present); returns how many."""
        ...

    def count_rows(self, table: str) -> int:
        """How many rows ``table`` holds (``newsdesk migrate`` compares them)."""
        ...


@runtime_checkable
class Store(DocumentStore, SearchIndex, StoryStore, RunStore, AlertOutbox, TableCopy, Protocol):
    """A whole store: every role, its consistency check, and its connection."""

    location: str

    def check(self) -> list[str]:
        """Consistency problems found (empty when the store is sound)."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...


def list_with_reposts(store: Store, flt: DocumentFilter) -> list[tuple[Document, int]]:
    """A listing with each document's repost count (other copies of its story)."""
    docs = store.list_documents(flt)
    sizes = store.cluster_sizes([d.cluster_id for d in docs if d.cluster_id])
    return [(d, sizes[d.cluster_id][1] - 1 if d.cluster_id in sizes else 0) for d in docs]
