"""The server store: PostgreSQL with pgvector, for several writers and machines.

Chosen by a ``postgresql://`` URL in ``--db`` or ``NEWSDESK_DB``. The SQL is
``store/sql.py``'s (``?`` placeholders become psycopg's ``%s`` here) and the
schema mirrors the SQLite store's (``store/migrations/``); what differs:

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

import itertools
import json
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from newsdesk.errors import ConfigError, StoreError, StoreFull, TopicBusy
from newsdesk.store import owners
from newsdesk.store.base import DocumentFilter, Row
from newsdesk.store.migrations import postgres as schema
from newsdesk.store.rows import busy_message, filter_sql
from newsdesk.store.sql import SQLStore

if TYPE_CHECKING:
    from psycopg import Connection

_cursors = itertools.count()  # names of server-side cursors


@lru_cache(maxsize=512)
def _pg(sql: str) -> str:
    """A query of ``store/sql.py`` with psycopg's placeholders (no ``%`` in them otherwise)."""
    return sql.replace("?", "%s")


def _topic_key(topic: str) -> int:
    """The advisory lock key of a topic (a signed 64-bit integer)."""
    return zlib.crc32(f"topic:{topic}".encode()) - (1 << 31)


def _vector_text(vector: npt.NDArray[np.float32]) -> str:
    return "[" + ",".join(f"{float(x):.7g}" for x in vector) + "]"


def _searchable(tokens: Iterable[str]) -> set[str]:
    """The tokens that leave a tsquery operand once quotes and backslashes are gone."""
    return {t for t in tokens if t.replace("'", "").replace("\\", "").strip()}


def _tsquery_term(token: str) -> str:
    """One token as a quoted tsquery operand ('' doubles a quote); tokens with a space
    between them are a phrase, side by side ('保障' <-> '房'), as in SQLite's FTS5."""
    parts = [p.replace("\\", "").replace("'", "''") for p in token.split()]
    return " <-> ".join(f"'{p}'" for p in parts if p) or "''"


# BM25 from the tsvector's positions and weights, the formula of SQLite FTS5's
# bm25() (k1 1.2, b 0.75, title words counting double, IDF over every indexed
# document), so both stores rank alike. Arguments: the tsquery, its terms.
_STATS = (
    "WITH q AS (SELECT to_tsquery('simple', ?) AS q),"
    " stats AS (SELECT count(*)::float8 AS n, greatest(avg(n_tokens), 1) AS avgdl"
    " FROM doc_fts),"
    " parts AS (SELECT f.doc_id, f.n_tokens, u.lexeme,"
    " 2 * cardinality(array_positions(u.weights, 'A'))"
    " + cardinality(array_positions(u.weights, 'B')) AS tf"
    " FROM doc_fts f, q, unnest(f.tsv) u WHERE f.tsv @@ q.q AND u.lexeme = ANY(?)),"
)
_IDF = "greatest(ln((stats.n - count(*) + 0.5) / (count(*) + 0.5)), 1e-6) AS w"
_SCORE = "idf.w * h.tf * 2.2 / (h.tf + 1.2 * (0.25 + 0.75 * h.n_tokens / stats.avgdl))"
_BM25 = (
    _STATS + " hits AS (SELECT * FROM parts),"
    f" idf AS (SELECT h.lexeme, {_IDF} FROM hits h, stats GROUP BY h.lexeme, stats.n)"
    f" SELECT h.doc_id, sum({_SCORE}) AS s"
    " FROM hits h JOIN idf ON idf.lexeme = h.lexeme CROSS JOIN stats"
    " JOIN documents d ON d.id = h.doc_id WHERE {where}"
    " GROUP BY h.doc_id ORDER BY s DESC, h.doc_id LIMIT ?"
)
# One phrase ('保障' <-> '房') as one term, as FTS5 scores it: its IDF over the
# documents that hold it, its frequency the least of its words' there (FTS5
# counts the phrase itself; the two differ only where a word also stands alone).
_PHRASE_BM25 = (
    _STATS + " hits AS (SELECT doc_id, n_tokens, min(tf) AS tf FROM parts"
    " GROUP BY doc_id, n_tokens),"
    f" idf AS (SELECT {_IDF} FROM hits, stats GROUP BY stats.n)"
    f" SELECT h.doc_id, {_SCORE} AS s"
    " FROM hits h CROSS JOIN idf CROSS JOIN stats"
    " JOIN documents d ON d.id = h.doc_id WHERE {where}"
)


class PostgresStore(SQLStore):
    """The Store protocol on PostgreSQL (psycopg 3) with pgvector."""

    FTS_JOIN = "f.doc_id = d.id"
    FTS_MISSING = "f.doc_id IS NULL"
    INDEX_ROWS = "SELECT doc_id, title_tokens, body_tokens FROM doc_fts ORDER BY 1"
    BODY_CHARS = "d.body_chars"
    FOR_UPDATE = " FOR UPDATE"
    SKIP_LOCKED = " FOR UPDATE SKIP LOCKED"
    STORES_BODY_CHARS = True

    def __init__(self, location: str, conn: Connection[Row] | None = None) -> None:
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
        schema.apply(self.conn)

    @property
    def shown_location(self) -> str:
        return _redacted(self.location)

    # --- the driver ----------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Connection[Row]]:
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

    def _all(self, sql: str, args: Sequence[object] = ()) -> list[Row]:
        return self.conn.execute(_pg(sql), args).fetchall()

    def _one(self, sql: str, args: Sequence[object] = ()) -> Row | None:
        return self.conn.execute(_pg(sql), args).fetchone()

    def _iter(self, sql: str, args: Sequence[object] = ()) -> Iterator[Row]:
        # A server-side cursor (streamed) lives in a transaction.
        name = f"newsdesk_{next(_cursors)}"
        with self.conn.transaction(), self.conn.cursor(name=name) as cur:
            cur.execute(_pg(sql), args)
            yield from cur

    def _run(self, sql: str, args: Sequence[object] = ()) -> int:
        return self.conn.execute(_pg(sql), args).rowcount

    def _many(self, sql: str, rows: Sequence[Sequence[object]]) -> int:
        if not rows:
            return 0
        with self.conn.cursor() as cur:
            cur.executemany(_pg(sql), rows)
            return cur.rowcount

    def _in(self, sql: str, ids: Iterable[str]) -> Iterator[Row]:
        yield from self._all(sql.replace("{ids}", "= ANY(?)"), (list(dict.fromkeys(ids)),))

    # --- the lexical index and vectors -----------------------------------------

    def _save_tokens(self, doc_id: str, title: str, body: str) -> bool:
        self._run(
            "INSERT INTO doc_fts (doc_id, title_tokens, body_tokens, n_tokens, tsv)"
            " VALUES (?, ?, ?, ?, setweight(to_tsvector('simple', ?), 'A')"
            " || setweight(to_tsvector('simple', ?), 'B'))"
            " ON CONFLICT (doc_id) DO UPDATE SET title_tokens = excluded.title_tokens,"
            " body_tokens = excluded.body_tokens, n_tokens = excluded.n_tokens,"
            " tsv = excluded.tsv",
            (doc_id, title, body, len(title.split()) + len(body.split()), title, body),
        )
        return True

    def _drop_tokens(self, doc_id: str) -> None:
        self._run("DELETE FROM doc_fts WHERE doc_id = ?", (doc_id,))

    def _save_vector(self, doc_id: str, model: str, vector: bytes, replace: bool) -> None:
        values = np.frombuffer(vector, dtype=np.float32)
        self._ensure_vector_index(len(values))
        update = " SET model = excluded.model, dim = excluded.dim, vector = excluded.vector"
        self._run(
            "INSERT INTO embeddings (doc_id, model, dim, vector) VALUES (?, ?, ?, ?)"
            + (
                f" ON CONFLICT (doc_id) DO UPDATE{update}" if replace else " ON CONFLICT DO NOTHING"
            ),
            (doc_id, model, len(values), _vector_text(values)),
        )

    def _ensure_vector_index(self, dim: int) -> None:
        """An HNSW (cosine) index over the vectors of one dimension, created once."""
        if dim in self._indexed_dims:
            return
        self._run(
            f"CREATE INDEX IF NOT EXISTS embeddings_hnsw_{dim} ON embeddings"
            f" USING hnsw ((vector::vector({dim})) vector_cosine_ops) WHERE dim = {dim}"
        )
        self._indexed_dims.add(dim)

    def _export_vectors(self) -> Iterator[Row]:
        for doc_id, model, text in self._iter(
            "SELECT doc_id, model, vector::text FROM embeddings ORDER BY 1"
        ):
            yield doc_id, model, np.array(json.loads(text), dtype=np.float32).tobytes()

    def lexical_search(
        self, tokens: Sequence[str], flt: DocumentFilter, limit: int
    ) -> list[tuple[str, float]]:
        """BM25 over the segmented index: (doc id, score), best first; any token may match."""
        terms = sorted({t.lower() for t in _searchable(tokens)})
        if not terms:
            return []
        where, args = filter_sql(flt, alias="d.")
        words = [t for t in terms if " " not in t]
        phrases = [t for t in terms if " " in t]
        scores: dict[str, float] = {}
        query = " | ".join(_tsquery_term(t) for t in words)
        if words:
            rows = self._all(_BM25.format(where=where), (query, words, *args, limit))
            scores.update((r[0], float(r[1])) for r in rows)
        phrased: dict[str, float] = {}
        for phrase in phrases:
            sql = _PHRASE_BM25.format(where=where)
            for r in self._all(sql, (_tsquery_term(phrase), phrase.split(), *args)):
                phrased[r[0]] = phrased.get(r[0], 0.0) + float(r[1])
        missing = sorted(set(phrased) - set(scores))
        if words and missing:  # their words' part, beyond the first ``limit``
            sql = _BM25.format(where=where + " AND d.id = ANY(?)")
            rows = self._all(sql, (query, words, *args, missing, len(missing)))
            scores.update((r[0], float(r[1])) for r in rows)
        for doc, s in phrased.items():
            scores[doc] = scores.get(doc, 0.0) + s
        return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]

    def document_frequencies(self, tokens: Sequence[str]) -> tuple[int, dict[str, int]]:
        """The number of indexed documents, and in how many each token occurs."""
        total = self._count("SELECT count(*) FROM doc_fts")
        out = {
            w: self._count(
                "SELECT count(*) FROM doc_fts WHERE tsv @@ to_tsquery('simple', ?)",
                (_tsquery_term(w),),
            )
            for w in _searchable(tokens)
        }
        return total, {t: out.get(t, 0) for t in tokens}

    def vectors(self, model: str) -> tuple[list[str], npt.NDArray[np.float32]]:
        """Ids and vectors of every current document embedded by ``model``."""
        rows = self._all(
            "SELECT e.doc_id, e.vector::text FROM embeddings e JOIN documents d ON d.id = e.doc_id"
            " WHERE e.model = ? AND d.superseded_by IS NULL ORDER BY e.doc_id",
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
        where, args = filter_sql(flt or DocumentFilter(), alias="d.")
        sql = (
            f"SELECT e.doc_id, 1 - (e.vector::vector({dim}) <=> ?::vector({dim})) AS s"
            " FROM embeddings e JOIN documents d ON d.id = e.doc_id"
            f" WHERE e.dim = {dim} AND e.model = ? AND {where}"
            f" ORDER BY e.vector::vector({dim}) <=> ?::vector({dim}) LIMIT ?"
        )
        qv = _vector_text(query_vector)
        params = (qv, model, *args, qv, depth)
        with self.transaction():
            self._run(f"SET LOCAL hnsw.ef_search = {max(40, min(1000, depth * 4))}")
            rows = self._all(sql, params)
        if flt is not None and len(rows) < depth:
            # The index hands out its nearest candidates before the filter: a
            # selective filter can leave too few. Scan the allowed rows exactly.
            with self.transaction():
                self._run("SET LOCAL enable_indexscan = off")
                rows = self._all(sql, params)
        return [(r[0], float(r[1])) for r in rows]

    def lsh_candidates(self, bands: Sequence[int], limit: int) -> list[str]:
        """Current documents sharing at least one LSH band key, most shared first."""
        rows = self._all(
            "SELECT l.doc_id, count(*) AS n FROM lsh l"
            " JOIN unnest(?::int[], ?::bigint[]) AS q(band, key)"
            " ON l.band = q.band AND l.key = q.key"
            " JOIN documents d ON d.id = l.doc_id WHERE d.superseded_by IS NULL"
            " GROUP BY l.doc_id ORDER BY n DESC, l.doc_id LIMIT ?",
            (list(range(len(bands))), [int(b) for b in bands], limit),
        )
        return [r[0] for r in rows]

    # --- runs: an advisory lock per topic ----------------------------------------

    def _try_topic_lock(self, topic: str) -> bool:
        """Take the topic's session-level advisory lock (released with the session)."""
        row = self._one("SELECT pg_try_advisory_lock(?)", (_topic_key(topic),))
        return bool(row and row[0])

    def _topic_unlock(self, topic: str) -> None:
        self._run("SELECT pg_advisory_unlock(?)", (_topic_key(topic),))

    def start_run(self, topic: str) -> int:
        """Record the start of a topic run; TopicBusy while a live run of the topic holds it.

        The run holds the topic's advisory lock until it ends or its session
        does (a killed process loses it), so a running run whose lock is free
        is an orphan: it is ended as failed here.
        """
        if not self._try_topic_lock(topic):
            running = self._running(topic)
            run_id, _, owner = running[-1] if running else (0, "", "")
            raise TopicBusy(busy_message(topic, run_id, owner))
        owner = owners.new_owner()
        try:
            with self.transaction():
                rows = [(i, o) for i, _, o in self._running(topic)]
                live = [(i, o) for i, o in rows if owners.is_live_here(o)]
                if live:  # this session runs it already (the lock is reentrant)
                    raise TopicBusy(busy_message(topic, *live[0]))
                self._end_runs(rows)
                run_id = self._insert_run(topic, owner)
        except BaseException:
            owners.release(owner)
            self._topic_unlock(topic)
            raise
        self._owners[run_id] = (owner, topic)
        return run_id

    def end_orphaned_runs(self, topic: str | None = None) -> int:
        """End as failed the running runs (of ``topic``, or all) whose process is gone."""
        rows = self._running(topic)
        ended = 0
        for name in sorted({t for _, t, _ in rows}):
            mine = [(i, o) for i, t, o in rows if t == name]
            if any(owners.is_live_here(o) for _, o in mine) or not self._try_topic_lock(name):
                continue  # its process holds the lock: alive
            try:
                with self.transaction():
                    self._end_runs(mine)
                ended += len(mine)
            finally:
                self._topic_unlock(name)
        return ended

    def _release_run(self, run_id: int) -> Callable[[], None]:
        owner, topic = self._owners.pop(run_id, (None, None))
        owners.release(owner)
        if topic is None:
            return lambda: None
        return lambda: self._topic_unlock(topic)

    # --- the rest ------------------------------------------------------------

    def _after_import(self, table: str) -> None:
        if table == "paragraphs":
            self._run(
                "UPDATE documents d SET body_chars = s.n FROM (SELECT doc_id,"
                " sum(length(text)) AS n FROM paragraphs GROUP BY doc_id) s"
                " WHERE d.id = s.doc_id AND d.body_chars = 0"
            )
        if table in ("runs", "alerts"):
            self._run(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" greatest((SELECT max(id) FROM {table}), 1))"
            )

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
