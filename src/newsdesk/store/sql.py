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

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from newsdesk.errors import NotFound
from newsdesk.model import Alert, Delivery, Document, IndexEntry, Outcome
from newsdesk.store.base import TABLES, ClusterAssignment, DocumentFilter, Row
from newsdesk.store.rows import (
    DELIVERY_COLUMNS,
    DOC_COLUMNS,
    RUN_COLUMNS,
    alert_row,
    delivery_from_row,
    document_from_row,
    document_values,
    filter_sql,
    latest_versions,
    orphan_message,
    run_from_row,
)
from newsdesk.summarize.schema import Summary

_DOCUMENT_INSERT = (
    "INSERT INTO documents (id, title, source, source_display, published_at, published_ts,"
    " language, url, fetched_at, n_paragraphs, cluster_id{extra})"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?{marks}) ON CONFLICT (id) DO NOTHING"
)


def upsert(table: str, columns: Sequence[str], key: Sequence[str]) -> str:
    """INSERT of ``columns`` that updates the other columns of a row whose ``key`` exists."""
    update = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key)
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET {update}"
    )


def insert_new(table: str, columns: Sequence[str]) -> str:
    """INSERT of ``columns`` that leaves a row already there (same key) as it is."""
    marks = ", ".join("?" * len(columns))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) ON CONFLICT DO NOTHING"


class SQLStore(ABC):
    """The Store protocol in SQL; subclasses are the dialects."""

    location: str

    # The dialect's SQL fragments.
    FTS_JOIN: ClassVar[str]  # joins the lexical index ``f`` to the document ``d``
    FTS_MISSING: ClassVar[str]  # true when ``d`` has no row in the index ``f``
    INDEX_ROWS: ClassVar[str]  # (doc id, title tokens, body tokens) of the index, by id
    BODY_CHARS: ClassVar[str]  # the body length of the document ``d`` (canonical member)
    FOR_UPDATE: ClassVar[str] = ""  # row locks of a read that precedes a write
    SKIP_LOCKED: ClassVar[str] = ""  # a claim that passes over rows another sender holds
    STORES_BODY_CHARS: ClassVar[bool] = False  # documents.body_chars is a column

    # --- the driver ----------------------------------------------------------

    @abstractmethod
    def transaction(self) -> AbstractContextManager[object]:
        """One transaction on this store's connection, rolled back on any error."""

    @abstractmethod
    def _all(self, sql: str, args: Sequence[object] = ()) -> list[Row]:
        """Every row of a query."""

    @abstractmethod
    def _one(self, sql: str, args: Sequence[object] = ()) -> Row | None:
        """The first row of a query, or None."""

    @abstractmethod
    def _iter(self, sql: str, args: Sequence[object] = ()) -> Iterator[Row]:
        """The rows of a query, streamed."""

    @abstractmethod
    def _run(self, sql: str, args: Sequence[object] = ()) -> int:
        """One statement; how many rows it changed."""

    @abstractmethod
    def _many(self, sql: str, rows: Sequence[Sequence[object]]) -> int:
        """One statement per row of ``rows``; how many rows they changed."""

    @abstractmethod
    def _in(self, sql: str, ids: Iterable[str]) -> Iterator[Row]:
        """Rows of ``sql`` whose ``{ids}`` is the membership test of a column in ``ids``."""

    # --- what the dialect stores its own way ---------------------------------

    @abstractmethod
    def _save_tokens(self, doc_id: str, title: str, body: str) -> bool:
        """(Re)write a document's lexical index row; False when there is no such document."""

    @abstractmethod
    def _drop_tokens(self, doc_id: str) -> None:
        """Take a document out of the lexical index (a superseded version)."""

    @abstractmethod
    def _save_vector(self, doc_id: str, model: str, vector: bytes, replace: bool) -> None:
        """Store a document's vector (float32 bytes); ``replace``: over one already there."""

    @abstractmethod
    def _release_run(self, run_id: int) -> Callable[[], None]:
        """This process stops running ``run_id``; returns what to do once its end is written."""

    def _changed(self) -> None:  # noqa: B027 (an optional hook)
        """Called after a write that changed vectors (a dialect's caches drop them)."""

    def _integrity(self) -> list[str]:
        """The database's own consistency check."""
        return []

    def _after_import(self, table: str) -> None:  # noqa: B027 (an optional hook)
        """Derived columns and sequences to bring up to date after ``table`` was copied in."""

    @property
    def shown_location(self) -> str:
        """The location as messages and ``stats`` show it."""
        return self.location

    # --- documents ------------------------------------------------------------

    def add_many(
        self,
        items: Sequence[tuple[Document, str | None]],
        index: Mapping[str, IndexEntry] | None = None,
    ) -> list[Outcome]:
        """Store documents with their origin keys and index entries in one transaction."""
        outcomes: list[Outcome] = []
        with self.transaction():
            for doc, origin in items:
                outcome = self._add(doc, origin)
                outcomes.append(outcome)
                if index and doc.id in index and outcome in (Outcome.ADDED, Outcome.UPDATED):
                    self._index(index[doc.id])
        return outcomes

    def _add(self, doc: Document, origin: str | None) -> Outcome:
        previous = None
        if origin is not None:
            sql = "SELECT doc_id FROM origins WHERE origin = ?" + self.FOR_UPDATE
            row = self._one(sql, (origin,))
            previous = row[0] if row else None
        extra = (", body_chars", ", ?") if self.STORES_BODY_CHARS else ("", "")
        insert = _DOCUMENT_INSERT.format(extra=extra[0], marks=extra[1])
        if not self._run(insert, document_values(doc, self.STORES_BODY_CHARS)):
            # stored already (by us earlier, or by another writer)
            if origin is not None and previous is None:
                self._run(
                    "INSERT INTO origins (origin, doc_id) VALUES (?, ?)"
                    " ON CONFLICT (origin) DO NOTHING",
                    (origin, doc.id),
                )
            return Outcome.DUPLICATE
        self._many(
            "INSERT INTO paragraphs (doc_id, n, text) VALUES (?, ?, ?)",
            [(doc.id, n, text) for n, text in enumerate(doc.paragraphs, start=1)],
        )
        if origin is None:
            return Outcome.ADDED
        if previous is None:
            self._run(upsert("origins", ("origin", "doc_id"), ("origin",)), (origin, doc.id))
            return Outcome.ADDED
        self._run("UPDATE origins SET doc_id = ? WHERE origin = ?", (doc.id, origin))
        self._run("UPDATE documents SET superseded_by = ? WHERE id = ?", (doc.id, previous))
        self._drop_tokens(previous)
        return Outcome.UPDATED

    def existing_ids(self, doc_ids: Iterable[str]) -> set[str]:
        """Which of these ids are stored already."""
        return {r[0] for r in self._in("SELECT id FROM documents WHERE id {ids}", doc_ids)}

    def get(self, doc_id: str) -> Document:
        """The document with this id or unique id prefix."""
        rows = self._all(
            f"SELECT {DOC_COLUMNS} FROM documents WHERE id >= ? AND id < ? ORDER BY id LIMIT 2",
            (doc_id, doc_id + "\uffff"),
        )
        if not rows or not doc_id:
            raise NotFound(f"no document with id {doc_id!r}; `newsdesk list` shows the ids")
        if len(rows) > 1 and rows[0][0] != doc_id:
            raise NotFound(f"id prefix {doc_id!r} matches several documents; give more of it")
        return self._documents(rows[:1])[0]

    def get_many(self, doc_ids: Sequence[str]) -> list[Document]:
        """Documents by exact id, in the order given (unknown ids are left out)."""
        rows = list(self._in(f"SELECT {DOC_COLUMNS} FROM documents WHERE id {{ids}}", doc_ids))
        found = {d.id: d for d in self._documents(rows)}
        return [found[i] for i in doc_ids if i in found]

    def _documents(self, rows: Sequence[Row]) -> list[Document]:
        paras: dict[str, list[str]] = {r[0]: [] for r in rows}
        sql = "SELECT doc_id, text FROM paragraphs WHERE doc_id {ids} ORDER BY doc_id, n"
        for doc_id, text in self._in(sql, paras):
            paras[doc_id].append(text)
        return [document_from_row(r, paras[r[0]]) for r in rows]

    def doc_id_for_origin(self, origin: str) -> str | None:
        """The id of the current document stored under an origin key."""
        row = self._one("SELECT doc_id FROM origins WHERE origin = ?", (origin,))
        return str(row[0]) if row else None

    def list_documents(self, flt: DocumentFilter) -> list[Document]:
        """Current documents, newest first (undated ones last)."""
        where, args = filter_sql(flt)
        rows = self._all(
            f"SELECT {DOC_COLUMNS} FROM documents WHERE {where}"
            " ORDER BY published_ts IS NULL, published_ts DESC, id LIMIT ? OFFSET ?",
            (*args, flt.limit, flt.offset),
        )
        return self._documents(rows)

    def filtered_ids(self, flt: DocumentFilter) -> set[str]:
        """Ids of current documents that pass a filter (for filtering dense results)."""
        where, args = filter_sql(flt)
        return {r[0] for r in self._all(f"SELECT id FROM documents WHERE {where}", args)}

    def languages(self, doc_ids: Sequence[str]) -> dict[str, str]:
        """The language of each of these documents."""
        sql = "SELECT id, language FROM documents WHERE id {ids}"
        return {r[0]: r[1] for r in self._in(sql, doc_ids)}

    def all_ids(self) -> list[str]:
        """Ids of every current document."""
        sql = "SELECT id FROM documents WHERE superseded_by IS NULL ORDER BY id"
        return [r[0] for r in self._all(sql)]

    def count_documents(self) -> int:
        """How many current documents are stored."""
        return self._count("SELECT count(*) FROM documents WHERE superseded_by IS NULL")

    def _count(self, sql: str, args: Sequence[object] = ()) -> int:
        row = self._one(sql, args)
        return int(row[0]) if row else 0

    def current_versions(self, doc_ids: Sequence[str]) -> dict[str, str]:
        """The current version of each document (itself when it was never superseded)."""

        def superseded_by(doc_id: str) -> str | None:
            row = self._one("SELECT superseded_by FROM documents WHERE id = ?", (doc_id,))
            return row[0] if row else None

        return latest_versions(doc_ids, superseded_by)

    def stats(self) -> dict[str, object]:
        """Counts by source and language, paragraph totals and the date range."""
        current = "FROM documents WHERE superseded_by IS NULL"
        row = self._one(
            "SELECT count(*), coalesce(sum(n_paragraphs), 0), min(published_at),"
            f" max(published_at) {current}"
        )
        docs, paras, first, last = row or (0, 0, None, None)
        return {
            "location": self.shown_location,
            "documents": int(docs),
            "superseded": self._count(
                "SELECT count(*) FROM documents WHERE superseded_by IS NOT NULL"
            ),
            "paragraphs": int(paras),
            "stories": self._count(f"SELECT count(DISTINCT coalesce(cluster_id, id)) {current}"),
            "undated": self._count(f"SELECT count(*) {current} AND published_ts IS NULL"),
            "earliest": first,
            "latest": last,
            "languages": dict(
                self._all(f"SELECT language, count(*) {current} GROUP BY 1 ORDER BY 2 DESC, 1")
            ),
            "sources": dict(
                self._all(
                    f"SELECT source_display, count(*) {current} GROUP BY 1 ORDER BY 2 DESC, 1"
                    " LIMIT 20"
                )
            ),
        }

    def http_validators(self, url: str) -> tuple[str | None, str | None]:
        """The (ETag, Last-Modified) of the last successful fetch of ``url``."""
        row = self._one("SELECT etag, last_modified FROM http_cache WHERE url = ?", (url,))
        return (row[0], row[1]) if row else (None, None)

    def save_http_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        """Remember a response's validators for the next conditional GET."""
        with self.transaction():
            self._run(
                upsert("http_cache", TABLES["http_cache"], ("url",)),
                (url, etag, last_modified, datetime.now(UTC).isoformat()),
            )

    # --- the search index ------------------------------------------------------

    def save_index(self, entries: Iterable[IndexEntry]) -> int:
        """(Re)write the index entries of stored documents; returns how many."""
        n = 0
        with self.transaction():
            for entry in entries:
                self._index(entry)
                n += 1
        self._changed()
        return n

    def _index(self, entry: IndexEntry) -> None:
        row = self._one("SELECT superseded_by FROM documents WHERE id = ?", (entry.doc_id,))
        if row is None:
            return
        if row[0] is None:
            self._save_tokens(entry.doc_id, entry.title_tokens, entry.body_tokens)
        else:  # superseded versions stay readable but are not searched
            self._drop_tokens(entry.doc_id)
        if entry.vector is not None and entry.model:
            self._save_vector(entry.doc_id, entry.model, entry.vector, replace=True)

    def unindexed_ids(self, model: str | None) -> list[str]:
        """Current documents missing from the lexical index or lacking a ``model`` vector."""
        rows = self._all(
            f"SELECT d.id FROM documents d LEFT JOIN doc_fts f ON {self.FTS_JOIN}"
            " LEFT JOIN embeddings e ON e.doc_id = d.id AND e.model = ?"
            f" WHERE d.superseded_by IS NULL AND ({self.FTS_MISSING} OR (? AND e.doc_id IS NULL))"
            " ORDER BY d.id",
            (model or "", model is not None),
        )
        return [r[0] for r in rows]

    def get_translation(self, translator: str, query: str) -> str | None:
        """A cached query translation (as stored JSON), or None."""
        row = self._one(
            "SELECT translation FROM query_translations WHERE translator = ? AND query = ?",
            (translator, query),
        )
        return str(row[0]) if row else None

    def save_translation(self, translator: str, query: str, translation: str) -> None:
        """Cache a query's translation (JSON) under (translator, query)."""
        with self.transaction():
            self._run(
                upsert("query_translations", TABLES["query_translations"], ("translator", "query")),
                (translator, query, translation, datetime.now(UTC).isoformat()),
            )

    # --- stories (dedup clusters) ------------------------------------------------

    def cluster_of_body(self, body_hash: str) -> str | None:
        """The cluster of a current document with exactly this normalized body."""
        row = self._one(
            "SELECT x.cluster_id FROM dedup x JOIN documents d ON d.id = x.doc_id"
            " WHERE x.body_hash = ? AND d.superseded_by IS NULL ORDER BY x.doc_id LIMIT 1",
            (body_hash,),
        )
        return str(row[0]) if row else None

    def cluster_id_of(self, doc_id: str) -> str | None:
        """The cluster a document belongs to."""
        row = self._one("SELECT cluster_id FROM dedup WHERE doc_id = ?", (doc_id,))
        return str(row[0]) if row else None

    def save_clusters(self, assignments: Sequence[ClusterAssignment]) -> None:
        """Store cluster assignments and refresh the canonical member and size of each cluster."""
        touched: set[str] = set()
        with self.transaction():
            for a in assignments:
                old = self._one("SELECT cluster_id FROM dedup WHERE doc_id = ?", (a.doc_id,))
                if old:
                    touched.add(old[0])
                # A document's bands depend on its immutable text alone, so a
                # re-clustered document re-inserts exactly the rows it had.
                self._run(
                    upsert("dedup", TABLES["dedup"], ("doc_id",)),
                    (a.doc_id, a.body_hash, a.cluster_id, a.reason),
                )
                self._many(
                    insert_new("lsh", TABLES["lsh"]),
                    [(b, int(key), a.doc_id) for b, key in enumerate(a.bands)],
                )
                self._run(
                    "UPDATE documents SET cluster_id = ? WHERE id = ?", (a.cluster_id, a.doc_id)
                )
                touched.add(a.cluster_id)
            for cluster in sorted(touched):
                self._refresh_cluster(cluster)

    def _refresh_cluster(self, cluster: str) -> None:
        members = self._all(
            "SELECT d.id FROM documents d WHERE d.cluster_id = ? AND d.superseded_by IS NULL"
            f" ORDER BY d.published_ts IS NULL, d.published_ts, {self.BODY_CHARS} DESC, d.id",
            (cluster,),
        )
        if not members:
            self._run("DELETE FROM clusters WHERE id = ?", (cluster,))
            return
        self._run(
            upsert("clusters", TABLES["clusters"], ("id",)), (cluster, members[0][0], len(members))
        )

    def unclustered_ids(self) -> list[str]:
        """Current documents that belong to no cluster yet."""
        rows = self._all(
            "SELECT d.id FROM documents d LEFT JOIN dedup x ON x.doc_id = d.id"
            " WHERE d.superseded_by IS NULL AND x.doc_id IS NULL"
            " ORDER BY d.published_ts IS NULL, d.published_ts, d.id"
        )
        return [r[0] for r in rows]

    def reset_clusters(self) -> None:
        """Forget every cluster (before ``newsdesk dedup --rebuild``)."""
        with self.transaction():
            for table in ("dedup", "lsh", "clusters"):
                self._run(f"DELETE FROM {table}")
            self._run("UPDATE documents SET cluster_id = NULL")

    def cluster_members(self, cluster_id: str) -> list[Document]:
        """Current members of a cluster, the canonical one first, then by publish time."""
        canonical = self._one("SELECT canonical_id FROM clusters WHERE id = ?", (cluster_id,))
        rows = self._all(
            f"SELECT {DOC_COLUMNS} FROM documents WHERE cluster_id = ? AND superseded_by IS NULL"
            " ORDER BY id = ? DESC, published_ts IS NULL, published_ts, id",
            (cluster_id, canonical[0] if canonical else ""),
        )
        return self._documents(rows)

    def cluster_sizes(self, cluster_ids: Sequence[str]) -> dict[str, tuple[str, int]]:
        """(canonical id, size) of each of these clusters."""
        sql = "SELECT id, canonical_id, size FROM clusters WHERE id {ids}"
        return {cid: (canonical, int(size)) for cid, canonical, size in self._in(sql, cluster_ids)}

    # --- summaries -----------------------------------------------------------------

    def get_summary(
        self, doc_id: str, backend: str, model: str, prompt_version: str, language: str
    ) -> Summary | None:
        """A cached summary, or None."""
        row = self._one(
            "SELECT summary FROM summaries WHERE doc_id = ? AND backend = ? AND model = ?"
            " AND prompt_version = ? AND language = ?",
            (doc_id, backend, model, prompt_version, language),
        )
        if row is None:
            return None
        data = json.loads(row[0])
        data.pop("cache_language", None)  # the key column, kept in older rows' JSON too
        return Summary.from_dict(data)

    def save_summary(self, summary: Summary, language: str) -> None:
        """Cache a summary under (document, backend, model, prompt version, ``language``)."""
        # The JSON keeps the language asked for, as it always has (``cache_language``).
        stored = {**summary.to_dict(), "cache_language": language}
        with self.transaction():
            self._run(
                upsert(
                    "summaries",
                    TABLES["summaries"],
                    ("doc_id", "backend", "model", "prompt_version", "language"),
                ),
                (
                    summary.doc_id,
                    summary.backend,
                    summary.model,
                    summary.prompt_version,
                    language,
                    json.dumps(stored, ensure_ascii=False),
                    summary.created_at.isoformat(),
                ),
            )

    # --- runs --------------------------------------------------------------------

    def _running(self, topic: str | None) -> list[tuple[int, str, str]]:
        """(id, topic, owner) of the running runs (of ``topic``, or all), oldest first."""
        where, args = ("AND topic = ?", [topic]) if topic else ("", [])
        rows = self._all(
            f"SELECT id, topic, owner FROM runs WHERE status = 'running' {where} ORDER BY id", args
        )
        return [(int(i), str(t), str(o)) for i, t, o in rows]

    def _insert_run(self, topic: str, owner: str) -> int:
        row = self._one(
            "INSERT INTO runs (topic, started_at, status, owner)"
            " VALUES (?, ?, 'running', ?) RETURNING id",
            (topic, datetime.now(UTC).isoformat(), owner),
        )
        assert row is not None
        return int(row[0])

    def _end_runs(self, runs: Sequence[tuple[int, str]]) -> None:
        """End these (run id, owner) runs as failed: their process is gone."""
        self._many(
            "UPDATE runs SET status = 'failed', finished_at = ?, message = ?"
            " WHERE id = ? AND status = 'running'",
            [(datetime.now(UTC).isoformat(), orphan_message(o), i) for i, o in runs],
        )

    def finish_run(
        self,
        run_id: int,
        status: str,
        items: Sequence[str],
        new_items: Sequence[str],
        summarized: int,
        message: str = "",
        digest: Mapping[str, object] | None = None,
    ) -> None:
        """Record how a run ended, which items its digest holds, and the digest itself."""
        after = self._release_run(run_id)
        try:
            with self.transaction():
                self._run(
                    "UPDATE runs SET finished_at = ?, status = ?, items = ?, new_items = ?,"
                    " summarized = ?, message = ?, digest = ? WHERE id = ?",
                    (
                        datetime.now(UTC).isoformat(),
                        status,
                        json.dumps(list(items)),
                        json.dumps(list(new_items)),
                        summarized,
                        message,
                        json.dumps(digest, ensure_ascii=False) if digest else "",
                        run_id,
                    ),
                )
        finally:
            after()

    def runs(self, topic: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
        """Past runs, newest first (of one topic, or of all), without their digests."""
        where, args = ("WHERE topic = ?", [topic]) if topic else ("", [])
        rows = self._all(
            f"SELECT {', '.join(RUN_COLUMNS)} FROM runs {where} ORDER BY id DESC LIMIT ?",
            (*args, limit),
        )
        return [run_from_row(r) for r in rows]

    def run(self, run_id: int) -> dict[str, Any]:
        """One run with its digest (``{}`` for a run that wrote none)."""
        row = self._one(
            f"SELECT {', '.join(RUN_COLUMNS)}, digest FROM runs WHERE id = ?", (run_id,)
        )
        if row is None:
            raise NotFound(f"no run {run_id} in {self.shown_location}; `newsdesk runs` lists them")
        out = run_from_row(row[:-1])
        out["digest"] = json.loads(row[-1]) if row[-1] else {}
        return out

    # --- the alert outbox ----------------------------------------------------------

    def enqueue_alerts(self, items: Sequence[tuple[Alert, str]]) -> int:
        """Put (alert, channel) pairs in the outbox; a key already there is skipped."""
        now = datetime.now(UTC).timestamp()
        with self.transaction():
            return self._many(
                "INSERT INTO alerts (key, topic, rule, channel, payload, created_at, next_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
                [alert_row(a, ch, now) for a, ch in items],
            )

    def claim_alerts(self, now: float, lease: float, limit: int = 100) -> list[Delivery]:
        """Pending deliveries due by ``now``, held for ``lease`` seconds from other senders."""
        with self.transaction():
            rows = self._all(
                f"SELECT {DELIVERY_COLUMNS} FROM alerts WHERE status = 'pending' AND next_at <= ?"
                f" ORDER BY id LIMIT ?{self.SKIP_LOCKED}",
                (now, limit),
            )
            self._many(
                "UPDATE alerts SET next_at = ? WHERE id = ?", [(now + lease, r[0]) for r in rows]
            )
        return [delivery_from_row(r) for r in rows]

    def record_delivery(self, delivery_id: int, status: str, error: str, next_at: float) -> None:
        """One attempt's outcome: sent, pending (retried from ``next_at``) or failed."""
        sent = datetime.now(UTC).isoformat() if status == "sent" else None
        with self.transaction():
            self._run(
                "UPDATE alerts SET status = ?, error = ?, next_at = ?, attempts = attempts + 1,"
                " sent_at = coalesce(?, sent_at) WHERE id = ?",
                (status, error, next_at, sent, delivery_id),
            )

    def deliveries(self, status: str | None = None, limit: int = 100) -> list[Delivery]:
        """The delivery log, newest first (of one status, or all)."""
        where, args = ("WHERE status = ?", [status]) if status else ("", [])
        rows = self._all(
            f"SELECT {DELIVERY_COLUMNS} FROM alerts {where} ORDER BY id DESC LIMIT ?",
            (*args, limit),
        )
        return [delivery_from_row(r) for r in rows]

    def retry_failed(self) -> int:
        """Put failed deliveries back in the queue; returns how many."""
        with self.transaction():
            return self._run(
                "UPDATE alerts SET status = 'pending', next_at = 0 WHERE status = 'failed'"
            )

    # --- soundness and copying a whole store (newsdesk migrate) ------------------------

    def check(self) -> list[str]:
        """Consistency problems: the database's own check, and documents missing paragraphs."""
        return self._integrity() + [
            f"document {doc_id}: {found} paragraphs stored, {expected} expected"
            for doc_id, expected, found in self._all(
                "SELECT d.id, d.n_paragraphs, count(p.n) FROM documents d"
                " LEFT JOIN paragraphs p ON p.doc_id = d.id GROUP BY d.id"
                " HAVING count(p.n) != d.n_paragraphs OR max(p.n) != d.n_paragraphs"
            )
        ]

    def export_rows(self, table: str) -> Iterator[Row]:
        """Every row of ``table`` (a key of TABLES) in its neutral shape."""
        if table == "search_index":
            yield from self._iter(self.INDEX_ROWS)
        elif table == "embeddings":
            yield from self._export_vectors()
        else:
            yield from self._iter(f"SELECT {', '.join(TABLES[table])} FROM {table} ORDER BY 1")

    def _export_vectors(self) -> Iterator[Row]:
        """(doc id, model, float32 bytes) of every vector, by id."""
        yield from self._iter("SELECT doc_id, model, vector FROM embeddings ORDER BY 1")

    def import_rows(self, table: str, rows: Iterable[Row]) -> int:
        """Insert rows exported from another store (kept where present); returns how many."""
        insert = insert_new(table, TABLES[table])
        n = 0
        later: list[tuple[str, str]] = []
        with self.transaction():
            for row in rows:
                if table == "search_index":
                    n += self._save_tokens(row[0], row[1], row[2])
                    continue
                n += 1
                if table == "embeddings":
                    self._save_vector(row[0], row[1], bytes(row[2]), replace=False)
                    continue
                if table == "documents" and row[-1] is not None:  # superseded_by: after all
                    later.append((row[-1], row[0]))
                    row = (*row[:-1], None)
                self._run(insert, row)
            if later:
                self._many("UPDATE documents SET superseded_by = ? WHERE id = ?", later)
            self._after_import(table)
        self._changed()
        return n

    def count_rows(self, table: str) -> int:
        """How many rows ``table`` holds."""
        return self._count(
            f"SELECT count(*) FROM {'doc_fts' if table == 'search_index' else table}"
        )

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
