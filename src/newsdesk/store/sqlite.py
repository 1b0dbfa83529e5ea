"""The embedded store: one SQLite file, WAL, every write in a transaction."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from newsdesk.errors import NotFound, StoreError, StoreFull, TopicBusy
from newsdesk.model import Alert, Delivery, Document, IndexEntry, Outcome
from newsdesk.store import migrations, owners
from newsdesk.store.base import (
    DELIVERY_COLUMNS,
    DOC_COLUMNS,
    RUN_COLUMNS,
    TABLES,
    DocumentFilter,
    alert_row,
    busy_message,
    delivery_from_row,
    document_from_row,
    filter_sql,
    latest_versions,
    orphan_message,
    run_from_row,
)
from newsdesk.store.index_cache import IndexCache


def store_error(location: str, e: sqlite3.DatabaseError) -> StoreError:
    """The named error of a failed write: a full disk, or a store that cannot be written."""
    text = str(e)
    if isinstance(e, sqlite3.OperationalError) and "full" in text:
        return StoreFull(
            f"--db {location}: the disk is full ({text}); nothing of the batch in progress was "
            "stored: free some space and run the same command again"
        )
    return StoreError(f"--db {location}: cannot write the store: {text}")


class SQLiteStore:
    """The Store protocol on one SQLite file."""

    def __init__(self, location: str) -> None:
        path = location.removeprefix("sqlite://")
        self.location = path
        self._vectors: tuple[tuple[str, int, int], list[str], npt.NDArray[np.float32]] | None = None
        self._commits = 0  # this connection's commits (data_version counts the others')
        self._count: tuple[tuple[int, int], int] | None = None
        self._owners: dict[int, str] = {}  # run id -> owner, for the runs started here
        # Set by a StorePool: vectors and the index size shared by the process's connections.
        self.shared: IndexCache | None = None
        if path != ":memory:":
            try:
                Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise StoreError(f"--db {path}: cannot create its folder: {e}") from e
            path = str(Path(path).expanduser())
        try:
            self.conn = sqlite3.connect(path, isolation_level=None, timeout=30.0)
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA synchronous = NORMAL")
            self.conn.execute("PRAGMA foreign_keys = ON")
            migrations.apply(self.conn)
        except sqlite3.DatabaseError as e:
            raise StoreError(f"--db {path}: not a usable newsdesk database: {e}") from e

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any error.

        A database error (a full disk, a broken file) becomes a ``StoreError``
        that names the store; SQLite may already have rolled the transaction
        back itself, so the rollback here never hides the cause.
        """
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
                self.conn.execute("COMMIT")
            except BaseException:
                if self.conn.in_transaction:
                    # the error that brought us here is the one to report
                    with suppress(sqlite3.Error):
                        self.conn.execute("ROLLBACK")
                raise
        except sqlite3.DatabaseError as e:
            raise store_error(self.location, e) from e
        self._commits += 1

    # --- writes ------------------------------------------------------------

    def add_many(
        self,
        items: Sequence[tuple[Document, str | None]],
        index: Mapping[str, IndexEntry] | None = None,
    ) -> list[Outcome]:
        """Store documents with their origin keys and index entries in one transaction."""
        outcomes: list[Outcome] = []
        with self.transaction() as c:
            for doc, origin in items:
                outcome = self._add(c, doc, origin)
                outcomes.append(outcome)
                if index and doc.id in index and outcome in (Outcome.ADDED, Outcome.UPDATED):
                    self._index(c, index[doc.id])
        return outcomes

    def existing_ids(self, doc_ids: Iterable[str]) -> set[str]:
        """Which of these ids are stored already."""
        return {r[0] for r in self._rows_in("SELECT id FROM documents WHERE id IN ({})", doc_ids)}

    def _rows_in(self, sql: str, ids: Iterable[str]) -> Iterator[tuple[Any, ...]]:
        """Rows of ``sql`` whose ``IN ({})`` takes the ids, 500 at a time (SQLite's limit)."""
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            yield from self.conn.execute(sql.format(",".join("?" * len(chunk))), chunk)

    def save_index(self, entries: Iterable[IndexEntry]) -> int:
        """(Re)write the index entries of stored documents; returns how many."""
        n = 0
        with self.transaction() as c:
            for entry in entries:
                self._index(c, entry)
                n += 1
        self._vectors = None
        return n

    def _index(self, c: sqlite3.Connection, entry: IndexEntry) -> None:
        row = c.execute(
            "SELECT rowid, superseded_by FROM documents WHERE id = ?", (entry.doc_id,)
        ).fetchone()
        if row is None:
            return
        c.execute("DELETE FROM doc_fts WHERE rowid = ?", (row[0],))
        if row[1] is None:  # superseded versions stay readable but are not searched
            c.execute(
                "INSERT INTO doc_fts (rowid, title, body) VALUES (?, ?, ?)",
                (row[0], entry.title_tokens, entry.body_tokens),
            )
        if entry.vector is not None and entry.model:
            c.execute(
                "INSERT INTO embeddings (doc_id, model, vector) VALUES (?, ?, ?)"
                " ON CONFLICT(doc_id) DO UPDATE"
                " SET model = excluded.model, vector = excluded.vector",
                (entry.doc_id, entry.model, entry.vector),
            )

    def _add(self, c: sqlite3.Connection, doc: Document, origin: str | None) -> Outcome:
        exists = c.execute("SELECT 1 FROM documents WHERE id = ?", (doc.id,)).fetchone()
        previous = None
        if origin is not None:
            row = c.execute("SELECT doc_id FROM origins WHERE origin = ?", (origin,)).fetchone()
            previous = row[0] if row else None
        if exists:
            if origin is not None and previous is None:
                c.execute("INSERT INTO origins (origin, doc_id) VALUES (?, ?)", (origin, doc.id))
            return Outcome.DUPLICATE
        published = doc.published_at
        c.execute(
            "INSERT INTO documents (id, title, source, source_display, published_at, published_ts,"
            " language, url, fetched_at, n_paragraphs, cluster_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                doc.id,
                doc.title,
                doc.source,
                doc.source_display,
                published.isoformat() if published else None,
                published.timestamp() if published else None,
                doc.language,
                doc.url,
                doc.fetched_at.isoformat(),
                len(doc.paragraphs),
                doc.cluster_id,
            ),
        )
        c.executemany(
            "INSERT INTO paragraphs (doc_id, n, text) VALUES (?, ?, ?)",
            [(doc.id, n, text) for n, text in enumerate(doc.paragraphs, start=1)],
        )
        if origin is None:
            return Outcome.ADDED
        if previous is None:
            c.execute("INSERT INTO origins (origin, doc_id) VALUES (?, ?)", (origin, doc.id))
            return Outcome.ADDED
        c.execute("UPDATE origins SET doc_id = ? WHERE origin = ?", (doc.id, origin))
        c.execute("UPDATE documents SET superseded_by = ? WHERE id = ?", (doc.id, previous))
        c.execute(
            "DELETE FROM doc_fts WHERE rowid = (SELECT rowid FROM documents WHERE id = ?)",
            (previous,),
        )
        return Outcome.UPDATED

    def save_http_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        """Remember a response's validators for the next conditional GET."""
        with self.transaction() as c:
            c.execute(
                "INSERT INTO http_cache (url, etag, last_modified, fetched_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(url) DO UPDATE SET etag = excluded.etag,"
                " last_modified = excluded.last_modified, fetched_at = excluded.fetched_at",
                (url, etag, last_modified, datetime.now(UTC).isoformat()),
            )

    # --- reads -------------------------------------------------------------

    def http_validators(self, url: str) -> tuple[str | None, str | None]:
        """The (ETag, Last-Modified) of the last successful fetch of ``url``."""
        row = self.conn.execute(
            "SELECT etag, last_modified FROM http_cache WHERE url = ?", (url,)
        ).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def get(self, doc_id: str) -> Document:
        """The document with this id or unique id prefix."""
        rows = self.conn.execute(
            f"SELECT {DOC_COLUMNS} FROM documents WHERE id >= ? AND id < ? LIMIT 2",
            (doc_id, doc_id + "\uffff"),
        ).fetchall()
        if not rows or not doc_id:
            raise NotFound(f"no document with id {doc_id!r}; `newsdesk list` shows the ids")
        if len(rows) > 1 and rows[0][0] != doc_id:
            raise NotFound(f"id prefix {doc_id!r} matches several documents; give more of it")
        return self._documents(rows)[0]

    def doc_id_for_origin(self, origin: str) -> str | None:
        """The id of the current document stored under an origin key."""
        row = self.conn.execute("SELECT doc_id FROM origins WHERE origin = ?", (origin,)).fetchone()
        return str(row[0]) if row else None

    def list_documents(self, flt: DocumentFilter) -> list[Document]:
        """Current documents, newest first (undated ones last)."""
        where, args = self._where(flt)
        rows = self.conn.execute(
            f"SELECT {DOC_COLUMNS} FROM documents WHERE {where}"
            " ORDER BY published_ts IS NULL, published_ts DESC, id LIMIT ? OFFSET ?",
            (*args, flt.limit, flt.offset),
        ).fetchall()
        return self._documents(rows)

    @staticmethod
    def _where(flt: DocumentFilter, alias: str = "") -> tuple[str, list[Any]]:
        return filter_sql(flt, alias, "?")

    def _documents(self, rows: Sequence[tuple[Any, ...]]) -> list[Document]:
        paras: dict[str, list[str]] = {r[0]: [] for r in rows}
        sql = "SELECT doc_id, text FROM paragraphs WHERE doc_id IN ({}) ORDER BY doc_id, n"
        for doc_id, text in self._rows_in(sql, paras):
            paras[doc_id].append(text)
        return [document_from_row(r, paras[r[0]]) for r in rows]

    def count_documents(self) -> int:
        """How many current documents are stored."""
        row = self.conn.execute(
            "SELECT count(*) FROM documents WHERE superseded_by IS NULL"
        ).fetchone()
        return int(row[0])

    def stats(self) -> dict[str, object]:
        """Counts by source and language, paragraph totals and the date range."""
        c = self.conn
        current = "FROM documents WHERE superseded_by IS NULL"
        docs, paras, first, last = c.execute(
            f"SELECT count(*), coalesce(sum(n_paragraphs), 0), min(published_at), max(published_at)"
            f" {current}"
        ).fetchone()
        return {
            "location": self.location,
            "documents": docs,
            "superseded": c.execute(
                "SELECT count(*) FROM documents WHERE superseded_by IS NOT NULL"
            ).fetchone()[0],
            "paragraphs": paras,
            "stories": c.execute(
                f"SELECT count(DISTINCT coalesce(cluster_id, id)) {current}"
            ).fetchone()[0],
            "undated": c.execute(f"SELECT count(*) {current} AND published_ts IS NULL").fetchone()[
                0
            ],
            "earliest": first,
            "latest": last,
            "languages": dict(
                c.execute(f"SELECT language, count(*) {current} GROUP BY 1 ORDER BY 2 DESC")
            ),
            "sources": dict(
                c.execute(
                    f"SELECT source_display, count(*) {current} GROUP BY 1 ORDER BY 2 DESC LIMIT 20"
                )
            ),
        }

    # --- search ------------------------------------------------------------

    def lexical_search(
        self, tokens: Sequence[str], flt: DocumentFilter, limit: int
    ) -> list[tuple[str, float]]:
        """BM25 over the segmented index: (doc id, score), best first; any token may match."""
        terms = sorted({t.replace('"', "") for t in tokens if t.replace('"', "")})
        if not terms:
            return []
        match = " OR ".join(f'"{t}"' for t in terms)
        where, args = self._where(flt, alias="d.")
        # Title words count double: chosen on cmrc2018 (nDCG@10 0.01 above equal weights).
        rows = self.conn.execute(
            "SELECT d.id, bm25(doc_fts, 2.0, 1.0) AS s FROM doc_fts"
            " JOIN documents d ON d.rowid = doc_fts.rowid"
            f" WHERE doc_fts MATCH ? AND {where} ORDER BY s LIMIT ?",
            (match, *args, limit),
        ).fetchall()
        return [(r[0], -float(r[1])) for r in rows]

    def document_frequencies(self, tokens: Sequence[str]) -> tuple[int, dict[str, int]]:
        """The number of indexed documents, and in how many each token occurs."""
        total = self._indexed_count()
        out: dict[str, int] = {}
        words = {t for t in tokens if t.replace('"', "")}
        # Han words are stored as they are: one lookup in the vocabulary table.
        # Latin words are stemmed by the index (porter), so ask the index itself.
        plain = sorted(w for w in words if not w.isascii())
        if plain:
            marks = ",".join("?" * len(plain))
            out.update(
                self.conn.execute(
                    f"SELECT term, doc FROM doc_vocab WHERE term IN ({marks})", plain
                ).fetchall()
            )
        for w in words - set(plain):
            term = w.replace('"', "")
            out[w] = int(
                self.conn.execute(
                    "SELECT count(*) FROM doc_fts WHERE doc_fts MATCH ?", (f'"{term}"',)
                ).fetchone()[0]
            )
        return total, {w: int(out.get(w, 0)) for w in words}

    def _version(self) -> tuple[int, int]:
        """Changes whenever this connection or another one commits."""
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0]), self._commits

    def _indexed_count(self) -> int:
        # Counting an FTS5 table scans it (30 ms at 20k documents): count once per version.
        if self.shared is not None:
            return self.shared.indexed_count()
        version = self._version()
        if self._count is None or self._count[0] != version:
            total = int(self.conn.execute("SELECT count(*) FROM doc_fts").fetchone()[0])
            self._count = (version, total)
        return self._count[1]

    def vectors(self, model: str) -> tuple[list[str], npt.NDArray[np.float32]]:
        """Ids and vectors (one row each) of every current document embedded by ``model``."""
        if self.shared is not None:
            return self.shared.vectors(model)
        # Reloaded only after a write: ours, or another connection's (data_version).
        key = (model, *self._version())
        if self._vectors is None or self._vectors[0] != key:
            ids: list[str] = []
            blobs: list[bytes] = []
            for doc_id, blob in self.conn.execute(
                "SELECT e.doc_id, e.vector FROM embeddings e JOIN documents d ON d.id = e.doc_id"
                " WHERE e.model = ? AND d.superseded_by IS NULL ORDER BY e.doc_id",
                (model,),
            ):
                ids.append(doc_id)
                blobs.append(blob)
            matrix = (
                np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(ids), -1)
                if blobs
                else np.zeros((0, 0), dtype=np.float32)
            )
            self._vectors = (key, ids, matrix)
        return self._vectors[1], self._vectors[2]

    def filtered_ids(self, flt: DocumentFilter) -> set[str]:
        """Ids of current documents that pass a filter (for filtering dense results)."""
        where, args = self._where(flt)
        return {r[0] for r in self.conn.execute(f"SELECT id FROM documents WHERE {where}", args)}

    def unindexed_ids(self, model: str | None) -> list[str]:
        """Current documents missing from the lexical index or lacking a ``model`` vector."""
        rows = self.conn.execute(
            "SELECT d.id FROM documents d LEFT JOIN doc_fts f ON f.rowid = d.rowid"
            " LEFT JOIN embeddings e ON e.doc_id = d.id AND e.model = ?"
            " WHERE d.superseded_by IS NULL AND (f.rowid IS NULL OR (? AND e.doc_id IS NULL))"
            " ORDER BY d.id",
            (model or "", model is not None),
        )
        return [r[0] for r in rows]

    def languages(self, doc_ids: Sequence[str]) -> dict[str, str]:
        """The language of each of these documents."""
        sql = "SELECT id, language FROM documents WHERE id IN ({})"
        return {r[0]: r[1] for r in self._rows_in(sql, doc_ids)}

    def all_ids(self) -> list[str]:
        """Ids of every current document."""
        rows = self.conn.execute("SELECT id FROM documents WHERE superseded_by IS NULL ORDER BY id")
        return [r[0] for r in rows]

    def get_many(self, doc_ids: Sequence[str]) -> list[Document]:
        """Documents by exact id, in the order given (unknown ids are left out)."""
        rows = list(
            self._rows_in(f"SELECT {DOC_COLUMNS} FROM documents WHERE id IN ({{}})", doc_ids)
        )
        found = {d.id: d for d in self._documents(rows)}
        return [found[i] for i in doc_ids if i in found]

    # --- dedup -------------------------------------------------------------

    def cluster_of_body(self, body_hash: str) -> str | None:
        """The cluster of a current document with exactly this normalized body."""
        row = self.conn.execute(
            "SELECT x.cluster_id FROM dedup x JOIN documents d ON d.id = x.doc_id"
            " WHERE x.body_hash = ? AND d.superseded_by IS NULL LIMIT 1",
            (body_hash,),
        ).fetchone()
        return str(row[0]) if row else None

    def lsh_candidates(self, bands: Sequence[int], limit: int) -> list[str]:
        """Current documents sharing at least one LSH band key, most shared first."""
        # One primary-key lookup per band (a row-value IN list made SQLite scan the table).
        lookups = " UNION ALL ".join(
            "SELECT doc_id FROM lsh WHERE band = ? AND key = ?" for _ in bands
        )
        args: list[int] = [v for pair in enumerate(bands) for v in pair]
        rows = self.conn.execute(
            f"SELECT c.doc_id, count(*) AS n FROM ({lookups}) c JOIN documents d ON d.id = c.doc_id"
            " WHERE d.superseded_by IS NULL GROUP BY c.doc_id ORDER BY n DESC, c.doc_id LIMIT ?",
            (*args, limit),
        ).fetchall()
        return [r[0] for r in rows]

    def cluster_id_of(self, doc_id: str) -> str | None:
        """The cluster a document belongs to."""
        row = self.conn.execute(
            "SELECT cluster_id FROM dedup WHERE doc_id = ?", (doc_id,)
        ).fetchone()
        return str(row[0]) if row else None

    def save_clusters(self, assignments: Sequence[Any]) -> None:
        """Store cluster assignments and refresh the canonical member and size of each cluster."""
        touched: set[str] = set()
        with self.transaction() as c:
            for a in assignments:
                old = c.execute(
                    "SELECT cluster_id FROM dedup WHERE doc_id = ?", (a.doc_id,)
                ).fetchone()
                if old:
                    touched.add(old[0])
                # A document's bands depend on its immutable text alone, so a
                # re-clustered document re-inserts exactly the rows it had.
                c.execute(
                    "INSERT OR REPLACE INTO dedup (doc_id, body_hash, cluster_id, reason)"
                    " VALUES (?, ?, ?, ?)",
                    (a.doc_id, a.body_hash, a.cluster_id, a.reason),
                )
                c.executemany(
                    "INSERT OR IGNORE INTO lsh (band, key, doc_id) VALUES (?, ?, ?)",
                    [(b, key, a.doc_id) for b, key in enumerate(a.bands)],
                )
                c.execute(
                    "UPDATE documents SET cluster_id = ? WHERE id = ?", (a.cluster_id, a.doc_id)
                )
                touched.add(a.cluster_id)
            for cluster in touched:
                self._refresh_cluster(c, cluster)

    @staticmethod
    def _refresh_cluster(c: sqlite3.Connection, cluster: str) -> None:
        members = c.execute(
            "SELECT d.id FROM documents d WHERE d.cluster_id = ? AND d.superseded_by IS NULL"
            " ORDER BY d.published_ts IS NULL, d.published_ts,"
            " (SELECT sum(length(text)) FROM paragraphs p WHERE p.doc_id = d.id) DESC, d.id",
            (cluster,),
        ).fetchall()
        if not members:
            c.execute("DELETE FROM clusters WHERE id = ?", (cluster,))
            return
        c.execute(
            "INSERT OR REPLACE INTO clusters (id, canonical_id, size) VALUES (?, ?, ?)",
            (cluster, members[0][0], len(members)),
        )

    def unclustered_ids(self) -> list[str]:
        """Current documents that belong to no cluster yet."""
        rows = self.conn.execute(
            "SELECT d.id FROM documents d LEFT JOIN dedup x ON x.doc_id = d.id"
            " WHERE d.superseded_by IS NULL AND x.doc_id IS NULL"
            " ORDER BY d.published_ts IS NULL, d.published_ts, d.id"
        )
        return [r[0] for r in rows]

    def reset_clusters(self) -> None:
        """Forget every cluster (before ``newsdesk dedup --rebuild``)."""
        with self.transaction() as c:
            for table in ("dedup", "lsh", "clusters"):
                c.execute(f"DELETE FROM {table}")
            c.execute("UPDATE documents SET cluster_id = NULL")

    def cluster_members(self, cluster_id: str) -> list[Document]:
        """Current members of a cluster, the canonical one first, then by publish time."""
        canonical = self.conn.execute(
            "SELECT canonical_id FROM clusters WHERE id = ?", (cluster_id,)
        ).fetchone()
        rows = self.conn.execute(
            f"SELECT {DOC_COLUMNS} FROM documents WHERE cluster_id = ? AND superseded_by IS NULL"
            " ORDER BY id = ? DESC, published_ts IS NULL, published_ts, id",
            (cluster_id, canonical[0] if canonical else ""),
        ).fetchall()
        return self._documents(rows)

    def cluster_sizes(self, cluster_ids: Sequence[str]) -> dict[str, tuple[str, int]]:
        """(canonical id, size) of each of these clusters."""
        sql = "SELECT id, canonical_id, size FROM clusters WHERE id IN ({})"
        return {
            cid: (canonical, int(size)) for cid, canonical, size in self._rows_in(sql, cluster_ids)
        }

    # --- summaries ---------------------------------------------------------

    def get_summary(
        self, doc_id: str, backend: str, model: str, prompt_version: str, language: str
    ) -> dict[str, Any] | None:
        """A cached summary (as stored JSON), or None."""
        row = self.conn.execute(
            "SELECT summary FROM summaries WHERE doc_id = ? AND backend = ? AND model = ?"
            " AND prompt_version = ? AND language = ?",
            (doc_id, backend, model, prompt_version, language),
        ).fetchone()
        return dict(json.loads(row[0])) if row else None

    def get_translation(self, translator: str, query: str) -> str | None:
        """A cached query translation (as stored JSON), or None."""
        row = self.conn.execute(
            "SELECT translation FROM query_translations WHERE translator = ? AND query = ?",
            (translator, query),
        ).fetchone()
        return str(row[0]) if row else None

    def save_translation(self, translator: str, query: str, translation: str) -> None:
        """Cache a query's translation (JSON) under (translator, query)."""
        with self.transaction() as c:
            c.execute(
                "INSERT OR REPLACE INTO query_translations (translator, query, translation,"
                " created_at) VALUES (?, ?, ?, ?)",
                (translator, query, translation, datetime.now(UTC).isoformat()),
            )

    def save_summary(self, summary: dict[str, Any]) -> None:
        """Cache a summary under (document, backend, model, prompt version, language)."""
        with self.transaction() as c:
            c.execute(
                "INSERT OR REPLACE INTO summaries (doc_id, backend, model, prompt_version,"
                " language, summary, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    summary["doc_id"],
                    summary["backend"],
                    summary["model"],
                    summary["prompt_version"],
                    summary.get("cache_language", summary["language"]),
                    json.dumps(summary, ensure_ascii=False),
                    summary["created_at"],
                ),
            )

    # --- runs --------------------------------------------------------------

    def start_run(self, topic: str) -> int:
        """Record the start of a topic run (its lock); TopicBusy while a live run holds it.

        Runs of the topic whose process is gone are ended as failed first.
        """
        self.end_orphaned_runs(topic)
        owner = owners.new_owner()
        try:
            with self.transaction() as c:
                busy = c.execute(
                    "SELECT id, owner FROM runs WHERE topic = ? AND status = 'running'", (topic,)
                ).fetchone()
                if busy:
                    raise TopicBusy(busy_message(topic, int(busy[0]), busy[1]))
                cur = c.execute(
                    "INSERT INTO runs (topic, started_at, status, owner)"
                    " VALUES (?, ?, 'running', ?)",
                    (topic, datetime.now(UTC).isoformat(), owner),
                )
                run_id = int(cur.lastrowid or 0)
        except BaseException:
            owners.release(owner)
            raise
        self._owners[run_id] = owner
        return run_id

    def end_orphaned_runs(self, topic: str | None = None) -> int:
        """End as failed the running runs (of ``topic``, or all) whose process is gone."""
        where, args = ("AND topic = ?", [topic]) if topic else ("", [])
        rows = self.conn.execute(
            f"SELECT id, owner FROM runs WHERE status = 'running' {where}", args
        ).fetchall()
        dead = [(int(i), o) for i, o in rows if owners.alive(o) is False]
        if dead:
            with self.transaction() as c:
                c.executemany(
                    "UPDATE runs SET status = 'failed', finished_at = ?, message = ?"
                    " WHERE id = ? AND status = 'running'",
                    [(datetime.now(UTC).isoformat(), orphan_message(o), i) for i, o in dead],
                )
        return len(dead)

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
        owners.release(self._owners.pop(run_id, None))
        with self.transaction() as c:
            c.execute(
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

    def runs(self, topic: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
        """Past runs, newest first (of one topic, or of all), without their digests."""
        where, args = ("WHERE topic = ?", [topic]) if topic else ("", [])
        rows = self.conn.execute(
            f"SELECT {', '.join(RUN_COLUMNS)} FROM runs {where} ORDER BY id DESC LIMIT ?",
            (*args, limit),
        ).fetchall()
        return [run_from_row(row) for row in rows]

    def run(self, run_id: int) -> dict[str, Any]:
        """One run with its digest (``{}`` for a run that wrote none)."""
        row = self.conn.execute(
            f"SELECT {', '.join(RUN_COLUMNS)}, digest FROM runs WHERE id = ?", (run_id,)
        ).fetchone()
        if row is None:
            raise NotFound(f"no run {run_id} in {self.location}; `newsdesk runs` lists them")
        out = run_from_row(row[:-1])
        out["digest"] = json.loads(row[-1]) if row[-1] else {}
        return out

    def current_versions(self, doc_ids: Sequence[str]) -> dict[str, str]:
        """The current version of each document (itself when it was never superseded)."""

        def superseded_by(doc_id: str) -> str | None:
            sql = "SELECT superseded_by FROM documents WHERE id = ?"
            row = self.conn.execute(sql, (doc_id,)).fetchone()
            return row[0] if row else None

        return latest_versions(doc_ids, superseded_by)

    # --- the alert outbox --------------------------------------------------

    def enqueue_alerts(self, items: Sequence[tuple[Alert, str]]) -> int:
        """Put (alert, channel) pairs in the outbox; a key already there is skipped."""
        now = datetime.now(UTC).timestamp()
        with self.transaction() as c:
            before = c.total_changes
            c.executemany(
                "INSERT OR IGNORE INTO alerts (key, topic, rule, channel, payload, created_at,"
                " next_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [alert_row(a, ch, now) for a, ch in items],
            )
            return c.total_changes - before

    def claim_alerts(self, now: float, lease: float, limit: int = 100) -> list[Delivery]:
        """Pending deliveries due by ``now``, held for ``lease`` seconds from other senders."""
        with self.transaction() as c:
            rows = c.execute(
                f"SELECT {DELIVERY_COLUMNS} FROM alerts WHERE status = 'pending' AND next_at <= ?"
                " ORDER BY id LIMIT ?",
                (now, limit),
            ).fetchall()
            c.executemany(
                "UPDATE alerts SET next_at = ? WHERE id = ?", [(now + lease, r[0]) for r in rows]
            )
        return [delivery_from_row(r) for r in rows]

    def record_delivery(self, delivery_id: int, status: str, error: str, next_at: float) -> None:
        """One attempt's outcome: sent, pending (retried from ``next_at``) or failed."""
        sent = datetime.now(UTC).isoformat() if status == "sent" else None
        with self.transaction() as c:
            c.execute(
                "UPDATE alerts SET status = ?, error = ?, next_at = ?, attempts = attempts + 1,"
                " sent_at = coalesce(?, sent_at) WHERE id = ?",
                (status, error, next_at, sent, delivery_id),
            )

    def deliveries(self, status: str | None = None, limit: int = 100) -> list[Delivery]:
        """The delivery log, newest first (of one status, or all)."""
        where, args = ("WHERE status = ?", [status]) if status else ("", [])
        rows = self.conn.execute(
            f"SELECT {DELIVERY_COLUMNS} FROM alerts {where} ORDER BY id DESC LIMIT ?",
            (*args, limit),
        ).fetchall()
        return [delivery_from_row(r) for r in rows]

    def retry_failed(self) -> int:
        """Put failed deliveries back in the queue; returns how many."""
        with self.transaction() as c:
            cur = c.execute(
                "UPDATE alerts SET status = 'pending', next_at = 0 WHERE status = 'failed'"
            )
            return cur.rowcount

    def check(self) -> list[str]:
        """Integrity problems: SQLite's own check, and documents missing paragraphs."""
        problems = [r[0] for r in self.conn.execute("PRAGMA integrity_check") if r[0] != "ok"]
        for doc_id, expected, found in self.conn.execute(
            "SELECT d.id, d.n_paragraphs, count(p.n) FROM documents d"
            " LEFT JOIN paragraphs p ON p.doc_id = d.id GROUP BY d.id"
            " HAVING count(p.n) != d.n_paragraphs OR max(p.n) != d.n_paragraphs"
        ):
            problems.append(f"document {doc_id}: {found} paragraphs stored, {expected} expected")
        return problems

    # --- copying a whole store (newsdesk migrate) ----------------------------

    def export_rows(self, table: str) -> Iterator[tuple[Any, ...]]:
        """Every row of ``table`` (a key of TABLES) in its neutral shape."""
        if table == "search_index":
            sql = (
                "SELECT d.id, f.title, f.body FROM doc_fts f"
                " JOIN documents d ON d.rowid = f.rowid ORDER BY d.id"
            )
        else:
            sql = f"SELECT {', '.join(TABLES[table])} FROM {table} ORDER BY 1"
        yield from self.conn.execute(sql)

    def import_rows(self, table: str, rows: Iterable[tuple[Any, ...]]) -> int:
        """Insert rows exported from another store (kept where present); returns how many."""
        cols = TABLES[table]
        n = 0
        with self.transaction() as c:
            if table == "search_index":
                for doc_id, title, body in rows:
                    rowid = c.execute("SELECT rowid FROM documents WHERE id = ?", (doc_id,))
                    row = rowid.fetchone()
                    if row:
                        c.execute("DELETE FROM doc_fts WHERE rowid = ?", (row[0],))
                        c.execute(
                            "INSERT INTO doc_fts (rowid, title, body) VALUES (?, ?, ?)",
                            (row[0], title, body),
                        )
                        n += 1
                return n
            later: list[tuple[str, str]] = []
            marks = ", ".join("?" * len(cols))
            for row in rows:
                if table == "documents" and row[-1] is not None:  # superseded_by: after all
                    later.append((row[-1], row[0]))
                    row = (*row[:-1], None)
                c.execute(
                    f"INSERT OR IGNORE INTO {table} ({', '.join(cols)}) VALUES ({marks})", row
                )
                n += 1
            c.executemany("UPDATE documents SET superseded_by = ? WHERE id = ?", later)
        self._vectors = None
        return n

    def count_rows(self, table: str) -> int:
        """How many rows ``table`` holds."""
        name = "doc_fts" if table == "search_index" else table
        return int(self.conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0])

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()
