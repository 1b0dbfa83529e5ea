"""Stories: ``/stories/{id}`` (a story and its reposts) and ``/api/stories/{id}``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from newsdesk.errors import NotFound
from newsdesk.model import Document
from newsdesk.render import byline
from newsdesk.web.pages import html
from newsdesk.web.state import CurrentWeb, Web

router = APIRouter()


@dataclass(frozen=True, slots=True)
class StoryView:
    """A story: its canonical document first, then its reposts."""

    id: str
    members: list[Document]
    template: ClassVar[str] = "story.html"

    def to_json(self) -> dict[str, object]:
        """The story's id and its documents without their paragraphs."""
        return {"id": self.id, "documents": [d.to_dict(paragraphs=False) for d in self.members]}

    def context(self) -> Mapping[str, object]:
        """The story's documents, each with its byline."""
        return {"cluster_id": self.id, "members": self.members, "byline": byline}


def story_view(web: Web, story_id: str) -> StoryView:
    """The story of that id (NotFound when there is none)."""
    with web.store() as store:
        members = store.cluster_members(story_id)
    if not members:
        raise NotFound(f"no story {story_id!r}; a document's cluster_id names its story")
    return StoryView(story_id, members)


@router.get("/stories/{cluster_id}", include_in_schema=False)
def story_page(web: CurrentWeb, cluster_id: str) -> HTMLResponse:
    return html(story_view(web, cluster_id))


@router.get("/api/stories/{cluster_id}", tags=["documents"])
def get_story(web: CurrentWeb, cluster_id: str) -> dict[str, object]:
    """A story: its canonical document first, then its reposts."""
    return story_view(web, cluster_id).to_json()
