"""Documents, their versions and the search index they feed, in SQL."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

from newsdesk.errors import NotFound
from newsdesk.model import Document, IndexEntry, Outcome
from newsdesk.store.base import TABLES, DocumentFilter
from newsdesk.store.rows import (
    DOC_COLUMNS,
    document_values,
    filter_sql,
    latest_versions,
)
from newsdesk.store.sql.driver import SQLDriver, upsert

_DOCUMENT_INSERT = (
    "INSERT INTO documents (id, title, source, source_display, published_at, published_ts,"
    " language, url, fetched_at, n_paragraphs, cluster_id{extra})"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?{marks}) ON CONFLICT (id) DO NOTHING"
)


class DocumentsSQL(SQLDriver):
    """Documents, their versions and the search index they feed, in SQL."""

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
