"""The server store: PostgreSQL with pgvector, for several writers and machines.

Chosen by a ``postgresql://`` URL in ``--db`` or ``NEWSDESK_DB``. The schema
mirrors the SQLite store's; what differs:

- Full text: a ``tsvector`` of the jieba tokens with the ``simple``
  configuration (title weight A, body weight B) and a GIN index. PostgreSQL's
  own parsers would keep a run of Chinese as one token; the tokens arrive
  segmented, separated by spaces, so each jieba word is one lexeme. Ranking is
  BM25 as in SQLite's FTS5, computed from the tsvector (no stemming: FTS5
  stems English words with Porter, so English morphology can rank apart).
- Vectors: pgvector, with an HNSW index (cosine) per dimension. A filtered
  query over-fetches from the index (``hnsw.ef_search`` raised) and, when the
  filter leaves fewer hits than asked, falls back to an exact scan of the
  allowed rows, so a filter never returns fewer hits than exist.
- Several writers: inserts are upserts (``ON CONFLICT``), every write is one
  transaction, and a run holds its topic's advisory lock (session-level) from
  ``start_run`` to ``finish_run``, so one topic never runs twice across
  machines and a killed run's lock goes with its session.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from newsdesk.errors import ConfigError, NotFound, StoreError, StoreFull, TopicBusy
from newsdesk.model import Alert, Delivery, Document, IndexEntry, Outcome
from newsdesk.store import owners
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

MIGRATIONS: list[tuple[str, str]] = [
    (
        "m001_documents",
        """
        CREATE TABLE documents (
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            source TEXT NOT NULL,
            source_display TEXT NOT NULL,
            published_at TEXT,
            published_ts DOUBLE PRECISION,
            language TEXT NOT NULL,
            url TEXT,
            fetched_at TEXT NOT NULL,
            n_paragraphs INTEGER NOT NULL,
            cluster_id TEXT,
            superseded_by TEXT REFERENCES documents(id),
            body_chars INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX documents_published ON documents(published_ts DESC);
        CREATE INDEX documents_source ON documents(source);
        CREATE INDEX documents_cluster ON documents(cluster_id);
        CREATE TABLE paragraphs (
            doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            n INTEGER NOT NULL,
            text TEXT NOT NULL,
            PRIMARY KEY (doc_id, n)
        );
        CREATE FUNCTION paragraphs_immutable() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION 'stored paragraphs are immutable: citations refer to them';
        END $$ LANGUAGE plpgsql;
        CREATE TRIGGER paragraphs_immutable BEFORE UPDATE ON paragraphs
            FOR EACH ROW EXECUTE FUNCTION paragraphs_immutable();
        CREATE TABLE origins (
            origin TEXT PRIMARY KEY,
            doc_id TEXT NOT NULL REFERENCES documents(id)
        );
        CREATE INDEX origins_doc ON origins(doc_id);
        CREATE TABLE http_cache (
            url TEXT PRIMARY KEY,
            etag TEXT,
            last_modified TEXT,
            fetched_at TEXT NOT NULL
        );
        """,
    ),
    (
        "m002_search_index",
        """
        CREATE EXTENSION IF NOT EXISTS vector;
        CREATE TABLE doc_fts (
            doc_id TEXT PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
            title_tokens TEXT NOT NULL,   -- the segmented words, kept for copying the store
            body_tokens TEXT NOT NULL,
            n_tokens INTEGER NOT NULL,    -- document length for BM25
            tsv TSVECTOR NOT NULL
        );
        CREATE INDEX doc_fts_gin ON doc_fts USING gin(tsv);
        CREATE TABLE embeddings (
            doc_id TEXT PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
            model TEXT NOT NULL,
            dim INTEGER NOT NULL,
            vector vector NOT NULL
        );
        CREATE INDEX embeddings_model ON embeddings(model);
        """,
    ),
    (
        "m003_dedup",
        """
        CREATE TABLE dedup (
            doc_id TEXT PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
            body_hash TEXT NOT NULL,
            cluster_id TEXT NOT NULL,
            reason TEXT NOT NULL
        );
        CREATE INDEX dedup_hash ON dedup(body_hash);
        CREATE INDEX dedup_cluster ON dedup(cluster_id);
        CREATE TABLE lsh (
            band INTEGER NOT NULL,
            key BIGINT NOT NULL,
            doc_id TEXT NOT NULL,
            PRIMARY KEY (band, key, doc_id)
        );
        CREATE TABLE clusters (
            id TEXT PRIMARY KEY,
            canonical_id TEXT NOT NULL,
            size INTEGER NOT NULL
        );
        """,
    ),
    (
        "m004_summaries_and_runs",
        """
        CREATE TABLE summaries (
            doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            backend TEXT NOT NULL,
            model TEXT NOT NULL,
            prompt_version TEXT NOT NULL,
            language TEXT NOT NULL,
            summary TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (doc_id, backend, model, prompt_version, language)
        );
        CREATE TABLE runs (
            id BIGSERIAL PRIMARY KEY,
            topic TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,
            items TEXT NOT NULL DEFAULT '[]',
            new_items TEXT NOT NULL DEFAULT '[]',
            summarized INTEGER NOT NULL DEFAULT 0,
            message TEXT NOT NULL DEFAULT '',
            digest TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX runs_topic ON runs(topic, id);
        """,
    ),
    (
        # The process that runs a run (store/owners.py); the topic's advisory
        # lock, held by that process's session, says whether it still lives.
        "m009_run_owner",
        """
        ALTER TABLE runs ADD COLUMN owner TEXT NOT NULL DEFAULT '';
        CREATE INDEX runs_running ON runs(topic) WHERE status = 'running';
        """,
    ),
    (
        "m011a_alert_outbox",
        """
        CREATE TABLE alerts (
            id BIGSERIAL PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            topic TEXT NOT NULL,
            rule TEXT NOT NULL,
            channel TEXT NOT NULL,
            payload TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0,
            error TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            next_at DOUBLE PRECISION NOT NULL,
            sent_at TEXT
        );
        CREATE INDEX alerts_due ON alerts(status, next_at);
        """,
    ),
    (
        "m010_query_translations",
        """
        CREATE TABLE query_translations (
            translator TEXT NOT NULL,
            query TEXT NOT NULL,
            translation TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (translator, query)
        );
        """,
    ),
]


def _topic_key(topic: str) -> int:
    """The advisory lock key of a topic (a signed 64-bit integer)."""
    return zlib.crc32(f"topic:{topic}".encode()) - (1 << 31)


def _vector_text(vector: npt.NDArray[np.float32]) -> str:
    return "[" + ",".join(f"{float(x):.7g}" for x in vector) + "]"


def _searchable(tokens: Iterable[str]) -> set[str]:
    """The tokens that leave a tsquery operand once quotes and backslashes are gone."""
    return {t for t in tokens if t.replace("'", "").replace("\\", "").strip()}


def _tsquery_term(token: str) -> str:
    """One token as a quoted tsquery operand ('' doubles a quote)."""
    return "'" + token.replace("\\", "").replace("'", "''") + "'"


class PostgresStore:
    """The Store protocol on PostgreSQL (psycopg 3) with pgvector."""

    def __init__(self, location: str, conn: Any = None) -> None:
        """Connect to ``location`` and migrate, or use ``conn`` (a pooled, migrated one)."""
        try:
            import psycopg
        except ImportError as e:  # pragma: no cover - psycopg is a dependency
            raise ConfigError("the PostgreSQL store needs psycopg: pip install psycopg") from e
        self.location = location
        self._indexed_dims: set[int] = set()
        self._owners: dict[int, tuple[str, str]] = {}  # run id -> (owner, topic), runs begun here
        if conn is not None:
            self.conn = conn
            return
        try:
            self.conn = psycopg.connect(location, autocommit=True)
        except psycopg.Error as e:
            raise StoreError(f"--db {_redacted(location)}: cannot connect: {e}") from e
        self._migrate()

    # --- plumbing ----------------------------------------------------------

    def _migrate(self) -> None:
        """Apply the migrations not yet recorded, under an advisory lock (one process at a time)."""
        with self.conn.transaction():
            self.conn.execute("SELECT pg_advisory_xact_lock(7411)")
            self.conn.execute(
                "CREATE TABLE IF NOT EXISTS _migrations"
                " (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
            done = {r[0] for r in self.conn.execute("SELECT name FROM _migrations")}
            for name, sql in MIGRATIONS:
                if name in done:
                    continue
                self.conn.execute(sql)
                self.conn.execute(
                    "INSERT INTO _migrations (name, applied_at) VALUES (%s, %s)",
                    (name, datetime.now(UTC).isoformat()),
                )

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """One transaction, rolled back on any error; a full disk is ``StoreFull``."""
        import psycopg

        try:
            with self.conn.transaction():
                yield self.conn
        except psycopg.errors.DiskFull as e:
            raise StoreFull(
                f"--db {_redacted(self.location)}: the database server is out of space ({e}); "
                "nothing of the batch in progress was stored: free some space and run the same "
                "command again"
            ) from e

    def _all(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self.conn.execute(sql, args).fetchall())

    def _one(self, sql: str, args: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        row = self.conn.execute(sql, args).fetchone()
        return tuple(row) if row is not None else None

    def _try_topic_lock(self, topic: str) -> bool:
        """Take the topic's session-level advisory lock (released with the session)."""
        row = self._one("SELECT pg_try_advisory_lock(%s)", (_topic_key(topic),))
        return bool(row and row[0])

    def _topic_unlock(self, topic: str) -> None:
        self.conn.execute("SELECT pg_advisory_unlock(%s)", (_topic_key(topic),))

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

    def _add(self, c: Any, doc: Document, origin: str | None) -> Outcome:
        previous = None
        if origin is not None:
            row = c.execute(
                "SELECT doc_id FROM origins WHERE origin = %s FOR UPDATE", (origin,)
            ).fetchone()
            previous = row[0] if row else None
        published = doc.published_at
        inserted = c.execute(
            "INSERT INTO documents (id, title, source, source_display, published_at, published_ts,"
            " language, url, fetched_at, n_paragraphs, cluster_id, body_chars)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (id) DO NOTHING",
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
                sum(len(p) for p in doc.paragraphs),
            ),
        ).rowcount
        if not inserted:  # stored already (by us earlier, or by another writer)
            if origin is not None and previous is None:
                c.execute(
                    "INSERT INTO origins (origin, doc_id) VALUES (%s, %s)"
                    " ON CONFLICT (origin) DO NOTHING",
                    (origin, doc.id),
                )
            return Outcome.DUPLICATE
        with c.cursor() as cur:
            cur.executemany(
                "INSERT INTO paragraphs (doc_id, n, text) VALUES (%s, %s, %s)",
                [(doc.id, n, text) for n, text in enumerate(doc.paragraphs, start=1)],
            )
        if origin is None:
            return Outcome.ADDED
        if previous is None:
            c.execute(
                "INSERT INTO origins (origin, doc_id) VALUES (%s, %s)"
                " ON CONFLICT (origin) DO UPDATE SET doc_id = excluded.doc_id",
                (origin, doc.id),
            )
            return Outcome.ADDED
        c.execute("UPDATE origins SET doc_id = %s WHERE origin = %s", (doc.id, origin))
        c.execute("UPDATE documents SET superseded_by = %s WHERE id = %s", (doc.id, previous))
        c.execute("DELETE FROM doc_fts WHERE doc_id = %s", (previous,))
        return Outcome.UPDATED

    def existing_ids(self, doc_ids: Iterable[str]) -> set[str]:
        """Which of these ids are stored already."""
        ids = list(dict.fromkeys(doc_ids))
        return {r[0] for r in self._all("SELECT id FROM documents WHERE id = ANY(%s)", (ids,))}

    def save_index(self, entries: Iterable[IndexEntry]) -> int:
        """(Re)write the index entries of stored documents; returns how many."""
        n = 0
        with self.transaction() as c:
            for entry in entries:
                self._index(c, entry)
                n += 1
        return n

    def _index(self, c: Any, entry: IndexEntry) -> None:
        row = c.execute(
            "SELECT superseded_by FROM documents WHERE id = %s", (entry.doc_id,)
        ).fetchone()
        if row is None:
            return
        if row[0] is None:  # superseded versions stay readable but are not searched
            self._save_tokens(c, entry.doc_id, entry.title_tokens, entry.body_tokens)
        if entry.vector is not None and entry.model:
            vector = np.frombuffer(entry.vector, dtype=np.float32)
            self._ensure_vector_index(c, len(vector))
            c.execute(
                "INSERT INTO embeddings (doc_id, model, dim, vector) VALUES (%s, %s, %s, %s)"
                " ON CONFLICT (doc_id) DO UPDATE"
                " SET model = excluded.model, dim = excluded.dim, vector = excluded.vector",
                (entry.doc_id, entry.model, len(vector), _vector_text(vector)),
            )

    @staticmethod
    def _save_tokens(c: Any, doc_id: str, title: str, body: str) -> None:
        c.execute(
            "INSERT INTO doc_fts (doc_id, title_tokens, body_tokens, n_tokens, tsv)"
            " VALUES (%s, %s, %s, %s, setweight(to_tsvector('simple', %s), 'A')"
            " || setweight(to_tsvector('simple', %s), 'B'))"
            " ON CONFLICT (doc_id) DO UPDATE SET title_tokens = excluded.title_tokens,"
            " body_tokens = excluded.body_tokens, n_tokens = excluded.n_tokens,"
            " tsv = excluded.tsv",
            (doc_id, title, body, len(title.split()) + len(body.split()), title, body),
        )

    def _ensure_vector_index(self, c: Any, dim: int) -> None:
        """An HNSW (cosine) index over the vectors of one dimension, created once."""
        if dim in self._indexed_dims:
            return
        c.execute(
            f"CREATE INDEX IF NOT EXISTS embeddings_hnsw_{dim} ON embeddings"
            f" USING hnsw ((vector::vector({dim})) vector_cosine_ops) WHERE dim = {dim}"
        )
        self._indexed_dims.add(dim)

    def save_http_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        """Remember a response's validators for the next conditional GET."""
        with self.transaction() as c:
            c.execute(
                "INSERT INTO http_cache (url, etag, last_modified, fetched_at)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT (url) DO UPDATE SET etag = excluded.etag,"
                " last_modified = excluded.last_modified, fetched_at = excluded.fetched_at",
                (url, etag, last_modified, datetime.now(UTC).isoformat()),
            )

    # --- reads -------------------------------------------------------------

    def http_validators(self, url: str) -> tuple[str | None, str | None]:
        """The (ETag, Last-Modified) of the last successful fetch of ``url``."""
        row = self._one("SELECT etag, last_modified FROM http_cache WHERE url = %s", (url,))
        return (row[0], row[1]) if row else (None, None)

    def get(self, doc_id: str) -> Document:
        """The document with this id or unique id prefix."""
        rows = self._all(
            f"SELECT {DOC_COLUMNS} FROM documents WHERE id >= %s AND id < %s ORDER BY id LIMIT 2",
            (doc_id, doc_id + "\uffff"),
        )
        if not rows or not doc_id:
            raise NotFound(f"no document with id {doc_id!r}; `newsdesk list` shows the ids")
        if len(rows) > 1 and rows[0][0] != doc_id:
            raise NotFound(f"id prefix {doc_id!r} matches several documents; give more of it")
        return self._documents(rows[:1])[0]

    def doc_id_for_origin(self, origin: str) -> str | None:
        """The id of the current document stored under an origin key."""
        row = self._one("SELECT doc_id FROM origins WHERE origin = %s", (origin,))
        return str(row[0]) if row else None

    def list_documents(self, flt: DocumentFilter) -> list[Document]:
        """Current documents, newest first (undated ones last)."""
        where, args = self._where(flt)
        rows = self._all(
            f"SELECT {DOC_COLUMNS} FROM documents WHERE {where}"
            " ORDER BY published_ts IS NULL, published_ts DESC, id LIMIT %s OFFSET %s",
            (*args, flt.limit, flt.offset),
        )
        return self._documents(rows)

    @staticmethod
    def _where(flt: DocumentFilter, alias: str = "") -> tuple[str, list[Any]]:
        return filter_sql(flt, alias, "%s")

    def _documents(self, rows: Sequence[tuple[Any, ...]]) -> list[Document]:
        paras: dict[str, list[str]] = {r[0]: [] for r in rows}
        for doc_id, text in self._all(
            "SELECT doc_id, text FROM paragraphs WHERE doc_id = ANY(%s) ORDER BY doc_id, n",
            (list(paras),),
        ):
            paras[doc_id].append(text)
        return [document_from_row(r, paras[r[0]]) for r in rows]

    def count_documents(self) -> int:
        """How many current documents are stored."""
        row = self._one("SELECT count(*) FROM documents WHERE superseded_by IS NULL")
        return int(row[0]) if row else 0

    def stats(self) -> dict[str, object]:
        """Counts by source and language, paragraph totals and the date range."""
        current = "FROM documents WHERE superseded_by IS NULL"
        row = self._one(
            "SELECT count(*), coalesce(sum(n_paragraphs), 0), min(published_at),"
            f" max(published_at) {current}"
        )
        assert row is not None
        docs, paras, first, last = row

        def scalar(sql: str) -> int:
            r = self._one(sql)
            return int(r[0]) if r else 0

        return {
            "location": _redacted(self.location),
            "documents": int(docs),
            "superseded": scalar("SELECT count(*) FROM documents WHERE superseded_by IS NOT NULL"),
            "paragraphs": int(paras),
            "stories": scalar(f"SELECT count(DISTINCT coalesce(cluster_id, id)) {current}"),
            "undated": scalar(f"SELECT count(*) {current} AND published_ts IS NULL"),
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

    # --- search ------------------------------------------------------------

    def lexical_search(
        self, tokens: Sequence[str], flt: DocumentFilter, limit: int
    ) -> list[tuple[str, float]]:
        """BM25 over the segmented index: (doc id, score), best first; any token may match.

        The same formula as SQLite FTS5's bm25() (k1 1.2, b 0.75, title words
        counting double, IDF over every indexed document), computed from the
        tsvector's positions and weights, so both stores rank alike.
        """
        terms = sorted({t.lower() for t in _searchable(tokens)})
        if not terms:
            return []
        query = " | ".join(_tsquery_term(t) for t in terms)
        where, args = self._where(flt, alias="d.")
        rows = self._all(
            "WITH q AS (SELECT to_tsquery('simple', %s) AS q),"
            " stats AS (SELECT count(*)::float8 AS n, greatest(avg(n_tokens), 1) AS avgdl"
            " FROM doc_fts),"
            " hits AS (SELECT f.doc_id, f.n_tokens, u.lexeme,"
            " 2 * cardinality(array_positions(u.weights, 'A'))"
            " + cardinality(array_positions(u.weights, 'B')) AS tf"
            " FROM doc_fts f, q, unnest(f.tsv) u WHERE f.tsv @@ q.q AND u.lexeme = ANY(%s)),"
            " idf AS (SELECT h.lexeme, greatest(ln((stats.n - count(*) + 0.5)"
            " / (count(*) + 0.5)), 1e-6) AS w FROM hits h, stats GROUP BY h.lexeme, stats.n)"
            " SELECT h.doc_id, sum(idf.w * h.tf * 2.2"
            " / (h.tf + 1.2 * (0.25 + 0.75 * h.n_tokens / stats.avgdl))) AS s"
            " FROM hits h JOIN idf ON idf.lexeme = h.lexeme CROSS JOIN stats"
            f" JOIN documents d ON d.id = h.doc_id WHERE {where}"
            " GROUP BY h.doc_id ORDER BY s DESC, h.doc_id LIMIT %s",
            (query, terms, *args, limit),
        )
        return [(r[0], float(r[1])) for r in rows]

    def document_frequencies(self, tokens: Sequence[str]) -> tuple[int, dict[str, int]]:
        """The number of indexed documents, and in how many each token occurs."""
        row = self._one("SELECT count(*) FROM doc_fts")
        total = int(row[0]) if row else 0
        out: dict[str, int] = {}
        for w in _searchable(tokens):
            r = self._one(
                "SELECT count(*) FROM doc_fts WHERE tsv @@ to_tsquery('simple', %s)",
                (_tsquery_term(w),),
            )
            out[w] = int(r[0]) if r else 0
        return total, {t: out.get(t, 0) for t in tokens}

    def vectors(self, model: str) -> tuple[list[str], npt.NDArray[np.float32]]:
        """Ids and vectors of every current document embedded by ``model``."""
        rows = self._all(
            "SELECT e.doc_id, e.vector::text FROM embeddings e JOIN documents d ON d.id = e.doc_id"
            " WHERE e.model = %s AND d.superseded_by IS NULL ORDER BY e.doc_id",
            (model,),
        )
        if not rows:
            return [], np.zeros((0, 0), dtype=np.float32)
        matrix = np.array([json.loads(r[1]) for r in rows], dtype=np.float32)
        return [r[0] for r in rows], matrix

    def dense_search(
        self,
        query_vector: npt.NDArray[np.float32],
        model: str,
        flt: DocumentFilter | None,
        depth: int,
    ) -> list[tuple[str, float]]:
        """Cosine search in pgvector (HNSW), filtered, never fewer hits than exist."""
        dim = len(query_vector)
        where, args = self._where(flt or DocumentFilter(), alias="d.")
        sql = (
            f"SELECT e.doc_id, 1 - (e.vector::vector({dim}) <=> %s::vector({dim})) AS s"
            " FROM embeddings e JOIN documents d ON d.id = e.doc_id"
            f" WHERE e.dim = {dim} AND e.model = %s AND {where}"
            f" ORDER BY e.vector::vector({dim}) <=> %s::vector({dim}) LIMIT %s"
        )
        qv = _vector_text(query_vector)
        params = (qv, model, *args, qv, depth)
        with self.transaction() as c:
            c.execute(f"SET LOCAL hnsw.ef_search = {max(40, min(1000, depth * 4))}")
            rows = c.execute(sql, params).fetchall()
        if flt is not None and len(rows) < depth:
            # The index hands out its nearest candidates before the filter: a
            # selective filter can leave too few. Scan the allowed rows exactly.
            with self.transaction() as c:
                c.execute("SET LOCAL enable_indexscan = off")
                rows = c.execute(sql, params).fetchall()
        return [(r[0], float(r[1])) for r in rows]

    def filtered_ids(self, flt: DocumentFilter) -> set[str]:
        """Ids of current documents that pass a filter."""
        where, args = self._where(flt)
        return {r[0] for r in self._all(f"SELECT id FROM documents WHERE {where}", args)}

    def unindexed_ids(self, model: str | None) -> list[str]:
        """Current documents missing from the lexical index or lacking a ``model`` vector."""
        rows = self._all(
            "SELECT d.id FROM documents d LEFT JOIN doc_fts f ON f.doc_id = d.id"
            " LEFT JOIN embeddings e ON e.doc_id = d.id AND e.model = %s"
            " WHERE d.superseded_by IS NULL AND (f.doc_id IS NULL OR (%s AND e.doc_id IS NULL))"
            " ORDER BY d.id",
            (model or "", model is not None),
        )
        return [r[0] for r in rows]

    def languages(self, doc_ids: Sequence[str]) -> dict[str, str]:
        """The language of each of these documents."""
        rows = self._all("SELECT id, language FROM documents WHERE id = ANY(%s)", (list(doc_ids),))
        return {r[0]: r[1] for r in rows}

    def all_ids(self) -> list[str]:
        """Ids of every current document."""
        return [
            r[0]
            for r in self._all("SELECT id FROM documents WHERE superseded_by IS NULL ORDER BY id")
        ]

    def get_many(self, doc_ids: Sequence[str]) -> list[Document]:
        """Documents by exact id, in the order given (unknown ids are left out)."""
        rows = self._all(
            f"SELECT {DOC_COLUMNS} FROM documents WHERE id = ANY(%s)", (list(doc_ids),)
        )
        found = {d.id: d for d in self._documents(rows)}
        return [found[i] for i in doc_ids if i in found]

    # --- dedup -------------------------------------------------------------

    def cluster_of_body(self, body_hash: str) -> str | None:
        """The cluster of a current document with exactly this normalized body."""
        row = self._one(
            "SELECT x.cluster_id FROM dedup x JOIN documents d ON d.id = x.doc_id"
            " WHERE x.body_hash = %s AND d.superseded_by IS NULL ORDER BY x.doc_id LIMIT 1",
            (body_hash,),
        )
        return str(row[0]) if row else None

    def lsh_candidates(self, bands: Sequence[int], limit: int) -> list[str]:
        """Current documents sharing at least one LSH band key, most shared first."""
        rows = self._all(
            "SELECT l.doc_id, count(*) AS n FROM lsh l"
            " JOIN unnest(%s::int[], %s::bigint[]) AS q(band, key)"
            " ON l.band = q.band AND l.key = q.key"
            " JOIN documents d ON d.id = l.doc_id WHERE d.superseded_by IS NULL"
            " GROUP BY l.doc_id ORDER BY n DESC, l.doc_id LIMIT %s",
            (list(range(len(bands))), [int(b) for b in bands], limit),
        )
        return [r[0] for r in rows]

    def cluster_id_of(self, doc_id: str) -> str | None:
        """The cluster a document belongs to."""
        row = self._one("SELECT cluster_id FROM dedup WHERE doc_id = %s", (doc_id,))
        return str(row[0]) if row else None

    def save_clusters(self, assignments: Sequence[Any]) -> None:
        """Store cluster assignments and refresh the canonical member and size of each cluster."""
        touched: set[str] = set()
        with self.transaction() as c:
            for a in assignments:
                old = c.execute(
                    "SELECT cluster_id FROM dedup WHERE doc_id = %s", (a.doc_id,)
                ).fetchone()
                if old:
                    touched.add(old[0])
                c.execute(
                    "INSERT INTO dedup (doc_id, body_hash, cluster_id, reason)"
                    " VALUES (%s, %s, %s, %s) ON CONFLICT (doc_id) DO UPDATE SET"
                    " body_hash = excluded.body_hash, cluster_id = excluded.cluster_id,"
                    " reason = excluded.reason",
                    (a.doc_id, a.body_hash, a.cluster_id, a.reason),
                )
                with c.cursor() as cur:
                    cur.executemany(
                        "INSERT INTO lsh (band, key, doc_id) VALUES (%s, %s, %s)"
                        " ON CONFLICT DO NOTHING",
                        [(b, int(key), a.doc_id) for b, key in enumerate(a.bands)],
                    )
                c.execute(
                    "UPDATE documents SET cluster_id = %s WHERE id = %s", (a.cluster_id, a.doc_id)
                )
                touched.add(a.cluster_id)
            for cluster in sorted(touched):
                self._refresh_cluster(c, cluster)

    @staticmethod
    def _refresh_cluster(c: Any, cluster: str) -> None:
        members = c.execute(
            "SELECT id FROM documents WHERE cluster_id = %s AND superseded_by IS NULL"
            " ORDER BY published_ts IS NULL, published_ts, body_chars DESC, id",
            (cluster,),
        ).fetchall()
        if not members:
            c.execute("DELETE FROM clusters WHERE id = %s", (cluster,))
            return
        c.execute(
            "INSERT INTO clusters (id, canonical_id, size) VALUES (%s, %s, %s)"
            " ON CONFLICT (id) DO UPDATE SET canonical_id = excluded.canonical_id,"
            " size = excluded.size",
            (cluster, members[0][0], len(members)),
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
        with self.transaction() as c:
            for table in ("dedup", "lsh", "clusters"):
                c.execute(f"DELETE FROM {table}")
            c.execute("UPDATE documents SET cluster_id = NULL")

    def cluster_members(self, cluster_id: str) -> list[Document]:
        """Current members of a cluster, the canonical one first, then by publish time."""
        canonical = self._one("SELECT canonical_id FROM clusters WHERE id = %s", (cluster_id,))
        rows = self._all(
            f"SELECT {DOC_COLUMNS} FROM documents WHERE cluster_id = %s"
            " AND superseded_by IS NULL"
            " ORDER BY id = %s DESC, published_ts IS NULL, published_ts, id",
            (cluster_id, canonical[0] if canonical else ""),
        )
        return self._documents(rows)

    def cluster_sizes(self, cluster_ids: Sequence[str]) -> dict[str, tuple[str, int]]:
        """(canonical id, size) of each of these clusters."""
        rows = self._all(
            "SELECT id, canonical_id, size FROM clusters WHERE id = ANY(%s)", (list(cluster_ids),)
        )
        return {cid: (canonical, int(size)) for cid, canonical, size in rows}

    # --- summaries ---------------------------------------------------------

    def get_summary(
        self, doc_id: str, backend: str, model: str, prompt_version: str, language: str
    ) -> dict[str, Any] | None:
        """A cached summary (as stored JSON), or None."""
        row = self._one(
            "SELECT summary FROM summaries WHERE doc_id = %s AND backend = %s AND model = %s"
            " AND prompt_version = %s AND language = %s",
            (doc_id, backend, model, prompt_version, language),
        )
        return dict(json.loads(row[0])) if row else None

    def get_translation(self, translator: str, query: str) -> str | None:
        """A cached query translation (as stored JSON), or None."""
        row = self._one(
            "SELECT translation FROM query_translations WHERE translator = %s AND query = %s",
            (translator, query),
        )
        return str(row[0]) if row else None

    def save_translation(self, translator: str, query: str, translation: str) -> None:
        """Cache a query's translation (JSON) under (translator, query)."""
        with self.transaction() as c:
            c.execute(
                "INSERT INTO query_translations (translator, query, translation, created_at)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT (translator, query) DO UPDATE"
                " SET translation = excluded.translation, created_at = excluded.created_at",
                (translator, query, translation, datetime.now(UTC).isoformat()),
            )

    def save_summary(self, summary: dict[str, Any]) -> None:
        """Cache a summary under (document, backend, model, prompt version, language)."""
        with self.transaction() as c:
            c.execute(
                "INSERT INTO summaries (doc_id, backend, model, prompt_version, language,"
                " summary, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (doc_id, backend, model, prompt_version, language) DO UPDATE"
                " SET summary = excluded.summary, created_at = excluded.created_at",
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
        """Record the start of a topic run; TopicBusy while a live run of the topic holds it.

        The run holds the topic's advisory lock until it ends or its session
        does (a killed process loses it), so a running run whose lock is free
        is an orphan: it is ended as failed here.
        """
        if not self._try_topic_lock(topic):
            row = self._one(
                "SELECT id, owner FROM runs WHERE topic = %s AND status = 'running'"
                " ORDER BY id DESC LIMIT 1",
                (topic,),
            )
            run_id, owner = (int(row[0]), str(row[1])) if row else (0, "")
            raise TopicBusy(busy_message(topic, run_id, owner))
        owner = owners.new_owner()
        try:
            with self.conn.transaction():
                rows = self._all(
                    "SELECT id, owner FROM runs WHERE topic = %s AND status = 'running'", (topic,)
                )
                live = [(int(i), o) for i, o in rows if owners.is_live_here(o)]
                if live:  # this session runs it already (the lock is reentrant)
                    raise TopicBusy(busy_message(topic, *live[0]))
                self._end_runs([(int(i), o) for i, o in rows])
                row = self._one(
                    "INSERT INTO runs (topic, started_at, status, owner)"
                    " VALUES (%s, %s, 'running', %s) RETURNING id",
                    (topic, datetime.now(UTC).isoformat(), owner),
                )
        except BaseException:
            owners.release(owner)
            self._topic_unlock(topic)
            raise
        assert row is not None
        self._owners[int(row[0])] = (owner, topic)
        return int(row[0])

    def _end_runs(self, runs: Sequence[tuple[int, str]]) -> None:
        for run_id, owner in runs:
            self.conn.execute(
                "UPDATE runs SET status = 'failed', finished_at = %s, message = %s"
                " WHERE id = %s AND status = 'running'",
                (datetime.now(UTC).isoformat(), orphan_message(owner), run_id),
            )

    def end_orphaned_runs(self, topic: str | None = None) -> int:
        """End as failed the running runs (of ``topic``, or all) whose process is gone."""
        where, args = ("AND topic = %s", [topic]) if topic else ("", [])
        rows = self._all(
            f"SELECT id, topic, owner FROM runs WHERE status = 'running' {where}", args
        )
        ended = 0
        for name in sorted({str(r[1]) for r in rows}):
            mine = [(int(i), str(o)) for i, t, o in rows if t == name]
            if any(owners.is_live_here(o) for _, o in mine) or not self._try_topic_lock(name):
                continue  # its process holds the lock: alive
            try:
                with self.conn.transaction():
                    self._end_runs(mine)
                ended += len(mine)
            finally:
                self._topic_unlock(name)
        return ended

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
        owner, topic = self._owners.pop(run_id, (None, None))
        owners.release(owner)
        try:
            self._finish_run(run_id, status, items, new_items, summarized, message, digest)
        finally:
            if topic is not None:
                self._topic_unlock(topic)

    def _finish_run(
        self,
        run_id: int,
        status: str,
        items: Sequence[str],
        new_items: Sequence[str],
        summarized: int,
        message: str,
        digest: dict[str, Any] | None,
    ) -> None:
        self.conn.execute(
            "UPDATE runs SET finished_at = %s, status = %s, items = %s, new_items = %s,"
            " summarized = %s, message = %s, digest = %s WHERE id = %s",
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
        where, args = ("WHERE topic = %s", [topic]) if topic else ("", [])
        rows = self._all(
            f"SELECT {', '.join(RUN_COLUMNS)} FROM runs {where} ORDER BY id DESC LIMIT %s",
            (*args, limit),
        )
        return [run_from_row(r) for r in rows]

    def run(self, run_id: int) -> dict[str, Any]:
        """One run with its digest (``{}`` for a run that wrote none)."""
        row = self._one(
            f"SELECT {', '.join(RUN_COLUMNS)}, digest FROM runs WHERE id = %s", (run_id,)
        )
        if row is None:
            raise NotFound(f"no run {run_id} in the store; `newsdesk runs` lists them")
        out = run_from_row(row[:-1])
        out["digest"] = json.loads(row[-1]) if row[-1] else {}
        return out

    def current_versions(self, doc_ids: Sequence[str]) -> dict[str, str]:
        """The current version of each document (itself when it was never superseded)."""

        def superseded_by(doc_id: str) -> str | None:
            row = self._one("SELECT superseded_by FROM documents WHERE id = %s", (doc_id,))
            return row[0] if row else None

        return latest_versions(doc_ids, superseded_by)

    # --- the alert outbox --------------------------------------------------

    def enqueue_alerts(self, items: Sequence[tuple[Alert, str]]) -> int:
        """Put (alert, channel) pairs in the outbox; a key already there is skipped."""
        now = datetime.now(UTC).timestamp()
        n = 0
        with self.transaction() as c:
            for alert, channel in items:
                cur = c.execute(
                    "INSERT INTO alerts (key, topic, rule, channel, payload, created_at, next_at)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (key) DO NOTHING",
                    alert_row(alert, channel, now),
                )
                n += cur.rowcount
        return n

    def claim_alerts(self, now: float, lease: float, limit: int = 100) -> list[Delivery]:
        """Pending deliveries due by ``now``, held for ``lease`` seconds from other senders."""
        with self.transaction():
            rows = self._all(
                f"SELECT {DELIVERY_COLUMNS} FROM alerts WHERE status = 'pending' AND next_at <= %s"
                " ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED",
                (now, limit),
            )
            for r in rows:
                self.conn.execute(
                    "UPDATE alerts SET next_at = %s WHERE id = %s", (now + lease, r[0])
                )
        return [delivery_from_row(r) for r in rows]

    def record_delivery(self, delivery_id: int, status: str, error: str, next_at: float) -> None:
        """One attempt's outcome: sent, pending (retried from ``next_at``) or failed."""
        sent = datetime.now(UTC).isoformat() if status == "sent" else None
        self.conn.execute(
            "UPDATE alerts SET status = %s, error = %s, next_at = %s, attempts = attempts + 1,"
            " sent_at = coalesce(%s, sent_at) WHERE id = %s",
            (status, error, next_at, sent, delivery_id),
        )

    def deliveries(self, status: str | None = None, limit: int = 100) -> list[Delivery]:
        """The delivery log, newest first (of one status, or all)."""
        where, args = ("WHERE status = %s", [status]) if status else ("", [])
        rows = self._all(
            f"SELECT {DELIVERY_COLUMNS} FROM alerts {where} ORDER BY id DESC LIMIT %s",
            (*args, limit),
        )
        return [delivery_from_row(r) for r in rows]

    def retry_failed(self) -> int:
        """Put failed deliveries back in the queue; returns how many."""
        cur = self.conn.execute(
            "UPDATE alerts SET status = 'pending', next_at = 0 WHERE status = 'failed'"
        )
        return int(cur.rowcount)

    def check(self) -> list[str]:
        """Documents whose stored paragraphs do not match their count."""
        return [
            f"document {doc_id}: {found} paragraphs stored, {expected} expected"
            for doc_id, expected, found in self._all(
                "SELECT d.id, d.n_paragraphs, count(p.n) FROM documents d"
                " LEFT JOIN paragraphs p ON p.doc_id = d.id GROUP BY d.id"
                " HAVING count(p.n) != d.n_paragraphs OR max(p.n) != d.n_paragraphs"
            )
        ]

    # --- copying a whole store (newsdesk migrate) ----------------------------

    def export_rows(self, table: str) -> Iterator[tuple[Any, ...]]:
        """Every row of ``table`` (a key of TABLES) in its neutral shape."""
        cols = list(TABLES[table])
        name = table
        if table == "search_index":
            name = "doc_fts"
        elif table == "embeddings":
            cols[-1] = "vector::text"
        # A server-side cursor (streamed) lives in a transaction.
        with self.conn.transaction(), self.conn.cursor(name=f"export_{table}") as cur:
            cur.execute(f"SELECT {', '.join(cols)} FROM {name} ORDER BY 1")
            for row in cur:
                if table == "embeddings":
                    vector = np.array(json.loads(row[-1]), dtype=np.float32)
                    yield (*row[:-1], vector.tobytes())
                else:
                    yield tuple(row)

    def import_rows(self, table: str, rows: Iterable[tuple[Any, ...]]) -> int:
        """Insert rows exported from another store (kept where present); returns how many."""
        cols = TABLES[table]
        n = 0
        later: list[tuple[str, str]] = []
        with self.transaction() as c:
            for row in rows:
                n += 1
                if table == "search_index":
                    self._save_tokens(c, *row)
                    continue
                if table == "embeddings":
                    vector = np.frombuffer(row[-1], dtype=np.float32)
                    self._ensure_vector_index(c, len(vector))
                    c.execute(
                        "INSERT INTO embeddings (doc_id, model, dim, vector)"
                        " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                        (row[0], row[1], len(vector), _vector_text(vector)),
                    )
                    continue
                if table == "documents" and row[-1] is not None:  # superseded_by: after all
                    later.append((row[-1], row[0]))
                    row = (*row[:-1], None)
                marks = ", ".join(["%s"] * len(cols))
                c.execute(
                    f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})"
                    " ON CONFLICT DO NOTHING",
                    row,
                )
            if later:
                with c.cursor() as cur:
                    cur.executemany("UPDATE documents SET superseded_by = %s WHERE id = %s", later)
            if table == "paragraphs":
                c.execute(
                    "UPDATE documents d SET body_chars = s.n FROM (SELECT doc_id,"
                    " sum(length(text)) AS n FROM paragraphs GROUP BY doc_id) s"
                    " WHERE d.id = s.doc_id AND d.body_chars = 0"
                )
            if table in ("runs", "alerts"):
                c.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" greatest((SELECT max(id) FROM {table}), 1))"
                )
        return n

    def count_rows(self, table: str) -> int:
        """How many rows ``table`` holds."""
        name = "doc_fts" if table == "search_index" else table
        row = self._one(f"SELECT count(*) FROM {name}")
        return int(row[0]) if row else 0

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()


def _redacted(url: str) -> str:
    """A connection URL without its password."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url
