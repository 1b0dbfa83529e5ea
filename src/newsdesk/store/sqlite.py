"""The embedded store: one SQLite file, WAL, every write in a transaction.

The SQL is ``store/sql.py``'s; what is SQLite's own:

- Full text: an FTS5 table (porter, unicode61) over the segmented words,
  ``rowid`` = the document's rowid, ranked by FTS5's ``bm25()``; an fts5vocab
  table gives Han words' document frequencies.
- Vectors: float32 blobs, loaded into one matrix per model and kept until the
  next commit (``PRAGMA data_version``); a server's connections share one
  ``IndexCache``.
- Locking: ``BEGIN IMMEDIATE`` serialises writers; a run's row in status
  ``running`` is its topic's lock, and a run whose owner process is gone
  (``owners.py``) is ended as failed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

import numpy as np
import numpy.typing as npt

from newsdesk.errors import StoreError, StoreFull, TopicBusy
from newsdesk.store import owners
from newsdesk.store.base import TABLES, DocumentFilter, Row
from newsdesk.store.index_cache import IndexCache
from newsdesk.store.migrations import sqlite as schema
from newsdesk.store.rows import busy_message, filter_sql
from newsdesk.store.sql import SQLStore, insert_new, upsert

CHUNK = 500  # ids per ``IN (...)`` list (SQLite's limit on bound parameters is near)


def store_error(location: str, e: sqlite3.DatabaseError) -> StoreError:
    """The named error of a failed write: a full disk, or a store that cannot be written."""
    text = str(e)
    if isinstance(e, sqlite3.OperationalError) and "full" in text:
        return StoreFull(
            f"--db {location}: the disk is full ({text}); nothing of the batch in progress was "
            "stored: free some space and run the same command again"
        )
    return StoreError(f"--db {location}: cannot write the store: {text}")


class SQLiteStore(SQLStore):
    """The Store protocol on one SQLite file."""

    FTS_JOIN = "f.rowid = d.rowid"
    FTS_MISSING = "f.rowid IS NULL"
    INDEX_ROWS = (
        "SELECT d.id, f.title, f.body FROM doc_fts f JOIN documents d ON d.rowid = f.rowid"
        " ORDER BY d.id"
    )
    BODY_CHARS = "(SELECT sum(length(text)) FROM paragraphs p WHERE p.doc_id = d.id)"

    def __init__(self, location: str) -> None:
        path = location.removeprefix("sqlite://")
        self.location = path
        self._vectors: tuple[tuple[str, int, int], list[str], npt.NDArray[np.float32]] | None = None
        self._commits = 0  # this connection's commits (data_version counts the others')
        self._count_cache: tuple[tuple[int, int], int] | None = None
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
            schema.apply(self.conn)
        except sqlite3.DatabaseError as e:
            raise StoreError(f"--db {path}: not a usable newsdesk database: {e}") from e

    # --- the driver ----------------------------------------------------------

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

    def _all(self, sql: str, args: Sequence[object] = ()) -> list[Row]:
        return self.conn.execute(sql, args).fetchall()

    def _one(self, sql: str, args: Sequence[object] = ()) -> Row | None:
        row: Row | None = self.conn.execute(sql, args).fetchone()
        return row

    def _iter(self, sql: str, args: Sequence[object] = ()) -> Iterator[Row]:
        yield from self.conn.execute(sql, args)

    def _run(self, sql: str, args: Sequence[object] = ()) -> int:
        return self.conn.execute(sql, args).rowcount

    def _many(self, sql: str, rows: Sequence[Sequence[object]]) -> int:
        return self.conn.executemany(sql, rows).rowcount if rows else 0

    def _in(self, sql: str, ids: Iterable[str]) -> Iterator[Row]:
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), CHUNK):
            chunk = unique[start : start + CHUNK]
            marks = f"IN ({','.join('?' * len(chunk))})"
            yield from self.conn.execute(sql.replace("{ids}", marks), chunk)

    # --- the lexical index and vectors -----------------------------------------

    def _save_tokens(self, doc_id: str, title: str, body: str) -> bool:
        row = self._one("SELECT rowid FROM documents WHERE id = ?", (doc_id,))
        if row is None:
            return False
        self._run("DELETE FROM doc_fts WHERE rowid = ?", (row[0],))
        self._run(
            "INSERT INTO doc_fts (rowid, title, body) VALUES (?, ?, ?)", (row[0], title, body)
        )
        return True

    def _drop_tokens(self, doc_id: str) -> None:
        self._run(
            "DELETE FROM doc_fts WHERE rowid = (SELECT rowid FROM documents WHERE id = ?)",
            (doc_id,),
        )

    def _save_vector(self, doc_id: str, model: str, vector: bytes, replace: bool) -> None:
        cols = TABLES["embeddings"]
        sql = upsert("embeddings", cols, ("doc_id",)) if replace else insert_new("embeddings", cols)
        self._run(sql, (doc_id, model, vector))

    def _changed(self) -> None:
        self._vectors = None

    def lexical_search(
        self, tokens: Sequence[str], flt: DocumentFilter, limit: int
    ) -> list[tuple[str, float]]:
        """BM25 over the segmented index: (doc id, score), best first; any token may match."""
        terms = sorted({t.replace('"', "") for t in tokens if t.replace('"', "")})
        if not terms:
            return []
        match = " OR ".join(f'"{t}"' for t in terms)
        where, args = filter_sql(flt, alias="d.")
        # Title words count double: chosen on cmrc2018 (nDCG@10 0.01 above equal weights).
        rows = self._all(
            "SELECT d.id, bm25(doc_fts, 2.0, 1.0) AS s FROM doc_fts"
            " JOIN documents d ON d.rowid = doc_fts.rowid"
            f" WHERE doc_fts MATCH ? AND {where} ORDER BY s LIMIT ?",
            (match, *args, limit),
        )
        return [(r[0], -float(r[1])) for r in rows]

    def document_frequencies(self, tokens: Sequence[str]) -> tuple[int, dict[str, int]]:
        """The number of indexed documents, and in how many each token occurs."""
        total = self._indexed_count()
        out: dict[str, int] = {}
        words = {t for t in tokens if t.replace('"', "")}
        # Han words are stored as they are: one lookup in the vocabulary table.
        # Latin words are stemmed by the index (porter), so ask the index itself,
        # as for a phrase (words with a space between them, side by side).
        plain = sorted(w for w in words if not w.isascii() and " " not in w)
        if plain:
            out.update(self._in("SELECT term, doc FROM doc_vocab WHERE term {ids}", plain))
        for w in words - set(plain):
            term = w.replace('"', "")
            out[w] = self._count(
                "SELECT count(*) FROM doc_fts WHERE doc_fts MATCH ?", (f'"{term}"',)
            )
        return total, {w: int(out.get(w, 0)) for w in words}

    def _version(self) -> tuple[int, int]:
        """Changes whenever this connection or another one commits."""
        return self._count("PRAGMA data_version"), self._commits

    def _indexed_count(self) -> int:
        # Counting an FTS5 table scans it (30 ms at 20k documents): count once per version.
        if self.shared is not None:
            return self.shared.indexed_count()
        version = self._version()
        if self._count_cache is None or self._count_cache[0] != version:
            self._count_cache = (version, self._count("SELECT count(*) FROM doc_fts"))
        return self._count_cache[1]

    def vectors(self, model: str) -> tuple[list[str], npt.NDArray[np.float32]]:
        """Ids and vectors (one row each) of every current document embedded by ``model``."""
        if self.shared is not None:
            return self.shared.vectors(model)
        # Reloaded only after a write: ours, or another connection's (data_version).
        key = (model, *self._version())
        if self._vectors is None or self._vectors[0] != key:
            ids: list[str] = []
            blobs: list[bytes] = []
            for doc_id, blob in self._iter(
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

    def lsh_candidates(self, bands: Sequence[int], limit: int) -> list[str]:
        """Current documents sharing at least one LSH band key, most shared first."""
        # One primary-key lookup per band (a row-value IN list made SQLite scan the table).
        lookups = " UNION ALL ".join(
            "SELECT doc_id FROM lsh WHERE band = ? AND key = ?" for _ in bands
        )
        args: list[int] = [v for pair in enumerate(bands) for v in pair]
        rows = self._all(
            f"SELECT c.doc_id, count(*) AS n FROM ({lookups}) c JOIN documents d ON d.id = c.doc_id"
            " WHERE d.superseded_by IS NULL GROUP BY c.doc_id ORDER BY n DESC, c.doc_id LIMIT ?",
            (*args, limit),
        )
        return [r[0] for r in rows]

    # --- runs: a running row is its topic's lock -------------------------------

    def start_run(self, topic: str) -> int:
        """Record the start of a topic run (its lock); TopicBusy while a live run holds it.

        Runs of the topic whose process is gone are ended as failed first.
        """
        self.end_orphaned_runs(topic)
        owner = owners.new_owner()
        try:
            with self.transaction():
                busy = self._running(topic)
                if busy:
                    raise TopicBusy(busy_message(topic, busy[0][0], busy[0][2]))
                run_id = self._insert_run(topic, owner)
        except BaseException:
            owners.release(owner)
            raise
        self._owners[run_id] = owner
        return run_id

    def end_orphaned_runs(self, topic: str | None = None) -> int:
        """End as failed the running runs (of ``topic``, or all) whose process is gone."""
        dead = [(i, o) for i, _, o in self._running(topic) if owners.alive(o) is False]
        if dead:
            with self.transaction():
                self._end_runs(dead)
        return len(dead)

    def _release_run(self, run_id: int) -> Callable[[], None]:
        owners.release(self._owners.pop(run_id, None))
        return lambda: None

    # --- the rest ------------------------------------------------------------

    def _integrity(self) -> list[str]:
        return [r[0] for r in self._iter("PRAGMA integrity_check") if r[0] != "ok"]

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()
