"""What changed between a topic's runs, the topic over time, and the alerts a run fires."""

from __future__ import annotations

from dataclasses import dataclass, field

from newsdesk.model.wire import JSONObject, as_list, as_objects, flat


@dataclass(frozen=True, slots=True)
class StoryChange:
    """One story that changed since the topic's previous run.

    ``kind`` is ``new``, ``updated`` (a new version under the same origin:
    ``added`` and ``changed`` are paragraph numbers of the new version),
    ``grew`` (new reposts: ``new_sources``, romanized, and ``new_doc_ids``) or
    ``left`` (in the previous digest, not in this one).
    """

    kind: str
    doc_id: str
    title: str
    source_display: str
    published_at: str | None  # ISO 8601, as in the digest JSON
    story: str  # the story's key: its cluster id, or the document id when unclustered
    previous_id: str | None = None  # the version the previous run showed (updated)
    added: tuple[int, ...] = ()
    changed: tuple[int, ...] = ()
    removed: int = 0  # paragraphs of the old version that are gone
    new_sources: tuple[str, ...] = ()
    new_doc_ids: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict."""
        return flat(self)

    @classmethod
    def from_dict(cls, d: JSONObject) -> StoryChange:
        """The inverse of ``to_dict``."""
        previous, published = d.get("previous_id"), d.get("published_at")
        return cls(
            kind=str(d["kind"]),
            doc_id=str(d["doc_id"]),
            title=str(d["title"]),
            source_display=str(d["source_display"]),
            published_at=str(published) if published else None,
            story=str(d["story"]),
            previous_id=str(previous) if previous else None,
            added=tuple(int(n) for n in as_list(d.get("added"))),
            changed=tuple(int(n) for n in as_list(d.get("changed"))),
            removed=int(d.get("removed") or 0),
            new_sources=tuple(str(x) for x in as_list(d.get("new_sources"))),
            new_doc_ids=tuple(str(x) for x in as_list(d.get("new_doc_ids"))),
        )


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """What changed in a topic since its previous successful run."""

    run_id: int
    previous_run_id: int | None  # None: the topic's first run, every story is new
    changes: tuple[StoryChange, ...] = ()
    # story key -> ids of its current documents, so the next run can tell who reposted
    coverage: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def of(self, kind: str) -> list[StoryChange]:
        """The changes of one kind, in digest order."""
        return [c for c in self.changes if c.kind == kind]

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict, one list per kind."""
        return {
            "run_id": self.run_id,
            "previous_run_id": self.previous_run_id,
            **{k: [c.to_dict() for c in self.of(k)] for k in CHANGE_KINDS},
            "coverage": {k: list(v) for k, v in self.coverage.items()},
        }

    @classmethod
    def from_dict(cls, d: JSONObject) -> ChangeSet:
        """The inverse of ``to_dict`` (a stored ``digest["changes"]``)."""
        changes = tuple(
            StoryChange.from_dict(c) for kind in CHANGE_KINDS for c in as_objects(d.get(kind))
        )
        coverage: JSONObject = d.get("coverage") or {}
        previous = d.get("previous_run_id")
        return cls(
            int(d["run_id"]),
            int(previous) if previous is not None else None,
            changes,
            {str(k): tuple(str(m) for m in as_list(v)) for k, v in coverage.items()},
        )


CHANGE_KINDS = ("new", "updated", "grew", "left")


@dataclass(frozen=True, slots=True)
class DayCount:
    """Stories of a topic published on one day, in all and by source."""

    day: str  # YYYY-MM-DD
    stories: int
    by_source: dict[str, int]
    spike: bool = False  # above the trailing mean + k standard deviations
    alerts: int = 0  # alerts this run fired about stories of this day


@dataclass(frozen=True, slots=True)
class Timeline:
    """Stories per day over the topic's window (the chart and its numbers)."""

    days: tuple[DayCount, ...]
    sources: tuple[str, ...]  # the sources charted by name, most stories first

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict."""
        return {
            "sources": list(self.sources),
            "days": [flat(d) for d in self.days],
        }

    @classmethod
    def from_dict(cls, d: JSONObject) -> Timeline:
        """The inverse of ``to_dict``."""
        return cls(
            days=tuple(
                DayCount(
                    day=str(x["day"]),
                    stories=int(x["stories"]),
                    by_source={str(k): int(v) for k, v in dict(x["by_source"]).items()},
                    spike=bool(x.get("spike", False)),
                    alerts=int(x.get("alerts", 0)),
                )
                for x in as_objects(d.get("days"))
            ),
            sources=tuple(str(s) for s in as_list(d.get("sources"))),
        )


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert to deliver: which rule fired on which story, with the evidence."""

    key: str  # unique per (topic, rule, story or spike day): never delivered twice
    topic: str
    rule: str
    reason: str  # what matched, e.g. "new story; relevance 0.92 >= 0.8; 3 sources"
    title: str
    source_display: str
    published_at: str | None
    brief: str  # the verified English brief (core viewpoint and groups) with [n] citations
    citations: tuple[int, ...]
    url: str  # the story's page in the web app
    doc_id: str
    language: str = "en"

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict (what the generic webhook posts)."""
        return flat(self)

    @classmethod
    def from_dict(cls, d: dict[str, object]) -> Alert:
        """The inverse of ``to_dict``."""
        cites = d.get("citations") or []
        assert isinstance(cites, list)
        return cls(
            key=str(d["key"]),
            topic=str(d["topic"]),
            rule=str(d["rule"]),
            reason=str(d["reason"]),
            title=str(d["title"]),
            source_display=str(d["source_display"]),
            published_at=str(d["published_at"]) if d.get("published_at") else None,
            brief=str(d["brief"]),
            citations=tuple(int(n) for n in cites),
            url=str(d["url"]),
            doc_id=str(d["doc_id"]),
            language=str(d.get("language") or "en"),
        )


@dataclass(frozen=True, slots=True)
class Delivery:
    """One alert in the outbox, bound for one channel: pending, sent or failed."""

    id: int
    key: str  # unique: the alert's key and the channel
    channel: str
    status: str  # pending, sent or failed
    attempts: int
    error: str
    created_at: str
    sent_at: str | None
    alert: Alert

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict."""
        return {
            "id": self.id,
            "key": self.key,
            "channel": self.channel,
            "status": self.status,
            "attempts": self.attempts,
            "error": self.error,
            "created_at": self.created_at,
            "sent_at": self.sent_at,
            "alert": self.alert.to_dict(),
        }
