"""The Store protocol: what every store backend provides."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from newsdesk.model import Document, Outcome


@dataclass(frozen=True, slots=True)
class DocumentFilter:
    """Which documents a listing returns; unset fields do not filter."""

    source: str | None = None  # matches the source as published or its display name
    since: datetime | None = None
    until: datetime | None = None
    language: str | None = None
    limit: int = 50
    offset: int = 0


@runtime_checkable
class Store(Protocol):
    """A document store. Writes are transactional; stored paragraphs never change."""

    location: str

    def add_many(self, items: Sequence[tuple[Document, str | None]]) -> list[Outcome]:
        """Store documents (each with its origin key, or None) in one transaction.

        An origin key (a URL, or file#id) identifies an article across versions:
        new content under a known key is stored as a new document that supersedes
        the old one (``UPDATED``); content already stored is ``DUPLICATE``.
        """
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

    def check(self) -> list[str]:
        """Consistency problems found (empty when the store is sound)."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...
