"""Stores for a long-running server: opened once per process, reused by every request.

- SQLite: one connection per thread (an SQLite connection belongs to the
  thread that opened it), opened the first time a thread asks and kept; all of
  them share one ``IndexCache`` (vectors, index size), so a search never
  reloads vectors. A progress handler lets a request that must stop (its
  client went away, its deadline passed) interrupt its own query.
- PostgreSQL: a psycopg connection pool of ``size`` connections; each request
  borrows one, with ``statement_timeout`` at the request deadline.
- Other backends (plugins): a store opened per request, as before.

Migrations are applied once, by the first open in ``StorePool.__init__``;
every later open finds them recorded and writes nothing.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING

from newsdesk.errors import StoreError
from newsdesk.store import open_store
from newsdesk.store.base import Row, Store
from newsdesk.store.index_cache import IndexCache
from newsdesk.store.sqlite import SQLiteStore

if TYPE_CHECKING:
    from psycopg import Connection
    from psycopg_pool import ConnectionPool

# SQLite VM instructions between two checks of ``should_stop``: about a
# millisecond of query work, so an abandoned query stops within milliseconds
# while the check (a context-variable read) costs nothing measurable.
PROGRESS_STEPS = 20_000


class StorePool:
    """Stores for the requests of one process; ``should_stop`` says a request must end."""

    def __init__(
        self,
        db: str,
        size: int = 4,
        should_stop: Callable[[], bool] = lambda: False,
        on_stopped: Callable[[], None] = lambda: None,
        timeout: float = 30.0,
    ) -> None:
        self.should_stop = should_stop
        self.on_stopped = on_stopped
        self.timeout = timeout
        first = open_store(db)  # applies the migrations, once
        self.location = first.location
        self._local = threading.local()
        self._opened: list[SQLiteStore] = []
        self._lock = threading.Lock()
        self._cache: IndexCache | None = None
        self._pg: ConnectionPool[Connection[Row]] | None = None
        self._db = db
        if isinstance(first, SQLiteStore) and first.location != ":memory:":
            self._cache = IndexCache(first.conn.execute("PRAGMA database_list").fetchone()[2])
            self._adopt(first)
        elif type(first).__name__ == "PostgresStore":
            first.close()
            self._pg = _pg_pool(db, size, timeout)
        else:
            first.close()

    def _adopt(self, store: SQLiteStore) -> None:
        store.shared = self._cache

        def progress() -> int:
            return 1 if self.should_stop() else 0

        store.conn.set_progress_handler(progress, PROGRESS_STEPS)
        self._local.store = store
        with self._lock:
            self._opened.append(store)

    @contextmanager
    def store(self) -> Iterator[Store]:
        """A store for this request; an interrupted query becomes ``on_stopped``'s error."""
        if self._cache is not None:
            store = getattr(self._local, "store", None)
            if store is None:
                store = SQLiteStore(self.location)
                self._adopt(store)
            try:
                yield store
            except sqlite3.OperationalError as e:
                if "interrupted" in str(e):
                    self.on_stopped()
                raise
            return
        if self._pg is not None:
            from newsdesk.store.postgres import PostgresStore

            with self._pg.connection(timeout=self.timeout) as conn:
                yield PostgresStore(self.location, conn=conn)
            return
        other = open_store(self._db)
        try:
            yield other
        finally:
            other.close()

    def close(self) -> None:
        """Close what this pool opened (connections of other threads are left to exit)."""
        if self._pg is not None:
            self._pg.close()
        with self._lock:
            opened, self._opened = self._opened, []
        for store in opened:
            with suppress(sqlite3.ProgrammingError):  # another thread's: closed at exit
                store.close()
        if self._cache is not None:
            self._cache.close()


def _pg_pool(location: str, size: int, timeout: float) -> ConnectionPool[Connection[Row]]:
    """A psycopg pool of ``size`` autocommit connections with a statement timeout."""
    try:
        from psycopg_pool import ConnectionPool
    except ImportError as e:
        raise StoreError(
            "serving a PostgreSQL store needs psycopg-pool: pip install 'newsdesk[postgres]'"
        ) from e
    return ConnectionPool(
        location,
        min_size=1,
        max_size=max(1, size),
        kwargs={"autocommit": True, "options": f"-c statement_timeout={int(timeout * 1000)}"},
        open=True,
        name="newsdesk",
    )
