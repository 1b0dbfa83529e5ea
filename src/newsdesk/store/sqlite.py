"""The embedded store: one SQLite file, WAL, every write in a transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newsdesk.errors import NotFound, StoreError
from newsdesk.model import Document, Outcome
from newsdesk.store import migrations
from newsdesk.store.base import DocumentFilter

_DOC_COLUMNS = (
    "id, title, source, source_display, published_at, language, url, fetched_at, cluster_id"
)


class SQLiteStore:
    """The Store protocol on one SQLite file."""

    def __init__(self, location: str) -> None:
        path = location.removeprefix("sqlite://")
        self.location = path
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
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any error."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # --- writes ------------------------------------------------------------

    def add_many(self, items: Sequence[tuple[Document, str | None]]) -> list[Outcome]:
        """Store documents with their origin keys in one transaction (see Store)."""
        outcomes: list[Outcome] = []
        with self.transaction() as c:
            for doc, origin in items:
                outcomes.append(self._add(c, doc, origin))
        return outcomes

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
            f"SELECT {_DOC_COLUMNS} FROM documents WHERE id >= ? AND id < ? LIMIT 2",
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
            f"SELECT {_DOC_COLUMNS} FROM documents WHERE {where}"
            " ORDER BY published_ts IS NULL, published_ts DESC, id LIMIT ? OFFSET ?",
            (*args, flt.limit, flt.offset),
        ).fetchall()
        return self._documents(rows)

    @staticmethod
    def _where(flt: DocumentFilter) -> tuple[str, list[Any]]:
        clauses = ["superseded_by IS NULL"]
        args: list[Any] = []
        if flt.source:
            clauses.append("(source = ? OR source_display = ? COLLATE NOCASE)")
            args += [flt.source, flt.source]
        if flt.since:
            clauses.append("published_ts >= ?")
            args.append(flt.since.timestamp())
        if flt.until:
            clauses.append("published_ts < ?")
            args.append(flt.until.timestamp())
        if flt.language:
            clauses.append("language = ?")
            args.append(flt.language)
        return " AND ".join(clauses), args

    def _documents(self, rows: Sequence[tuple[Any, ...]]) -> list[Document]:
        ids = [r[0] for r in rows]
        paras: dict[str, list[str]] = {i: [] for i in ids}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for doc_id, text in self.conn.execute(
                f"SELECT doc_id, text FROM paragraphs WHERE doc_id IN ({marks}) ORDER BY doc_id, n",
                chunk,
            ):
                paras[doc_id].append(text)
        return [
            Document(
                id=r[0],
                title=r[1],
                source=r[2],
                source_display=r[3],
                published_at=datetime.fromisoformat(r[4]) if r[4] else None,
                language=r[5],
                url=r[6],
                fetched_at=datetime.fromisoformat(r[7]),
                cluster_id=r[8],
                paragraphs=tuple(paras[r[0]]),
            )
            for r in rows
        ]

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

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()
