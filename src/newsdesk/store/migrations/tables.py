"""The tables both backends hold, written once; ``TYPES`` fills in what differs."""

from __future__ import annotations

# The types and table options that differ, by backend.
TYPES: dict[str, dict[str, str]] = {
    "sqlite": {
        "real": "REAL",
        "bigint": "INTEGER",
        "serial": "INTEGER PRIMARY KEY AUTOINCREMENT",
        "no_rowid": " WITHOUT ROWID",
    },
    "postgres": {
        "real": "DOUBLE PRECISION",
        "bigint": "BIGINT",
        "serial": "BIGSERIAL PRIMARY KEY",
        "no_rowid": "",
    },
}


DOCUMENTS = """
CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    source TEXT NOT NULL,
    source_display TEXT NOT NULL,
    published_at TEXT,            -- ISO 8601 with its offset
    published_ts {real},          -- the same instant as a Unix time, for sorting
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
){no_rowid};
CREATE TABLE origins (
    origin TEXT PRIMARY KEY,      -- a URL, or file#id: one article across versions
    doc_id TEXT NOT NULL REFERENCES documents(id)
){no_rowid};
CREATE INDEX origins_doc ON origins(doc_id);
"""

HTTP_CACHE = """
CREATE TABLE http_cache (
    url TEXT PRIMARY KEY,
    etag TEXT,
    last_modified TEXT,
    fetched_at TEXT NOT NULL
){no_rowid};
"""

DEDUP = """
CREATE TABLE dedup (
    doc_id TEXT PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
    body_hash TEXT NOT NULL,       -- SHA-256 of the normalized body
    cluster_id TEXT NOT NULL,
    reason TEXT NOT NULL           -- new, exact or near
){no_rowid};
CREATE INDEX dedup_hash ON dedup(body_hash);
CREATE INDEX dedup_cluster ON dedup(cluster_id);
CREATE TABLE lsh (                 -- MinHash LSH bands of every clustered document
    band INTEGER NOT NULL,
    key {bigint} NOT NULL,
    doc_id TEXT NOT NULL,
    PRIMARY KEY (band, key, doc_id)
){no_rowid};
CREATE TABLE clusters (
    id TEXT PRIMARY KEY,
    canonical_id TEXT NOT NULL,    -- earliest published, then most complete
    size INTEGER NOT NULL          -- current members, canonical included
){no_rowid};
"""

DOCUMENTS_CLUSTER = "CREATE INDEX documents_cluster ON documents(cluster_id);"

SUMMARIES = """
CREATE TABLE summaries (
    doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    backend TEXT NOT NULL,
    model TEXT NOT NULL,
    prompt_version TEXT NOT NULL,
    language TEXT NOT NULL,
    summary TEXT NOT NULL,        -- JSON: claims, citations, verdicts, notes
    created_at TEXT NOT NULL,
    PRIMARY KEY (doc_id, backend, model, prompt_version, language)
){no_rowid};
"""

RUNS = """
CREATE TABLE runs (
    id {serial},
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
"""

# The digest a run produced (JSON): the web app shows it, and the next run
# reuses its overview when the items have not changed.
RUN_DIGESTS = "ALTER TABLE runs ADD COLUMN digest TEXT NOT NULL DEFAULT '';"

# The process that runs a run (store/owners.py): a running run is the topic's
# lock (PostgreSQL: with the topic's advisory lock held by that process's
# session), and one whose owner is gone is ended as failed.
RUN_OWNER = """
ALTER TABLE runs ADD COLUMN owner TEXT NOT NULL DEFAULT '';
CREATE INDEX runs_running ON runs(topic) WHERE status = 'running';
"""

ALERTS = """
-- Alerts waiting for, or done with, delivery: one row per alert and channel.
CREATE TABLE alerts (
    id {serial},
    key TEXT NOT NULL UNIQUE,      -- topic|rule|story|channel: never sent twice
    topic TEXT NOT NULL,
    rule TEXT NOT NULL,
    channel TEXT NOT NULL,
    payload TEXT NOT NULL,         -- JSON: the Alert
    status TEXT NOT NULL DEFAULT 'pending',   -- pending, sent or failed
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    next_at {real} NOT NULL,       -- Unix time of the next attempt (or end of a claim)
    sent_at TEXT
);
CREATE INDEX alerts_due ON alerts(status, next_at);
"""

# Query translations for lexical search (English topic -> Chinese words), so a
# repeated or saved query never loads the dictionary again.
QUERY_TRANSLATIONS = """
CREATE TABLE query_translations (
    translator TEXT NOT NULL,     -- e.g. cedict-1; a new version misses the old rows
    query TEXT NOT NULL,
    translation TEXT NOT NULL,    -- JSON: the concepts and their Chinese words
    created_at TEXT NOT NULL,
    PRIMARY KEY (translator, query)
){no_rowid};
"""
