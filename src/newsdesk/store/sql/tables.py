"""Every table in its neutral shape (``newsdesk migrate``) and the soundness check."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from newsdesk.store.base import TABLES, Row
from newsdesk.store.sql.driver import SQLDriver, insert_new


class TablesSQL(SQLDriver):
    """Every table in its neutral shape (``newsdesk migrate``) and the soundness check."""

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
