"""Runs: ``/runs`` (the history), ``/api/runs`` (the same list), and starting and polling a run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, ClassVar

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from newsdesk.model import JSONObject
from newsdesk.web.pages import html
from newsdesk.web.routes.common import MAX_ID, check_write
from newsdesk.web.state import CurrentWeb, Web

router = APIRouter()


class RunBody(BaseModel):
    """A run to start."""

    topic: str = Field(description="File name of a topic in the topics folder, without .toml")


@dataclass(frozen=True, slots=True)
class RunList:
    """Past runs, newest first, of one topic or of all."""

    topic: str  # as asked for: a topic's file name (or its TOML name), or "" for all
    runs: Sequence[JSONObject]
    names: dict[str, str] = field(default_factory=dict)  # TOML name -> file name, for links
    template: ClassVar[str] = "runs.html"

    def to_json(self) -> Sequence[JSONObject]:
        """The runs as the store records them."""
        return self.runs

    def context(self) -> Mapping[str, object]:
        """The runs, the topic asked for, and the topic file of each TOML name."""
        return {"runs": self.runs, "topic": self.topic, "names": self.names}


def run_list(web: Web, topic: str | None, limit: int) -> RunList:
    """The last ``limit`` runs (a run whose process was killed shows as failed)."""
    with web.store() as store:
        store.end_orphaned_runs()
        runs = store.runs(web.topic_name(topic), limit)
    return RunList(topic or "", [r.to_dict() for r in runs])


@router.get("/runs", include_in_schema=False)
def runs_page(web: CurrentWeb, topic: str = "") -> HTMLResponse:
    names = {t.name: name for name, t, _ in web.topic_files() if t}
    return html(run_list(web, topic, 100), names=names)


@router.get("/api/runs", tags=["runs"])
def list_runs(
    web: CurrentWeb,
    topic: Annotated[
        str | None,
        Query(description="File name of a topic, as POST /api/runs takes it (or its name)"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 20,
) -> Sequence[JSONObject]:
    """Past runs, newest first: of one topic (by its file name, like POST), or of all."""
    return run_list(web, topic, limit).to_json()


@router.post("/api/runs", tags=["runs"], status_code=202)
def start_run(web: CurrentWeb, request: Request, body: RunBody) -> dict[str, object]:
    """Start a run of a topic now; poll GET /api/runs/{id} for progress and the digest."""
    check_write(request, web)
    run_id = web.jobs.start(web.topic(body.topic))
    return {"id": run_id, "status": "running", "url": f"/api/runs/{run_id}"}


@router.get("/api/runs/{run_id}", tags=["runs"])
def get_run(
    web: CurrentWeb, run_id: Annotated[int, PathParam(ge=1, le=MAX_ID)]
) -> dict[str, object]:
    """A run: status, live progress while it runs, and its digest once done."""
    with web.store() as store:
        run: dict[str, object] = store.run(run_id).to_dict()
    live = web.jobs.progress(run_id)
    if live is not None:
        run["progress"] = {"stage": live.stage, "done": live.done, "total": live.total}
    return run
