"""Topic runs started from the web: one thread per run, progress kept in memory.

A run records itself in the store as it starts (so ``/api/runs/{id}`` and
``newsdesk runs`` see it at once); its running row is the topic's lock in the
store, so a run started here never overlaps one started by ``newsdesk run`` or
``watch``, on this machine or another sharing the store.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from newsdesk.errors import NewsdeskError
from newsdesk.model import Topic
from newsdesk.runs import failure_message
from newsdesk.store.base import Store
from newsdesk.workflow import run_topic

START_TIMEOUT = 30.0  # seconds to wait for a started run to record itself


@dataclass(slots=True)
class Progress:
    """Where a live run is: its stage and how far through it."""

    stage: str = "starting"
    done: int = 0
    total: int = 0
    error: str = ""
    finished: bool = False
    updated: float = field(default_factory=time.time)


@dataclass(slots=True)
class _Start:
    """What a starting run tells the request that started it: its id, or why it failed."""

    run_id: int | None = None
    error: NewsdeskError | None = None


class Jobs:
    """The runs this server started, by run id."""

    def __init__(self, open_store: Callable[[], Store]) -> None:
        self.open_store = open_store
        self.live: dict[int, Progress] = {}
        self._lock = threading.Lock()

    def start(self, topic: Topic) -> int:
        """Start a run of ``topic`` in a thread; its run id once recorded.

        TopicBusy when the topic is running anywhere (this server or another
        process); the error of a run that fails before it is recorded.
        """
        started = threading.Event()
        box = _Start()

        def work() -> None:
            store = self.open_store()
            progress = Progress()

            def on_start(run_id: int) -> None:
                with self._lock:
                    self.live[run_id] = progress
                box.run_id = run_id
                started.set()

            def on_progress(stage: str, done: int, total: int) -> None:
                progress.stage, progress.done, progress.total = stage, done, total
                progress.updated = time.time()

            try:
                run_topic(store, topic, on_progress, started_run=on_start)
                progress.stage = "done"
            except NewsdeskError as e:  # recorded in the store as a failed run, too
                progress.error = str(e)
                box.error = box.error or e
            except Exception as e:  # likewise: the run is failed, the server goes on
                progress.error = failure_message(e)
                box.error = box.error or NewsdeskError(progress.error)
            finally:
                progress.finished = True
                started.set()
                store.close()

        threading.Thread(target=work, name=f"run {topic.name}", daemon=True).start()
        if not started.wait(START_TIMEOUT):
            raise NewsdeskError(f"topic {topic.name!r} did not start within {START_TIMEOUT:.0f} s")
        if box.run_id is not None:
            return box.run_id
        if box.error is not None:  # TopicBusy among them
            raise box.error
        raise NewsdeskError(f"topic {topic.name!r} stopped before it started")

    def progress(self, run_id: int) -> Progress | None:
        """The live progress of a run this server started (None for other runs)."""
        with self._lock:
            return self.live.get(run_id)
