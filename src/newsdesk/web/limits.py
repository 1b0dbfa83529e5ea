"""What keeps a server's work bounded: slots, a queue limit, deadlines, disconnects, SIGTERM.

- At most ``concurrency`` requests are worked on at once; up to ``queue`` more
  wait for a slot. Beyond that, and for one that waited past its deadline, the
  answer is 503 with ``Retry-After`` at once, so an overload costs the server
  nothing and the client knows when to come back.
- Every request carries a ``Budget`` (a context variable, so it reaches the
  worker thread of a sync view): its deadline, whether its client has gone
  (the ``http.disconnect`` that arrives while it runs), and whether the server
  is closing. Store queries (an SQLite progress handler) and embedding calls
  ask it and stop, so abandoned work ends within milliseconds instead of
  holding a slot.
- On SIGTERM the server stops accepting, new requests get 503, and in-flight
  ones get ``grace`` seconds before their budgets say stop.
"""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import FrameType

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from newsdesk.errors import Overloaded
from newsdesk.web.asgi import HttpMiddleware, answer, json_error


@dataclass(slots=True)
class Budget:
    """What one request may still spend."""

    deadline: float  # time.monotonic()
    seconds: float
    limits: Limits
    gone: bool = False

    def reason(self) -> str:
        """Why this request must stop now ('' while it may go on)."""
        if self.gone:
            return "the client went away"
        now = time.monotonic()
        closing = self.limits.closing_at
        if closing is not None and now > closing:
            return "the server is shutting down"
        if now > self.deadline:
            return f"the request took longer than its {self.seconds:g} s deadline"
        return ""


BUDGET: ContextVar[Budget | None] = ContextVar("newsdesk_budget", default=None)


def should_stop() -> bool:
    """Whether the current request must stop (False outside a request)."""
    budget = BUDGET.get()
    return bool(budget and budget.reason())


def check() -> None:
    """Raise Overloaded when the current request must stop."""
    budget = BUDGET.get()
    reason = budget.reason() if budget else ""
    if reason:
        raise Overloaded(f"stopped: {reason}; try again", retry_after=1)


@dataclass(slots=True)
class Limits:
    """The limits of one server process, and its counters."""

    concurrency: int = 4
    queue: int = 64
    deadline: float = 5.0
    grace: float = 3.0
    # Requests that call a language model (a brief) get this long instead: the
    # model's own timeout bounds them, and they still stop when the client goes.
    slow_paths: tuple[str, ...] = ("/api/summaries",)
    slow_deadline: float = 600.0
    closing_at: float | None = None
    running: int = 0
    waiting: int = 0
    refused: int = 0
    _slots: asyncio.Semaphore | None = field(default=None, repr=False)

    def slots(self) -> asyncio.Semaphore:
        """The semaphore of work slots (made in the server's event loop)."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.concurrency)
        return self._slots

    def close(self) -> None:
        """Start closing: new requests are refused, in-flight ones get ``grace`` seconds."""
        if self.closing_at is None:
            self.closing_at = time.monotonic() + self.grace

    def on_sigterm(self) -> Callable[[], None]:
        """Close on SIGTERM as well as what the handler already does; returns an undo."""
        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        previous = signal.getsignal(signal.SIGTERM)

        def handler(sig: int, frame: FrameType | None) -> None:
            self.close()
            if callable(previous):
                previous(sig, frame)

        signal.signal(signal.SIGTERM, handler)

        def undo() -> None:
            if signal.getsignal(signal.SIGTERM) is handler:
                signal.signal(signal.SIGTERM, previous)

        return undo


class LimitMiddleware(HttpMiddleware):
    """ASGI middleware that applies ``Limits`` to every HTTP request."""

    def __init__(self, app: ASGIApp, limits: Limits) -> None:
        super().__init__(app)
        self.limits = limits

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Wait for a slot (or refuse), then run the request under its budget."""
        limits = self.limits
        start = time.monotonic()
        slots = limits.slots()
        if limits.closing_at is not None:
            await _refuse(scope, send, "the server is shutting down", limits.grace)
            return
        if slots.locked() and limits.waiting >= limits.queue:
            limits.refused += 1
            await _refuse(scope, send, f"busy: {limits.waiting} requests are waiting", 1)
            return
        seconds = limits.deadline
        if scope.get("method") == "POST" and str(scope.get("path", "")) in limits.slow_paths:
            seconds = max(seconds, limits.slow_deadline)
        budget = Budget(start + seconds, seconds, limits)
        inbox: asyncio.Queue[Message] = asyncio.Queue()
        pump = asyncio.create_task(_pump(receive, inbox, budget))
        try:
            limits.waiting += 1
            try:
                await asyncio.wait_for(slots.acquire(), timeout=seconds)
            except TimeoutError:
                limits.refused += 1
                await _refuse(scope, send, f"busy: no slot within {limits.deadline:g} s", 1)
                return
            finally:
                limits.waiting -= 1
            limits.running += 1
            token = BUDGET.set(budget)
            try:
                if not budget.gone:

                    async def queued() -> Message:
                        return await inbox.get()

                    await self.app(scope, queued, send)
            finally:
                BUDGET.reset(token)
                limits.running -= 1
                slots.release()
        finally:
            pump.cancel()


async def _pump(receive: Receive, inbox: asyncio.Queue[Message], budget: Budget) -> None:
    """Forward the request's messages to the app, noting when the client disconnects."""
    while True:
        message = await receive()
        await inbox.put(message)
        if message["type"] == "http.disconnect":
            budget.gone = True
            return


async def _refuse(scope: Scope, send: Send, message: str, retry_after: float) -> None:
    """503 with Retry-After, as JSON under /api/ and as text elsewhere."""
    retry = [(b"retry-after", str(max(1, round(retry_after))).encode())]
    if str(scope.get("path", "")).startswith("/api/"):
        await json_error(send, 503, message, retry)
    else:
        await answer(send, 503, (message + "\n").encode(), b"text/plain; charset=utf-8", retry)
