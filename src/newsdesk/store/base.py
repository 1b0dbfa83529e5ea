"""The Store protocol: what every store backend provides."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from newsdesk.model import Document, IndexEntry, Outcome


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

    def start_run(self, topic: str) -> int:
        """Record the start of a topic run; returns its id."""
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
