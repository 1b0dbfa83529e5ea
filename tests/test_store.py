from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsdesk import Document, DocumentFilter, NotFound, Outcome, document_id, open_store
from newsdesk.errors import ConfigError, StoreError
from newsdesk.store import Store
from newsdesk.store.migrations.sqlite import MIGRATIONS
from newsdesk.store.sqlite import SQLiteStore


def make_doc(
    title: str, paragraphs: tuple[str, ...], day: int = 1, source: str = "格隆汇"
) -> Document:
    return Document(
        id=document_id(source, title, paragraphs),
        title=title,
        paragraphs=paragraphs,
        source=source,
        source_display="Ge Long Hui",
        published_at=datetime(2025, 12, day, 8, 0, tzinfo=UTC),
        language="zh",
        url=None,
        fetched_at=datetime(2025, 12, 28, tzinfo=UTC),
    )


def test_sqlite_store_implements_the_protocol(store: Store) -> None:
    assert isinstance(store, Store)


def test_add_is_idempotent_and_keeps_numbering(store: Store) -> None:
    doc = make_doc("稀土", ("第一段。", "第二段。"))
    assert store.add_many([(doc, "a.jsonl#1")]) == [Outcome.ADDED]
    assert store.add_many([(doc, "a.jsonl#1")]) == [Outcome.DUPLICATE]
    assert store.count_documents() == 1
    got = store.get(doc.id)
    assert got.paragraphs == ("第一段。", "第二段。")
    assert got.paragraph(2) == "第二段。"
    assert got.published_at == doc.published_at


def test_new_content_under_a_known_origin_supersedes(store: Store) -> None:
    old = make_doc("稀土", ("旧版。",))
    new = make_doc("稀土", ("新版。",))
    store.add_many([(old, "https://x/1")])
    assert store.add_many([(new, "https://x/1")]) == [Outcome.UPDATED]
    assert [d.id for d in store.list_documents(DocumentFilter())] == [new.id]
    assert store.get(old.id).paragraphs == ("旧版。",)  # citations to the old version still resolve
    assert store.doc_id_for_origin("https://x/1") == new.id


def test_stored_paragraphs_are_immutable(store: Store) -> None:
    doc = make_doc("稀土", ("第一段。",))
    store.add_many([(doc, None)])
    if isinstance(store, SQLiteStore):
        with pytest.raises(sqlite3.IntegrityError, match="immutable"):
            store.conn.execute("UPDATE paragraphs SET text = 'x' WHERE doc_id = ?", (doc.id,))
    else:
        import psycopg

        with pytest.raises(psycopg.errors.RaiseException, match="immutable"):
            store.conn.execute(  # type: ignore[attr-defined]
                "UPDATE paragraphs SET text = 'x' WHERE doc_id = %s", (doc.id,)
            )


def test_failed_batch_writes_nothing(store: Store) -> None:
    good = make_doc("稀土", ("第一段。",))
    bad = make_doc("稀土2", ("第二段。",))
    object.__setattr__(bad, "fetched_at", "not a datetime")  # breaks inside the transaction
    with pytest.raises(AttributeError):
        store.add_many([(good, None), (bad, None)])
    assert store.count_documents() == 0
    assert store.check() == []


def test_list_filters_and_order(store: Store) -> None:
    store.add_many(
        [
            (make_doc("a", ("一。",), day=1), None),
            (make_doc("b", ("二。",), day=3, source="新浪财经"), None),
            (make_doc("c", ("三。",), day=2), None),
        ]
    )
    assert [d.title for d in store.list_documents(DocumentFilter())] == ["b", "c", "a"]
    assert [d.title for d in store.list_documents(DocumentFilter(source="新浪财经"))] == ["b"]
    since = datetime(2025, 12, 2, tzinfo=UTC)
    assert [d.title for d in store.list_documents(DocumentFilter(since=since))] == ["b", "c"]


def test_get_by_prefix_and_not_found(store: Store) -> None:
    doc = make_doc("稀土", ("第一段。",))
    store.add_many([(doc, None)])
    assert store.get(doc.id[:6]).id == doc.id
    with pytest.raises(NotFound, match="newsdesk list"):
        store.get("zzzz")


def test_migrations_are_recorded_once(tmp_path: Path) -> None:
    path = str(tmp_path / "m.db")
    open_store(path).close()
    s = open_store(path)
    assert isinstance(s, SQLiteStore)
    names = [r[0] for r in s.conn.execute("SELECT name FROM _migrations ORDER BY name")]
    assert names == sorted(m.name for m in MIGRATIONS)
    assert s.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    s.close()


def test_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.db"
    bogus.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match=r"bogus\.db"):
        open_store(str(bogus))


def test_unknown_url_scheme_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="redis"):
        open_store("redis://localhost/0")


def test_http_validators_round_trip(store: Store) -> None:
    assert store.http_validators("http://x/feed") == (None, None)
    store.save_http_validators("http://x/feed", '"v1"', "Wed, 24 Dec 2025 06:30:00 GMT")
    assert store.http_validators("http://x/feed") == ('"v1"', "Wed, 24 Dec 2025 06:30:00 GMT")


def test_filtered_vector_search_returns_every_allowed_hit(store: Store) -> None:
    """A selective filter must not starve an approximate index (pgvector HNSW)."""
    import numpy as np

    from newsdesk.model import IndexEntry
    from newsdesk.search import dense_candidates

    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(300, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    docs = [
        make_doc(f"d{i}", (f"第{i}段。",), day=1 + i % 28, source="rare" if i % 60 == 0 else "s")
        for i in range(300)
    ]
    entries = {
        d.id: IndexEntry(d.id, d.title, d.text, vectors[i].tobytes(), "test-model")
        for i, d in enumerate(docs)
    }
    store.add_many([(d, None) for d in docs], entries)
    query = vectors[7]
    found = dense_candidates(store, query, "test-model", DocumentFilter(source="rare"), 10)
    allowed = [i for i in range(300) if i % 60 == 0]
    assert len(found) == len(allowed) == 5
    best = sorted(allowed, key=lambda i: -float(vectors[i] @ query))
    assert [d for d, _ in found] == [docs[i].id for i in best]
    unfiltered = dense_candidates(store, query, "test-model", None, 10)
    assert unfiltered[0][0] == docs[7].id
    assert len(unfiltered) == 10


def test_query_translations_round_trip(store: Store) -> None:
    assert store.get_translation("cedict-x", "rare earth") is None
    store.save_translation("cedict-x", "rare earth", '[{"en": ["rare"], "zh": ["稀土"]}]')
    store.save_translation("cedict-x", "rare earth", '[{"en": ["rare", "earth"], "zh": ["稀土"]}]')
    assert store.get_translation("cedict-x", "rare earth") == (
        '[{"en": ["rare", "earth"], "zh": ["稀土"]}]'
    )
    assert store.get_translation("cedict-y", "rare earth") is None
