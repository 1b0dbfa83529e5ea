"""The SQLite schema, version by version, and how SQLite applies it."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from newsdesk.store.migrations import Migration, schema, tables

# Citations refer to paragraph numbers: a stored paragraph never changes.
PARAGRAPHS_IMMUTABLE = """
CREATE TRIGGER paragraphs_immutable BEFORE UPDATE ON paragraphs
BEGIN
    SELECT RAISE(ABORT, 'stored paragraphs are immutable: citations refer to them');
END;
"""

SEARCH_INDEX = """
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
"""

# Document frequency per indexed word, read by hybrid search for query weighting.
VOCABULARY = "CREATE VIRTUAL TABLE doc_vocab USING fts5vocab(doc_fts, 'row');"

# Which documents' vectors or index rows changed, in commit order, so a
# server's shared vector cache reloads only those (store/index_cache.py).
CHANGE_LOG = """
CREATE TABLE change_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL
);
""" + "".join(
    f"CREATE TRIGGER change_log_{name} AFTER {event} ON {table}\n"
    f"BEGIN\n    INSERT INTO change_log (doc_id) VALUES ({changed});\nEND;\n"
    for name, event, table, changed in (
        ("document", "INSERT", "documents", "new.id"),
        ("superseded", "UPDATE OF superseded_by", "documents", "new.id"),
        ("vector_insert", "INSERT", "embeddings", "new.doc_id"),
        ("vector_update", "UPDATE", "embeddings", "new.doc_id"),
        ("vector_delete", "DELETE", "embeddings", "old.doc_id"),
    )
)

MIGRATIONS: list[Migration] = schema(
    ("m001_documents", (tables.DOCUMENTS, PARAGRAPHS_IMMUTABLE)),
    ("m002_http_cache", (tables.HTTP_CACHE,)),
    ("m003_search_index", (SEARCH_INDEX,)),
    ("m004_dedup", (tables.DEDUP, tables.DOCUMENTS_CLUSTER)),
    ("m005_vocabulary", (VOCABULARY,)),
    ("m006_summaries", (tables.SUMMARIES,)),
    ("m007_runs", (tables.RUNS,)),
    ("m008_run_digests", (tables.RUN_DIGESTS,)),
    ("m009_run_owner", (tables.RUN_OWNER,)),
    ("m012_change_log", (CHANGE_LOG,)),
    ("m011a_alert_outbox", (tables.ALERTS,)),
    ("m010_query_translations", (tables.QUERY_TRANSLATIONS,)),
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
    for step in MIGRATIONS:
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("SELECT 1 FROM _migrations WHERE name = ?", (step.name,)).fetchone():
                conn.execute("COMMIT")
                continue
            run_script(conn, step.sql("sqlite"))
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
    return all(m.name in done for m in MIGRATIONS)
