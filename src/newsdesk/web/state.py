"""Where the app's state lives: the store pool, search state, limits, topic files, token."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from newsdesk import config
from newsdesk.errors import ConfigError, NotFound
from newsdesk.model import Topic
from newsdesk.search import SearchState
from newsdesk.store import open_store
from newsdesk.store.base import Store
from newsdesk.store.pool import StorePool
from newsdesk.text.embed import CachingEmbedder, get_embedder
from newsdesk.text.translate import load_tables
from newsdesk.web import limits as budget
from newsdesk.web.jobs import Jobs
from newsdesk.web.limits import Limits
from newsdesk.web.security import topic_path
from newsdesk.workflow import load_topic


def limits_from_settings() -> Limits:
    """The request limits the ``serve_*`` settings describe."""
    return Limits(
        concurrency=max(1, config.get_int("serve_concurrency")),
        queue=max(0, config.get_int("serve_queue")),
        deadline=config.get_float("serve_deadline"),
        grace=config.get_float("serve_grace"),
        # A brief may make several model calls, each up to NEWSDESK_LLM_TIMEOUT.
        slow_deadline=5 * config.get_float("llm_timeout"),
    )


class Web:
    """Where the app's state lives: the store pool, search state, limits, topics, token.

    One per worker process: the store is opened (and migrated) once, and every
    request borrows its connection and shares its vectors and caches.
    """

    def __init__(
        self, db: str | None, topics: Path | None, token: str | None, limits: Limits | None = None
    ) -> None:
        self.db = db or config.default_db()
        self.topics = (topics or config.topics_folder()).expanduser()
        self.topics.mkdir(parents=True, exist_ok=True)
        self.token = token or config.get("token") or secrets.token_urlsafe(18)
        self.limits = limits or limits_from_settings()
        self.pool = StorePool(
            self.db,
            size=self.limits.concurrency,
            should_stop=budget.should_stop,
            on_stopped=budget.check,
            timeout=self.limits.deadline,
        )
        self.search_state = SearchState(CachingEmbedder(get_embedder(), before=budget.check))
        self.jobs = Jobs(lambda: open_store(self.db))

    @contextmanager
    def store(self) -> Iterator[Store]:
        """The store for one request: this thread's connection (or a pooled one)."""
        budget.check()
        with self.pool.store() as store:
            yield store

    def warm(self) -> None:
        """Load what the first search would: the embedder, vectors, index size, dictionary."""
        with self.store() as store:
            self.search_state.embedder.embed(["新闻 news"])
            if getattr(store, "dense_search", None) is None:  # pgvector searches in the database
                store.vectors(self.search_state.embedder.name)
            store.document_frequencies(["新闻"])
        # CC-CEDICT's tables take seconds to build: not in a request, where a SIGTERM's
        # grace could cut it (Chinese topic queries read the names and short forms too).
        load_tables()

    def topic_files(self) -> list[tuple[str, Topic | None, str]]:
        """(file name, topic or None, error) for every topic file, by file name."""
        out: list[tuple[str, Topic | None, str]] = []
        for path in sorted(self.topics.glob("*.toml")):
            try:
                out.append((path.stem, load_topic(path), ""))
            except ConfigError as e:
                out.append((path.stem, None, str(e)))
        return out

    def topic_name(self, topic: str | None) -> str | None:
        """The TOML name of topic file ``topic``; a name with no such file is taken as is."""
        if not topic:
            return None
        try:
            path = topic_path(self.topics, topic)
        except HTTPException:
            return topic
        return load_topic(path).name if path.exists() else topic

    def topic(self, name: str) -> Topic:
        """The topic stored as ``<name>.toml`` in the topics folder."""
        path = topic_path(self.topics, name)
        if not path.exists():
            raise NotFound(f"no topic {name!r} in {self.topics}; GET /api/topics lists them")
        return load_topic(path)


def current(request: Request) -> Web:
    """The app's ``Web`` (a dependency of every view)."""
    web: Web = request.app.state.web
    return web


CurrentWeb = Annotated[Web, Depends(current)]
