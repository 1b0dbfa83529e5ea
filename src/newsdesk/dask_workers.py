"""Batch work on Dask distributed workers: ``--dask tcp://HOST:PORT``.

The client (``newsdesk ingest``, ``summarize`` or ``run``) reads its inputs and
sends per-document work to the workers in batches: extraction and cleaning,
segmenting and embedding, storing (``ingest.pipeline``), and briefs
(``summarize``). Workers write straight into the shared store, so it must be
one they can all reach: PostgreSQL in production (an SQLite file works for
workers on the same machine). The client then clusters reposts into stories
in one pass, as a single-process run does for documents it has not clustered.
Workers take the client's ``NEWSDESK_*`` settings with every task, so a model
server (``NEWSDESK_BACKEND=openai``, ``NEWSDESK_OPENAI_BASE_URL``) and its
concurrency limit apply on every machine alike.

This module knows nothing of the work itself: a stage hands ``on_worker`` one
of its own top-level functions (``task(store, *args)``), so no import runs
from here back into the stages that use it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Protocol, TypeVar, cast

from newsdesk.errors import ConfigError
from newsdesk.store import open_store
from newsdesk.store.base import Store

R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)


class Future(Protocol[R_co]):
    """What ``DaskClient.submit`` returns: the task's result, when it is done."""

    def result(self) -> R_co:
        """Wait for the task; its return value (or its exception, raised here)."""
        ...


class DaskClient(Protocol):
    """The part of ``distributed.Client`` newsdesk uses."""

    def submit(self, func: Callable[..., R], *args: object, pure: bool = True) -> Future[R]:
        """Run ``func(*args)`` on a worker."""
        ...

    def close(self) -> None:
        """Disconnect from the scheduler."""
        ...


def connect(address: str) -> DaskClient:
    """A Dask client for ``tcp://HOST:PORT`` (clear errors for a wrong or dead address)."""
    if not address.startswith(("tcp://", "tls://", "inproc://")):
        raise ConfigError(f"--dask {address}: give the scheduler as tcp://HOST:PORT")
    try:
        from distributed import Client
    except ImportError as e:
        raise ConfigError("--dask needs Dask distributed: pip install 'newsdesk[dask]'") from e
    try:
        return cast(DaskClient, Client(address, timeout=10))  # type: ignore[no-untyped-call]
    except OSError as e:
        raise ConfigError(f"--dask {address}: no Dask scheduler answers there ({e})") from e


def settings_env() -> dict[str, str]:
    """The NEWSDESK_* settings in force here, sent with every task."""
    return {k: v for k, v in os.environ.items() if k.startswith("NEWSDESK_")}


def _apply(env: dict[str, str]) -> None:
    for key in [k for k in os.environ if k.startswith("NEWSDESK_") and k not in env]:
        del os.environ[key]
    os.environ.update(env)


def on_worker(env: dict[str, str], db: str, task: Callable[..., R], *args: object) -> R:
    """On a worker: the client's settings, the shared store open, ``task(store, *args)``."""
    _apply(env)
    store = open_store(db)
    try:
        return task(store, *args)
    finally:
        store.close()


def submit(client: DaskClient, store: Store, task: Callable[..., R], *args: object) -> Future[R]:
    """Send ``task(store, *args)`` to a worker, with this process's settings and store."""
    return client.submit(on_worker, settings_env(), store.location, task, *args, pure=False)
