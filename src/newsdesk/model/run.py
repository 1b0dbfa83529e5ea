"""Runs: one topic run as the store records it, and how a run ended."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# The digest as stored with its run: ``model.Digest.to_dict()``, JSON.
DigestJSON = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Run:
    """One run of a topic: ``running`` while it runs (holding the topic), then ``ok`` or ``failed``.

    ``digest`` is read only for one run (``store.run``): None in a listing
    (``store.runs``), ``{}`` for a run that wrote none.
    """

    id: int
    topic: str
    started_at: str  # ISO 8601, UTC
    finished_at: str | None
    status: str  # running, ok or failed
    items: tuple[str, ...]  # the digest's document ids, in order
    new_items: tuple[str, ...]  # those that were not in the previous run's
    summarized: int  # briefs written (not read from the cache)
    message: str  # why it failed, or ''
    digest: DigestJSON | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``newsdesk runs --format json``, ``/api/runs``); inverse of from_dict."""
        out: dict[str, Any] = {
            "id": self.id,
            "topic": self.topic,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "status": self.status,
            "items": list(self.items),
            "new_items": list(self.new_items),
            "summarized": self.summarized,
            "message": self.message,
        }
        if self.digest is not None:
            out["digest"] = self.digest
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Run:
        return cls(
            id=int(data["id"]),
            topic=data["topic"],
            started_at=data["started_at"],
            finished_at=data.get("finished_at"),
            status=data["status"],
            items=tuple(data.get("items", ())),
            new_items=tuple(data.get("new_items", ())),
            summarized=int(data.get("summarized", 0)),
            message=data.get("message", ""),
            digest=data.get("digest"),
        )


@dataclass(frozen=True, slots=True)
class RunResult:
    """How a run ended, as ``store.finish_run`` records it."""

    status: str  # ok or failed
    items: Sequence[str] = ()
    new_items: Sequence[str] = ()
    summarized: int = 0
    message: str = ""
    digest: Mapping[str, object] | None = None
