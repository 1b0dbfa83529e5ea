"""A topic and what a run of it makes: the topic file's schema, the digest and its items.

``Topic`` (with its ``[outputs]`` and ``[[alerts]]`` tables) is the validated
topic file, a pydantic model so that unknown keys and bad values are errors
with the field named. ``Digest`` and ``Item`` are the result of a run; their
``to_dict`` is the digest JSON (the file beside the digest, the stored run,
``/api/runs/{id}``) and ``from_dict`` reads it back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from newsdesk.model.changes import Alert, ChangeSet, Timeline
from newsdesk.model.document import Document
from newsdesk.model.overview import Overview
from newsdesk.model.summary import Summary
from newsdesk.model.wire import JSONObject, as_objects

FORMATS = ("text", "md", "html", "json", "atom")


class Spike(BaseModel):
    """A volume spike: stories per day above the trailing mean + k standard deviations."""

    model_config = ConfigDict(extra="forbid")
    k: float = Field(default=3.0, gt=0)  # Feedly's trend rule: mean + 3 sigma
    window_days: int = Field(default=14, ge=2, le=365)


class When(BaseModel):
    """The conditions of an alert rule; all that are set must hold."""

    model_config = ConfigDict(extra="forbid")
    query: str = ""
    min_relevance: float | None = Field(default=None, ge=0.0, le=1.0)  # None: the topic's own
    min_sources: int = Field(default=1, ge=1)
    terms: list[str] = Field(default_factory=list)
    spike: Spike | None = None


class AlertRule(BaseModel):
    """One ``[[alerts]]`` table of a topic file: a name, conditions and channel names."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    when: When = Field(default_factory=lambda: When())
    to: list[str] = Field(min_length=1)  # channel names, configured outside the topic file


class Outputs(BaseModel):
    """Where the digest goes."""

    model_config = ConfigDict(extra="forbid")
    folder: str = "digests"  # relative to the topic file
    formats: list[str] = Field(default_factory=lambda: list(FORMATS))


class Topic(BaseModel):
    """A saved topic, read from TOML (unknown keys are an error, not ignored)."""

    model_config = ConfigDict(extra="forbid")
    name: str
    description: str = ""
    queries: list[str]
    sources: list[str] = Field(default_factory=list)  # files, folders, feed and page URLs
    since: str | None = None
    only_sources: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    max_items: int = Field(20, ge=1, le=200)
    # Share of a query's IDF weight whose words the story contains (best query counts).
    min_relevance: float = Field(0.6, ge=0.0, le=1.0)
    backend: str = ""
    model: str = ""
    language: str = "en"
    schedule_minutes: int = Field(360, ge=1)  # for `newsdesk watch`
    overview: bool = False  # 3-6 key developments across the items, cited [item¶paragraph]
    outputs: Outputs = Field(default_factory=Outputs)
    alerts: list[AlertRule] = Field(default_factory=list)  # [[alerts]]: rules and channel names
    chart_days: int = Field(30, ge=2, le=366)  # days the stories-per-day chart covers
    path: str = ""  # where it was read from (set by load_topic)


@dataclass(slots=True)
class Item:
    """One digest item: the story's document, its brief, and whether it is new."""

    doc: Document
    summary: Summary
    relevance: float
    reposts: int = 0
    new: bool = False
    story: str = ""  # the story's key, kept across versions of its article

    def to_dict(self) -> dict[str, object]:
        """JSON-ready: the document without its paragraphs, then the item's fields and brief."""
        return {
            **self.doc.to_dict(paragraphs=False),
            "relevance": round(self.relevance, 4),
            "reposts": self.reposts,
            "new": self.new,
            "story": self.story,
            "summary": self.summary.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: JSONObject) -> Item:
        """The inverse of ``to_dict``; the document comes back without its paragraphs."""
        return cls(
            doc=Document.from_dict(d),
            summary=Summary.from_dict(dict(d["summary"])),
            relevance=float(d.get("relevance", 0.0)),
            reposts=int(d.get("reposts", 0)),
            new=bool(d.get("new", False)),
            story=str(d.get("story") or ""),
        )


@dataclass(slots=True)
class Digest:
    """The result of a run."""

    topic: Topic
    run_id: int
    items: list[Item]
    generated_at: datetime
    summarized: int = 0
    ingested: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    files: list[str] = field(default_factory=list)
    overview: Overview | None = None
    changes: ChangeSet | None = None
    timeline: Timeline | None = None
    alerts: list[Alert] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        """The digest JSON: what the run stores and the ``json`` output writes."""
        ids = [i.doc.id for i in self.items]
        return {
            "topic": self.topic.name,
            "run_id": self.run_id,
            "generated_at": self.generated_at.isoformat(),
            "items": [i.to_dict() for i in self.items],
            "overview": self.overview.to_dict(ids) if self.overview else None,
            "changes": self.changes.to_dict() if self.changes else None,
            "timeline": self.timeline.to_dict() if self.timeline else None,
            "alerts": [a.to_dict() for a in self.alerts],
        }

    @classmethod
    def from_dict(cls, d: JSONObject, topic: Topic) -> Digest:
        """A stored digest of ``topic`` (its JSON names the topic only), without paragraphs."""
        overview, changes, timeline = d.get("overview"), d.get("changes"), d.get("timeline")
        return cls(
            topic=topic,
            run_id=int(d["run_id"]),
            items=[Item.from_dict(i) for i in as_objects(d.get("items"))],
            generated_at=datetime.fromisoformat(str(d["generated_at"])),
            overview=Overview.from_dict(overview) if overview else None,
            changes=ChangeSet.from_dict(changes) if changes else None,
            timeline=Timeline.from_dict(timeline) if timeline else None,
            alerts=[Alert.from_dict(dict(a)) for a in as_objects(d.get("alerts"))],
        )
