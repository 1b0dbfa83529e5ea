"""The SQL of every store, written once; a backend supplies its dialect.

``SQLStore`` holds the queries both backends share: documents and their
versions, clusters, summaries, runs, the alert outbox and the table copy.
Queries are written with ``?`` placeholders and the ``ON CONFLICT`` upserts
both SQLite and PostgreSQL accept. A backend (``sqlite.py``, ``postgres.py``)
gives the driver's primitives (``_all``, ``_one``, ``_iter``, ``_run``,
``_many``, ``_in``, ``transaction``) and what truly differs: the lexical index
(FTS5 or a tsvector), vector storage (float32 blobs or pgvector), how a run
holds its topic (a row or an advisory lock), and how a failed write reads.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from newsdesk.store.base import DocumentFilter
from newsdesk.store.sql.documents import DocumentsSQL
from newsdesk.store.sql.driver import SQLDriver, insert_new, upsert
from newsdesk.store.sql.outbox import OutboxSQL
from newsdesk.store.sql.runs import RunsSQL
from newsdesk.store.sql.stories import StoriesSQL
from newsdesk.store.sql.tables import TablesSQL

__all__ = ["SQLDriver", "SQLStore", "insert_new", "upsert"]


class SQLStore(DocumentsSQL, StoriesSQL, RunsSQL, OutboxSQL, TablesSQL):
    """The Store protocol in SQL, role by role; a subclass is a dialect."""

    # --- reads the dialect answers its own way ---------------------------------------

    @abstractmethod
    def lexical_search(
        self, tokens: Sequence[str], flt: DocumentFilter, limit: int
    ) -> list[tuple[str, float]]:
        """BM25 over the segmented index: (doc id, score), best first; any token may match."""

    @abstractmethod
    def document_frequencies(self, tokens: Sequence[str]) -> tuple[int, dict[str, int]]:
        """The number of indexed documents, and in how many each token occurs."""

    @abstractmethod
    def vectors(self, model: str) -> tuple[list[str], npt.NDArray[np.float32]]:
        """Ids and vectors (one row each) of every current document embedded by ``model``."""

    @abstractmethod
    def lsh_candidates(self, bands: Sequence[int], limit: int) -> list[str]:
        """Current documents sharing at least one LSH band key, most shared first."""

    @abstractmethod
    def start_run(self, topic: str) -> int:
        """Record the start of a topic run; TopicBusy while a live run of the topic holds it."""

    @abstractmethod
    def end_orphaned_runs(self, topic: str | None = None) -> int:
        """End as failed the running runs (of ``topic``, or all) whose process is gone."""

    @abstractmethod
    def close(self) -> None:
        """Release the connection."""
