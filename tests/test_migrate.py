"""``newsdesk migrate``: SQLite -> PostgreSQL -> SQLite, every row, the same answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from newsdesk.errors import StoreError
from newsdesk.search import SearchOptions, search
from newsdesk.store import open_store
from newsdesk.store.base import TABLES
from newsdesk.store.copy import copy_store
from tests.conftest import DemoSite, fresh_database

QUERIES = [
    "稀土永磁体",
    "稀土 出口管制",
    "镝 铽",
    "rare earth magnets export controls",
    "钕铁硼 价格",
]


def top(store: Any, query: str) -> list[str]:
    return [h.doc.id for h in search(store, query, SearchOptions(limit=3))]


def test_sqlite_to_postgresql_and_back(demo_site: DemoSite, postgres: Any, tmp_path: Path) -> None:
    source = open_store(demo_site.db)
    url = fresh_database(postgres)
    pg = open_store(url)
    counts = copy_store(source, pg)
    assert set(counts) == set(TABLES)
    assert all(a == b for a, b in counts.values())
    for table in ("documents", "paragraphs", "search_index", "embeddings", "summaries", "runs"):
        assert counts[table][0] > 0, table
    # the migrated store answers the same searches with the same top results
    for q in QUERIES:
        assert top(pg, q)[0] == top(source, q)[0], q
    runs = source.runs()
    assert pg.run(runs[0].id).digest == source.run(runs[0].id).digest
    doc = source.get(source.all_ids()[0])
    assert pg.get(doc.id) == doc
    new_run = pg.start_run("t")  # the id sequence continues after the copied runs
    assert new_run > max(r.id for r in runs)
    with pytest.raises(StoreError, match="not empty"):
        copy_store(source, pg)
    back = open_store(str(tmp_path / "back.db"))
    counts_back = copy_store(pg, back)
    # runs grew on pg above; the searches on pg cached their English query's translation
    grew = ("runs", "query_translations")
    assert {t: c[1] for t, c in counts_back.items() if t not in grew} == {
        t: c[0] for t, c in counts.items() if t not in grew
    }
    for q in QUERIES:
        assert top(back, q) == top(source, q), q
    for s in (source, pg, back):
        s.close()
