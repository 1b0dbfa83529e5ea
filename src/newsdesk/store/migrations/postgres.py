"""The PostgreSQL schema, version by version (the shared tables are ``migrations/__init__.py``'s).

All pending migrations run in one transaction under an advisory lock, so two
processes opening a new database at once do not both apply them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from psycopg import Connection

    from newsdesk.store.base import Row

MIGRATION_LOCK = 7411  # the advisory lock held while migrating

SCHEMA: Schema[Connection[Row]] = Schema()
MIGRATIONS: list[Migration[Connection[Row]]] = SCHEMA.steps


def _shared(conn: Connection[Row], *templates: str) -> None:
    conn.execute("".join(ddl("postgres", t) for t in templates))


@SCHEMA
def m001_documents(conn: Connection[Row]) -> None:
    _shared(conn, DOCUMENTS, DOCUMENTS_CLUSTER, HTTP_CACHE)
    conn.execute(
        """
        -- the body's length: the canonical member of a cluster is the most complete
        ALTER TABLE documents ADD COLUMN body_chars INTEGER NOT NULL DEFAULT 0;
        CREATE FUNCTION paragraphs_immutable() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION 'stored paragraphs are immutable: citations refer to them';
        END $$ LANGUAGE plpgsql;
        CREATE TRIGGER paragraphs_immutable BEFORE UPDATE ON paragraphs
            FOR EACH ROW EXECUTE FUNCTION paragraphs_immutable();
        """
    )


@SCHEMA
def m002_search_index(conn: Connection[Row]) -> None:
    conn.execute(
        """
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
    )


@SCHEMA
def m003_dedup(conn: Connection[Row]) -> None:
    _shared(conn, DEDUP)


@SCHEMA
def m004_summaries_and_runs(conn: Connection[Row]) -> None:
    _shared(conn, SUMMARIES, RUNS, RUN_DIGESTS)


@SCHEMA
def m009_run_owner(conn: Connection[Row]) -> None:
    _shared(conn, RUN_OWNER)


@SCHEMA
def m011a_alert_outbox(conn: Connection[Row]) -> None:
    _shared(conn, ALERTS)


@SCHEMA
def m010_query_translations(conn: Connection[Row]) -> None:
    _shared(conn, QUERY_TRANSLATIONS)


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
            step.apply(conn)
            conn.execute(
                "INSERT INTO _migrations (name, applied_at) VALUES (%s, %s)",
                (step.name, datetime.now(UTC).isoformat()),
            )
            applied.append(step.name)
    return applied
