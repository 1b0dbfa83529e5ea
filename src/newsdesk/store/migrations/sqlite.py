"""The SQLite schema, version by version (the shared tables are ``migrations/__init__.py``'s)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from newsdesk.store.migrations import (
    ALERTS,
    DEDUP,
    DOCUMENTS,
    DOCUMENTS_CLUSTER,
    HTTP_CACHE,
    QUERY_TRANSLATIONS,
    RUN_DIGESTS,
    RUN_OWNER,
    RUNS,
    SUMMARIES,
    Migration,
    Schema,
    ddl,
)

SCHEMA: Schema[sqlite3.Connection] = Schema()
MIGRATIONS: list[Migration[sqlite3.Connection]] = SCHEMA.steps


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


def _shared(conn: sqlite3.Connection, template: str) -> None:
    run_script(conn, ddl("sqlite", template))


@SCHEMA
def m001_documents(conn: sqlite3.Connection) -> None:
    _shared(conn, DOCUMENTS)
    # Citations refer to paragraph numbers: a stored paragraph never changes.
    run_script(
        conn,
        """
        CREATE TRIGGER paragraphs_immutable BEFORE UPDATE ON paragraphs
        BEGIN
            SELECT RAISE(ABORT, 'stored paragraphs are immutable: citations refer to them');
        END;
        """,
    )


@SCHEMA
def m002_http_cache(conn: sqlite3.Connection) -> None:
    _shared(conn, HTTP_CACHE)


@SCHEMA
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


@SCHEMA
def m004_dedup(conn: sqlite3.Connection) -> None:
    _shared(conn, DEDUP + DOCUMENTS_CLUSTER)


@SCHEMA
def m005_vocabulary(conn: sqlite3.Connection) -> None:
    # Document frequency per indexed word, read by hybrid search for query weighting.
    conn.execute("CREATE VIRTUAL TABLE doc_vocab USING fts5vocab(doc_fts, 'row')")


@SCHEMA
def m006_summaries(conn: sqlite3.Connection) -> None:
    _shared(conn, SUMMARIES)


@SCHEMA
def m007_runs(conn: sqlite3.Connection) -> None:
    _shared(conn, RUNS)


@SCHEMA
def m008_run_digests(conn: sqlite3.Connection) -> None:
    _shared(conn, RUN_DIGESTS)


@SCHEMA
def m009_run_owner(conn: sqlite3.Connection) -> None:
    _shared(conn, RUN_OWNER)


@SCHEMA
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


@SCHEMA
def m011a_alert_outbox(conn: sqlite3.Connection) -> None:
    _shared(conn, ALERTS)


@SCHEMA
def m010_query_translations(conn: sqlite3.Connection) -> None:
    _shared(conn, QUERY_TRANSLATIONS)


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
    for step in MIGRATIONS:
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("SELECT 1 FROM _migrations WHERE name = ?", (step.name,)).fetchone():
                conn.execute("COMMIT")
                continue
            step.apply(conn)
            conn.execute(
                "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                (step.name, datetime.now(UTC).isoformat()),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        applied.append(step.name)
    return applied


def _all_applied(conn: sqlite3.Connection) -> bool:
    """Whether every migration is recorded already (False when the table is missing)."""
    try:
        done = {r[0] for r in conn.execute("SELECT name FROM _migrations")}
    except sqlite3.OperationalError:
        return False
    return all(name in done for name in SCHEMA.names())
