"""A run's life, in one place: it starts ``running`` and every way out gives it a final status.

``owned_run`` records the start (the store refuses a topic that a live run
holds, and ends as failed the runs whose process is gone: a ``kill -9`` is
found at the next start), and ends the run ``ok`` with the result the body
reported, or ``failed`` with a message for anything else: a newsdesk error,
an unexpected exception, Ctrl-C, SIGTERM (see ``stop_on_signals``), or a
body that ended without a result.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any

from newsdesk.errors import NewsdeskError
from newsdesk.model import RunResult
from newsdesk.store.base import Store


class Terminated(SystemExit):
    """SIGTERM, raised where the process was, so that its run ends as failed (exit 143)."""


class Interrupted(SystemExit):
    """Ctrl-C (SIGINT) in the command line: the run ends as failed, exit 130."""


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
    if isinstance(exc, KeyboardInterrupt | Interrupted):
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
        store.finish_run(life.id, RunResult("ok", items, new_items, summarized, digest=digest))


def _end(
    store: Store, run_id: int, status: str, message: str, cause: BaseException | None = None
) -> None:
    try:
        store.finish_run(run_id, RunResult(status, message=message))
    except Exception as e:  # the store itself failed (full disk, damaged file)
        if cause is None:
            raise
        # The next start ends the run as failed (its process is gone by then).
        cause.add_note(f"run {run_id} could not be marked {status}: {e}")


def _raise_stopped(signum: int, _frame: FrameType | None) -> None:
    raise (Terminated if signum == signal.SIGTERM else Interrupted)(128 + signum)


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """While inside, SIGTERM and SIGINT raise Terminated (143) and Interrupted (130).

    Both are SystemExit: every ``finally`` runs (the run in progress ends as
    failed), and the exit status says what stopped the process.
    """
    signals = (signal.SIGTERM, signal.SIGINT)
    previous = {s: signal.signal(s, _raise_stopped) for s in signals}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
