"""What changed and over time: a topic's Atom feed, its timeline, a run's change set."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from newsdesk.alerts.conditions import public_url
from newsdesk.errors import NotFound
from newsdesk.feed import atom_feed
from newsdesk.model import ChangeSet, Digest
from newsdesk.web.state import CurrentWeb, Web

router = APIRouter()


def last_digest(web: Web, name: str) -> Digest:
    """The digest of the topic's last successful run; NotFound when it has none."""
    topic = web.topic(name)
    with web.store() as store:
        done = next((r for r in store.runs(topic.name, 20) if r.ok), None)
        if done is None:
            raise NotFound(f"topic {name!r} has no finished run yet: POST /api/runs starts one")
        stored = store.run(done.id).digest or {}
    return Digest.from_dict(stored, topic)


@router.get("/topics/{name}/feed.xml", tags=["topics"])
def topic_feed(web: CurrentWeb, name: str) -> Response:
    """The topic as an Atom feed: one entry per story of its last digest, with its brief."""
    xml = atom_feed(last_digest(web, name), public_url(), page=f"/topics/{name}")
    return Response(xml, media_type="application/atom+xml; charset=utf-8")


@router.get("/api/topics/{name}/timeline", tags=["topics"])
def topic_timeline(web: CurrentWeb, name: str) -> dict[str, object]:
    """Stories per day (in all and by source) over the topic's window, spikes marked."""
    timeline = last_digest(web, name).timeline
    return timeline.to_dict() if timeline else {}


@router.get("/api/runs/{run_id}/changes", tags=["runs"])
def run_changes(web: CurrentWeb, run_id: int) -> dict[str, object]:
    """What changed in a run: new, updated (paragraphs), more coverage, left."""
    with web.store() as store:
        stored = (store.run(run_id).digest or {}).get("changes")
    if not stored:
        raise NotFound(f"run {run_id} has no change set (not finished, or before tracking)")
    return ChangeSet.from_dict(stored).to_dict()
