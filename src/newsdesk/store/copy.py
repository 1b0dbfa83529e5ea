"""Copy a whole store to another backend: ``newsdesk migrate --from A --to B``.

(Schema versions are another matter: ``store/migrations.py``.)

Every table (documents, paragraphs, origins, the search index and vectors,
clusters, summaries, runs) is copied in its neutral row shape, in an order
that satisfies references, a chunk per transaction; then the row counts of
both stores are compared table by table. The target must be empty, so a
count that differs means a row was lost, and the copy says which table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import islice

from newsdesk.errors import StoreError
from newsdesk.store.base import TABLES, Row, Store

CHUNK = 2000  # rows per transaction (documents go in one: superseded_by refers across them)


def _chunks(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


def copy_store(
    source: Store, target: Store, progress: Callable[[str, int], None] | None = None
) -> dict[str, tuple[int, int]]:
    """Copy every table of ``source`` into the empty ``target``; (source, target) counts."""
    if target.count_rows("documents"):
        raise StoreError(
            f"{target.location}: the target store is not empty; migrate copies into an empty one"
        )
    counts: dict[str, tuple[int, int]] = {}
    for table in TABLES:
        copied = 0
        size = 10**9 if table == "documents" else CHUNK
        for chunk in _chunks(source.export_rows(table), size):
            copied += target.import_rows(table, chunk)
            if progress:
                progress(table, copied)
        counts[table] = (source.count_rows(table), target.count_rows(table))
    lost = {t: c for t, c in counts.items() if c[0] != c[1]}
    if lost:
        detail = ", ".join(f"{t}: {a} -> {b}" for t, (a, b) in lost.items())
        raise StoreError(f"the copy does not match the source ({detail})")
    return counts
