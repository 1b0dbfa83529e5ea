"""Topics: ``/topics`` and ``/topics/{name}`` (the digest), their API twins, and topic writes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, ClassVar

from fastapi import APIRouter, Body, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from newsdesk import config
from newsdesk.errors import NotFound
from newsdesk.model import Digest, JSONObject, Topic
from newsdesk.web.pages import digest_markup, html
from newsdesk.web.routes.common import check_write
from newsdesk.web.security import check_topic_fields, check_topic_sources, topic_path
from newsdesk.web.state import CurrentWeb, Web
from newsdesk.workflow import parse_topic, write_atomically

router = APIRouter()


class TopicBody(BaseModel):
    """A topic file to create or replace."""

    name: str = Field(description="File name in the topics folder, without .toml")
    toml: str = Field(description="The topic file's text (see the README's Topics table)")


@dataclass(frozen=True, slots=True)
class TopicRow:
    """One topic file: its topic, or why it does not read; and its last run."""

    name: str  # the file name, without .toml
    topic: Topic | None
    error: str = ""
    last_runs: Sequence[JSONObject] = ()

    def to_json(self) -> dict[str, object]:
        """The file name, the topic's name and description, its error."""
        return {
            "name": self.name,
            "topic": self.topic.name if self.topic else None,
            "description": self.topic.description if self.topic else "",
            "error": self.error,
        }


@dataclass(frozen=True, slots=True)
class TopicList:
    """Every topic file in the topics folder, by file name."""

    rows: list[TopicRow]
    folder: str
    template: ClassVar[str] = "topics.html"

    def to_json(self) -> list[dict[str, object]]:
        """One entry per file (an invalid one with its error)."""
        return [r.to_json() for r in self.rows]

    def context(self) -> Mapping[str, object]:
        """(file name, topic, error, last runs) per file, and the folder."""
        rows = [(r.name, r.topic, r.error, r.last_runs) for r in self.rows]
        return {"rows": rows, "folder": self.folder}


@dataclass(frozen=True, slots=True)
class TopicView:
    """A topic: its settings, its file's text, its last runs and its last digest."""

    name: str
    topic: Topic
    toml: str
    runs: Sequence[JSONObject]
    digest: Digest | None = None  # of the last successful run among ``runs``
    template: ClassVar[str] = "topic.html"

    def to_json(self) -> dict[str, object]:
        """The file name, the topic's settings, its TOML and its last runs."""
        return {
            "name": self.name,
            "topic": self.topic.model_dump(exclude={"path"}),
            "toml": self.toml,
            "runs": self.runs,
        }

    def context(self) -> Mapping[str, object]:
        """The topic, its runs, and its last digest as HTML (None before the first run)."""
        digest = digest_markup(self.digest) if self.digest else None
        return {"name": self.name, "topic": self.topic, "runs": self.runs, "digest": digest}


def topic_list(web: Web) -> TopicList:
    """Every topic file, each with its last run."""
    with web.store() as store:
        rows = [
            TopicRow(
                name, topic, err, [r.to_dict() for r in store.runs(topic.name, 1)] if topic else []
            )
            for name, topic, err in web.topic_files()
        ]
    return TopicList(rows, str(web.topics))


def topic_view(web: Web, name: str, runs: int) -> TopicView:
    """Topic file ``name`` with its last ``runs`` runs and the digest of the last good one."""
    topic = web.topic(name)
    with web.store() as store:
        recent = store.runs(topic.name, runs)
        done = next((r for r in recent if r.ok), None)
        stored = store.run(done.id).digest if done else None
    text = topic_path(web.topics, name).read_text(encoding="utf-8")
    digest = Digest.from_dict(stored, topic) if stored else None
    return TopicView(name, topic, text, [r.to_dict() for r in recent], digest)


def save_topic(web: Web, name: str, text: str) -> dict[str, object]:
    """Validate and write a topic file atomically; errors name the field."""
    path = topic_path(web.topics, name)
    topic = parse_topic(text, path)
    check_topic_sources(web.topics, topic.sources)
    backend = topic.backend or config.get("summary_backend")
    check_topic_fields(web.topics, topic.outputs.folder, backend, topic.model)
    write_atomically(path, text)
    return {"name": name, "topic": topic.model_dump(exclude={"path"})}


@router.get("/topics", include_in_schema=False)
def topics_page(web: CurrentWeb) -> HTMLResponse:
    return html(topic_list(web))


@router.get("/topics/{name}", include_in_schema=False)
def topic_page(web: CurrentWeb, name: str) -> HTMLResponse:
    return html(topic_view(web, name, 20))


@router.get("/api/topics", tags=["topics"])
def list_topics(web: CurrentWeb) -> list[dict[str, object]]:
    """Every topic file in the topics folder (an invalid one with its error)."""
    return TopicList([TopicRow(*row) for row in web.topic_files()], str(web.topics)).to_json()


@router.get("/api/topics/{name}", tags=["topics"])
def get_topic(web: CurrentWeb, name: str) -> dict[str, object]:
    """A topic: its settings, its file's text and its last runs."""
    return topic_view(web, name, 5).to_json()


@router.post("/api/topics", tags=["topics"], status_code=201)
def create_topic(web: CurrentWeb, request: Request, body: TopicBody) -> dict[str, object]:
    """Create a topic file from TOML (409 if it exists; PUT replaces)."""
    check_write(request, web)
    path = topic_path(web.topics, body.name)
    if path.exists():
        raise HTTPException(
            409, f"topic {body.name!r} exists: PUT /api/topics/{body.name} replaces it"
        )
    return save_topic(web, body.name, body.toml)


@router.put("/api/topics/{name}", tags=["topics"])
def put_topic(
    web: CurrentWeb,
    request: Request,
    name: str,
    toml: Annotated[str, Body(media_type="application/toml")],
) -> dict[str, object]:
    """Create or replace a topic file; the body is its TOML text."""
    check_write(request, web)
    return save_topic(web, name, toml)


@router.delete("/api/topics/{name}", tags=["topics"], status_code=204)
def delete_topic(web: CurrentWeb, request: Request, name: str) -> Response:
    """Remove a topic file (its runs stay in the store)."""
    check_write(request, web)
    path = topic_path(web.topics, name)
    if not path.exists():
        raise NotFound(f"no topic {name!r}")
    path.unlink()
    return Response(status_code=204)
