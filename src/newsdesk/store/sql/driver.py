"""The driver a dialect provides to the shared SQL: its primitives, SQL fragments and hooks."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import ClassVar

from newsdesk.model import Document
from newsdesk.store.base import Row
from newsdesk.store.rows import document_from_row


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


class SQLDriver(ABC):
    """What the shared SQL needs of a backend: its driver, its SQL fragments, its hooks."""

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

    def _count(self, sql: str, args: Sequence[object] = ()) -> int:
        row = self._one(sql, args)
        return int(row[0]) if row else 0

    def _newest(self, select: str, column: str, value: str | None, limit: int) -> list[Row]:
        """Rows of ``select`` (SELECT ... FROM a table), newest first, ``column = value`` if set."""
        where, args = (f" WHERE {column} = ?", [value]) if value else ("", [])
        return self._all(f"{select}{where} ORDER BY id DESC LIMIT ?", (*args, limit))

    def _documents(self, rows: Sequence[Row]) -> list[Document]:
        paras: dict[str, list[str]] = {r[0]: [] for r in rows}
        sql = "SELECT doc_id, text FROM paragraphs WHERE doc_id {ids} ORDER BY doc_id, n"
        for doc_id, text in self._in(sql, paras):
            paras[doc_id].append(text)
        return [document_from_row(r, paras[r[0]]) for r in rows]
