"""The PostgreSQL schema, version by version, and how PostgreSQL applies it.

All pending migrations run in one transaction under an advisory lock, so two
processes opening a new database at once do not both apply them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from newsdesk.store.migrations import Migration, schema, tables

if TYPE_CHECKING:
    from psycopg import Connection

    from newsdesk.store.base import Row

MIGRATION_LOCK = 7411  # the advisory lock held while migrating

# The body's length (the canonical member of a cluster is the most complete)
# and immutable paragraphs: citations refer to them.
DOCUMENTS_EXTRA = """
ALTER TABLE documents ADD COLUMN body_chars INTEGER NOT NULL DEFAULT 0;
CREATE FUNCTION paragraphs_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'stored paragraphs are immutable: citations refer to them';
END $$ LANGUAGE plpgsql;
CREATE TRIGGER paragraphs_immutable BEFORE UPDATE ON paragraphs
    FOR EACH ROW EXECUTE FUNCTION paragraphs_immutable();
"""

SEARCH_INDEX = """
CREATE EXTENSION IF NOT EXISTS vector;
CREATE TABLE doc_fts (
    doc_id TEXT PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
    title_tokens TEXT NOT NULL,   -- the segmented words, kept for copying the store
    body_tokens TEXT NOT NULL,
    n_tokens INTEGER NOT NULL,    -- document length for BM25
    tsv TSVECTOR NOT NULL
);
CREATE INDEX doc_fts_gin ON doc_fts USING gin(tsv);
CREATE TABLE embeddings (
    doc_id TEXT PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
    model TEXT NOT NULL,
    dim INTEGER NOT NULL,
    vector vector NOT NULL
);
CREATE INDEX embeddings_model ON embeddings(model);
"""

MIGRATIONS: list[Migration] = schema(
    (
        "m001_documents",
        (tables.DOCUMENTS, tables.DOCUMENTS_CLUSTER, DOCUMENTS_EXTRA, tables.HTTP_CACHE),
    ),
    ("m002_search_index", (SEARCH_INDEX,)),
    ("m003_dedup", (tables.DEDUP,)),
    ("m004_summaries_and_runs", (tables.SUMMARIES, tables.RUNS, tables.RUN_DIGESTS)),
    ("m009_run_owner", (tables.RUN_OWNER,)),
    ("m011a_alert_outbox", (tables.ALERTS,)),
    ("m010_query_translations", (tables.QUERY_TRANSLATIONS,)),
)


def apply(conn: Connection[Row]) -> list[str]:
    """Apply the migrations not yet recorded, in one transaction; return the names applied."""
    applied = []
    with conn.transaction():
        conn.execute(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS _migrations"
            " (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        done = {r[0] for r in conn.execute("SELECT name FROM _migrations")}
        for step in MIGRATIONS:
            if step.name in done:
                continue
            conn.execute(step.sql("postgres"))
            conn.execute(
                "INSERT INTO _migrations (name, applied_at) VALUES (%s, %s)",
                (step.name, datetime.now(UTC).isoformat()),
            )
            applied.append(step.name)
    return applied
