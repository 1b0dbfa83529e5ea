"""Named, append-only migrations of the SQLite schema.

Each migration runs once, in order, inside a transaction, and is recorded in
``_migrations``. Never edit or reorder one that has shipped: add a new one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime

Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: list[tuple[str, Migration]] = []


def migration(fn: Migration) -> Migration:
    """Register ``fn`` as the next migration, named after the function."""
    MIGRATIONS.append((fn.__name__, fn))
    return fn


@migration
def m001_documents(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        CREATE TABLE documents (
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            source TEXT NOT NULL,
            source_display TEXT NOT NULL,
            published_at TEXT,            -- ISO 8601 with its offset
            published_ts REAL,            -- the same instant as a Unix time, for sorting
            language TEXT NOT NULL,
            url TEXT,
            fetched_at TEXT NOT NULL,
            n_paragraphs INTEGER NOT NULL,
            cluster_id TEXT,
            superseded_by TEXT REFERENCES documents(id)
        );
        CREATE INDEX documents_published ON documents(published_ts DESC);
        CREATE INDEX documents_source ON documents(source);
        CREATE TABLE paragraphs (
            doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            n INTEGER NOT NULL,           -- 1-based: what citations mean
            text TEXT NOT NULL,
            PRIMARY KEY (doc_id, n)
        ) WITHOUT ROWID;
        -- Citations refer to paragraph numbers: a stored paragraph never changes.
        CREATE TRIGGER paragraphs_immutable BEFORE UPDATE ON paragraphs
        BEGIN
            SELECT RAISE(ABORT, 'stored paragraphs are immutable: citations refer to them');
        END;
        CREATE TABLE origins (
            origin TEXT PRIMARY KEY,      -- a URL, or file#id: one article across versions
            doc_id TEXT NOT NULL REFERENCES documents(id)
        ) WITHOUT ROWID;
        CREATE INDEX origins_doc ON origins(doc_id);
        """,
    )


@migration
def m002_http_cache(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        CREATE TABLE http_cache (
            url TEXT PRIMARY KEY,
            etag TEXT,
            last_modified TEXT,
            fetched_at TEXT NOT NULL
        ) WITHOUT ROWID;
        """,
    )


def run_script(conn: sqlite3.Connection, sql: str) -> None:
    """Run several statements inside the caller's transaction (unlike executescript)."""
    statement = ""
    for line in sql.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            conn.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"incomplete SQL statement in migration: {statement.strip()[:80]}")


def apply(conn: sqlite3.Connection) -> list[str]:
    """Apply the migrations not yet recorded, each atomically; return the names applied.

    ``conn`` must be in autocommit mode (isolation_level=None); each migration
    runs in its own BEGIN IMMEDIATE transaction, so two processes opening a new
    database at once do not both apply it.
    """
    if _all_applied(conn):  # the usual open: a read, no write transaction
        return []
    conn.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    applied = []
    for name, fn in MIGRATIONS:
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("SELECT 1 FROM _migrations WHERE name = ?", (name,)).fetchone():
                conn.execute("COMMIT")
                continue
            fn(conn)
            conn.execute(
                "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                (name, datetime.now(UTC).isoformat()),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        applied.append(name)
    return applied


def _all_applied(conn: sqlite3.Connection) -> bool:
    """Whether every migration is recorded already (False when the table is missing)."""
    try:
        done = {r[0] for r in conn.execute("SELECT name FROM _migrations")}
    except sqlite3.OperationalError:
        return False
    return all(name in done for name, _ in MIGRATIONS)


@migration
def m003_search_index(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        -- BM25 over pre-segmented words (jieba for Chinese); rowid = documents.rowid.
        CREATE VIRTUAL TABLE doc_fts USING fts5(
            title, body, tokenize = 'porter unicode61 remove_diacritics 2'
        );
        CREATE TABLE embeddings (
            doc_id TEXT PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
            model TEXT NOT NULL,
            vector BLOB NOT NULL          -- float32, L2-normalized
        ) WITHOUT ROWID;
        CREATE INDEX embeddings_model ON embeddings(model);
        """,
    )


@migration
def m004_dedup(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        CREATE TABLE dedup (
            doc_id TEXT PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
            body_hash TEXT NOT NULL,       -- SHA-256 of the normalized body
            cluster_id TEXT NOT NULL,
            reason TEXT NOT NULL           -- new, exact or near
        ) WITHOUT ROWID;
        CREATE INDEX dedup_hash ON dedup(body_hash);
        CREATE INDEX dedup_cluster ON dedup(cluster_id);
        CREATE TABLE lsh (                 -- MinHash LSH bands of every clustered document
            band INTEGER NOT NULL,
            key INTEGER NOT NULL,
            doc_id TEXT NOT NULL,
            PRIMARY KEY (band, key, doc_id)
        ) WITHOUT ROWID;
        CREATE TABLE clusters (
            id TEXT PRIMARY KEY,
            canonical_id TEXT NOT NULL,    -- earliest published, then most complete
            size INTEGER NOT NULL          -- current members, canonical included
        ) WITHOUT ROWID;
        CREATE INDEX documents_cluster ON documents(cluster_id);
        """,
    )


@migration
def m005_vocabulary(conn: sqlite3.Connection) -> None:
    # Document frequency per indexed word, read by hybrid search for query weighting.
    conn.execute("CREATE VIRTUAL TABLE doc_vocab USING fts5vocab(doc_fts, 'row')")


@migration
def m006_summaries(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        CREATE TABLE summaries (
            doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            backend TEXT NOT NULL,
            model TEXT NOT NULL,
            prompt_version TEXT NOT NULL,
            language TEXT NOT NULL,
            summary TEXT NOT NULL,        -- JSON: claims, citations, verdicts, notes
            created_at TEXT NOT NULL,
            PRIMARY KEY (doc_id, backend, model, prompt_version, language)
        ) WITHOUT ROWID;
        """,
    )


@migration
def m007_runs(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            topic TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,          -- running, ok or failed
            items TEXT NOT NULL DEFAULT '[]',   -- JSON: the digest's document ids, in order
            new_items TEXT NOT NULL DEFAULT '[]',
            summarized INTEGER NOT NULL DEFAULT 0,
            message TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX runs_topic ON runs(topic, id);
        """,
    )


@migration
def m008_run_digests(conn: sqlite3.Connection) -> None:
    # The digest a run produced (JSON): the web app shows it, and the next run
    # reuses its overview when the items have not changed.
    conn.execute("ALTER TABLE runs ADD COLUMN digest TEXT NOT NULL DEFAULT ''")


@migration
def m009_run_owner(conn: sqlite3.Connection) -> None:
    # The process that runs a run (store/owners.py): a running run is the
    # topic's lock, and one whose owner is gone is ended as failed.
    run_script(
        conn,
        """
        ALTER TABLE runs ADD COLUMN owner TEXT NOT NULL DEFAULT '';
        CREATE INDEX runs_running ON runs(topic) WHERE status = 'running';
        """,
    )


@migration
def m012_change_log(conn: sqlite3.Connection) -> None:
    # Which documents' vectors or index rows changed, in commit order, so a
    # server's shared vector cache reloads only those (store/index_cache.py).
    run_script(
        conn,
        """
        CREATE TABLE change_log (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            doc_id TEXT NOT NULL
        );
        CREATE TRIGGER change_log_document AFTER INSERT ON documents
        BEGIN
            INSERT INTO change_log (doc_id) VALUES (new.id);
        END;
        CREATE TRIGGER change_log_superseded AFTER UPDATE OF superseded_by ON documents
        BEGIN
            INSERT INTO change_log (doc_id) VALUES (new.id);
        END;
        CREATE TRIGGER change_log_vector_insert AFTER INSERT ON embeddings
        BEGIN
            INSERT INTO change_log (doc_id) VALUES (new.doc_id);
        END;
        CREATE TRIGGER change_log_vector_update AFTER UPDATE ON embeddings
        BEGIN
            INSERT INTO change_log (doc_id) VALUES (new.doc_id);
        END;
        CREATE TRIGGER change_log_vector_delete AFTER DELETE ON embeddings
        BEGIN
            INSERT INTO change_log (doc_id) VALUES (old.doc_id);
        END;
        """,
    )


@migration
def m011a_alert_outbox(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        -- Alerts waiting for, or done with, delivery: one row per alert and channel.
        CREATE TABLE alerts (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            key TEXT NOT NULL UNIQUE,      -- topic|rule|story|channel: never sent twice
            topic TEXT NOT NULL,
            rule TEXT NOT NULL,
            channel TEXT NOT NULL,
            payload TEXT NOT NULL,         -- JSON: the Alert
            status TEXT NOT NULL DEFAULT 'pending',   -- pending, sent or failed
            attempts INTEGER NOT NULL DEFAULT 0,
            error TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            next_at REAL NOT NULL,         -- Unix time of the next attempt (or end of a claim)
            sent_at TEXT
        );
        CREATE INDEX alerts_due ON alerts(status, next_at);
        """,
    )


@migration
def m010_query_translations(conn: sqlite3.Connection) -> None:
    # Query translations for lexical search (English topic -> Chinese words), so a
    # repeated or saved query never loads the dictionary again.
    run_script(
        conn,
        """
        CREATE TABLE query_translations (
            translator TEXT NOT NULL,     -- e.g. cedict-1; a new version misses the old rows
            query TEXT NOT NULL,
            translation TEXT NOT NULL,    -- JSON: the concepts and their Chinese words
            created_at TEXT NOT NULL,
            PRIMARY KEY (translator, query)
        ) WITHOUT ROWID;
        """,
    )
