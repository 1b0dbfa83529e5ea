"""The Store protocol: what every store backend provides."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from newsdesk.model import Alert, Delivery, Document, IndexEntry, Outcome
from newsdesk.store import owners


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


@runtime_checkable
class Store(Protocol):
    """A document store. Writes are transactional; stored paragraphs never change."""

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

    def save_index(self, entries: Iterable[IndexEntry]) -> int:
        """(Re)write the search index entries of stored documents."""
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

    def filtered_ids(self, flt: DocumentFilter) -> set[str]:
        """Ids of current documents that pass a filter."""
        ...

    def unindexed_ids(self, model: str | None) -> list[str]:
        """Current documents missing from the index (or lacking a ``model`` vector)."""
        ...

    def languages(self, doc_ids: Sequence[str]) -> dict[str, str]:
        """The language of each of these documents."""
        ...

    def all_ids(self) -> list[str]:
        """Ids of every current document."""
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

    def list_documents(self, flt: DocumentFilter) -> list[Document]:
        """Current (not superseded) documents, newest first."""
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

    def cluster_of_body(self, body_hash: str) -> str | None:
        """The cluster of a current document with exactly this normalized body."""
        ...

    def lsh_candidates(self, bands: Sequence[int], limit: int) -> list[str]:
        """Current documents sharing at least one MinHash LSH band key."""
        ...

    def cluster_id_of(self, doc_id: str) -> str | None:
        """The cluster a document belongs to."""
        ...

    def save_clusters(self, assignments: Sequence[Any]) -> None:
        """Store cluster assignments (``dedup.Assignment``) and refresh their clusters."""
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

    def get_summary(
        self, doc_id: str, backend: str, model: str, prompt_version: str, language: str
    ) -> dict[str, Any] | None:
        """A cached summary (as stored JSON), or None."""
        ...

    def save_summary(self, summary: dict[str, Any]) -> None:
        """Cache a summary under (document, backend, model, prompt version, language)."""
        ...

    def get_translation(self, translator: str, query: str) -> str | None:
        """A cached query translation (as stored JSON), or None."""
        ...

    def save_translation(self, translator: str, query: str, translation: str) -> None:
        """Cache a query's translation (JSON) under (translator, query)."""
        ...

    def start_run(self, topic: str) -> int:
        """Record the start of a topic run; TopicBusy while a live run of the topic holds it."""
        ...

    def end_orphaned_runs(self, topic: str | None = None) -> int:
        """End as failed the running runs (of ``topic``, or all) whose process is gone."""
        ...

    def finish_run(
        self,
        run_id: int,
        status: str,
        items: Sequence[str],
        new_items: Sequence[str],
        summarized: int,
        message: str = "",
        digest: dict[str, Any] | None = None,
    ) -> None:
        """Record how a run ended, which items its digest holds, and the digest itself."""
        ...

    def runs(self, topic: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
        """Past runs, newest first, without their digests."""
        ...

    def run(self, run_id: int) -> dict[str, Any]:
        """One run with its digest; NotFound when there is no such run."""
        ...

    def current_versions(self, doc_ids: Sequence[str]) -> dict[str, str]:
        """The current version of each document (itself when it was never superseded)."""
        ...

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

    def check(self) -> list[str]:
        """Consistency problems found (empty when the store is sound)."""
        ...

    def export_rows(self, table: str) -> Iterator[tuple[Any, ...]]:
        """Every row of ``table`` (a key of TABLES) in its neutral shape."""
        ...

    def import_rows(self, table: str, rows: Iterable[tuple[Any, ...]]) -> int:
        """Insert rows exported from another store (kept where present); returns how many."""
        ...

    def count_rows(self, table: str) -> int:
        """How many rows ``table`` holds (``newsdesk migrate`` compares them)."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...


def list_with_reposts(store: Store, flt: DocumentFilter) -> list[tuple[Document, int]]:
    """A listing with each document's repost count (other copies of its story)."""
    docs = store.list_documents(flt)
    sizes = store.cluster_sizes([d.cluster_id for d in docs if d.cluster_id])
    return [(d, sizes[d.cluster_id][1] - 1 if d.cluster_id in sizes else 0) for d in docs]


# --- shared by the stores: filters as SQL, rows as objects ----------------------------------

DOC_COLUMNS = (
    "id, title, source, source_display, published_at, language, url, fetched_at, cluster_id"
)
RUN_COLUMNS = TABLES["runs"][:-1]  # every column but the digest


def filter_sql(flt: DocumentFilter, alias: str = "", mark: str = "?") -> tuple[str, list[Any]]:
    """The WHERE clause of a filter over current documents (``mark``: the driver's placeholder)."""
    a = alias
    clauses = [f"{a}superseded_by IS NULL"]
    args: list[Any] = []
    if flt.source:
        clauses.append(f"({a}source = {mark} OR lower({a}source_display) = lower({mark}))")
        args += [flt.source, flt.source]
    if flt.since:
        clauses.append(f"{a}published_ts >= {mark}")
        args.append(flt.since.timestamp())
    if flt.until:
        clauses.append(f"{a}published_ts < {mark}")
        args.append(flt.until.timestamp())
    if flt.language:
        clauses.append(f"{a}language = {mark}")
        args.append(flt.language)
    if flt.one_per_story:
        clauses.append(
            f"({a}cluster_id IS NULL OR {a}id ="
            f" (SELECT canonical_id FROM clusters c WHERE c.id = {a}cluster_id))"
        )
    return " AND ".join(clauses), args


def document_from_row(row: Sequence[Any], paragraphs: Sequence[str]) -> Document:
    """A Document from a row of DOC_COLUMNS and its paragraphs in order."""
    return Document(
        id=row[0],
        title=row[1],
        source=row[2],
        source_display=row[3],
        published_at=datetime.fromisoformat(row[4]) if row[4] else None,
        language=row[5],
        url=row[6],
        fetched_at=datetime.fromisoformat(row[7]),
        cluster_id=row[8],
        paragraphs=tuple(paragraphs),
    )


def latest_versions(
    doc_ids: Sequence[str], superseded_by: Callable[[str], str | None]
) -> dict[str, str]:
    """Follow each document's ``superseded_by`` links to its current version (cycle-safe)."""
    out = {}
    for doc_id in doc_ids:
        at, seen = doc_id, {doc_id}
        while (nxt := superseded_by(at)) is not None and nxt not in seen:
            at = nxt
            seen.add(at)
        out[doc_id] = at
    return out


def busy_message(topic: str, run_id: int, owner: str) -> str:
    """Why a topic cannot start now: which run and process hold it."""
    where = owners.describe(owner)
    unknown = owners.alive(owner) is None
    return f"topic {topic!r} is already running (run {run_id}, {where})" + (
        ": another machine, which newsdesk cannot check from here" if unknown else ""
    )


def orphan_message(owner: str) -> str:
    """The message of a run ended because its process is gone."""
    return f"interrupted: {owners.describe(owner)} stopped before the run ended"


def run_from_row(row: Sequence[Any]) -> dict[str, Any]:
    """A run as a dict from a row of RUN_COLUMNS."""
    import json

    d = dict(zip(RUN_COLUMNS, row, strict=True))
    d["id"] = int(d["id"])
    d["items"] = json.loads(d["items"])
    d["new_items"] = json.loads(d["new_items"])
    return d


DELIVERY_COLUMNS = "id, key, channel, status, attempts, error, created_at, sent_at, payload"


def delivery_from_row(row: Sequence[Any]) -> Delivery:
    """A Delivery from a row of DELIVERY_COLUMNS."""
    import json

    return Delivery(
        id=int(row[0]),
        key=row[1],
        channel=row[2],
        status=row[3],
        attempts=int(row[4]),
        error=row[5],
        created_at=row[6],
        sent_at=row[7],
        alert=Alert.from_dict(json.loads(row[8])),
    )


def alert_row(alert: Alert, channel: str, now: float) -> tuple[Any, ...]:
    """The outbox row of an alert bound for a channel (key, topic, rule, channel, payload...)."""
    import json
    from datetime import UTC

    return (
        f"{alert.key}|{channel}",
        alert.topic,
        alert.rule,
        channel,
        json.dumps(alert.to_dict(), ensure_ascii=False),
        datetime.now(UTC).isoformat(),
        now,
    )
