"""Batch work on a Dask distributed cluster: ``--cluster tcp://HOST:PORT``.

The client (``newsdesk ingest``, ``summarize`` or ``run``) reads its inputs and
sends per-document work to the workers in batches: extraction and cleaning,
segmenting and embedding, storing (``remote_batch``), and briefs
(``remote_summarize``). Workers write straight into the shared store, so it
must be one they can all reach: PostgreSQL in production (an SQLite file
works for workers on the same machine). The client then clusters reposts in
one pass, as a single-process run does for documents it has not clustered.
Workers take the client's ``NEWSDESK_*`` settings with every task, so a model
server (``NEWSDESK_BACKEND=openai``, ``NEWSDESK_OPENAI_BASE_URL``) and its
concurrency limit apply on every machine alike.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from newsdesk.errors import ConfigError, InputError
from newsdesk.model import ItemReport, Outcome


def connect(address: str) -> Any:
    """A Dask client for ``tcp://HOST:PORT`` (clear errors for a wrong or dead address)."""
    if not address.startswith(("tcp://", "tls://", "inproc://")):
        raise ConfigError(f"--cluster {address}: give the scheduler as tcp://HOST:PORT")
    try:
        from distributed import Client
    except ImportError as e:
        raise ConfigError(
            "--cluster needs Dask distributed: pip install 'newsdesk[cluster]'"
        ) from e
    try:
        return Client(address, timeout=10)  # type: ignore[no-untyped-call]
    except OSError as e:
        raise ConfigError(f"--cluster {address}: no Dask scheduler answers there ({e})") from e


def settings_env() -> dict[str, str]:
    """The NEWSDESK_* settings in force here, sent with every task."""
    return {k: v for k, v in os.environ.items() if k.startswith("NEWSDESK_")}


def _apply(env: dict[str, str]) -> None:
    for key in [k for k in os.environ if k.startswith("NEWSDESK_") and k not in env]:
        del os.environ[key]
    os.environ.update(env)


def remote_batch(
    db: str, items: Sequence[tuple[Any, str | None]], env: dict[str, str], embed: bool
) -> tuple[list[ItemReport], int]:
    """On a worker: build, index and store a batch of raw articles; their reports."""
    from newsdesk.ingest.pipeline import build_document, write_batch
    from newsdesk.store import open_store
    from newsdesk.text.embed import get_embedder

    _apply(env)
    reports: list[ItemReport] = []
    built = []
    removed = 0
    for raw, source in items:
        try:
            doc, warnings, dropped = build_document(raw, source=source)
        except InputError as e:
            reports.append(ItemReport(e.where, Outcome.FAILED, message=e.reason))
            continue
        removed += dropped
        built.append((doc, raw, warnings))
    store = open_store(db)
    try:
        embedder = get_embedder() if embed else None
        docs = [(doc, raw.origin) for doc, raw, _ in built]
        outcomes = write_batch(store, docs, None, embedder, cluster=False)
    finally:
        store.close()
    reports += [
        ItemReport(raw.where, outcome, doc.id, warnings=tuple(warnings))
        for (doc, raw, warnings), outcome in zip(built, outcomes, strict=True)
    ]
    return reports, removed


def remote_summarize(db: str, doc_id: str, options: Any, env: dict[str, str]) -> dict[str, Any]:
    """On a worker: the brief of one stored document (cached in the shared store)."""
    from newsdesk.store import open_store
    from newsdesk.summarize import summarize

    _apply(env)
    store = open_store(db)
    try:
        return summarize(store, [doc_id], options)[0].to_dict()
    finally:
        store.close()
