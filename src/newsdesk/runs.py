"""A run's life, in one place: it starts ``running`` and every way out gives it a final status.

``owned_run`` records the start (the store refuses a topic that a live run
holds, and ends as failed the runs whose process is gone: a ``kill -9`` is
found at the next start), and ends the run ``ok`` with the result the body
reported, or ``failed`` with a message for anything else: a newsdesk error,
an unexpected exception, Ctrl-C, SIGTERM (see ``terminate_on_sigterm``), or
a body that ended without a result.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any

from newsdesk.errors import NewsdeskError
from newsdesk.store.base import Store


class Terminated(SystemExit):
    """SIGTERM, raised where the process was, so that its run ends as failed."""


@dataclass(slots=True)
class RunLife:
    """The run in progress: its id, and the result once the body has one."""

    id: int
    result: tuple[list[str], list[str], int, dict[str, Any]] | None = None

    def succeeded(
        self,
        items: Sequence[str],
        new_items: Sequence[str],
        summarized: int,
        digest: dict[str, Any],
    ) -> None:
        """The run's result: it ends ``ok`` with these when the body returns."""
        self.result = (list(items), list(new_items), summarized, digest)


def failure_message(exc: BaseException) -> str:
    """What a failed run's message says about the exception that ended it."""
    if isinstance(exc, NewsdeskError):
        return str(exc)
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted (Ctrl-C)"
    if isinstance(exc, Terminated):
        return "stopped by SIGTERM"
    if isinstance(exc, SystemExit):
        return f"stopped (exit {exc.code})"
    return f"unexpected {type(exc).__name__}: {exc}"


@contextmanager
def owned_run(store: Store, topic: str) -> Iterator[RunLife]:
    """Start a run of ``topic`` (TopicBusy if one is live) and always give it a final status."""
    life = RunLife(store.start_run(topic))
    try:
        yield life
    except BaseException as e:
        _end(store, life.id, "failed", message=failure_message(e), cause=e)
        raise
    if life.result is None:
        _end(store, life.id, "failed", message="ended without a digest")
    else:
        items, new_items, summarized, digest = life.result
        store.finish_run(life.id, "ok", items, new_items, summarized, digest=digest)


def _end(
    store: Store, run_id: int, status: str, message: str, cause: BaseException | None = None
) -> None:
    try:
        store.finish_run(run_id, status, [], [], 0, message)
    except Exception as e:  # the store itself failed (full disk, damaged file)
        if cause is None:
            raise
        # The next start ends the run as failed (its process is gone by then).
        cause.add_note(f"run {run_id} could not be marked {status}: {e}")


def _raise_terminated(signum: int, _frame: FrameType | None) -> None:
    raise Terminated(128 + signum)


@contextmanager
def terminate_on_sigterm() -> Iterator[None]:
    """While inside, SIGTERM raises Terminated (exit 143) instead of killing the process."""
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
